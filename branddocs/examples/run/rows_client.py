"""branddocs' own curl and Python clients for the guide's error tables (judge/claims.py), one order after another.

    python -I rows_client.py       (in the sandbox; stdin: one JSON order a line; stdout: one JSON answer a line)

An order is {"id": N, "curl": RUN, "python": RUN}, each RUN {"base_url": URL, "key": RUN_KEY, "wrong_key": KEY,
"timeout": SECONDS, "rows": [{"body": {...}, "wrong_key": BOOL}, ...]}; its answer {"id": N, "curl": [...],
"python": [...]}, one entry a row: the HTTP status curl shows (`401`; `000` when no answer came), and what the
`openai` package gives (`ChatCompletion`, `openai.AuthenticationError`, `TypeError`), or {"id": N, "error": WHY}
for an order it could not carry out; it then goes on with the next. curl runs while the SDK tries the rows. The
requests are the table's, as data: no example's code runs here, and a row passes the SDK request fields only,
never its options (`extra_headers`, `extra_query`, `extra_body`, `timeout`: what this client sets, not the row).
Like python_child.py this file runs alone, with the standard library and `openai`. In the sandbox, each table's
order is this file run by a unit the worker's zygote forks for it (rows.py: `ForkedRows`), with the order in
ORDER_ENV: the zygote's `import openai` serves the tables too.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import tempfile

import openai
from openai.resources.chat.completions import Completions
from openai.types.chat.completion_create_params import CompletionCreateParamsBase

OPTIONS = frozenset(inspect.signature(Completions.create).parameters) - {*CompletionCreateParamsBase.__annotations__,
                                                                         "stream", "self"}  # fmt: skip
"""The keyword arguments of `create` that are the SDK's own options, not fields of the request it sends."""


def _quoted(text: str) -> str:
    """A string in a curl config file (`--config`): double quotes, backslash escapes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def curl(order: dict, folder: str) -> subprocess.Popen:
    """Each row as `curl -s -o /dev/null -w '%{http_code}' URL -H ... -d @BODY` would send it; the key not in argv,
    each body in a file of its own (a config line has a length limit; a body has none). Started, not waited for:
    `shows` reads what it printed."""
    config = []
    for i, row in enumerate(order["rows"]):
        key = order["wrong_key"] if row["wrong_key"] else order["key"]
        body = os.path.join(folder, f"row-{i}.json")
        with open(body, "w", encoding="utf-8") as out:
            json.dump(row["body"], out)
        config += [
            f"url = {_quoted(order['base_url'] + '/chat/completions')}",
            "silent",
            'output = "/dev/null"',
            'write-out = "%{http_code}\\n"',
            f"max-time = {float(order['timeout']):g}",
            f"header = {_quoted('Authorization: Bearer ' + key)}",
            'header = "Content-Type: application/json"',
            f"data-binary = {_quoted('@' + body)}",
            "next",
        ]
    process = subprocess.Popen(["curl", "--config", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None
    process.stdin.write("\n".join(config[:-1]) + "\n")
    process.stdin.close()
    return process


def shows(process: subprocess.Popen) -> list[str]:
    assert process.stdout is not None
    out = process.stdout.read()
    process.wait()
    return [line.strip() for line in out.splitlines() if line.strip()]


_HTTP = openai.DefaultHttpxClient()
"""One HTTP client for every row: a new one per `OpenAI()` loads the certificates again (most of a row's time)."""


def python(order: dict) -> list[str]:
    """Each row as a reader calls the SDK: `OpenAI(...).chat.completions.create(**fields)`."""
    shows = []
    for row in order["rows"]:
        options = sorted(OPTIONS & set(row["body"]))
        if options:  # never sent: the row would be setting how the SDK sends, not what
            shows.append(f"refused: {', '.join(options)} (an option of the SDK, not a request field)")
            continue
        key = order["wrong_key"] if row["wrong_key"] else order["key"]
        client = openai.OpenAI(base_url=order["base_url"], api_key=key, max_retries=0, timeout=order["timeout"],
                               http_client=_HTTP)  # fmt: skip
        try:
            client.chat.completions.create(**row["body"])
            shows.append("ChatCompletion")
        except Exception as exc:  # what the reader's program would get: the exception's type
            module = "openai." if type(exc).__module__.startswith("openai") else ""
            shows.append(module + type(exc).__name__)
    return shows


def answer(line: str) -> dict:
    """The answer to one order; {"error": why} when it cannot be carried out (the next order is unaffected)."""
    order: dict = {}
    try:
        order = json.loads(line)
        with tempfile.TemporaryDirectory(dir=".") as folder:
            started = curl(order["curl"], folder)
            try:
                found = {"python": python(order["python"])}
            finally:
                found["curl"] = shows(started)
        return {"id": order.get("id"), **found}
    except Exception as exc:  # this order's failure, said in one line; the client serves the next one
        said = order.get("id") if isinstance(order, dict) else None
        return {"id": said, "error": f"{type(exc).__name__}: {exc}"[:500]}


ORDER_ENV = "BRANDDOCS_ROWS_ORDER"
"""Run as an isolation unit the zygote forked for one table (rows.py, `ForkedRows`): that one order, which is taken
out of the environment before anything runs (curl does not see it)."""


def main() -> int:
    one = os.environ.pop(ORDER_ENV, None)
    for line in [one] if one is not None else sys.stdin:
        print(json.dumps(answer(line)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
