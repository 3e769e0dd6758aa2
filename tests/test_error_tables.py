"""The guide's error table is checked: each row's request is tried with curl and both SDKs against the platform.

Against the reference endpoint's three dialects, real servers' recordings (replayed by a loopback server) and a
small real server that answers like the unnamed third server of issue 19; each row fails on a platform that
answers it otherwise, with the row, what the guide says and what the server did; a brand that declares its
platform's answers (`errors:`) passes there, and its guide says what really happens.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.collection.marks import mark_rows
from branddocs.examples.collection.tables import parse_table, table_texts
from branddocs.markup import FenceError
from branddocs.site import Project
from branddocs.site.published import published as page_published

from .support.endpoint import endpoint_command
from .support.project import ROOT, run_branddocs

GUIDE = "serverless-endpoints.md"
RECORDINGS = ROOT / "tests" / "fixtures" / "wire-recordings"
SERVERS = {"vllm": "vllm-0.32.0", "litellm": "litellm-1.106.12-vllm-0.32.0"}
KEY = "sk-right-key-for-the-test"
ROWS = {  # each row's request cell, as the guide starts it
    "wrong_key": "'A wrong API key",
    "unknown_model": "'A model Acme Cloud does not serve",
    "unknown_field": "'A misspelled field",
    "out_of_range": "'A field out of range",
}


def check_errors(project: Project, url: str, key: str = KEY) -> tuple[int, str]:
    """`branddocs check --brand acme` of the guide's error table only, against `url`: (exit code, output)."""
    env = {"BRANDDOCS_ENDPOINT": url, "BRANDDOCS_API_KEY": key}
    done = run_branddocs("check", "--brand", "acme", GUIDE, "--", "-k", "errors", cwd=project.root, env=env)
    return done.returncode, done.stdout + done.stderr


def failed_rows(output: str) -> set[str]:
    return {name for name, start in ROWS.items() if f"the error table's row {start}" in output}


def declare(project: Project, errors: dict[str, int]) -> None:
    """Give the scratch project's acme an `errors:` block."""
    brand_file = project.brands_dir / "acme.yml"
    lines = "".join(f"  {k}: {v}\n" for k, v in errors.items())
    brand_file.write_text(brand_file.read_text(encoding="utf-8") + f"errors:\n{lines}", encoding="utf-8")


# Reading the table.

TABLE = """Prose.

<!-- branddocs: error-table -->

| You send | Status | Python | Node.js | Why |
|---|---|---|---|---|
| a wrong key (`Authorization: Bearer x`) | `401` | `openai.AuthenticationError` | `OpenAI.AuthenticationError` | |
{row}
After.
"""


def rows_of(text: str) -> list:
    marked = mark_rows(text, "page.md")
    [(line, table)] = table_texts(marked)
    assert line == 3
    return parse_table(table, f"page.md:{line}")


