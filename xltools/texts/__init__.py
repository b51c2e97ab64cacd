"""The one catalogue of every word a user reads, as data: xltools/texts/<domain>.toml.

    text("merge.status_included")                 -> "已纳入"
    text("template.guide.line", sheet=…, title=…)  -> a sentence with its named placeholders filled
    raw("template.validation")                     -> the TOML value itself (a table or a list)
    render("table.sum-of-parts", "message", params) -> a finding's title / message / hint

`findings.toml` holds the findings (rule id -> title, message, hint; sub-tables pick alternative wordings
by a parameter's value). The other files hold the words of one stage each (template, publish, merge, …).
Code names keys only; a test keeps sentence-like Chinese out of the Python sources.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..money import fmt
from ..tomlfile import tomllib

FOLDER = Path(__file__).resolve().parent


@lru_cache(maxsize=64)
def domain(name: str) -> dict[str, Any]:
    """One catalogue file, loaded once (a missing or malformed file is a bug of ours: it raises)."""
    with (FOLDER / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


def domains() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.toml"))


def raw(key: str) -> Any:
    """The value at a dotted key: the first part names the file, the rest walk its tables."""
    name, _, rest = key.partition(".")
    node: Any = domain(name)
    for part in rest.split(".") if rest else ():
        try:
            node = node[part]
        except (KeyError, TypeError):
            raise KeyError(f"no text {key!r}") from None
    return node


def nest_quotes(s: str) -> str:
    """Quotation marks inside quotation marks become single ones, as Chinese typesetting has it: a quoted label
    that itself holds a quoted word ("三公"经费) reads “‘三公’经费增减变化原因”, not ““三公”经费增减变化原因”."""
    if s.count("“") < 2:
        return s
    out, depth = [], 0
    for ch in s:
        if ch == "“":
            out.append("‘" if depth % 2 else "“")
            depth += 1
        elif ch == "”" and depth > 0:
            depth -= 1
            out.append("’" if depth % 2 else "”")
        else:
            out.append(ch)
    return "".join(out)


def _fill(template: str, params: Mapping[str, Any]) -> str:
    if not params:
        return template
    return nest_quotes(string.Formatter().vformat(template, (), _Params({k: _show(v) for k, v in params.items()})))


def text(key: str, **params: Any) -> str:
    """A sentence of the catalogue with its {placeholders} filled (a placeholder without a value stays)."""
    return _fill(str(raw(key)), params)


def text_list(key: str, **params: Any) -> list[str]:
    """A list of the catalogue, each item with its {placeholders} filled."""
    return [_fill(str(item), params) for item in raw(key)]


# ---- findings ----


def catalogue() -> dict[str, dict[str, Any]]:
    """Rule id -> its entry (title, message, hint, …)."""
    return domain("findings")


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
    """A finding's title, message or hint from its parameters."""
    entry = catalogue().get(rule)
    if entry is None:
        return rule if part == "title" else ""
    values = _Params({k: _show(v) for k, v in params.items()})
    for name, texts in entry.items():
        # A sub-table of the entry holds alternative texts for the placeholder of its name; the finding's
        # parameter picks one ("default" when it gives none), so the wording stays in the catalogue.
        if isinstance(texts, dict):
            values[name] = texts.get(str(params.get(name, "default")), texts.get("default", ""))
    return nest_quotes(string.Formatter().vformat(str(entry.get(part, "")), (), values))
