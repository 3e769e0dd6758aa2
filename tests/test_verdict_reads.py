"""The verdict is grounded in what the reader's code touches: the SDK builds objects without validating them, so a
field no line reads (and no sample shows) never fails an example; a field one reads still does, and every drift
still fails.

Yardsticks: the vLLM and LiteLLM wire recordings, and LocalAI's `/models` answer without `created`
(tests/fixtures/wire-recordings/, README there for provenance).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.collection.collect import collect_examples
from branddocs.examples.example import Example
from branddocs.examples.languages.base import get
from branddocs.examples.responses.exchange import exchange_problems
from branddocs.site import Project

from .conftest import ROOT, scratch_project
from .test_dialects import RECORDINGS, SERVERS, as_exchange, drifted, load, recordings
from .test_example_checks import check, fence_line, write_page

LOCALAI = RECORDINGS / "localai-models" / "models.json"
KEY = "sk-localai-shaped"


def guide_examples() -> list[Example]:
    """Every runnable example of every demo brand (brands/), as its readers see it."""
    project = Project(ROOT)
    return [e for b in project.brand_ids() for e in collect_examples(project, project.brand(b)) if e.kind == "run"]


def real_replies() -> list[Path]:
    found = [p for server in SERVERS for p in recordings(server)] + [LOCALAI]
    return [p for p in found if load(p)[1]["status"] == 200]


def test_the_localai_recording_has_no_created_and_the_strict_types_say_so() -> None:
    """The recording is what the issue is about, and nothing is known of the reader: every required field counts."""
    request, response = load(LOCALAI)
    assert all("created" not in m for m in json.loads(response["body"])["data"])
    assert exchange_problems(as_exchange(request, response)) == [
        "GET /models: the openai SDK cannot read it as a model: created: Field required; owned_by: Field required"
    ]


def test_the_sdk_itself_builds_the_reply_without_validating_it() -> None:
    """Why the rule holds: the openai package's own path for a response (`_models.construct_type`, what
    `client.models.list()` uses unless strict validation is asked for) gives `created` as None, no error."""
    from openai._models import construct_type
    from openai.types import Model

    _, response = load(LOCALAI)
    item = json.loads(response["body"])["data"][0]
    model = construct_type(type_=Model, value=item)
    assert isinstance(model, Model)
    assert (model.id, model.created, model.owned_by) == ("meta-llama-3-8b-instruct", None, None)


@pytest.mark.parametrize("example", guide_examples(), ids=lambda e: e.id)
def test_no_demo_example_fails_on_a_real_reply_for_a_field_it_does_not_read(example: Example) -> None:
    reads = get(example.lang).reads(example.code)
    assert reads is not None, "the guide's examples read named fields, not whole objects"
    for path in real_replies():
        request, response = load(path)
        assert exchange_problems(as_exchange(request, response), reads) == [], f"{path.parent.name}/{path.name}"


@pytest.mark.parametrize(
    ("lang", "code", "field"),
    [
        ("python", "for model in client.models.list():\n    print(model.id, model.created)\n", "created"),
        ("python", "print(client.models.list().data[0].owned_by)\n", "owned_by"),
        ("javascript", "for await (const m of client.models.list()) console.log(m.created);\n", "created"),
        ("bash", "curl -sS \"$URL/models\" | jq '.data[].created'\n", "created"),
    ],
)
def test_a_field_the_example_reads_still_fails(lang: str, code: str, field: str) -> None:
    """The negative: the same reply fails an example that reads the missing field, naming it."""
    request, response = load(LOCALAI)
    problems = exchange_problems(as_exchange(request, response), get(lang).reads(code))
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"GET /models: the example reads `{field}`, which the openai SDK cannot give it")
    assert f"{field}: Field required" in problems[0]


def test_an_example_that_dumps_the_whole_reply_reads_every_field() -> None:
    request, response = load(LOCALAI)
    reads = get("python").reads("print(client.models.list().model_dump_json())\n")
    assert reads is None
    assert exchange_problems(as_exchange(request, response), reads) != []


@pytest.mark.parametrize("server", list(SERVERS))
@pytest.mark.parametrize(
    ("name", "how", "expected"),
    [
        ("chat-stream", "no-done", "the stream does not end with `data: [DONE]`"),
        ("chat-stream-usage-length", "no-usage", "`stream_options.include_usage` was asked for, but no chunk carries"),
        ("chat-stream", "event-lines", "`event:` lines are not part of OpenAI's stream format"),
        ("chat-stream", "rename-content", "`delta.text` instead of `delta.content`"),
        ("chat", "rename-content", "choices[0].message has no `content`"),
        ("chat", "envelope", "wraps the reply in an envelope {code, msg, data}"),
    ],
)
def test_every_drift_still_fails_whatever_the_example_reads(server: str, name: str, how: str, expected: str) -> None:
    """test_dialects' drifts, judged as each demo example would judge them (reading the least: curl's reads)."""
    least = min((get(e.lang).reads(e.code) or frozenset() for e in guide_examples()), key=len)
    problems = exchange_problems(drifted(server, name, how), least)
    assert any(expected in p for p in problems), problems


# End to end: `branddocs check` of Yushan Cloud (whose own page lists the models) against a server whose `/models`
# is LocalAI's, without `created`; its chat answers are vLLM's recorded reply.


def localai_shaped_app(models: list[str]) -> Starlette:
    _, listed = load(LOCALAI)
    entry = json.loads(listed["body"])["data"][0]
    _, chat = load(RECORDINGS / SERVERS["vllm"] / "chat.json")

    def authorised(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {KEY}"

    async def list_models(request: Request) -> Response:
        if not authorised(request):
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        return JSONResponse({"object": "list", "data": [{**entry, "id": m} for m in models]})

    async def chat_completions(request: Request) -> Response:
        if not authorised(request):
            return JSONResponse({"error": "Unauthorized"}, status_code=401)
        body = json.loads(chat["body"])
        return JSONResponse({**body, "model": (await request.json())["model"]})

    return Starlette(routes=[Route("/v1/models", list_models), Route("/v1/chat/completions", chat_completions,
                                                                      methods=["POST"])])  # fmt: skip


@contextmanager
def localai_shaped(models: list[str]) -> Iterator[dict[str, str]]:
    with running_endpoint(localai_shaped_app(models)) as server:
        yield {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": KEY}


READS_CREATED = """# Created

