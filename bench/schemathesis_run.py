"""Fuzz the reference endpoint with schemathesis, driven by OpenAI's own API description.

    .venv/bin/python bench/schemathesis_run.py [--dialect openai|vllm|litellm|all] [--max-examples N]
                                                [--max-time S] [--seed N] [--workers N]

What it does, on loopback only:

1. Makes (once; reused after) a scratch venv `.cache/schemathesis-venv/` holding `schemathesis==4.32.5`.
   Kept out of the project's dependencies and lock: it brings its own tree (hypothesis <7,>=6.130.12,
   pytest, werkzeug, jsonschema-rs, rich...), which a benchmark tool should not add to every install.
2. Starts the reference endpoint in this process on 127.0.0.1 (a free port), with a key made for the run,
   serving at `/v1` every model id that OpenAI's description enumerates for `model` (`ModelIdsShared`), so
   schemathesis' generated requests reach a served model often enough to get 200s, not only 404s.
   An ASGI wrapper counts every request the endpoint answers, by status, and keeps the method, path and
   first bytes of the body of any 5xx.
3. Runs `st run` against it from the operations in branddocs/data/openai-openapi-subset.json
   (`POST /chat/completions`, `GET /models`: see tools/vendor_openapi.py) with the key as a bearer
   header, bounded: `--max-examples` per operation and phase, `--max-time` for the whole run, a
   per-request timeout (a hang shows as an error, not a stuck run) and a hard wall-clock limit.
4. Prints figures: requests the endpoint answered (by status), 5xx, distinct failures by check, wall time;
   schemathesis' own report (each failure with a curl line to reproduce it, the key filtered out) goes to
   `.cache/schemathesis-<dialect>.log`. Exit 1 if any 5xx (seen by the endpoint or by schemathesis) or any
   schemathesis error (a request timed out, a connection dropped: a hang or a crash).

Checks (all on every response; only a 5xx or a hang fails the run, the rest are figures to read):
`not_a_server_error`; `response_schema_conformance` (a 200's JSON body against
`CreateChatCompletionResponse` / `ListModelsResponse`; status codes the description does not document,
such as 400, 401 or 404, have no schema to check and are skipped); `content_type_conformance`;
`negative_data_rejection` (a request that breaks the schema must get a 4xx);
`positive_data_acceptance` (a request the schema allows should get a 2xx, or 401/403/404: with OpenAI's
description this mostly measures which of OpenAI's request fields the endpoint does not implement);
`ignored_auth` (the operations must refuse a request without, or with a wrong, key).
`status_code_conformance` is left out: the description documents only 200 and 429, so every 400 for
a bad request would count against the endpoint.

The nullable trap. The description says `openapi: 3.1.0` but marks nullable fields the OpenAPI 3.0 way,
`"nullable": true` beside a `type` (21 places in the subset: a message's `refusal`, a choice's `logprobs`,
a stream chunk's `finish_reason`...). A plain JSON Schema 2020-12 reading ignores that keyword, so it would
flag every `null` the endpoint rightly sends as a schema violation and never generate `null` where OpenAI
accepts it. schemathesis 4.32.5 does not fall into it: its OpenAPI 3.1 adapter still reads `nullable`
(`nullable_keyword = "nullable"` in schemathesis/specs/openapi/adapter/v3_1.py, turned into
`anyOf: [schema, {"type": "null"}]` for generation and response validation alike). Checked, not assumed:
schemathesis' own response validator, given the file unchanged and a copy with `nullable` rewritten as JSON
Schema says it (what branddocs.examples.responses.conformance does before validating), gives the same verdicts: the
`openai` dialect's reply, with `"refusal": null` and `"logprobs": null`, passes both; the `vllm` dialect's
fails both on the same four fields that are not nullable (`annotations`, `function_call`, `usage.*_details`).
So nothing is rewritten: the one change to the copy handed to schemathesis is `servers`, pointed at the
loopback endpoint, so that nothing could be sent to OpenAI's host even without `--url`.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import venv
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from branddocs.endpoint.app import create_app  # noqa: E402
from branddocs.endpoint.server import running_endpoint  # noqa: E402

SCHEMATHESIS = "schemathesis==4.32.5"
VENV = ROOT / ".cache" / "schemathesis-venv"
SPEC = ROOT / "branddocs" / "data" / "openai-openapi-subset.json"
BASE = "/v1"
CHECKS = [
    "not_a_server_error",
    "response_schema_conformance",
    "content_type_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
]
DIALECTS = ("openai", "vllm", "litellm")
# schemathesis' failure codes (`st explain CODE`) by the check that raises them.
CHECK_OF_CODE = {
    "ST101": "not_a_server_error", "ST102": "not_a_server_error",
    "ST104": "content_type_conformance", "ST105": "content_type_conformance", "ST106": "content_type_conformance",
    "ST108": "response_schema_conformance", "ST109": "response_schema_conformance",
    "ST110": "response_schema_conformance", "ST111": "response_schema_conformance",
    "ST201": "negative_data_rejection", "ST202": "positive_data_acceptance", "ST401": "ignored_auth",
}  # fmt: skip


def st_binary() -> Path:
    """The `st` of the scratch venv, made and filled on first use."""
    st = VENV / "bin" / "st"
    version = SCHEMATHESIS.split("==")[1]
    if st.exists():
        shown = subprocess.run([str(st), "--version"], capture_output=True, text=True, check=False).stdout
        if shown.strip().endswith(version):
            return st
    print(f"making {VENV.relative_to(ROOT)} with {SCHEMATHESIS} (once)", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, SCHEMATHESIS], check=True)
    return st


def model_ids(document: dict) -> list[str]:
    """Every model id the description enumerates for a chat request's `model`."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("enum"), list) and node.get("type") == "string":
                found.extend(v for v in node["enum"] if isinstance(v, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document["components"]["schemas"]["ModelIdsShared"])
    return list(dict.fromkeys(found))


def scratch_spec(folder: Path, url: str) -> Path:
    """The vendored description with `servers` set to the loopback endpoint; nothing else changed."""
    document = json.loads(SPEC.read_text(encoding="utf-8"))
    document["servers"] = [{"url": url}]
    path = folder / "openapi.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


class Counting:
    """ASGI wrapper: counts responses by status; keeps method, path and body head of every 5xx."""

    def __init__(self, app) -> None:
        self.app, self.statuses, self.server_errors = app, Counter(), []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        keyed = any(name == b"authorization" for name, _ in scope["headers"])
        status = 0

        async def receive_and_keep():
            message = await receive()
            if message["type"] == "http.request" and len(body) < 2048:
                body.extend(message.get("body", b"")[: 2048 - len(body)])
            return message

        async def send_and_count(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self.statuses[status] += 1
            elif message["type"] == "http.response.body" and status >= 500:
                status = 0  # the first piece of the body is enough
                sent = repr(bytes(body).decode("utf-8", "replace")[:300]) if body else "not read"
                answer = message.get("body", b"").decode("utf-8", "replace")[:200]
                auth = "with" if keyed else "without"
                self.server_errors.append(
                    f"{scope['method']} {scope['path']} {auth} an Authorization header, body {sent} -> {answer!r}"
                )
            await send(message)

        await self.app(scope, receive_and_keep, send_and_count)


def run_dialect(st: Path, dialect: str, args: argparse.Namespace) -> dict:
    document = json.loads(SPEC.read_text(encoding="utf-8"))
    key = "sk-fuzz-" + secrets.token_urlsafe(24)
    app = Counting(create_app(model_ids(document), [key], base_paths=(BASE,), dialect=dialect))
    with tempfile.TemporaryDirectory(prefix="branddocs-schemathesis-") as tmp, running_endpoint(app) as server:
        url = server.url + BASE
        assert server.url.startswith("http://127.0.0.1:"), server.url
        spec = scratch_spec(Path(tmp), url)
        report = Path(tmp) / "report.json"
        command = [
            str(st), "run", str(spec), "--url", url,
            "--header", f"Authorization: Bearer {key}",
            "--checks", ",".join(CHECKS),
            "--max-examples", str(args.max_examples),
            "--max-time", str(args.max_time),
            "--request-timeout", "10",
            "--seed", str(args.seed),
            "--workers", str(args.workers),
            "--generation-database", "none",
            "--no-color",
            "--continue-on-failure",
            "--report", "json", "--report-json-path", str(report),
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHEMATHESIS_", "HYPOTHESIS_"))}
        env["SCHEMATHESIS_TELEMETRY"] = "false"
        started = time.monotonic()
        try:
            done = subprocess.run(
                command, cwd=tmp, env=env, capture_output=True, text=True, timeout=args.max_time * 2 + 120
            )
            output, code = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            code = "killed (hard time limit)"
        wall = time.monotonic() - started
        output = output.replace(key, "<key>")
        (ROOT / ".cache" / f"schemathesis-{dialect}.log").write_text(output, encoding="utf-8")
        verdict = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return {
        "dialect": dialect,
        "statuses": app.statuses,
        "server_errors": app.server_errors,
        "output": output,
        "code": code,
        "wall": wall,
        "generated": verdict.get("test_cases", {}).get("generated", "?"),
        "stop_reason": verdict.get("stop_reason", "?"),
        "failures": verdict.get("failures", []),
        "errors": verdict.get("errors", []) if verdict else [{"title": "no report from schemathesis", "count": 1}],
    }


def by_check(failures: list[dict]) -> Counter:
    """Distinct failures (schemathesis' unique failures) per check."""
    counts = Counter(dict.fromkeys(CHECKS, 0))
    for failure in failures:
        counts[CHECK_OF_CODE.get(failure["code"], failure["code"])] += failure["count"]
    return counts


def summary(result: dict) -> str:
    statuses = result["statuses"]
    fives = sum(n for s, n in statuses.items() if s >= 500)
    lines = [
        f"dialect {result['dialect']}: {sum(statuses.values())} requests answered "
        f"({result['generated']} test cases generated) in {result['wall']:.1f} s wall; "
        f"schemathesis stopped by {result['stop_reason']}, exit {result['code']}",
        "  by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())),
        f"  5xx: {fives}; errors (timeouts, hangs, crashes): {sum(e['count'] for e in result['errors'])}",
        "  distinct failures by check: " + ", ".join(f"{c} {n}" for c, n in by_check(result["failures"]).items()),
    ]
    lines += [f"    {f['code']} {f['title']} x{f['count']}: {', '.join(f['operations'])}" for f in result["failures"]]
    lines += [f"    error: {e['title']} x{e['count']}" for e in result["errors"]]
    distinct = Counter(result["server_errors"])
    lines += [f"    5xx x{n}: {what}" for what, n in distinct.most_common(10)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=[*DIALECTS, "all"], default="openai")
    parser.add_argument("--max-examples", type=int, default=100, help="per operation and phase (default 100)")
    parser.add_argument("--max-time", type=int, default=120, help="seconds for each dialect's run (default 120)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="print schemathesis' own report too")
    args = parser.parse_args(argv)
    st = st_binary()
    failed = False
    for dialect in DIALECTS if args.dialect == "all" else (args.dialect,):
        result = run_dialect(st, dialect, args)
        if args.verbose:
            print(result["output"])
        print(summary(result), flush=True)
        server_errors = sum(n for s, n in result["statuses"].items() if s >= 500)
        failed |= bool(server_errors or by_check(result["failures"])["not_a_server_error"] or result["errors"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
