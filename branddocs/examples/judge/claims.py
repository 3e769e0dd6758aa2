"""The guide's claims about errors, checked like examples: each row of an error table is a request to try.

A writer puts the marker line `<!-- branddocs: error-table -->` (then a blank line) above a Markdown table whose
first four columns are: the request (a code span: `Authorization: Bearer sk-wrong` for a wrong key, or request
fields as JSON, `"model": "no-such-model"`, added to a plain chat request), the HTTP status curl shows, what
the Python `openai` package gives (the exception it raises, `openai.AuthenticationError`, or `ChatCompletion`
when the call succeeds) and what the Node.js `openai` package gives (`OpenAI.AuthenticationError`, or
`ChatCompletion`). Further columns are prose for readers. `branddocs check` sends every row's request to the
brand's platform three ways, as curl, as the Python SDK and as the Node.js SDK (branddocs' own clients, started
once per worker: row_clients.py; through the recording proxy, in the sandbox, like every example), and fails a
row whose platform or SDKs answer otherwise, naming the row, what the guide says and what the server did.

A wrong-key row sends a key made up for the row: the proxy swaps only the run's own key for the real one, so
that key reaches the platform as it was sent. The build removes the marker line (plugin.py): readers see the table.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openai.types.chat.completion_create_params import CompletionCreateParamsBase

from branddocs.examples.fences import ERROR_TABLE_MARKER, FenceError, parse_fences
from branddocs.examples.proxy import Exchange
from branddocs.examples.responses.errors import error_summary
from branddocs.examples.row_clients import rows_client
from branddocs.examples.run import ExampleFailure

if TYPE_CHECKING:  # collect.py marks the tables' rows with this module's help
    from branddocs.examples.collect import Example
    from branddocs.examples.languages.base import Context

__all__ = [
    "MARKER",
    "ErrorRow",
    "claims",
    "mark_rows",
    "parse_table",
    "strip_row_marks",
    "table_problems",
    "table_texts",
]

MARKER = ERROR_TABLE_MARKER
"""The line above an error table; the build removes it from the published page."""
SUCCESS = "ChatCompletion"
"""What a row's Python and Node.js cells say when the call succeeds (the type the SDKs give back)."""
_ROW_MARK = "\u27earow {}\u27eb"
_ROW_MARK_RE = re.compile(r" ?\u27earow (\d+)\u27eb")
_SPAN = re.compile(r"`([^`]+)`")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_PARAMS = {*CompletionCreateParamsBase.__annotations__, "stream"}
_USER = [{"role": "user", "content": "Hello!"}]


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
        return {"model": model, "messages": _USER, "max_tokens": 8, **self.fields}

    def brand_field(self) -> str:
        """The brand file's field (under `errors:`) that says what the platform answers to this row."""
        if self.wrong_key:
            return "wrong_key"
        if "model" in self.fields:
            return "unknown_model"
        return "out_of_range" if set(self.fields) <= _PARAMS else "unknown_field"


def _fenced_lines(lines: list[str], where: str) -> set[int]:
    """0-based indexes of lines inside fenced code blocks (a marker written in a code block is not one)."""
    inside: set[int] = set()
    for fence in parse_fences("\n".join(lines), where):
        inside.update(range(fence.line - 1, fence.end_line))
    return inside


def mark_rows(text: str, where: str) -> str:
    """`text` (a template) with each error-table marker and table line ending in its line number.

    Rendering keeps the marks (as it keeps the fences' own, collect.py), so a row names its template line; lines
    of template tags between rows (`{% if ... -%}`) are part of the table."""
    if MARKER not in text:  # most pages: no table, nothing to parse
        return text
    lines = text.splitlines(keepends=True)
    fenced = _fenced_lines([line.rstrip("\r\n") for line in lines], where)
    i = 0
    while i < len(lines):
        if i in fenced or lines[i].rstrip() != MARKER:  # at a line's start, as the build removes it
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
    return _ROW_MARK_RE.sub("", text)


