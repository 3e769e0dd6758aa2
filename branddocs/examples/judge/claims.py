"""The guide's claims about errors, checked like examples: each row of an error table is a request to try.

`branddocs check` sends every row's request (collection/tables.py reads them) to the brand's platform three ways,
as curl, as the Python SDK and as the Node.js SDK (branddocs' own clients, started once per worker: run/rows.py;
through the recording proxy, in the sandbox, like every example), and fails a row whose platform or SDKs answer
otherwise, naming the row, what the guide says and what the server did.

A wrong-key row sends a key made up for the row: the proxy swaps only the run's own key for the real one, so
that key reaches the platform as it was sent. The build removes the marker line (markup.py): readers see the table.
"""

from __future__ import annotations

import json
import secrets

from branddocs.examples.collection.tables import ErrorRow, parse_table
from branddocs.examples.example import Example
from branddocs.examples.languages.base import Context
from branddocs.examples.proxy.recording import Exchange
from branddocs.examples.responses.summary import error_summary
from branddocs.examples.run.process import ExampleFailure
from branddocs.examples.run.rows import rows_client

__all__ = ["table_problems"]


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
