"""xltools: the yearly 部门预算信息公开 workbook toolkit (template, validate, compile, merge)."""

__version__ = "0.1.0"
