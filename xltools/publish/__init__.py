"""Publication outputs: the 公开表 workbook (tables + 概览 with charts) and the orchestration of `compile`."""

from .run import CompileResult, compile_book, output_paths
from .workbook import write_publication

__all__ = ["CompileResult", "compile_book", "output_paths", "write_publication"]
