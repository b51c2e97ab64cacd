"""The message catalogue (messages.toml): rule id -> title, message and hint, in Chinese,
with named placeholders. The only home of user-facing text about findings."""

from __future__ import annotations

import string
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..money import fmt
from ..tomlfile import tomllib

CATALOGUE = Path(__file__).with_name("messages.toml")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    with CATALOGUE.open("rb") as fh:
        return tomllib.load(fh)


class _Params(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _show(v: Any) -> str:
    if isinstance(v, Decimal):
        return fmt(v)
    if isinstance(v, (list, tuple)):
        return "、".join(map(_show, v))
    return str(v)


def render(rule: str, part: str, params: Mapping[str, Any]) -> str:
    entry = catalogue().get(rule)
    if entry is None:
        return rule if part == "title" else ""
    values = _Params({k: _show(v) for k, v in params.items()})
    for name, texts in entry.items():
        # A sub-table of the entry holds alternative texts for the placeholder of its name; the finding's
        # parameter picks one ("default" when it gives none), so the wording stays in the catalogue.
        if isinstance(texts, dict):
            values[name] = texts.get(str(params.get(name, "default")), texts.get("default", ""))
    return string.Formatter().vformat(entry.get(part, ""), (), values)
