"""Editions: a province's disclosure format as data (schemas/<id>/), loaded into a frozen model."""

from .load import available, load_edition
from .model import CodeList, Column, Edition, Identity, Row, Table

__all__ = ["available", "load_edition", "CodeList", "Column", "Edition", "Identity", "Row", "Table"]
