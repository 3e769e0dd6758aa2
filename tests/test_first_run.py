"""A first run against one's own server explains itself: a base URL without its `/v1` stops before any example,
naming the URLs tried and the fix; the header names the endpoint and the SDKs; a missing npm install is named
with the command to run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from branddocs.endpoint.app import create_app
from branddocs.endpoint.server import running_endpoint
from branddocs.errors import EXIT_NO_API, EXIT_NOT_RUN, EXIT_REFUSED
from branddocs.examples.pytest_plugin.junit import example_results
from branddocs.examples.run.first_run import endpoint_line, preflight
from branddocs.examples.run.sdks import sdks
from branddocs.site import Project

from .support.project import ROOT, run_branddocs

MODEL, KEY = "meta-llama-3-8b-instruct", "sk-first-run"


def test_a_base_url_without_v1_stops_naming_the_urls_and_the_fix() -> None:
    with running_endpoint(create_app([MODEL], [KEY])) as server:
        url = server.url
        failed = preflight(url, KEY)
        assert preflight(f"{url}/v1", KEY) is None  # the negative: the right base URL passes
    assert failed is not None
    code, line = failed
    assert code == EXIT_NO_API
    assert line == (
        f"BRANDDOCS_ENDPOINT={url} is not an OpenAI-compatible base URL: GET {url}/models answered 404 "
        f"and POST {url}/chat/completions answered 404; {url}/v1/models answers: set "
        f"BRANDDOCS_ENDPOINT={url}/v1; no example was run"
    )


def test_a_wrong_path_without_a_v1_below_it_says_what_base_urls_look_like() -> None:
    with running_endpoint(create_app([MODEL], [KEY], base_paths=["/api/ai"])) as server:
        code, line = preflight(f"{server.url}/api", KEY) or (0, "")
    assert code == EXIT_NO_API
    assert line.endswith("answered 404; an OpenAI-compatible base URL usually ends in /v1; no example was run")


def test_a_platform_without_models_but_with_chat_completions_is_fine() -> None:
    async def chat(request: Request) -> JSONResponse:
        return JSONResponse({"detail": "bad request"}, status_code=422)

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    with running_endpoint(app) as server:
        assert preflight(f"{server.url}/v1", KEY) is None


def test_a_wrong_key_is_still_refused_in_one_line() -> None:
    with running_endpoint(create_app([MODEL], [KEY])) as server:
        code, line = preflight(f"{server.url}/v1", "sk-wrong") or (0, "")
    assert code == EXIT_REFUSED
    assert "GET /models: the endpoint answered 401: Unauthorized (is $BRANDDOCS_API_KEY the key for it?)" in line


def test_the_header_names_the_endpoint_under_test() -> None:
    assert endpoint_line("http://127.0.0.1:9/v1") == (
        "branddocs: the endpoint under test: http://127.0.0.1:9/v1 ($BRANDDOCS_ENDPOINT); its key: $BRANDDOCS_API_KEY"
    )
    assert "reference endpoint on loopback" in endpoint_line("")


def test_the_header_names_the_sdks_examples_run_with() -> None:
    found = sdks(sys.executable, "node", ROOT / "node_modules")
    assert found.node_missing == ""
    lines = found.lines()
    assert lines[0].startswith(f"branddocs: Python examples run with Python {sys.version.split()[0]}, openai 3.")
    assert lines[1].startswith("branddocs: Node.js examples run with Node.js v")
    assert ", openai 6." in lines[1]


def test_a_missing_npm_install_is_named_with_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRANDDOCS_NODE_MODULES", raising=False)
    found = sdks(sys.executable, "node", tmp_path / "node_modules")
    assert found.node_missing == (
        f"{tmp_path / 'node_modules'} has no openai package: run `npm ci` in {tmp_path} "
        "(in this repository: make node_modules/.installed)"
    )
    assert found.lines()[1] == f"branddocs: Node.js examples are SKIPPED: {found.node_missing}"


def test_a_project_without_npm_install_runs_the_rest_and_names_the_step(scratch: Project, tmp_path: Path) -> None:
    """A newcomer's first run: no node_modules yet. The header names the step once; the Node.js example is skipped,
    never blamed; curl, Python and the error table's curl and Python columns still run; the run ends with exit 14."""
    (scratch.root / "node_modules").unlink()
    with running_endpoint(create_app([MODEL], [KEY])) as server:
        junit = tmp_path / "junit.xml"
        env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": KEY, "BRANDDOCS_NODE_MODULES": ""}
        done = run_branddocs("check", "--brand", "acme", "serverless-endpoints.md", "--", f"--junitxml={junit}",
                             cwd=scratch.root, env=env)  # fmt: skip
    output = done.stdout + done.stderr
    missing = f"{scratch.root / 'node_modules'} has no openai package: run `npm ci` in {scratch.root}"
    assert f"branddocs: Node.js examples are SKIPPED: {missing}" in output
    results = example_results(junit, scratch.root)
    javascript = [r for k, r in results.items() if k.endswith("::javascript")]
    assert javascript == [("skip", "")], results
    # Everything else passes on the reference endpoint's own dialect, yet the run is no pass: an example was not
    # run (exit 14, EXIT_NOT_RUN), and the summary says how many and why.
    assert done.returncode == EXIT_NOT_RUN, output
    assert f"branddocs: 1 example(s) NOT RUN, so this check is incomplete (exit 14): {missing}" in output
    assert [k for k, (outcome, _) in results.items() if outcome not in ("pass", "skip")] == [], results
    assert sum(outcome == "pass" for outcome, _ in results.values()) >= 9  # curl, Python, the table, the claims
    assert "Can't find source path" not in output
    assert "ended before it was given the rows" not in output
