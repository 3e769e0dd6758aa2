"""The recording proxy: it records an exchange as soon as it is forwarded, and only it holds the real key."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from collections.abc import AsyncIterator, Iterator
from urllib.parse import unquote

import httpx
import openai
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from branddocs.endpoint.server import EndpointServer, running_endpoint
from branddocs.examples.proxy.recording import RecordingProxy
from branddocs.examples.run.process import Target

REAL_KEY = "sk-the-real-key-only-the-proxy-holds"
LINGER = 3.0  # seconds the upstream keeps the body open after `data: [DONE]`


def _chunk(delta: dict, finish: str | None = None) -> bytes:
    body = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
    return f"data: {json.dumps(body)}\n\n".encode()


def _upstream() -> Starlette:
    async def chat(request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {REAL_KEY}":
            return JSONResponse({"error": "Unauthorized"}, 401)

        async def events() -> AsyncIterator[bytes]:
            yield _chunk({"role": "assistant", "content": ""})
            yield _chunk({"content": "Hi"}, "stop")
            yield b"data: [DONE]\n\n"
            await asyncio.sleep(LINGER)  # a server that is slow to close: the client has long gone

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


@pytest.fixture(scope="module")
def proxied() -> Iterator[tuple[RecordingProxy, EndpointServer]]:
    with running_endpoint(_upstream()) as upstream:
        proxy = RecordingProxy(f"{upstream.url}/v1", REAL_KEY, timeout=10)
        with running_endpoint(proxy.app) as server:
            yield proxy, server


@pytest.mark.parametrize("attempt", range(5))
def test_a_stream_is_recorded_at_done_however_the_client_closes(
    proxied: tuple[RecordingProxy, EndpointServer], attempt: int
) -> None:
    proxy, server = proxied
    token = proxy.new_token()
    client = openai.OpenAI(base_url=f"{server.url}/_x/{token}", api_key=proxy.run_key(token), max_retries=0)
    started = time.monotonic()
    text = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True))  # fmt: skip
    client.close()  # the SDK has stopped at [DONE]; the upstream still holds the body open
    assert text == "Hi"
    seen = proxy.exchanges(token, wait=0)  # no grace at all: it must already be there
    assert time.monotonic() - started < LINGER, "the client waited for the upstream to close"
    assert len(seen) == 1, f"attempt {attempt}: the exchange was not recorded at [DONE]"
    assert seen[0].status == 200
    assert seen[0].body.rstrip().endswith(b"data: [DONE]")
    assert seen[0].cut == ""


def test_the_proxy_swaps_the_run_key_for_the_real_one(proxied: tuple[RecordingProxy, EndpointServer]) -> None:
    proxy, server = proxied
    token = proxy.new_token()
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    url = f"{server.url}/_x/{token}/chat/completions"
    with httpx.stream("POST", url, json=body, headers={"Authorization": f"Bearer {proxy.run_key(token)}"}) as ok:
        assert ok.status_code == 200
    other = proxy.new_token()  # another run's key is worth nothing for this run
    refused = httpx.post(url, json=body, headers={"Authorization": f"Bearer {proxy.run_key(other)}"})
    assert refused.status_code == 401
    assert httpx.post(f"{server.url}/_x/not-a-run/chat/completions", json=body).status_code == 404


def test_no_key_in_any_repr(proxied: tuple[RecordingProxy, EndpointServer]) -> None:
    proxy, server = proxied
    target = Target(proxy, server.url, exact=False)
    assert REAL_KEY not in repr(target)
    assert REAL_KEY not in repr(proxy)
    assert REAL_KEY not in str(vars(target))


# The proxy forwards only under the run's base path, whatever the path's spelling.

PREFIX = "/brands/acme/api/v1/ai"


def _recording_upstream(seen: list[tuple[str, str]]) -> Starlette:
    """An upstream that answers every path and notes which path reached it with which key."""

    async def anything(request: Request) -> Response:
        seen.append((request.scope["raw_path"].decode(), request.headers.get("authorization", "")))
        return JSONResponse({"object": "list", "data": []})

    return Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def guarded() -> Iterator[tuple[RecordingProxy, EndpointServer, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []
    with running_endpoint(_recording_upstream(seen)) as upstream:
        proxy = RecordingProxy(upstream.url, REAL_KEY, timeout=10, prefixes=frozenset({PREFIX}))
        with running_endpoint(proxy.app) as server:
            yield proxy, server, seen


def _raw_get(server: EndpointServer, path: str, key: str) -> tuple[int, str]:
    """GET with the path exactly as written: http.client, unlike curl, httpx and the SDKs, never normalises it."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


