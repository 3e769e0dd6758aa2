"""The reference endpoint, driven over loopback by the real openai SDKs, curl-free raw HTTP, and OpenAI's schemas.

Most tests drive its `openai` dialect, which OpenAI's published schemas validate to the letter; the `vllm`
(default) and `litellm` dialects are held to real servers' recordings in test_dialects.py.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import openai
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from branddocs.endpoint import app as app_module
from branddocs.endpoint.app import INLINE_BODY_BYTES, INLINE_CHOICES, MAX_BODY_BYTES, create_app
from branddocs.endpoint.generate import GREETING_REPLY, tokenize
from branddocs.endpoint.server import EndpointServer, app_for_brands, running_endpoint
from branddocs.examples.responses.conformance import schema_errors
from branddocs.site import Project

from .support.endpoint import endpoint_command
from .support.project import BIN, ROOT

KEY = "sk-test-endpoint-key"
MODEL = "meta-llama-3-8b-instruct"
OTHER = "qwen2.5-7b-instruct"
HI = [{"role": "user", "content": "hi"}]
PATHS = {"/v1": [MODEL, OTHER], "/api/v1/ai": [OTHER], "/openai/v1": [MODEL]}


@pytest.fixture(scope="module")
def server() -> Iterator[EndpointServer]:
    app = create_app(PATHS, [KEY, "sk-second-key"], dialect="openai")
    with running_endpoint(app) as running:
        yield running


@pytest.fixture(scope="module")
def base(server: EndpointServer) -> str:
    return f"{server.url}/v1"


@pytest.fixture
def client(base: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base, api_key=KEY, max_retries=0)


def sse_chunks(text: str) -> tuple[list[dict], list[str]]:
    """The JSON chunks of an SSE body, and its raw `data:` payloads."""
    payloads = [line.removeprefix("data: ") for line in text.splitlines() if line.startswith("data: ")]
    return [json.loads(p) for p in payloads if p != "[DONE]"], payloads


def raw(base: str, body: object, key: str | None = KEY, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{base}/chat/completions", content=content, headers=headers, timeout=10, **kwargs)


# Non-stream and stream through the Python SDK


def test_sync_completion(client: openai.OpenAI, base: str) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=HI)
    assert completion.choices[0].message.content == GREETING_REPLY
    assert completion.choices[0].finish_reason == "stop"
    usage = completion.usage
    assert usage.prompt_tokens + usage.completion_tokens == usage.total_tokens
    body = raw(base, {"model": MODEL, "messages": HI}).json()
    assert schema_errors(body, "CreateChatCompletionResponse") == []
    assert body["choices"][0]["message"]["annotations"] == []
    assert "stop_reason" not in body["choices"][0]


def test_stream_matches_non_stream(client: openai.OpenAI, base: str) -> None:
    request = {"model": MODEL, "messages": [{"role": "user", "content": "Tell me about tokens"}], "max_tokens": 20}
    whole = client.chat.completions.create(**request)
    chunks = list(client.chat.completions.create(**request, stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == [whole.choices[0].finish_reason]
    assert chunks[-1].choices == []
    assert chunks[-1].usage.model_dump() == whole.usage.model_dump()


def test_stream_wire_format(base: str) -> None:
    body = {"model": MODEL, "messages": HI, "stream": True, "stream_options": {"include_usage": True}}
    response = raw(base, body)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks, payloads = sse_chunks(response.text)
    assert payloads[-1] == "[DONE]"
    assert "event:" not in response.text
    for chunk in chunks:
        assert schema_errors(chunk, "CreateChatCompletionStreamResponse") == [], chunk
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[-1]["usage"]["total_tokens"] == 11 + 25


def test_stream_without_usage_has_no_usage_chunk(base: str) -> None:
    chunks, payloads = sse_chunks(raw(base, {"model": MODEL, "messages": HI, "stream": True}).text)
    assert all(c["choices"] for c in chunks)
    assert payloads[-1] == "[DONE]"


def test_async_client(base: str) -> None:
    async def go() -> tuple[str, str]:
        client = openai.AsyncOpenAI(base_url=base, api_key=KEY, max_retries=0)
        whole = await client.chat.completions.create(model=MODEL, messages=HI)
        stream = await client.chat.completions.create(model=MODEL, messages=HI, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        await client.close()
        return whole.choices[0].message.content, text

    assert asyncio.run(go()) == (GREETING_REPLY, GREETING_REPLY)


# Generation parameters


def test_deterministic(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "Write a poem about loopback"}]
    texts = {client.chat.completions.create(model=MODEL, messages=messages).choices[0].message.content for _ in "abc"}
    assert len(texts) == 1
    other = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Something else"}])
    assert other.choices[0].message.content not in texts


def test_max_tokens_stop_and_n(client: openai.OpenAI) -> None:
    cut = client.chat.completions.create(model=MODEL, messages=HI, max_tokens=3)
    assert (cut.choices[0].message.content, cut.choices[0].finish_reason) == ("Hi! It", "length")
    assert cut.usage.completion_tokens == 3
    stopped = client.chat.completions.create(model=MODEL, messages=HI, stop=["nice"])
    assert stopped.choices[0].message.content == "Hi! It's "
    assert stopped.choices[0].finish_reason == "stop"
    many = client.chat.completions.create(model=MODEL, messages=HI, n=3)
    assert [c.index for c in many.choices] == [0, 1, 2]
    assert len({c.message.content for c in many.choices}) == 3
    assert many.usage.completion_tokens == sum(len(tokenize(c.message.content)) for c in many.choices)


def test_n_usage_counts_every_choice(base: str) -> None:
    one = raw(base, {"model": MODEL, "messages": HI}).json()["usage"]
    two = raw(base, {"model": MODEL, "messages": HI, "n": 2}).json()
    assert two["usage"]["prompt_tokens"] == one["prompt_tokens"]
    assert two["usage"]["completion_tokens"] > one["completion_tokens"]
    assert two["usage"]["total_tokens"] == two["usage"]["prompt_tokens"] + two["usage"]["completion_tokens"]


def test_models_list(base: str, server: EndpointServer) -> None:
    response = httpx.get(f"{base}/models", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200
    body = response.json()
    assert schema_errors(body, "ListModelsResponse") == []
    assert [m["id"] for m in body["data"]] == PATHS["/v1"]


def test_each_tenant_path_serves_only_its_models(fixture_project: Project) -> None:
    """A brand's base path lists and serves its own models, never another tenant's (issue: tenant isolation)."""
    brands = [fixture_project.brand(i) for i in fixture_project.brand_ids()]
    app, paths, models = app_for_brands(fixture_project, None, [KEY])
    auth = {"Authorization": f"Bearer {KEY}"}
    with TestClient(app) as test:
        for brand in brands:
            path = f"/brands/{brand.id}{urlsplit(brand.base_url).path}"
            listed = [m["id"] for m in test.get(f"{path}/models", headers=auth).json()["data"]]
            assert listed == list(brand.models), brand.id
            others = [m for b in brands if b.id != brand.id for m in b.models if m not in brand.models]
            assert others, "the test brands must serve models of their own"
            answer = test.post(f"{path}/chat/completions", headers=auth, json={"model": others[0], "messages": HI})
            assert answer.status_code == 404, (brand.id, others[0])
    assert sorted(models) == sorted({m for b in brands for m in b.models})
    assert set(paths) == {urlsplit(b.base_url).path for b in brands}


def test_health(server: EndpointServer) -> None:
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}


def test_brand_base_paths_are_served(server: EndpointServer) -> None:
    for path, models in PATHS.items():
        assert raw(server.url + path, {"model": models[0], "messages": HI}).status_code == 200, path


# Errors: the SDK's exception classes, and OpenAI's error body for every one


def test_sdk_error_classes(base: str, client: openai.OpenAI) -> None:
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=base, api_key="sk-wrong", max_retries=0).chat.completions.create(
            model=MODEL, messages=HI
        )
    with pytest.raises(openai.BadRequestError) as huge:  # a 401-digit number: 400, not an overflow
        client.chat.completions.create(model=MODEL, messages=HI, temperature=10**400)
    assert huge.value.param == "temperature"
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-9", messages=HI)
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError) as unknown:
        client.chat.completions.create(model=MODEL, messages=HI, extra_body={"maxTokens": 5})
    assert "maxTokens" in unknown.value.message
    assert unknown.value.param == "maxTokens"


ERRORS = [
    ({"model": MODEL, "messages": HI}, None, 401, None, None),
    ({"model": MODEL, "messages": HI}, "sk-wrong", 401, None, "invalid_api_key"),
    ({"model": MODEL, "messages": HI}, "Basic " + KEY, 401, None, None),
    ({"model": "nope", "messages": HI}, KEY, 404, "model", "model_not_found"),
    ({"model": MODEL, "messages": HI, "maxTokens": 5}, KEY, 400, "maxTokens", "unknown_parameter"),
    ({"model": MODEL, "messages": HI, "topP": 0.5}, KEY, 400, "topP", "unknown_parameter"),
    ({"messages": HI}, KEY, 400, "model", "missing_required_parameter"),
    ({"model": MODEL}, KEY, 400, "messages", "missing_required_parameter"),
    ({"model": 7, "messages": HI}, KEY, 400, "model", None),
    ({"model": MODEL, "messages": []}, KEY, 400, "messages", None),
    ({"model": MODEL, "messages": "hi"}, KEY, 400, "messages", None),
    ({"model": MODEL, "messages": [{"role": "robot", "content": "x"}]}, KEY, 400, "messages[0].role", None),
    ({"model": MODEL, "messages": [{"role": "user", "content": 5}]}, KEY, 400, "messages[0].content", None),
    ({"model": MODEL, "messages": HI, "temperature": 2.5}, KEY, 400, "temperature", "invalid_value"),
    ({"model": MODEL, "messages": HI, "temperature": -0.1}, KEY, 400, "temperature", "invalid_value"),
    ({"model": MODEL, "messages": HI, "temperature": "hot"}, KEY, 400, "temperature", None),
    ({"model": MODEL, "messages": HI, "top_p": 1.5}, KEY, 400, "top_p", "invalid_value"),
    ({"model": MODEL, "messages": HI, "max_tokens": 0}, KEY, 400, "max_tokens", "invalid_value"),
    ({"model": MODEL, "messages": HI, "max_tokens": 1.5}, KEY, 400, "max_tokens", None),
    ({"model": MODEL, "messages": HI, "max_tokens": True}, KEY, 400, "max_tokens", None),
    ({"model": MODEL, "messages": HI, "n": 0}, KEY, 400, "n", "invalid_value"),
    ({"model": MODEL, "messages": HI, "stream": "yes"}, KEY, 400, "stream", None),
    (
        {"model": MODEL, "messages": HI, "stream_options": {"include_usage": True}},
        KEY,
        400,
        "stream_options",
        "invalid_value",
    ),
    ({"model": MODEL, "messages": HI, "stop": ["a", "b", "c", "d", "e"]}, KEY, 400, "stop", None),
    ([1, 2], KEY, 400, None, None),
    (b"{not json", KEY, 400, None, None),
    (b"", KEY, 400, None, None),
]


@pytest.mark.parametrize(("body", "key", "status", "param", "code"), ERRORS)
def test_errors_are_openai_shaped(
    base: str, body: object, key: str | None, status: int, param: str | None, code: str | None
) -> None:
    if key and key.startswith("Basic "):
        response = httpx.post(f"{base}/chat/completions", json=body, headers={"Authorization": key})
    else:
        response = raw(base, body, key)
    assert response.status_code == status
    error = response.json()
    assert schema_errors(error, "ErrorResponse") == []
    assert error["error"]["param"] == param
    assert error["error"]["code"] == code
    if param:
        assert param.split("[")[0] in error["error"]["message"]


def test_body_limit_method_and_path(base: str) -> None:
    big = {"model": MODEL, "messages": [{"role": "user", "content": "x" * MAX_BODY_BYTES}]}
    too_big = raw(base, big)
    assert too_big.status_code == 413
    assert schema_errors(too_big.json(), "ErrorResponse") == []
    chunked = httpx.post(
        f"{base}/chat/completions",
        content=iter([b"{" + b" " * MAX_BODY_BYTES, b"}"]),
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert chunked.status_code == 413
    wrong_method = httpx.get(f"{base}/chat/completions")
    assert wrong_method.status_code == 405
    assert schema_errors(wrong_method.json(), "ErrorResponse") == []
    nowhere = httpx.get(f"{base}/nowhere")
    assert nowhere.status_code == 404
    assert schema_errors(nowhere.json(), "ErrorResponse") == []


def test_schema_check_can_fail() -> None:
    assert schema_errors({"error": {"message": "x"}}, "ErrorResponse") != []
    drifted = {"code": 200, "msg": "Operation successful", "data": {}}
    assert schema_errors(drifted, "CreateChatCompletionResponse") != []
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "maybe"}],
    }
    assert any("finish_reason" in e for e in schema_errors(chunk, "CreateChatCompletionStreamResponse"))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_fields = st.sampled_from(
    [
        "model",
        "messages",
        "stream",
        "stream_options",
        "max_tokens",
        "temperature",
        "top_p",
        "n",
        "stop",
        "seed",
        "tools",
        "max_completion_tokens",
        "role",
        "content",
    ]
)
_bodies = st.fixed_dictionaries(
    {"model": st.sampled_from([MODEL, "nope"]) | _json, "messages": st.just(HI) | _json},
    optional={"x": st.dictionaries(_fields, _json, max_size=5)},
)

_APPS = {d: create_app([MODEL], [KEY], dialect=d) for d in ("vllm", "litellm", "openai")}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies | _json, dialect=st.sampled_from(sorted(_APPS)))
def test_client_input_never_causes_a_500(body: object, dialect: str) -> None:
    if isinstance(body, dict) and isinstance(body.get("x"), dict):
        body = {**{k: v for k, v in body.items() if k != "x"}, **body["x"]}
    with TestClient(_APPS[dialect], raise_server_exceptions=True) as test:
        # json.dumps writes NaN and Infinity, which are not JSON: the endpoint must say so with a 400.
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        response = test.post("/v1/chat/completions", content=json.dumps(body), headers=headers)
    assert response.status_code < 500, (body, response.text)
    if response.status_code != 200 and dialect == "openai":
        assert schema_errors(response.json(), "ErrorResponse") == []


# Drift mode: what the original guide's samples describe


def test_drift_mode_breaks_the_sdks_quietly() -> None:
    app = create_app([MODEL], [KEY], drift=True)
    with running_endpoint(app) as drifted:
        base = f"{drifted.url}/v1"
        body = raw(base, {"model": MODEL, "messages": HI}).json()
        assert set(body) == {"code", "msg", "data"}
        assert schema_errors(body, "CreateChatCompletionResponse") != []
        completion = openai.OpenAI(base_url=base, api_key=KEY, max_retries=0).chat.completions.create(
            model=MODEL, messages=HI
        )
        assert completion.choices is None  # the trap: no error, no content
        stream = raw(base, {"model": MODEL, "messages": HI, "stream": True}).text
        assert "event:messages\ndata:{" in stream
        assert "[DONE]" not in stream


# The openai npm package on Node.js


def test_node_sdk(base: str) -> None:
    script = ROOT / "tests" / "node" / "endpoint_client.mjs"
    assert (ROOT / "node_modules" / "openai").is_dir(), "run `npm ci` (make test does)"
    done = subprocess.run(
        ["node", str(script), base, KEY, MODEL], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["content"] == seen["streamed"] == GREETING_REPLY
    assert seen["usage"] == seen["streamUsage"]
    assert seen["wrongKey"][:2] == ["AuthenticationError", 401]
    assert seen["unknownModel"] == ["NotFoundError", 404, "model_not_found", "model"]
    assert seen["unknownField"][:2] == ["BadRequestError", 400]
    assert seen["unknownField"][3] == "maxTokens"


# The command


def test_cli_makes_a_key_prints_it_once_and_never_logs_keys(tmp_path: Path, fixture_project: Project) -> None:
    brand = fixture_project.brand(fixture_project.brand_ids()[0])
    path, model = urlsplit(brand.base_url).path, brand.default_model
    with endpoint_command(tmp_path, "--brand", brand.id, cwd=fixture_project.root) as (url, log):
        key = log.read_text().split("API key (made for this run): ")[1].split()[0]
        assert raw(f"{url}{path}", {"model": model, "messages": HI}, key).status_code == 200
        assert raw(f"{url}{path}", {"model": model, "messages": HI}, "sk-wrong-but-secret").status_code == 401
    text = log.read_text()
    assert text.count(key) == 1
    assert "sk-wrong-but-secret" not in text
    assert f"POST {path}/chat/completions" in text
    assert "(vllm dialect)" in text


def test_cli_takes_keys_from_the_environment_and_options(tmp_path: Path, fixture_project: Project) -> None:
    env = {"BRANDDOCS_API_KEY": "sk-from-the-environment"}
    brands = [fixture_project.brand(i) for i in fixture_project.brand_ids()]
    brand, other = brands[0], next(b for b in brands[1:] if set(b.models) - set(brands[0].models))
    foreign = next(m for m in other.models if m not in brand.models)
    path = urlsplit(brand.base_url).path
    with endpoint_command(tmp_path, "--brand", brand.id, env=env, cwd=fixture_project.root) as (url, log):
        key = env["BRANDDOCS_API_KEY"]
        assert raw(f"{url}{path}", {"model": brand.default_model, "messages": HI}, key).status_code == 200
        assert raw(f"{url}{path}", {"model": foreign, "messages": HI}, key).status_code == 404
    assert "made for this run" not in log.read_text()
    assert env["BRANDDOCS_API_KEY"] not in log.read_text()
    args = ("--api-key", "sk-a", "--api-key", "sk-b", "--base-path", "/custom", "--dialect", "openai")
    with endpoint_command(tmp_path, *args, cwd=fixture_project.root) as (url, _):
        for key in ("sk-a", "sk-b"):
            assert raw(f"{url}/custom", {"model": brand.default_model, "messages": HI}, key).status_code == 200
        assert raw(f"{url}/v1", {"model": brand.default_model, "messages": HI}, "sk-a").status_code == 404


def test_cli_with_port_0_prints_the_base_urls_it_answers_at(tmp_path: Path, fixture_project: Project) -> None:
    """`--port 0`: the system chooses the port; the base URLs printed for the writer to export name that port."""
    brand = fixture_project.brand(fixture_project.brand_ids()[0])
    with endpoint_command(tmp_path, "--brand", brand.id, "--api-key", KEY, cwd=fixture_project.root) as (url, log):
        printed = [line.split("base URL ")[1] for line in log.read_text().splitlines() if "base URL " in line]
        assert printed == [url + urlsplit(brand.base_url).path], log.read_text()
        assert not url.endswith(":0")
        assert raw(printed[0], {"model": brand.default_model, "messages": HI}, KEY).status_code == 200


def test_cli_refuses_a_busy_or_invalid_port_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([str(BIN / "branddocs"), "endpoint", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"branddocs endpoint: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert "base URL" not in done.stdout + done.stderr
    done = subprocess.run([str(BIN / "branddocs"), "endpoint", "--port", "70000"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "expected a port number from 1 to 65535 (0: any free port), not '70000'" in done.stderr
    assert "Traceback" not in done.stderr


# The vLLM dialect (the default): what a reader of a vLLM platform meets


def test_vllm_dialect_errors_and_ignored_fields() -> None:
    with running_endpoint(create_app([MODEL], [KEY])) as server:
        base = f"{server.url}/v1"
        wrong = raw(base, {"model": MODEL, "messages": HI}, "sk-wrong")
        assert (wrong.status_code, wrong.json()) == (401, {"error": "Unauthorized"})
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=base, api_key="sk-wrong", max_retries=0).models.list()
        ignored = raw(base, {"model": MODEL, "messages": HI, "maxTokens": 2})
        assert ignored.status_code == 200  # vLLM ignores an unknown field: the static check catches `maxTokens`
        body = ignored.json()
        assert body["choices"][0]["message"]["refusal"] is None
        assert "tool_calls" not in body["choices"][0]["message"]
        assert body["choices"][0]["stop_reason"] is None
        assert body["system_fingerprint"].startswith("vllm-")
        stopped = openai.OpenAI(base_url=base, api_key=KEY, max_retries=0).chat.completions.create(
            model=MODEL, messages=HI, stop=["nice"]
        )
        assert stopped.choices[0].model_extra["stop_reason"] == "nice"


# Hardening: hostile or careless clients get a 4xx and never hold the server


def test_hardening_405_allow_no_host_redirect_empty_model(base: str, server: EndpointServer) -> None:
    wrong_method = httpx.get(f"{base}/chat/completions")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    slash = httpx.get(f"{base}/models/", headers={"Host": "evil.example", "Authorization": f"Bearer {KEY}"})
    assert slash.status_code == 404
    assert "location" not in slash.headers
    empty = raw(base, {"model": "", "messages": HI})
    assert empty.status_code == 400
    assert "empty string" in empty.json()["error"]["message"]
    for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
        assert raw(base, {"model": MODEL, "messages": HI, name: 10**400}).status_code == 400, name


def test_a_half_sent_request_is_closed_at_the_header_deadline() -> None:
    with running_endpoint(create_app([MODEL], [KEY]), header_timeout=0.5) as server:
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        with socket.create_connection((host, port), timeout=10) as slow:
            slow.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")  # and never the rest
            assert slow.recv(1024) == b""  # closed by the server, long before the 10 s the test would wait
        with socket.create_connection((host, port), timeout=10) as whole:  # a whole request is not cut
            whole.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert whole.recv(1024).startswith(b"HTTP/1.1 200")


def order_of_completion(server: EndpointServer) -> list[str]:
    """Which finishes first: a 1 MiB, n=128 request, or a /health sent once the server is working on it."""
    text = " ".join(["word"] * (MAX_BODY_BYTES // 6))
    big = {"model": MODEL, "messages": [{"role": "user", "content": text}], "n": 128}
    work = server.config.app.state.work
    begun = sum(work.values())
    finished: list[str] = []

    async def go() -> None:
        async with httpx.AsyncClient(timeout=60) as client:

            async def heavy() -> None:
                response = await client.post(f"{server.url}/v1/chat/completions", json=big,
                                             headers={"Authorization": f"Bearer {KEY}"})  # fmt: skip
                assert response.status_code == 200
                assert len(response.json()["choices"]) == 128
                finished.append("big")

            async def light() -> None:
                # The counter moves as the big request's work begins (parsed or not, on whichever path):
                # from then on it would hold up /health, if it held the event loop.
                while sum(work.values()) == begun:
                    await asyncio.sleep(0.002)
                assert (await client.get(f"{server.url}/health")).status_code == 200
                finished.append("health")

            await asyncio.gather(heavy(), light())

    asyncio.run(go())
    return finished


def test_a_big_request_does_not_hold_the_event_loop(server: EndpointServer) -> None:
    """While a 1 MiB, n=128 request is being worked on, /health still answers first (order, not timing)."""
    assert order_of_completion(server) == ["health", "big"]


def test_a_big_request_worked_on_the_event_loop_holds_up_others() -> None:
    """The order test can fail: with the size limits raised, the same request runs on the loop and /health waits."""
    app = create_app(PATHS, [KEY], dialect="openai", inline_body_bytes=MAX_BODY_BYTES, inline_choices=128)
    with running_endpoint(app) as server:
        assert order_of_completion(server) == ["big", "health"]
    assert app.state.work == {"loop": 1, "thread": 0}


def test_small_requests_stay_on_the_event_loop_and_big_ones_go_to_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Which path each request took, from the app's counter and the thread hand-offs it made (no timing)."""
    handoffs: list[str] = []
    real = app_module.run_in_threadpool

    async def counted(func, *args):  # the real hand-off, recorded
        handoffs.append(getattr(func, "__name__", "?"))
        return await real(func, *args)

    monkeypatch.setattr(app_module, "run_in_threadpool", counted)
    app = create_app(PATHS, [KEY], dialect="openai")
    work = app.state.work
    padding = "x" * INLINE_BODY_BYTES  # the body goes over the limit by its other fields
    with TestClient(app) as client:

        def post(**fields: object) -> httpx.Response:
            body = {"model": MODEL, "messages": HI, **fields}
            response = client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
            assert response.status_code == 200, response.text
            return response

        post()
        post(stream=True)
        post(n=INLINE_CHOICES)  # at the limit: still on the loop
        post(messages=[{"role": "user", "content": "y" * (INLINE_BODY_BYTES - 200)}])
        assert work == {"loop": 4, "thread": 0}
        assert handoffs == []
        # Over a limit, each request makes one hand-off, whatever its size.
        over = post(n=INLINE_CHOICES + 1)
        post(n=INLINE_CHOICES + 1, stream=True)
        post(messages=[{"role": "user", "content": padding}])
        post(messages=[{"role": "user", "content": padding}], stream=True)
        assert work == {"loop": 4, "thread": 4}
        assert len(handoffs) == 4
        # A bad big request is refused the same from the thread: the error crosses back intact.
        bad = client.post("/v1/chat/completions", json={"model": "nope", "messages": HI, "user": padding},
                          headers={"Authorization": f"Bearer {KEY}"})  # fmt: skip
        assert bad.status_code == 404
        assert bad.json()["error"]["code"] == "model_not_found"
    # Both paths give the same answer: the same request on the loop, with the limit raised.
    inline = create_app(PATHS, [KEY], dialect="openai", inline_choices=128)
    with TestClient(inline) as client:
        body = {"model": MODEL, "messages": HI, "n": INLINE_CHOICES + 1}
        same = client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert inline.state.work == {"loop": 1, "thread": 0}
    assert same.json()["choices"] == over.json()["choices"]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests talk to loopback only; a proxy in the environment must not intercept them.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@contextmanager
