"""branddocs' own curl and Python clients for the guide's error tables (judge/claims.py), one order after another.

    python -I rows_client.py       (in the sandbox; stdin: one JSON order a line; stdout: one JSON answer a line)

An order is {"curl": RUN, "python": RUN}, each RUN {"base_url": URL, "key": RUN_KEY, "wrong_key": KEY, "timeout":
SECONDS, "rows": [{"body": {...}, "wrong_key": BOOL}, ...]}; its answer {"curl": [...], "python": [...]}, one entry a
row: the HTTP status curl shows (`401`; `000` when no answer came), and what the `openai` package gives
(`ChatCompletion`, `openai.AuthenticationError`, `TypeError`). curl runs while the SDK tries the rows. The requests
are the table's, as data: no example's code runs here.
Like python_child.py this file runs alone, with the standard library and `openai`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import openai


def _quoted(text: str) -> str:
    """A string in a curl config file (`--config`): double quotes, backslash escapes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def curl(order: dict) -> subprocess.Popen:
    """Each row as `curl -s -o /dev/null -w '%{http_code}' URL -H ... -d BODY` would send it; the key not in argv.
    Started, not waited for: `shows` reads what it printed."""
    config = []
    for row in order["rows"]:
        key = order["wrong_key"] if row["wrong_key"] else order["key"]
        config += [
            f"url = {_quoted(order['base_url'] + '/chat/completions')}",
            "silent",
            'output = "/dev/null"',
            'write-out = "%{http_code}\\n"',
            f"max-time = {float(order['timeout']):g}",
            f"header = {_quoted('Authorization: Bearer ' + key)}",
            'header = "Content-Type: application/json"',
            f"data = {_quoted(json.dumps(row['body']))}",
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


def main() -> int:
    for line in sys.stdin:
        order = json.loads(line)
        started = curl(order["curl"])
        answer = {"python": python(order["python"]), "curl": shows(started)}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
