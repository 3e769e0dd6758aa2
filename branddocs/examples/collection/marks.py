"""Template line numbers carried through rendering: marks on each opening fence line, each error-table line and each
line of prose that makes claims about the wire.

Rendering (mkdocs-macros) may drop blocks inside `{% if %}` and shifts lines; a mark at the end of a line survives
it, so each block and each table row the checks find names its line in the template.
"""

from __future__ import annotations

import re

from branddocs.examples.languages.base import check_language
from branddocs.markup import CLAIM_COMMENT, ERROR_TABLE_MARKER, WIRE_CLAIMS, FenceError, fenced_lines, parse_fences

__all__ = ["ROW_MARK_RE", "claim_lines", "mark_claims", "mark_rows", "marked", "strip_row_marks", "unmarked"]

_MARK = "\u27ealine {}\u27eb"
_MARK_RE = re.compile(r" ?\u27ealine (\d+)\u27eb")
_ROW_MARK = "\u27earow {}\u27eb"
ROW_MARK_RE = re.compile(r" ?\u27earow (\d+)\u27eb")
"""An error-table line's mark: its template line in the group."""


def marked(text: str, where: str) -> str:
    """`text` with each opening fence line ending in its line number, which rendering keeps."""
    text = mark_claims(mark_rows(text, where), where)  # error tables' rows and the prose's claims too
    lines = text.splitlines(keepends=True)
    for fence in parse_fences(text, where, check_language):
        body = lines[fence.line - 1].rstrip("\r\n")
        lines[fence.line - 1] = f"{body} {_MARK.format(fence.line)}{lines[fence.line - 1][len(body) :]}"
    return "".join(lines)


def unmarked(rendered: str) -> tuple[str, list[int]]:
    """The rendered page without the marks, and the template line of each code block it still has."""
    lines = [int(n) for n in _MARK_RE.findall(rendered)]
    return _MARK_RE.sub("", rendered), lines


def mark_rows(text: str, where: str) -> str:
    """`text` (a template) with each error-table marker and table line ending in its line number.

    Rendering keeps the marks (as it keeps the fences' own), so a row names its template line; lines
    of template tags between rows (`{% if ... -%}`) are part of the table."""
    if ERROR_TABLE_MARKER not in text:  # most pages: no table, nothing to parse
        return text
    lines = text.splitlines(keepends=True)
    fenced = fenced_lines([line.rstrip("\r\n") for line in lines], where, check_language)
    i = 0
    while i < len(lines):
        if i in fenced or lines[i].rstrip() != ERROR_TABLE_MARKER:  # at a line's start, as the build removes it
            i += 1
            continue
        lines[i] = _with_mark(lines[i], i + 1)
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        while i < len(lines) and lines[i].strip().startswith(("|", "{%")):
            if lines[i].strip().startswith("|"):
                lines[i] = _with_mark(lines[i], i + 1)
            i += 1
    return "".join(lines)


def _with_mark(line: str, number: int) -> str:
    body = line.rstrip("\r\n")
    return f"{body} {_ROW_MARK.format(number)}{line[len(body) :]}"


def strip_row_marks(text: str) -> str:
    """`text` without the error tables' line marks, nor the claims' (collected before)."""
    return _CLAIM_MARK.sub("", ROW_MARK_RE.sub("", text))


_CLAIM_MARK = re.compile("\u27eaclaim \\d+\u27eb")
_CLAIMED = re.compile(r"<!-- branddocs: claims ([^>]*?) -->\u27eaclaim (\d+)\u27eb")


def mark_claims(text: str, where: str) -> str:
    """`text` (a template) with each claims comment outside code blocks followed by its line's number, which rendering
    keeps; a claim not in markup.WIRE_CLAIMS is a FenceError naming the line."""
    if "<!-- branddocs: claims" not in text:
        return text
    lines = text.splitlines(keepends=True)
    fenced = fenced_lines([line.rstrip("\r\n") for line in lines], where, check_language)
    for i, line in enumerate(lines):
        found = CLAIM_COMMENT.search(line)
        if not found or i in fenced:
            continue
        names = found[1].split()
        unknown = [n for n in names if n not in WIRE_CLAIMS]
        if unknown or not names:
            named = ", ".join(unknown) or "no claim"
            raise FenceError(f"{where}:{i + 1}: `<!-- branddocs: claims ... -->` names {named}; expected some of "
                             f"{', '.join(WIRE_CLAIMS)}")  # fmt: skip
        lines[i] = f"{line[: found.end()]}\u27eaclaim {i + 1}\u27eb{line[found.end() :]}"
    return "".join(lines)


def claim_lines(rendered: str) -> list[tuple[int, list[str]]]:
    """[(template line, the claims it makes)] for each marked line of prose the brand's page still has."""
    return [(int(m[2]), m[1].split()) for m in _CLAIMED.finditer(rendered)]