def test_a_table_reads_as_rows_naming_their_lines() -> None:
    row = '| an unknown model (`"model": "x"`) | `404` | `openai.NotFoundError` | `OpenAI.NotFoundError` |'
    rows = rows_of(TABLE.format(row=row))
    read = [(r.line, r.wrong_key, r.fields, r.status) for r in rows]
    assert read == [(7, True, {}, 401), (8, False, {"model": "x"}, 404)]
    assert [r.brand_field() for r in rows] == ["wrong_key", "unknown_model"]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("| no code span | `400` | `a` | `b` |", "page.md:8: the request cell has no code span"),
        ("| `temperature = 5` | `400` | `a` | `b` |",
         "page.md:8: the request cell's code span 'temperature = 5': expected request fields"),
        ('| `"temperature": 5` | `4xx` | `a` | `b` |',
         "page.md:8: the HTTP status cell: expected a status from 200 to 599"),
        ('| `"temperature": 5` | `400` | `a` |', "page.md:8: an error table row needs 4 cells"),
        ('| `"temperature": 5` | `400` | prose | `b` |', "page.md:8: the Python cell has no code span"),
    ],
)  # fmt: skip
def test_a_row_branddocs_cannot_read_is_named(row: str, expected: str) -> None:
    with pytest.raises(FenceError, match="^" + expected.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        rows_of(TABLE.format(row=row))


def test_a_marker_inside_a_code_block_is_no_table() -> None:
    text = "```markdown\n<!-- branddocs: error-table -->\n\n| a | b |\n```\n"
    assert table_texts(mark_rows(text, "page.md")) == []
    assert table_texts(mark_rows(text.replace("```markdown\n", "").replace("```\n", ""), "page.md")) != []


def test_the_marker_is_not_published() -> None:
    text = TABLE.format(row="")
    published = page_published(text, Project.find().brand("acme"), "serverless-endpoints.md")  # the plugin's event
    assert "error-table" not in published
    assert "| a wrong key" in published
    assert "error-table" in text  # the negative: it was there to remove


def test_a_bad_errors_field_is_named(scratch: Project) -> None:
    declare(scratch, {"wrong_key": 700, "unknwon_model": 200})
    done = run_branddocs("check-brands", str(scratch.brands_dir / "acme.yml"), cwd=scratch.root)
    assert done.returncode != 0
    assert "acme.yml:17: errors.wrong_key: Input should be less than or equal to 599" in done.stdout + done.stderr
    assert "acme.yml:18: errors.unknwon_model: unknown key" in done.stdout + done.stderr


def test_a_declared_platform_changes_what_the_guide_says(scratch: Project) -> None:
    from branddocs.examples.collection.collect import render_pages

    before = render_pages(scratch, "acme", [GUIDE])[GUIDE]
    declare(scratch, {"unknown_model": 200})
    after = render_pages(Project(scratch.root), "acme", [GUIDE])[GUIDE]
    assert "an unknown model is served by the default model, `meta-llama-3-8b-instruct`" in after
    assert "| `200` | `ChatCompletion` | `ChatCompletion` |" in after
    assert "served by the default model" not in before


# Against platforms: the reference endpoint's dialects.


@contextmanager
def dialect(project: Project, tmp_path: Path, name: str) -> Iterator[str]:
    args = ("--dialect", name, "--api-key", KEY, "--brand", "acme")
    with endpoint_command(tmp_path, *args, cwd=project.root) as (url, _):
        yield f"{url}/v1"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "failing"),
    [("vllm", set()), ("litellm", {"wrong_key", "unknown_model"}), ("openai", {"unknown_field"})],
)
def test_each_dialect_answers_the_rows_as_it_answers(
    scratch: Project, tmp_path: Path, name: str, failing: set[str]
) -> None:
    with dialect(scratch, tmp_path, name) as url:
        code, output = check_errors(scratch, url)
    assert failed_rows(output) == failing, output
    assert code == (1 if failing else 0), output
    if name == "litellm":
        assert ("the error table's row 'A wrong API key (`Authorization: Bearer sk-wrong`)' says: HTTP 401, Python "
                "openai.AuthenticationError, Node.js OpenAI.AuthenticationError; but the endpoint answered 400: No "
                "connected db. (no_db_connection): curl shows HTTP 400, Python gives openai.BadRequestError, Node.js "
                "gives OpenAI.BadRequestError (fix the row; if that is how Acme Cloud's platform answers, declare "
                "`errors: {wrong_key: 400}` in brands/acme.yml") in output  # fmt: skip
    if name == "openai":
        assert "the endpoint answered 400: Unrecognized request argument supplied: maxTokens" in output
        assert "Python gives TypeError, Node.js gives OpenAI.BadRequestError" in output


@pytest.mark.slow
def test_a_brand_that_declares_its_platform_passes_there(scratch: Project, tmp_path: Path) -> None:
    declare(scratch, {"wrong_key": 400, "unknown_model": 400})
    with dialect(scratch, tmp_path, "litellm") as url:
        code, output = check_errors(scratch, url)
    assert code == 0, output
    with dialect(scratch, tmp_path, "vllm") as url:  # the negative: the same declaration on vLLM is wrong
        code, output = check_errors(scratch, url)
    assert failed_rows(output) == {"wrong_key", "unknown_model"}, output


# Real servers' recordings, replayed by a loopback server.


def replay_app(server: str, seen: list[str]) -> Starlette:
    """Answers each request with what `server` sent for the recorded request it stands for."""

    def recorded(name: str) -> Response:
        response = json.loads((RECORDINGS / SERVERS[server] / f"{name}.json").read_text(encoding="utf-8"))["response"]
        return Response(response["body"], response["status"], media_type=response["content_type"])

    async def chat(request: Request) -> Response:
        seen.append(request.headers.get("authorization", ""))
        body = await request.json()
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return recorded("error-wrong-key")
        if body.get("model") != "meta-llama-3-8b-instruct":
            return recorded("error-unknown-model")
        if body.get("temperature", 1) > 2:
            return recorded("error-temperature-5")
        return recorded("unknown-field-maxTokens" if "maxTokens" in body else "chat")

    async def models(request: Request) -> Response:
        right = request.headers.get("authorization") == f"Bearer {KEY}"
        return recorded("models" if right else "error-models-wrong-key")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/v1/models", models)])


