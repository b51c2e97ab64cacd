"""Bad input gets a clear refusal (exit 3), HTML scripts are ignored, PDF page furniture never glues onto
an amount, and a folder is audited as a batch with its summary table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from xltools.audit import audit_path
from xltools.audit.pdftext import Line, Run, _document
from xltools.cli import main
from xltools.edition import load_edition

from .conftest import to_pdf

ED = load_edition("hebei-county-2020")


def _exit(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as e:
        main(argv)
    return int(e.value.code)


def _blank_pdf(path: Path) -> Path:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    pdf.new_page(595, 842)
    pdf.new_page(595, 842)
    pdf.save(str(path))
    return path


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("scan.pdf", None, "audit.read-scanned"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << >> garbage", "audit.read-corrupt"),
        ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "audit.read-encrypted"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "audit.read-corrupt"),
        ("empty.txt", b"", "audit.read-empty"),
        ("old.doc", b"anything", "audit.read-unsupported"),
    ],
)
def test_unreadable_documents_exit_3(tmp_path: Path, name: str, content: bytes | None, rule: str, capsys) -> None:
    p = tmp_path / name
    if content is None:
        _blank_pdf(p)
    else:
        p.write_bytes(content)
    r = audit_path(p, ED)
    assert r.unreadable and [f.rule for f in r.findings] == [rule]
    assert _exit(["audit", str(p)]) == 3
    out = capsys.readouterr().out
    assert "无法读取" in out and "Traceback" not in out


def test_scanned_pdf_message_says_what_to_supply(tmp_path: Path) -> None:
    f = audit_path(_blank_pdf(tmp_path / "scan.pdf"), ED).findings[0]
    assert "2 页" in f.message and "Word" in f.hint


def test_html_scripts_and_styles_are_ignored(tmp_path: Path) -> None:
    page = (
        "<html><head><style>p{color:red} 机关运行经费999元</style><script>var a='机关运行经费777元';</script></head>"
        "<body><h2>三、机关运行经费安排情况</h2><p>2020年机关运行经费8800元。</p>"
        "<script>document.write('机关运行经费1元')</script><div>机关运行经费8800元，主要用于办公。</div>"
        "<table><tr><th>项目</th><th>数量</th><th>价值（万元）</th></tr><tr><td>1、房屋（平方米）</td><td>10</td><td>1</td></tr>"
        "<tr><td>其中：办公用房（平方米）</td><td>12</td><td>1</td></tr></table></body></html>"
    )
    p = tmp_path / "page.html"
    p.write_text(page, encoding="utf-8")
    r = audit_path(p, ED)
    assert [(f.rule, f.check) for f in r.findings] == [("audit.table-identity", "assets.office-area")]
    assert r.findings[0].sheet == "三、机关运行经费安排情况"


def test_pdf_page_number_never_glues_onto_an_amount() -> None:
    h = 842.0

    def line(text: str, x0: float, top: float, page: int, x1: float = 0) -> Line:
        return Line([Run(x0, x1 or x0 + 12 * len(text), top - 12, top, text)], page)

    # the first line runs to the right margin: its paragraph continues on the next page
    page1 = [line("基本支出情况说明如下，2020年基本支出327884", 90, 700, 1, 564), line("1", 290, 40, 1)]
    page2 = [line(".00元，包括人员经费296884.00元和日常公用经费31000.00元。", 72, 780, 2), line("2", 290, 40, 2)]
    doc = _document("x.pdf", [(h, page1), (h, page2)])
    texts = [b.text for b in doc.blocks]
    assert any("327884.00元" in t for t in texts) and not any(t.strip() in ("1", "2") for t in texts)


def test_folder_batch_writes_summary(tmp_path: Path, reference_files, capsys) -> None:
    folder = tmp_path / "收件"
    folder.mkdir()
    (folder / "a.txt").write_bytes(reference_files["txt"].read_bytes())
    (folder / "b.docx").write_bytes(reference_files["docx"].read_bytes())
    (folder / "c.md").write_text("# 三公经费说明\n\n“三公”经费0元。\n", encoding="utf-8")
    _blank_pdf(folder / "d.pdf")
    (folder / "~$lock.docx").write_bytes(b"x")
    stem = tmp_path / "汇总"
    assert _exit(["audit", str(folder), "--summary", str(stem), "--jobs", "2"]) == 3
    rows = list(csv.reader((stem.with_suffix(".csv")).read_text(encoding="utf-8-sig").splitlines()))
    assert [Path(r[0]).name for r in rows[1:]] == ["a.txt", "b.docx", "c.md", "d.pdf"]
    assert [r[2] for r in rows[1:]] == ["未通过", "未通过", "通过", "无法读取"]
    assert stem.with_suffix(".xlsx").stat().st_size > 0
    assert "共 4 个文件" in capsys.readouterr().out


def test_a_huge_document_is_bounded(tmp_path: Path) -> None:
    # 10,000 amounts in one paragraph without a full stop, and 5,000 short paragraphs: read and audited whole.
    body = "机关运行经费" + "，".join(f"{i}.00元" for i in range(10000)) + "\n" + "项目支出5元。\n" * 5000
    p = tmp_path / "huge.txt"
    p.write_text(body, encoding="utf-8")
    r = audit_path(p, ED)
    assert not r.unreadable and r.paragraphs == 5001


_PDF_SECURITY = {
    # 打开口令: nobody can read the text without the password.
    "open-password": {
        "EncryptFile": {"type": "boolean", "value": "true"},
        "DocumentOpenPassword": {"type": "string", "value": "secret"},
    },
    # 权限口令 only (copying and changes forbidden), as many published PDFs are: it opens, so it is audited.
    "permissions-only": {
        "RestrictPermissions": {"type": "boolean", "value": "true"},
        "PermissionPassword": {"type": "string", "value": "owner"},
        "Changes": {"type": "long", "value": "0"},
        "EnableCopyingOfContent": {"type": "boolean", "value": "false"},
    },
}


def _secured_pdf(tmp_path: Path, security: dict[str, object]) -> Path:
    """A real encrypted PDF, written by LibreOffice's PDF export from a one-sentence text with a wrong sum."""
    src = tmp_path / "说明.txt"
    src.write_text("一般公共预算支出477884.00元，其中：基本支出327884.00元，项目支出160000.00元。\n", encoding="utf-8")
    pdf = to_pdf(src, tmp_path, export=security)
    assert b"/Encrypt" in pdf.read_bytes()  # the export really is encrypted
    return pdf


def test_pdf_with_an_open_password_is_refused_clearly(tmp_path: Path, capsys) -> None:
    pdf = _secured_pdf(tmp_path, _PDF_SECURITY["open-password"])
    r = audit_path(pdf, ED)
    assert r.unreadable and [f.rule for f in r.findings] == ["audit.read-encrypted"]
    assert _exit(["audit", str(pdf)]) == 3
    out = capsys.readouterr().out
    assert "设置了密码" in out and "Traceback" not in out and "标题前" not in out  # no section for a refused file


def test_pdf_with_only_a_permissions_password_is_audited(tmp_path: Path) -> None:
    r = audit_path(_secured_pdf(tmp_path, _PDF_SECURITY["permissions-only"]), ED)
    assert not r.unreadable
    assert [(f.rule, f.params["actual"]) for f in r.findings] == [("audit.parts-sum", "487884.00元")]
