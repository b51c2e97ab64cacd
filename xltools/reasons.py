"""Reasons the narrative needs (issue 12), from the edition's reasons.toml: which text cell explains the
year-on-year change of which figures, the threshold from which a change needs its reason, and the words by
which a reason speaks of an increase or a decrease.

Used by validate (xltools/rules/reasons.py: the reason to fill, a reason against its figures, a carried text
to check), by the narrative (a needed reason that is blank becomes a 【请填写】 placeholder) and by migrate
(which marks the texts it carries, so that an unedited one is known: see ``carried_mark``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from .book import Book
from .edition.model import Edition
from .errors import EditionError
from .money import ZERO
from .tomlfile import tomllib

FILE = "reasons.toml"
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
# The stamp key (the template's very hidden _xltools sheet) holding the mark of a carried text.
CARRIED_PREFIX = "carried."


@dataclass(frozen=True)
class Reason:
    text: str  # the text cell id (figures.toml [[text]])
    figures: tuple[str, ...]  # the figures whose change it explains; the first is the one a text speaks of
    # when it names none


@dataclass(frozen=True)
class Spec:
    threshold: Decimal  # percent
    reasons: tuple[Reason, ...]
    increase: tuple[str, ...]
    decrease: tuple[str, ...]

    def reason_for(self, text_id: str) -> Reason | None:
        return next((r for r in self.reasons if r.text == text_id), None)


@dataclass(frozen=True)
class Change:
    figure: str
    current: Decimal
    prior: Decimal | None
    kind: str  # blank (not filled) | none (no prior figure) | flat | up | down
    percent: Decimal | None  # |change| / prior × 100; None without a prior or on a zero base

    def needs_reason(self, threshold: Decimal) -> bool:
        """A change of at least the threshold; from a zero base any change counts (a new item)."""
        if self.kind not in ("up", "down"):
            return False
        return self.percent is None or self.percent >= threshold


EMPTY = Spec(Decimal(10), (), (), ())


@lru_cache(maxsize=16)
def _load(path: str) -> Spec:
    p = Path(path)
    if not p.is_file():
        return EMPTY
    try:
        with p.open("rb") as fh:
            raw = tomllib.load(fh)
        reasons = tuple(Reason(str(r["text"]), tuple(str(f) for f in r["figures"])) for r in raw.get("reason", []))
        return Spec(
            Decimal(str(raw.get("threshold", 10))),
            reasons,
            tuple(str(w) for w in raw.get("increase", ())),
            tuple(str(w) for w in raw.get("decrease", ())),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as e:
        raise EditionError(f"{p}: {e}") from None


def spec(ed: Edition) -> Spec:
    """The edition's reasons (inherited from its parent when it has no reasons.toml); none when no file."""
    path = ed.file(FILE)
    s = _load(str(path))
    try:  # a reason naming an unknown text or figure is an edition error, with its file
        for r in s.reasons:
            ed.text_cell(r.text)
            for f in r.figures:
                ed.figure(f)
    except KeyError as e:
        raise EditionError(f"{path}: {e.args[0]}") from None
    return s


def change(book: Book, figure_id: str) -> Change:
    current = book.figure(figure_id)
    cur = current if current is not None else ZERO
    prior_id = book.edition.figure(figure_id).prior
    prior = book.figure(prior_id) if prior_id else None
    if current is None:  # not filled yet (a template just migrated): nothing to compare
        return Change(figure_id, cur, prior, "blank", None)
    if prior is None:
        return Change(figure_id, cur, None, "none", None)
    if cur == prior:
        return Change(figure_id, cur, prior, "flat", None)
    pct = None if prior == ZERO else abs(cur - prior) * HUNDRED / abs(prior)
    return Change(figure_id, cur, prior, "up" if cur > prior else "down", pct)


def needed(book: Book, reason: Reason, s: Spec) -> list[Change]:
    """The changes of at least the threshold that the reason has to explain (none: no reason needed)."""
    return [c for f in reason.figures if (c := change(book, f)).needs_reason(s.threshold)]


def needed_texts(book: Book) -> set[str]:
    """The text ids whose reason is needed by the figures (the narrative's placeholders)."""
    s = spec(book.edition)
    return {r.text for r in s.reasons if needed(book, r, s)}


def governed(ed: Edition) -> set[str]:
    """The text ids whose need is decided by the figures, not by the row's required mark."""
    return {r.text for r in spec(ed).reasons}


def spoken_figures(ed: Edition, reason: Reason, text: str) -> list[str]:
    """The reason's figures the text names (longest name first, each place once); else its first figure."""
    names = sorted(
        ((n, f) for f in reason.figures for n in (ed.figure(f).name, *ed.figure(f).synonyms) if n),
        key=lambda x: -len(x[0]),
    )
    found: list[str] = []
    rest = text
    for name, fid in names:
        if name in rest:
            rest = rest.replace(name, "\0")
            if fid not in found:
                found.append(fid)
    return found or list(reason.figures[:1])


def directions(s: Spec, text: str) -> set[str]:
    """up / down: the directions the text speaks of."""
    out = set()
    if any(w in text for w in s.increase):
        out.add("up")
    if any(w in text for w in s.decrease):
        out.add("down")
    return out


def carried_mark(text: str) -> str:
    """The mark migrate keeps of a carried text (a hash of its words, whitespace ignored): a text whose
    mark still matches has not been edited since it was carried over."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]