def table_texts(rendered: str) -> list[tuple[int, str]]:
    """[(the marker's template line, the table's rendered lines with their marks)] for each error table."""
    lines, found, i = rendered.splitlines(), [], 0
    while i < len(lines):
        mark = _ROW_MARK_RE.search(lines[i])
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
        mark = _ROW_MARK_RE.search(line)
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


def _order(rows: list[ErrorRow], example: Example, context: Context, wrong_key: str) -> tuple[str, dict]:
    """A client's order: the rows as requests to the proxy, under a run of their own; (the run's token, order)."""
    target, brand = context.target, example.brand
    token = target.new_token(brand)
    rows_data = [{"body": row.body(brand.default_model), "wrong_key": row.wrong_key} for row in rows]
    order = {"base_url": f"{target.proxy_url}/_x/{token}", "key": target.proxy.run_key(token),
             "wrong_key": wrong_key, "timeout": target.timeout, "rows": rows_data}  # fmt: skip
    return token, order


def _answers(shows: list[str], rows: list[ErrorRow], what: str) -> list[str]:
    if len(shows) != len(rows):
        raise ExampleFailure(f"branddocs' {what} client answered {len(shows)} of {len(rows)} rows: {shows}")
    return shows


def _server_did(exchanges: list[Exchange], index: int, rows: list[ErrorRow]) -> str:
    """What the platform sent for row `index`, from the curl run's exchanges (one per row, in order)."""
    if len(exchanges) != len(rows):
        return "(no record of its answer)"
    exchange = exchanges[index]
    if exchange.status == 0:
        return exchange.body.decode(errors="replace")
    if 200 <= exchange.status < 300:
        try:
            model = json.loads(exchange.body).get("model")
        except (ValueError, AttributeError):
            model = None
        return f"the endpoint answered {exchange.status}" + (f" with a reply from model {model!r}" if model else "")
    return error_summary(exchange.status, exchange.body, exchange.content_type)


def table_problems(example: Example, context: Context) -> list[str]:
    """Every row of the error table `example` whose platform or SDKs answer otherwise than the guide says."""
    rows = parse_table(example.code, example.where)
    wrong_key = "sk-wrong-" + secrets.token_hex(12)  # not the run's key: the proxy forwards it as it is
    target = context.target
    node = rows_client(target, "javascript", context.project_root)
    python = rows_client(target, "python", context.project_root)
    curl_token, curl_order = _order(rows, example, context, wrong_key)
    try:  # the three clients at once, each under a run of its own
        node.send(_order(rows, example, context, wrong_key)[1])
        python.send({"curl": curl_order, "python": _order(rows, example, context, wrong_key)[1]})
        answer = python.answer(target.timeout)
        statuses, sdk = _answers(answer["curl"], rows, "curl"), _answers(answer["python"], rows, "Python")
        js = _answers(node.answer(target.timeout)["shows"], rows, "Node.js")
    except ExampleFailure as exc:
        return [str(exc)]
    exchanges = target.proxy.exchanges(curl_token)
    problems = []
    for i, row in enumerate(rows):
        said = (str(row.status), row.python, row.node)
        seen = (statuses[i], sdk[i], js[i])
        if said == seen:
            continue
        problems.append(
            f"{example.shown}:{row.line}: the error table's row {row.text!r} says: HTTP {row.status}, Python "
            f"{row.python}, Node.js {row.node}; but {_server_did(exchanges, i, rows)}: curl shows HTTP {seen[0]}, "
            f"Python gives {seen[1]}, Node.js gives {seen[2]} (fix the row; if that is how {example.brand.user_name}'s "
            f"platform answers, declare `errors: {{{row.brand_field()}: {seen[0]}}}` in brands/{example.brand.id}.yml "
            "and have the guide say so)"
        )
    return problems
