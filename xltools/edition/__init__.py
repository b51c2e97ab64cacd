"""Editions: a province's disclosure format as data (schemas/<id>/), loaded into a frozen model."""

from .load import available, load_edition
from .model import Breakdown, CodeList, Column, Edition, Figure, Identity, RecordSet, Row, Table, TextCell

__all__ = [
    "available",
    "load_edition",
    "Breakdown",
    "CodeList",
    "Column",
    "Edition",
    "Figure",
    "Identity",
    "RecordSet",
    "Row",
    "Table",
    "TextCell",
]
