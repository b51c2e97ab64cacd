"""The audit's wording patterns as data: the package default (phrases.toml beside this file) merged with
the edition's schemas/<edition>/audit/phrases.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import EditionError
from ..tomlfile import tomllib

DEFAULT = Path(__file__).resolve().parent / "phrases.toml"


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@dataclass(frozen=True)
class Phrases:
    data: dict[str, Any]
    prior_year: int
    year: int

    def _c(self, pattern: str) -> re.Pattern[str]:
        return re.compile(pattern.replace("{prior_year}", str(self.prior_year)).replace("{year}", str(self.year)))

    @property
    def heading_max_chars(self) -> int:
        return int(self.data["headings"]["max_chars"])

    @property
    def sentence_end(self) -> str:
        return str(self.data["headings"]["sentence_end"])

    @property
    def heading_patterns(self) -> list[tuple[int, re.Pattern[str]]]:
        return _patterns(self, "headings")

    def words(self, section: str, key: str) -> list[str]:
        return [str(w) for w in self.data.get(section, {}).get(key, [])]

    def regex(self, section: str, key: str) -> re.Pattern[str]:
        """A list of words as one alternation (longest first)."""
        return _regex(self, section, key)

    def patterns(self, section: str, key: str) -> list[re.Pattern[str]]:
        return [self._c(p) for p in self.words(section, key)]


@lru_cache(maxsize=64)
def _cached(path: str, year: int) -> Phrases:
    with DEFAULT.open("rb") as fh:
        data = tomllib.load(fh)
    p = Path(path) if path else None
    if p is not None and p.is_file():
        try:
            with p.open("rb") as fh:
                data = _merge(data, tomllib.load(fh))
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise EditionError(f"{p}: {e}") from None
    return Phrases(data, year - 1, year)


_pattern_cache: dict[tuple[int, str], Any] = {}


def _patterns(ph: Phrases, section: str) -> list[tuple[int, re.Pattern[str]]]:
    key = (id(ph), section)
    if key not in _pattern_cache:
        _pattern_cache[key] = [(int(level), ph._c(str(p))) for level, p in ph.data[section]["patterns"]]
    return _pattern_cache[key]  # type: ignore[no-any-return]


def _regex(ph: Phrases, section: str, key: str) -> re.Pattern[str]:
    ck = (id(ph), f"{section}.{key}")
    if ck not in _pattern_cache:
        words = ph.words(section, key)
        _pattern_cache[ck] = ph._c(_alt(words)) if words else re.compile(r"(?!x)x")
    return _pattern_cache[ck]  # type: ignore[no-any-return]


def load_phrases(edition_path: Path | None, year: int) -> Phrases:
    """The default phrases merged with an edition's audit/phrases.toml (when it has one)."""
    path = str(edition_path / "audit" / "phrases.toml") if edition_path is not None else ""
    return _cached(path, year)