def _one_keep_alive_connection(server: EndpointServer) -> Iterator[list[int]]:
    """A request on a connection left open (keep-alive), its reply read; TCP_NODELAY of the server's connections."""
    conn = socket.create_connection(("127.0.0.1", urlsplit(server.url).port))
    try:
        conn.sendall(b"GET /missing HTTP/1.1\r\nhost: x\r\n\r\n")
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += conn.recv(65536)
        sockets = [c.transport.get_extra_info("socket") for c in server.server_state.connections]
        yield [s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets]
    finally:
        conn.close()


def test_accepted_connections_send_without_waiting_for_acks() -> None:
    """Without TCP_NODELAY a keep-alive client waits up to 40 ms (its delayed ACK) for each reply's body."""
    app = create_app(["m"], ["sk-x"])
    with running_endpoint(app) as server, _one_keep_alive_connection(server) as nodelay:
        assert nodelay == [1]
    # The negative: uvicorn's own h11 protocol, on a socket made the same way, leaves it off.
    plain = EndpointServer(uvicorn.Config(app, http="h11", log_level="warning"))
    listener = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=plain.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not plain.started:
            time.sleep(0.01)
        with _one_keep_alive_connection(plain) as nodelay:
            assert nodelay == [0]
    finally:
        plain.should_exit = True
        thread.join(timeout=10)
        listener.close()