```python
import os

from openai import OpenAI

client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
print([model.created for model in client.models.list()])  # marker-reads-created
```
"""


@pytest.mark.slow
def test_yushan_passes_against_a_models_list_without_created(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    shutil.copy(ROOT / "brands" / "yushan.yml", project.brands_dir)
    shutil.copytree(ROOT / "docs" / "images" / "yushan", project.docs_dir / "images" / "yushan")
    brand = project.brand("yushan")
    page = write_page(project, "brands/yushan/created.md", READS_CREATED)
    with localai_shaped(brand.models) as env:
        code, results, output = check(project, "--brand", "yushan", env=env)
    assert code == 1, output  # the negative below and the error table, and nothing else
    reads_created = results[f"yushan::brands/yushan/created.md:{fence_line(page, 'marker-reads-created')}::python"]
    assert "GET /models: the example reads `created`, which the openai SDK cannot give it" in reads_created
    # This server serves an unknown model with a default one, as LocalAI does: the error table's row says otherwise,
    # and rightly fails (tests/test_error_tables.py); the point here is the examples.
    errors = {k: v for k, v in results.items() if k.endswith("::errors")}
    assert all("declare `errors: {unknown_model: 200}`" in v for v in errors.values()), errors
    others = {k: v for k, v in results.items() if "created.md" not in k and k not in errors}
    assert [k for k in others if "service-hours.md" in k and k.endswith("::python")], sorted(others)
    assert all(v == "passed" or v.startswith("skipped") for v in others.values()), output
    assert "passed" in others.values()


# Samples: a field no platform is required to send is shown as optional; a required one, or another type, fails.


def litellm(name: str) -> tuple[dict, dict]:
    return load(RECORDINGS / SERVERS["litellm"] / name)


def without(body: str, field: str, stream: bool) -> str:
    """The recorded body with `field` removed from the reply (from every chunk of a stream)."""
    if not stream:
        return json.dumps({k: v for k, v in json.loads(body).items() if k != field})
    lines = [
        "data: " + json.dumps({k: v for k, v in json.loads(line[6:]).items() if k != field})
        if line.startswith("data: {") else line
        for line in body.split("\n")
    ]  # fmt: skip
    return "\n".join(lines)


@pytest.mark.parametrize(("lang", "name"), [("json", "chat.json"), ("sse", "chat-stream-usage-length.json")])
def test_a_sample_field_no_platform_must_send_is_optional(lang: str, name: str) -> None:
    from branddocs.examples.responses.samples import sample_problems

    from .test_dialects import guide_sample

    request, response = litellm(name)
    body = without(response["body"], "system_fingerprint", lang == "sse")
    assert "system_fingerprint" not in body
    assert sample_problems(lang, guide_sample(lang), as_exchange(request, {**response, "body": body}), False) == []


@pytest.mark.parametrize(("lang", "name"), [("json", "chat.json"), ("sse", "chat-stream-usage-length.json")])
def test_a_sample_field_every_platform_must_send_still_fails(lang: str, name: str) -> None:
    """The negative: `created` is required by the SDK's types: a reply without it differs from the sample."""
    from branddocs.examples.responses.samples import sample_problems

    from .test_dialects import guide_sample

    request, response = litellm(name)
    body = without(response["body"], "created", lang == "sse")
    problems = sample_problems(lang, guide_sample(lang), as_exchange(request, {**response, "body": body}), False)
    assert any("created" in p and p.startswith("differs from the response") for p in problems), problems