@pytest.mark.slow
@pytest.mark.parametrize(("server", "failing"), [("vllm", set()), ("litellm", {"wrong_key", "unknown_model"})])
def test_real_servers_recordings(scratch: Project, server: str, failing: set[str]) -> None:
    seen: list[str] = []
    with running_endpoint(replay_app(server, seen)) as running:
        code, output = check_errors(scratch, f"{running.url}/v1")
        assert failed_rows(output) == failing, output
        if failing:
            declare(scratch, {"wrong_key": 400, "unknown_model": 400})
            code, output = check_errors(scratch, f"{running.url}/v1")
            assert code == 0, output
    # The wrong-key row sent a key made up for it: neither the real key nor the run's own key reached the server.
    wrong = {key for key in seen if key != f"Bearer {KEY}"}
    assert wrong, seen
    assert all(key.startswith("Bearer sk-wrong-") for key in wrong), wrong


# A small real server answering as issue 19's third server did: unknown models served by the default model.


def lenient_app(seen: list[str]) -> Starlette:
    async def chat(request: Request) -> Response:
        seen.append(request.headers.get("authorization", ""))
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return JSONResponse({"detail": "Invalid API key"}, 401)
        await request.body()  # any model, any field, any temperature: served by the default model
        reply = {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "meta-llama-3-8b-instruct",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }  # fmt: skip
        return JSONResponse(reply)

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "meta-llama-3-8b-instruct", "object": "model"}]})

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"]), Route("/v1/models", models)])


@pytest.mark.slow
def test_a_server_that_serves_unknown_models_fails_those_rows(scratch: Project) -> None:
    seen: list[str] = []
    with running_endpoint(lenient_app(seen)) as running:
        code, output = check_errors(scratch, f"{running.url}/v1")
        assert code == 1
        assert failed_rows(output) == {"unknown_model", "out_of_range"}, output
        assert ("says: HTTP 404, Python openai.NotFoundError, Node.js OpenAI.NotFoundError; but the endpoint answered "
                "200 with a reply from model 'meta-llama-3-8b-instruct': curl shows HTTP 200, Python gives "
                "ChatCompletion, Node.js gives ChatCompletion") in output  # fmt: skip
        declare(scratch, {"unknown_model": 200, "out_of_range": 200})
        code, output = check_errors(scratch, f"{running.url}/v1")
        assert code == 0, output


def test_a_translations_table_must_claim_what_its_sources_does(tmp_path: Path) -> None:
    from branddocs.examples.collection.collect import collect_examples

    project = Project(ROOT).copy_to(tmp_path)
    assert [e for e in collect_examples(project, project.brand("yushan")) if e.kind == "errors"]
    page = project.docs_dir / "serverless-endpoints.zh-TW.md"
    page.write_text(page.read_text(encoding="utf-8").replace('`"maxTokens": 8`', '`"maxTokens": 9`'), "utf-8")
    with pytest.raises(FenceError, match=r"serverless-endpoints.zh-TW.md: its error tables claim .*'maxTokens': 9"):
        collect_examples(project, project.brand("yushan"))


# The clients that try the rows: branddocs' own, one process per worker and language (row_clients.py).


@pytest.mark.slow
def test_a_client_that_cannot_run_is_named(scratch: Project, tmp_path: Path) -> None:
    # A broken `openai` package (its entry point missing): the Node.js client ends before it answers. (No package
    # at all is a missing install: named once in the header, the column untried: tests/test_first_run.py.)
    broken = tmp_path / "broken" / "node_modules" / "openai"
    broken.mkdir(parents=True)
    (broken / "package.json").write_text('{"name": "openai", "version": "0.0.0", "type": "module", '
                                         '"exports": "./gone.mjs"}', encoding="utf-8")  # fmt: skip
    done = run_branddocs("check", "--brand", "acme", GUIDE, "--", "-k", "errors", cwd=scratch.root,
                         env={"BRANDDOCS_NODE_MODULES": str(broken.parent)})  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    # Before or after it was handed the rows, as its start and the checks' timing fall.
    assert "branddocs' Node.js client for the error tables ended " in output, output
    assert "Cannot find module" in output, output
    done = run_branddocs("check", "--brand", "acme", GUIDE, "--", "-k", "errors", cwd=scratch.root)
    assert done.returncode == 0, done.stdout + done.stderr  # the negative: with its package, the same table passes
