"""The rule registry: the check modules in the order check_book runs them, and the reader modules that
emit findings while reading.

Each module declares the rule ids it emits once, in ``RULES``; a check module also has ``check(book)``.
The words of a rule (title, what it checks, why it matters, the message and the hint) are in the
catalogue, xltools/texts/findings.toml. A new kind of check is a module copied from a neighbour, listed
in CHECKS, with its entries in the catalogue: tests/test_rules.py walks both ways (every declared id has
an entry and is emitted by its module only; every entry is declared, or marked retired).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from . import cells, codes, columns, identities, magnitude, reasons, references

# Order of the checks (findings are sorted afterwards; the order only decides which of two findings at one
# place with one rule is kept, and no two modules share a rule).
CHECKS: tuple[ModuleType, ...] = (columns, cells, codes, identities, references, magnitude, reasons)

# Modules that emit findings while reading (imported on demand: the registry is also read by `xltools rules`).
READERS = ("xltools.ooxml.package", "xltools.reader.normalise", "xltools.reader.read")
# Checks of a merged county, run by the merge over its included departments.
COUNTY = ("xltools.merge.county",)
# Findings made from the others' results: the diagnosis (the cells to change when identities fail).
AFTER = ("xltools.diagnose.rule",)
# Checks of a published document (xltools audit).
AUDIT = (
    "xltools.audit.readers",
    "xltools.audit.pdftext",
    "xltools.audit.checks",
    "xltools.audit.tables",
    "xltools.audit.completeness",
    "xltools.audit.selfaudit",
)


def modules() -> tuple[ModuleType, ...]:
    """Every module that declares rules: the readers, the checks in order, then the county's."""
    return (
        tuple(import_module(name) for name in READERS)
        + CHECKS
        + tuple(import_module(n) for n in COUNTY + AUDIT + AFTER)
    )


def declared() -> dict[str, str]:
    """Rule id -> the module declaring it, in declaration order. A rule declared twice is a bug."""
    out: dict[str, str] = {}
    for module in modules():
        for rule in module.RULES:
            if rule in out:
                raise RuntimeError(f"rule {rule} declared by both {out[rule]} and {module.__name__}")
            out[rule] = module.__name__
    return out
