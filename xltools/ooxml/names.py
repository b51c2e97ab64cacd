"""Namespaces and relationship types of OOXML, in both spellings a producer may use: transitional
(ECMA-376 as Excel writes it) and strict (ISO/IEC 29500 strict, "Save as Strict Open XML")."""

from __future__ import annotations

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MAIN_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
CUSTOM_STRICT = "http://purl.oclc.org/ooxml/officeDocument/customProperties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

MAINS = (MAIN, MAIN_STRICT)
RELS = (REL, REL_STRICT)


def rel_type(name: str) -> tuple[str, str]:
    """Both spellings of an officeDocument relationship type ('worksheet', 'styles', …)."""
    return f"{REL}/{name}", f"{REL_STRICT}/{name}"


def local(tag: str) -> str:
    """'{ns}name' -> 'name'."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