def test_an_optional_sample_field_of_another_type_still_fails() -> None:
    from branddocs.examples.responses.samples import sample_problems

    from .test_dialects import guide_sample

    request, response = litellm("chat.json")
    body = json.dumps({**json.loads(response["body"]), "system_fingerprint": 7})
    problems = sample_problems("json", guide_sample("json"), as_exchange(request, {**response, "body": body}), False)
    assert any(".system_fingerprint: the guide shows string" in p and "sent integer" in p for p in problems), problems


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["vllm", "litellm", "openai"])
def test_yushan_passes_on_every_dialect_of_the_reference_endpoint(tmp_path: Path, dialect: str) -> None:
    """The demo brand with a models example of its own, no streaming and a translated guide, on each dialect."""
    from .test_endpoint import endpoint_command

    project = scratch_project(tmp_path / "project")
    shutil.copy(ROOT / "brands" / "yushan.yml", project.brands_dir)
    shutil.copytree(ROOT / "docs" / "images" / "yushan", project.docs_dir / "images" / "yushan")
    args = ("--dialect", dialect, "--api-key", "sk-right", "--brand", "yushan")
    with endpoint_command(tmp_path, *args, cwd=project.root) as (url, _):
        env = {"BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": "sk-right"}
        # The error table states vLLM's answers; LiteLLM and OpenAI answer some rows otherwise, rightly failing
        # them (tests/test_error_tables.py, test_example_checks.py): the examples are the point here.
        code, results, output = check(project, "--brand", "yushan", env=env)
    failed = [k for k, v in results.items() if v != "passed" and not v.startswith("skipped")]
    assert all(k.endswith("::errors") for k in failed), output
    assert code == (0 if dialect == "vllm" else 1), output
    assert any("service-hours.md" in k and v == "passed" for k, v in results.items()), results


def test_a_body_that_is_no_object_fails_whatever_the_example_reads() -> None:
    request, response = load(RECORDINGS / SERVERS["vllm"] / "chat.json")
    problems = exchange_problems(as_exchange(request, {**response, "body": '["a list"]'}), frozenset({"id"}))
    assert problems == [
        "POST /chat/completions: the openai SDK cannot read it as a chat.completion: (top): Input should be a valid "
        "dictionary or instance of ChatCompletion"
    ]
