"""Render the edition's Jinja2 templates to Markdown.

Every value printed by a template that is not our own (user text from the workbook, names, codes) is
escaped for the Markdown subset we parse back into Word (``markdown.py``): a clerk's text can never
become a heading, a table or bold type, and a line break inside it never breaks a table row.
Helpers return ``Markup`` (already safe). Decimals print with the edition's decimals."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import jinja2
from markupsafe import Markup

from .. import texts
from ..errors import EditionError
from .context import Context, at_level
from .phrases import amount_text, number_text, percent_text, percent_value, quantity_text

# ASCII punctuation the parser gives a meaning to (CommonMark lets any of it be backslash-escaped).
_SPECIAL = re.compile(r"([\\|#*_<>`\[\]])")


def md_escape(value: Any) -> str:
    """Plain text -> Markdown that shows exactly that text; newlines become <br> (safe inside table cells)."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPECIAL.sub(r"\\\1", text)
    return "<br>".join(line.strip() for line in text.split("\n"))


def esc(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(md_escape(value))


def _paras(value: Any) -> Markup:
    """Free text with several lines -> one Markdown paragraph per non-empty line."""
    if isinstance(value, Markup):
        return value
    lines = [md_escape(line) for line in str(value or "").splitlines() if line.strip()]
    return Markup("\n\n".join(lines))


def _sentence(value: Any) -> Markup:
    """End a free text with exactly one 。 (the clerk may or may not have typed it)."""
    if isinstance(value, Markup):  # a placeholder
        return Markup(value + "。")
    text = str(value or "").strip().rstrip("。；;，,.、 ")
    return Markup(md_escape(text) + "。") if text else Markup("")


def _finalize_for(decimals: int) -> Callable[[Any], Any]:
    def finalize(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, Markup):
            return value
        if isinstance(value, Decimal):
            return number_text(value, decimals)
        return md_escape(value)

    return finalize


def environment(ctx: Context) -> jinja2.Environment:
    cfg, ph = ctx.config, ctx.phrases
    d = ph.decimals
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in cfg.search or (cfg.path,)]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize_for(d),
    )
    env.filters.update(
        {
            "money": lambda v, unit=None: Markup(md_escape(amount_text(v, ph.unit if unit is None else unit, d))),
            "num": lambda v, decimals=d: Markup(number_text(v, decimals)),
            "qty": lambda v: Markup(quantity_text(v)),
            "pct": lambda v, decimals=d: Markup(percent_text(v, decimals)),
            "paras": _paras,
            "sentence": _sentence,
            "esc": esc,
            "at_level": at_level,
        }
    )
    env.globals.update(
        {
            "change": lambda cur, prior: Markup(md_escape(ph.change(cur, prior))),
            "direction": lambda cur, prior: Markup(ph.direction(cur, prior)),
            "share": lambda part, whole: Markup(percent_text(percent_value(part, whole, d), d)),
            "change_rate": lambda cur, prior: Markup(md_escape(ph.change_rate(cur, prior))),
            "money_change": lambda cur, prior: Markup(
                md_escape(amount_text(cur, ph.unit, d) + (f"（{ph.change(cur, prior)}）" if prior is not None else ""))
            ),
        }
    )
    return env


def render_markdown(ctx: Context) -> str:
    env = environment(ctx)
    try:
        text = env.get_template(ctx.config.template).render(ctx.data)
    except jinja2.TemplateSyntaxError as e:
        raise EditionError(
            texts.raw("narrative.render.render_markdown").format(
                e_filename_or_e_name=e.filename or e.name, e_lineno=e.lineno, e_message=e.message
            )
        ) from None
    except jinja2.TemplateError as e:
        raise EditionError(
            texts.raw("narrative.render.render_markdown_2").format(
                where_e_or_ctx_config_path=_where(e) or ctx.config.path, e=e
            )
        ) from None
    return tidy(text)


def _where(e: BaseException) -> str:
    """'file第N行' of the innermost template frame of a runtime error (Jinja maps frames to template lines)."""
    where = ""
    tb = e.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2"):
            where = texts.raw("narrative.render.where").format(name=name, tb_tb_lineno=tb.tb_lineno)
        tb = tb.tb_next
    return where


def tidy(text: str) -> str:
    """One blank line between blocks, no trailing spaces, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