ESCAPES = {
    "dot segments": "/../../admin",
    "encoded dots": "/%2e%2e/%2e%2e/admin",
    "encoded slashes": "/..%2f..%2fadmin",
    "upper-case encoding": "/%2E%2E%2F%2E%2E%2Fadmin",
    "double encoding": "/%252e%252e/%252e%252e/admin",
    "backslashes": "/..%5c..%5cadmin",
    "into another tenant": "/../../../../nebula/api/v1/ai/models",
    "down then further up": "/chat/../../../../admin",
}


@pytest.mark.parametrize("path", ESCAPES.values(), ids=ESCAPES.keys())
def test_a_path_out_of_the_base_path_is_refused_and_never_forwarded(guarded, path: str) -> None:
    proxy, server, seen = guarded
    token = proxy.new_token(PREFIX)
    before = len(seen)
    status, body = _raw_get(server, f"/_x/{token}{path}", proxy.run_key(token))
    assert status == 403, body
    assert "not forwarded" in body
    assert "outside the base path" in body or "encoded more than" in body
    assert seen[before:] == [], "the request reached the upstream"
    recorded = proxy.exchanges(token, wait=0)
    assert [(x.status, x.path) for x in recorded] == [(403, path)]  # the example's failure says why


def test_a_path_that_stays_under_the_base_path_is_forwarded_normalised(guarded) -> None:
    """The negative: the guard refuses only what leaves; a path that stays inside reaches the upstream, resolved."""
    proxy, server, seen = guarded
    token = proxy.new_token(PREFIX)
    before = len(seen)
    for path in ("/models", "/chat/../models", "/%6dodels", "/./chat/%2e/../models"):
        status, body = _raw_get(server, f"/_x/{token}{path}", proxy.run_key(token))
        assert status == 200, (path, body)
    assert seen[before:] == [(f"{PREFIX}/models", f"Bearer {REAL_KEY}")] * 4


def test_without_the_guard_the_upstream_url_would_leave_the_base_path() -> None:
    """What the guard stops is real: httpx resolves `upstream + prefix + path` into another tenant's path."""
    built = httpx.Request("GET", "http://127.0.0.1:9" + PREFIX + "/../../../../nebula/api/v1/ai/models")
    assert built.url.path == "/brands/nebula/api/v1/ai/models"
    encoded = httpx.Request("GET", "http://127.0.0.1:9" + PREFIX + "/" + unquote("..%2f..%2fadmin"))
    assert encoded.url.path == "/brands/acme/api/admin"


def test_the_checks_plain_http_clients_load_no_certificate_authorities(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest's clients of the proxy (ProxyClient; the wire claims' probes) speak plain HTTP to it alone: they load
    no certificate authorities (certifi's, 50 ms of CPU a client), and any TLS they were led to fails, for they trust
    none. The negative: httpx's default transport loads them."""
    import ssl

    from branddocs.examples.proxy.process import ProxyClient, plain_http

    loaded: list[object] = []
    real = ssl.SSLContext.load_verify_locations
    monkeypatch.setattr(
        ssl.SSLContext, "load_verify_locations", lambda self, *a, **k: loaded.append(a) or real(self, *a, **k)
    )
    ProxyClient({"control_socket": "/nonexistent/control", "token": "t"}, 5).close()
    assert loaded == []
    context = plain_http()
    assert (context.verify_mode, context.check_hostname, context.get_ca_certs()) == (ssl.CERT_REQUIRED, True, [])
    httpx.HTTPTransport(uds="/nonexistent/control").close()  # the negative
    assert len(loaded) == 1
