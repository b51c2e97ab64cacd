"""The narrative settings of an edition: schemas/<edition>/narrative/ (narrative.toml, terms.toml and the
Jinja2 templates). A finance bureau can change the wording without issuing new templates: a workbook is
accepted by its edition's version, not by the fingerprint of the edition's files."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .. import texts
from ..edition.model import Edition
from ..errors import EditionError
from ..tomlfile import load as load_toml

FOLDER = "narrative"


@dataclass(frozen=True)
class DocxStyle:
    body_font: str = "仿宋"
    latin_font: str = "Times New Roman"
    heading_font: str = "黑体"
    table_font: str = "宋体"
    title_size: float = 18
    heading_sizes: tuple[float, ...] = (16, 14, 12)
    body_size: float = 12
    table_size: float = 10.5
    margins_cm: tuple[float, float, float, float] = (2.54, 2.8, 2.54, 2.8)  # top, right, bottom, left


@dataclass(frozen=True)
class Term:
    name: str
    text: str


@dataclass(frozen=True)
class NarrativeConfig:
    path: Path  # the narrative folder of the nearest edition that has narrative.toml
    template: str
    narrative_name: str  # file stem pattern with {name} and {year}
    tables_name: str
    phrases: dict[str, str]
    docx: DocxStyle
    narrative_tables: tuple[str, ...]  # published besides the official tables
    skip_when_empty: tuple[str, ...]
    summary_sheet: str
    titles: dict[str, str]  # publication titles that differ from the template's
    empty_notes: dict[str, str]
    terms: tuple[Term, ...] = field(default_factory=tuple)
    basis: dict[str, str] = field(default_factory=dict)  # cover 上年数口径 -> its word in comparisons
    search: tuple[
        Path, ...
    ] = ()  # the narrative folders of the edition and its ancestors: templates are looked up in order

    def narrative_title(self, name: str, year: int) -> str:
        """The 情况说明's title and file stem, e.g. 某单位2020年部门预算信息公开情况说明."""
        return self.narrative_name.format(name=name, year=year)

    def tables_title(self, name: str, year: int) -> str:
        """The 公开表 workbook's title and file stem."""
        return self.tables_name.format(name=name, year=year)

    def title(self, ed: Edition, table_id: str) -> str:
        return self.titles.get(table_id) or ed.table(table_id).title

    def empty_note(self, ed: Edition, table_id: str, year: int) -> str:
        """The table's own empty_note (tables/<id>.toml) first, then narrative.toml [empty_notes]."""
        t = ed.table(table_id)
        note = t.empty_note or self.empty_notes.get(table_id, "")
        if not note:
            note = texts.raw("narrative.empty_note").replace("{title}", t.title)
        return note.replace("{year}", str(year)).replace("{prior_year}", str(year - 1))


@lru_cache(maxsize=16)
def load_config(ed: Edition) -> NarrativeConfig:
    where = ed.file(f"{FOLDER}/narrative.toml")
    if not where.is_file():
        raise EditionError(texts.raw("narrative.config.load_config").format(ed_id=ed.id, where=where))
    folder = where.parent
    search = tuple(p / FOLDER for p in ed.paths if (p / FOLDER).is_dir())
    raw = load_toml(where)
    docs = raw.get("documents", {})
    pub = raw.get("publication", {})
    style_raw = raw.get("docx", {})
    try:
        style = DocxStyle(**{k: tuple(v) if isinstance(v, list) else v for k, v in style_raw.items()})
    except TypeError as e:
        raise EditionError(f"{where} [docx]: {e}") from None
    for tid in [*pub.get("narrative_tables", []), *raw.get("empty_notes", {}), *pub.get("titles", {})]:
        if not ed.has_table(tid):
            raise EditionError(texts.raw("narrative.config.load_config_3").format(where=where, tid=tid))
    terms_file = ed.file(f"{FOLDER}/terms.toml")
    terms_raw = load_toml(terms_file).get("term", []) if terms_file.is_file() else []
    try:
        terms = tuple(Term(str(t["name"]), str(t["text"])) for t in terms_raw)
    except KeyError as e:
        raise EditionError(
            texts.raw("narrative.config.load_config_4").format(terms_file=terms_file, e_args_0=e.args[0])
        ) from None
    template = str(docs.get("template", "disclosure.md.j2"))
    if not ed.file(f"{FOLDER}/{template}").is_file():
        raise EditionError(
            texts.raw("narrative.config.load_config_2").format(
                where=where, ed_file_f_FOLDER_template=ed.file(f"{FOLDER}/{template}")
            )
        )
    return NarrativeConfig(
        path=folder,
        template=template,
        narrative_name=str(docs.get("narrative", texts.raw("narrative.narrative_name"))),
        tables_name=str(docs.get("tables", texts.raw("narrative.tables_name"))),
        phrases={str(k): str(v) for k, v in raw.get("phrases", {}).items()},
        docx=style,
        narrative_tables=tuple(pub.get("narrative_tables", ())),
        skip_when_empty=tuple(pub.get("skip_when_empty", ())),
        summary_sheet=str(pub.get("summary_sheet", "概览")),
        titles={str(k): str(v) for k, v in pub.get("titles", {}).items()},
        empty_notes={str(k): str(v) for k, v in raw.get("empty_notes", {}).items()},
        terms=terms,
        search=search,
        basis={str(k): str(v) for k, v in raw.get("basis", {}).items()},
    )
