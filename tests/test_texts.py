"""Every word a user reads is in the catalogue (xltools/texts/<domain>.toml), not in the Python sources.

The test fails on a sentence-like Chinese string literal in xltools/**/*.py: four or more CJK characters,
or CJK punctuation with a CJK character (第{n}行：, 合计行的“{col}”). A word or a separator (元, 万元, 类, 、,
——, “{name}”) may stay in code. Docstrings and comments are for contributors and pass; so do click help texts (the
help=, short_help= and epilog= of an option or command, and a command's docstring), which click reads from
the code. An f-string is judged by its literal parts together.
"""

from __future__ import annotations

import ast
import re

from xltools import texts

from .conftest import ROOT

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_PUNCT = re.compile(r"[\u3000-\u303f\uff00-\uffef\u2018-\u201f\u2026\u2014\u00b7]")
HELP_KEYWORDS = {"help", "short_help", "epilog"}

# Files whose Chinese literals are patterns matching what a workbook holds, not words a user reads.
PATTERNS = {
    "xltools/ooxml/styles.py",  # number-format codes: 年月日时分秒 and 上午/下午 mark a date format
    # The audit's grammar of the documents it reads (numbers, numbering, separators, the 情况说明 title);
    # its wording patterns are data (xltools/audit/phrases.toml and schemas/<edition>/audit/).
    "xltools/audit/__init__.py",
    "xltools/audit/claims.py",
    "xltools/audit/completeness.py",
    "xltools/audit/numbers.py",
    "xltools/audit/pdftext.py",
    "xltools/audit/tables.py",
}


def sentence_like(text: str) -> bool:
    n = len(CJK.findall(text))
    p = len(CJK_PUNCT.findall(text))
    return n >= 4 or (n > 0 and p > 0)


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            out.add(id(body[0].value))
    return out


def chinese_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every sentence-like Chinese literal outside docstrings and click help texts."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in HELP_KEYWORDS:
                    skip.update(id(n) for n in ast.walk(kw.value))
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            parts = [v for v in node.values if isinstance(v, ast.Constant)]
            skip.update(id(v) for v in parts)
            text = "".join(str(v.value) for v in parts)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if sentence_like(text):
            out.append((node.lineno, text))
    return sorted(out)


def _sources() -> dict[str, str]:
    return {
        py.relative_to(ROOT).as_posix(): py.read_text(encoding="utf-8")
        for py in sorted((ROOT / "xltools").rglob("*.py"))
    }


def test_no_sentence_like_chinese_literal_in_the_sources() -> None:
    found = {}
    for name, source in _sources().items():
        if name in PATTERNS:
            continue
        hits = chinese_literals(source)
        if hits:
            found[name] = [f"{line}: {text[:30]!r}" for line, text in hits[:5]]
    assert not found, f"move these into xltools/texts/<domain>.toml: {found}"


def test_patterns_lists_only_files_that_still_hold_literals() -> None:
    sources = _sources()
    clean = sorted(name for name in PATTERNS if name not in sources or not chinese_literals(sources[name]))
    assert not clean, f"remove from PATTERNS (clean now or gone): {clean}"


def test_every_command_has_its_one_line_help_in_the_catalogue() -> None:
    from xltools.cli import COMMANDS

    assert sorted(texts.domain("commands")) == sorted(COMMANDS)
    assert all(isinstance(v, str) and v for v in texts.domain("commands").values())


def test_the_detector() -> None:
    hits = chinese_literals(
        '"""模块说明：文档字符串不算。"""\n'
        "import click\n"
        "A = '、'\n"  # a separator
        "B = '万元'\n"  # a word
        "C = '请填写单位名称'\n"
        "D = f'{x}合计行的“{y}”'\n"
        "E = f'“{y}”'\n"
        "F = '表1'\n"
        "@click.option('--x', help='帮助文字可以留在代码里。')\n"
        "def f():\n"
        "    '''函数的文档字符串。'''\n"
        "    return '第{n}行：'\n"
    )
    assert [line for line, _ in hits] == [5, 6, 12]


def test_every_catalogue_file_loads_and_every_text_key_used_in_code_exists() -> None:
    for name in texts.domains():
        assert isinstance(texts.domain(name), dict), name
    keys = set()
    for source in _sources().values():
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, (ast.Attribute, ast.Name))
                and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
                in ("text", "raw", "text_list")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and node.args[0].value.split(".")[0] in texts.domains()
            ):
                keys.add(node.args[0].value)
    missing = []
    for key in sorted(keys):
        try:
            texts.raw(key)
        except KeyError:
            missing.append(key)
    assert not missing, missing


def test_quotes_inside_quotes_become_single() -> None:
    from xltools.texts import nest_quotes, render

    assert nest_quotes("“a”和“b”") == "“a”和“b”"
    assert nest_quotes("““三公”经费合计”") == "“‘三公’经费合计”"
    assert nest_quotes("“x“y“z”””") == "“x‘y“z”’”"  # three deep: double, single, double
    assert nest_quotes("”stray“ok”") == "”stray“ok”"  # an unmatched closing mark is left as it is
    # A real message: the clerk's-text finding quotes a label that holds a quoted word.
    msg = render("audit.clerk-text", "message", {"label": "“三公”经费增减变化原因", "detail": "x"})
    assert msg == "“‘三公’经费增减变化原因”中的文字：x"
