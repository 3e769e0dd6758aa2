"""Template line numbers carried through rendering: marks on each opening fence line and each error-table line.

Rendering (mkdocs-macros) may drop blocks inside `{% if %}` and shifts lines; a mark at the end of a line survives
it, so each block and each table row the checks find names its line in the template.
"""

from __future__ import annotations

import re

from branddocs.examples.languages.base import check_language
from branddocs.markup import ERROR_TABLE_MARKER, fenced_lines, parse_fences

__all__ = ["ROW_MARK_RE", "mark_rows", "marked", "strip_row_marks", "unmarked"]

_MARK = "\u27ealine {}\u27eb"
_MARK_RE = re.compile(r" ?\u27ealine (\d+)\u27eb")
_ROW_MARK = "\u27earow {}\u27eb"
ROW_MARK_RE = re.compile(r" ?\u27earow (\d+)\u27eb")
"""An error-table line's mark: its template line in the group."""


def marked(text: str, where: str) -> str:
    """`text` with each opening fence line ending in its line number, which rendering keeps."""
    text = mark_rows(text, where)  # error tables' rows too
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
    """`text` without the error tables' line marks."""
    return ROW_MARK_RE.sub("", text)
