"""xltools merge: consolidate every department's workbook into county totals, knowing who is missing or invalid."""

from .merge import merge
from .model import FileResult, MergeResult
from .work import process

__all__ = ["FileResult", "MergeResult", "merge", "process"]
