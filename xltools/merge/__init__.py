"""xltools merge: consolidate every department's workbook into county totals, knowing who is missing or invalid."""

from .merge import MergeResult, merge
from .work import process

__all__ = ["MergeResult", "merge", "process"]
