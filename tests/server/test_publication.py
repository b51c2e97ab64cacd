"""A clerk makes the 情况说明 and the 公开表 from a version without errors, on the intake page: the same files
`xltools compile` writes from the same workbook, with what the narrative still lacks listed on the page; a
version with errors, and another department's clerk, get nothing."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import BROKEN, EDITION, EXAMPLE, EXAMPLE_CODE, OTHER_CODE, client_as, reset, upload, workbook_for


def _version_id(response: object) -> int:
    return int(response["Location"].rstrip("/").split("/")[-1])  # type: ignore[index]


def _body(response: object) -> bytes:
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_clean_version_gives_the_files_compile_writes(intake: Path, tmp_path: Path) -> None:
    from xltools.edition import load_edition
    from xltools.publish import compile_book
    from xltools.validate import validate_file

    reset(EXAMPLE_CODE)
    clerk = client_as("clerk-publish", "clerk", EXAMPLE_CODE)
    vid = _version_id(upload(clerk, EXAMPLE_CODE, workbook_for(EXAMPLE_CODE, tmp_path)))
    page = clerk.get(f"/v/{vid}/").content.decode()
    assert 'id="publish-button"' in page and 'id="narrative-link"' not in page
    assert clerk.get(f"/v/{vid}/publication.docx").status_code == 404  # not made until asked for
    assert clerk.get(f"/v/{vid}/publish/").status_code == 405  # a change of state: POST only

    r = clerk.post(f"/v/{vid}/publish/")
    assert r.status_code == 302 and _version_id(r) == vid
    page = clerk.get(f"/v/{vid}/").content.decode()
    assert 'id="narrative-link"' in page and 'id="publish-button"' not in page

    expected = compile_book(validate_file(EXAMPLE, load_edition(EDITION, 2020)).book, tmp_path / "compiled", [EXAMPLE])
    docx = clerk.get(f"/v/{vid}/publication.docx")
    tables = clerk.get(f"/v/{vid}/publication.xlsx")
    assert _body(docx) == expected.docx.read_bytes()
    assert _body(tables) == expected.tables.read_bytes()
    assert quote(expected.docx.name) in docx["Content-Disposition"]
    assert quote(expected.tables.name) in tables["Content-Disposition"]
    for p in expected.placeholders:  # what the narrative still lacks, named by its cell
        assert f"{p.label}（{p.sheet} {p.cell}）" in page
    assert ('id="placeholders"' in page) == bool(expected.placeholders)
    assert ('id="publication-audit"' in page) == bool(expected.audit)
    assert clerk.get(f"/v/{vid}/publication.pdf").status_code == 404

    other = client_as("clerk-publish-other", "clerk", OTHER_CODE)  # another department sees nothing of it
    assert other.get(f"/v/{vid}/publication.docx").status_code == 404
    assert other.post(f"/v/{vid}/publish/").status_code == 404


def test_version_with_errors_gives_nothing(intake: Path, tmp_path: Path) -> None:
    reset(EXAMPLE_CODE)
    clerk = client_as("clerk-publish", "clerk", EXAMPLE_CODE)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(BROKEN.read_bytes())
    vid = _version_id(upload(clerk, EXAMPLE_CODE, broken))
    page = clerk.get(f"/v/{vid}/").content.decode()
    assert 'id="summary" data-errors="0"' not in page and 'id="publication"' not in page
    r = clerk.post(f"/v/{vid}/publish/", follow=True)
    assert "这一版有错误，不能生成情况说明" in r.content.decode()
    assert clerk.get(f"/v/{vid}/publication.docx").status_code == 404
    from xltools.server import storage

    assert not [k for k in storage.PUBLICATION_KINDS if storage.report_path(vid, k).exists()]


def test_what_the_narrative_lacks_is_listed_at_its_cell(intake: Path, tmp_path: Path) -> None:
    from tests.robustness import corpus
    from xltools.edition import load_edition
    from xltools.template.write import write_template

    reset(EXAMPLE_CODE)
    data = corpus.example_data()
    data["text"]["duties"] = {"text": ""}
    blank = tmp_path / "blank-duties.xlsx"
    write_template(load_edition(EDITION), blank, data)
    clerk = client_as("clerk-publish", "clerk", EXAMPLE_CODE)
    vid = _version_id(upload(clerk, EXAMPLE_CODE, blank))
    page = clerk.post(f"/v/{vid}/publish/", follow=True).content.decode()
    assert "情况说明中还有 1 处【请填写】" in page and "部门职责（文字说明 B4）" in page
    assert 'id="publication-audit"' not in page and 'id="publication-clean"' not in page


def test_a_failure_while_making_it_is_said_on_the_page(
    intake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xltools.server import storage, work

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    reset(EXAMPLE_CODE)
    clerk = client_as("clerk-publish", "clerk", EXAMPLE_CODE)
    vid = _version_id(upload(clerk, EXAMPLE_CODE, workbook_for(EXAMPLE_CODE, tmp_path)))
    monkeypatch.setattr(work, "publication", broken)
    page = clerk.post(f"/v/{vid}/publish/", follow=True).content.decode()
    assert "生成情况说明时出错（RuntimeError），没有生成任何文件" in page and 'id="publish-button"' in page
    assert not storage.report_path(vid, "publication.json").exists()
    assert clerk.get(f"/v/{vid}/publication.docx").status_code == 404
