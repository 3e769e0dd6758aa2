"""The guide's error tables, read: where each one is in a rendered page, and its rows as requests and claims.

A writer puts the marker line `<!-- branddocs: error-table -->` (then a blank line) above a Markdown table whose
first four columns are: the request (a code span: `Authorization: Bearer sk-wrong` for a wrong key, or request
fields as JSON, `"model": "no-such-model"`, added to a plain chat request), the HTTP status curl shows, what
the Python `openai` package gives (the exception it raises, `openai.AuthenticationError`, or `ChatCompletion`
when the call succeeds) and what the Node.js `openai` package gives (`OpenAI.AuthenticationError`, or
`ChatCompletion`). Further columns are prose for readers. Each table is one test (judge/claims.py tries
its rows).
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass, field

from branddocs.examples.collection.marks import ROW_MARK_RE, strip_row_marks
from branddocs.markup import ERROR_TABLE_MARKER, FenceError

__all__ = ["MARKER", "SUCCESS", "ErrorRow", "chat_params", "claims", "parse_table", "table_texts"]

MARKER = ERROR_TABLE_MARKER
"""The line above an error table; the build removes it from the published page."""
SUCCESS = "ChatCompletion"
"""What a row's Python and Node.js cells say when the call succeeds (the type the SDKs give back)."""
_SPAN = re.compile(r"`([^`]+)`")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_USER = [{"role": "user", "content": "Hello!"}]


@functools.cache
def chat_params() -> frozenset[str]:
    """A chat request's fields, as the openai package types them, and `stream`. On first use, not at import: pytest
    collects the examples before any needs it, and the openai package is a second of imports."""
    from openai.types.chat.completion_create_params import CompletionCreateParamsBase

    return frozenset({*CompletionCreateParamsBase.__annotations__, "stream"})


@dataclass
class ErrorRow:
    """One row of an error table: a request and what the guide says the reader sees."""

    line: int
    """1-based line of the row in the template."""
    text: str
    """The request cell as readers see it."""
    wrong_key: bool
    fields: dict = field(default_factory=dict)
    """Request fields added to the plain chat request (`{"model": "no-such-model"}`)."""
    status: int = 0
    python: str = ""
    node: str = ""

    def body(self, model: str) -> dict:
        """The chat request this row sends: a plain one, with the row's fields."""
        return {"model": model, "messages": _USER, "max_tokens": 8, **self.fields}

    def brand_field(self) -> str:
        """The brand file's field (under `errors:`) that says what the platform answers to this row."""
        if self.wrong_key:
            return "wrong_key"
        if "model" in self.fields:
            return "unknown_model"
        return "out_of_range" if set(self.fields) <= chat_params() else "unknown_field"


def table_texts(rendered: str) -> list[tuple[int, str]]:
    """[(the marker's template line, the table's rendered lines with their marks)] for each error table."""
    lines, found, i = rendered.splitlines(), [], 0
    while i < len(lines):
        mark = ROW_MARK_RE.search(lines[i])
        if not (mark and strip_row_marks(lines[i]).rstrip() == MARKER):
            i += 1
            continue
        start, table = int(mark[1]), []
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        while i < len(lines) and lines[i].strip().startswith("|"):
            table.append(lines[i])
            i += 1
        found.append((start, "\n".join(table) + "\n"))
    return found


def _cells(line: str) -> list[str]:
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [html.unescape(c.strip().replace("\\|", "|")) for c in _CELL_SPLIT.split(inner)]


def _span(cell: str, what: str, where: str) -> str:
    found = _SPAN.search(cell)
    if not found:
        raise FenceError(f"{where}: the {what} cell has no code span (`...`); found {cell!r}")
    return found[1].strip()


def parse_table(code: str, where: str) -> list[ErrorRow]:
    """The rows of one error table (`code` from table_texts); a row branddocs cannot read is a FenceError."""
    rows = []
    lines = [line for line in code.splitlines() if line.strip()]
    if len(lines) < 3:
        raise FenceError(f"{where}: an error table needs a header, a delimiter row and at least one row below "
                         f"{MARKER} (then a blank line)")  # fmt: skip
    for line in lines[2:]:
        mark = ROW_MARK_RE.search(line)
        at = f"{where.rsplit(':', 1)[0]}:{mark[1]}" if mark else where
        cells = _cells(strip_row_marks(line))
        if len(cells) < 4:
            raise FenceError(f"{at}: an error table row needs 4 cells (request, HTTP status, Python, Node.js); "
                             f"found {len(cells)}")  # fmt: skip
        request = _span(cells[0], "request", at)
        row = ErrorRow(int(mark[1]) if mark else 0, cells[0], wrong_key=request.lower().startswith("authorization:"))
        if not row.wrong_key:
            try:
                fields = json.loads("{" + request + "}")
            except ValueError:
                fields = None
            if not isinstance(fields, dict) or not fields:
                raise FenceError(f"{at}: the request cell's code span {request!r}: expected request fields as JSON "
                                 '(`"temperature": 5`) or a header `Authorization: Bearer sk-wrong`')  # fmt: skip
            row.fields = fields
        status = _span(cells[1], "HTTP status", at)
        if not (status.isdigit() and 200 <= int(status) <= 599):
            raise FenceError(f"{at}: the HTTP status cell: expected a status from 200 to 599, found {status!r}")
        row.status = int(status)
        row.python, row.node = _span(cells[2], "Python", at), _span(cells[3], "Node.js", at)
        rows.append(row)
    return rows


def claims(rendered: str, where: str) -> list[list[tuple]]:
    """What each error table of a rendered page claims, row by row, without its prose (a translation's must be
    its source's)."""
    return [
        [(r.wrong_key, r.fields, r.status, r.python, r.node) for r in parse_table(table, f"{where}:{line}")]
        for line, table in table_texts(rendered)
    ]
