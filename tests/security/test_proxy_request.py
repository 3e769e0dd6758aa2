"""What the recording proxy forwards is rebuilt from allowed parts, and what it holds is bounded.

The allow-list judges a request's method and path (test_proxy_forwarding.py); the platform acts on the whole
request. An example (hostile code) sends an allowed `POST /chat/completions` carrying method overrides
(`X-HTTP-Method-Override: DELETE`), path rewrites (`X-Original-URL`), another organisation and project
(`OpenAI-Organization`, `OpenAI-Project`), `Forwarded` and `Cookie`; an allowed `GET /models` with `?_method=DELETE`;
and a `GET /models` with a body holding a raw request (a smuggling primitive for a hop that reads no GET body). What
reaches the platform (a loopback server recording it) is the method, path, the SDKs' own headers and the real key:
none of the hostile parts. The negative: the same requests through a forwarder that passes the example's request
less the hop-by-hop headers (what the proxy did before) reach the platform with every hostile part.

Bodies (the proxy process, as `branddocs check` starts it): a request declaring a 1 GiB body is answered before
its body is sent (403 on a refused path, 413 on an allowed one), and a chunked upload of 512 MiB to an allowed
path is cut at BODY_LIMIT with 413 while the proxy's resident memory stays within 64 MiB of where it started. The
negative: the same proxy process from a scratch copy of branddocs whose BODY_LIMIT is 1 TiB reads the whole
upload, its memory growing by hundreds of MiB.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.proxy.allowed import FORWARDED_HEADERS, Allowed
from branddocs.examples.proxy.process import ProxyClient, start
from branddocs.examples.proxy.recording import BODY_KEPT, BODY_LIMIT, RecordingProxy

from ..support.platform import REAL_KEY
from ..support.project import ROOT

HOSTILE_HEADERS = {
    "X-HTTP-Method-Override": "DELETE", "X-HTTP-Method": "DELETE", "X-Method-Override": "DELETE",
    "X-Original-URL": "/v1/organization/api_keys", "X-Rewrite-URL": "/v1/files",
    "OpenAI-Organization": "org-victim", "OpenAI-Project": "proj-victim", "X-Forwarded-Host": "evil.example",
    "Forwarded": "host=evil.example", "Cookie": "session=victim", "Accept-Encoding": "identity;q=0, x-evil",
}  # fmt: skip
SDK_HEADERS = {"User-Agent": "OpenAI/Python 1.0", "X-Stainless-Lang": "python", "Accept": "application/json",
               "Content-Type": "application/json"}  # fmt: skip
SMUGGLED = b"DELETE /v1/models/ft-victim HTTP/1.1\r\nHost: platform.example\r\nContent-Length: 0\r\n\r\n"


def _naive(upstream: str) -> Starlette:
    """The negative: forwarding the example's request less hop-by-hop headers, query and body as sent."""
    hop = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in hop}
        headers["authorization"] = f"Bearer {REAL_KEY}"
        async with httpx.AsyncClient() as client:
            url, body = upstream + "/" + request.path_params["path"], await request.body()
            sent = await client.request(request.method, url, params=request.query_params, headers=headers, content=body)
        return Response(sent.content, sent.status_code)

    return Starlette(routes=[Route("/_x/{token}/{path:path}", forward, methods=["GET", "POST"])])


def _attacks(url: str, token: str, key: str) -> list[httpx.Response]:
    auth = {"Authorization": f"Bearer {key}"}
    base = f"{url}/_x/{token}"
    with httpx.Client(timeout=10) as client:
        return [
            client.post(f"{base}/chat/completions", headers={**auth, **SDK_HEADERS, **HOSTILE_HEADERS},
                        content=b'{"model": "m", "messages": []}'),
            client.get(f"{base}/models?_method=DELETE&url=%2Fv1%2Ffiles", headers=auth),
            client.request("GET", f"{base}/models", headers=auth, content=SMUGGLED),
        ]  # fmt: skip


def test_the_platform_sees_only_the_allowed_parts_of_a_request(platform) -> None:
    found, server = platform
    proxy = RecordingProxy(f"{server.url}/v1", REAL_KEY, timeout=10)
    before = len(found.seen)
    with running_endpoint(proxy.app) as front:
        token = proxy.new_token()
        post, query, smuggle = _attacks(front.url, token, proxy.run_key(token))
    assert post.status_code == 200, post.text
    for refused, why in ((query, "takes no query string"), (smuggle, "a GET request carries no body")):
        assert refused.status_code == 403, refused.text
        assert len(refused.text.strip().splitlines()) == 1, refused.text
        assert why in refused.text, refused.text
    (seen,) = found.seen[before:]
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", "/v1/chat/completions", "")
    assert seen["headers"]["authorization"] == f"Bearer {REAL_KEY}"
    for name, value in SDK_HEADERS.items():
        assert seen["headers"][name.lower()] == value, name
    for name in HOSTILE_HEADERS:
        assert name.lower() not in seen["headers"] or name == "Accept-Encoding", (name, seen["headers"])
    assert "x-evil" not in seen["headers"].get("accept-encoding", "")
    assert set(seen["headers"]) - FORWARDED_HEADERS <= {"authorization", "host", "content-length", "accept-encoding",
                                                         "connection"}  # fmt: skip


def test_the_negative_a_forwarder_of_the_request_as_sent_passes_every_hostile_part(platform) -> None:
    found, server = platform
    before = len(found.seen)
    with running_endpoint(_naive(f"{server.url}/v1")) as front:
        answers = _attacks(front.url, "t", "run-key")
    assert [a.status_code for a in answers] == [200, 200, 200]
    post, query, smuggle = found.seen[before:]
    for name, value in HOSTILE_HEADERS.items():
        assert post["headers"][name.lower()] == value, name
    assert "_method=DELETE" in query["query"]
    assert (smuggle["method"], smuggle["body"]) == ("GET", SMUGGLED)


def test_a_runs_record_keeps_a_bounded_prefix_of_each_body(platform) -> None:
    """A 4 MiB response goes to the example whole; the record keeps BODY_KEPT bytes of it, and says so."""
    _, server = platform
    proxy = RecordingProxy(f"{server.url}/v1", REAL_KEY, timeout=10, allowed=_allowed_big())
    with running_endpoint(proxy.app) as front:
        token = proxy.new_token()
        got = httpx.get(f"{front.url}/_x/{token}/big", headers={"Authorization": f"Bearer {proxy.run_key(token)}"})
        (kept,) = proxy.exchanges(token, close=True)
    assert len(got.content) == 4 << 20
    assert len(kept.body) == BODY_KEPT
    assert "keeps the first" in kept.cut


def _allowed_big() -> Allowed:
    return Allowed(["GET /big"])


# The proxy process, as `branddocs check` starts it.


@contextlib.contextmanager
def _proxy_process(upstream: str, env: dict[str, str]) -> Iterator[tuple[int, dict, str]]:
    settings = {"upstream": upstream, "key": REAL_KEY, "timeout": 10, "root": str(ROOT), "brands": None,
                "sandbox": False, "requests": [], "models": {"acme": ["m"]}, "max_tokens": 16}  # fmt: skip
    process, info = start(settings, {"PATH": "/usr/bin:/bin", **env})
    client = ProxyClient(info, 10)
    try:
        yield process.pid, info, client.new_token("", "acme")
    finally:
        client.close()
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=15)


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) << 10 for line in status if line.startswith("VmRSS:"))


def _raw(url: str, request: bytes) -> bytes:
    """Send `request` (headers and the start of a body) on a socket; what the proxy answers within 10 s."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < 20:
            piece = sock.recv(4096)
            if not piece:
                break
            answer += piece
        return answer


def _upload(url: str, token: str, total: int, pid: int) -> tuple[int, int]:
    """A chunked POST of `total` bytes to an allowed path; (its status, the proxy's peak RSS while it ran)."""
    chunk = b"\0" * (1 << 20)
    with _peak_rss(pid) as peak:
        try:
            auth = {"Authorization": f"Bearer {RecordingProxy.run_key(token)}"}
            answer = httpx.post(f"{url}/_x/{token}/chat/completions", content=iter([chunk] * (total >> 20)),
                                headers=auth, timeout=120)  # fmt: skip
            status = answer.status_code
        except httpx.HTTPError:
            status = 0  # the proxy answered 413 and closed while the body was still being sent
    return status, peak[0]


@contextlib.contextmanager
def _peak_rss(pid: int) -> Iterator[list[int]]:
    """Process `pid`'s peak RSS while the block runs, sampled every 20 ms: `[peak]`, final once the block ends."""
    peak, done = [_rss(pid)], threading.Event()

    def sample() -> None:
        while not done.is_set():
            with contextlib.suppress(OSError, StopIteration):
                peak[0] = max(peak[0], _rss(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        yield peak
    finally:
        done.set()
        sampler.join()


def test_a_request_is_judged_before_its_body_is_read(platform) -> None:
    _, server = platform
    with _proxy_process(f"{server.url}/v1", {}) as (_, info, token):
        head = f"Host: x\r\nAuthorization: Bearer {RecordingProxy.run_key(token)}\r\nContent-Length: {1 << 30}\r\n\r\n"
        refused = _raw(info["url"], f"POST /_x/{token}/files HTTP/1.1\r\n{head}".encode() + b"x" * 1024)
        too_big = _raw(info["url"], f"POST /_x/{token}/chat/completions HTTP/1.1\r\n{head}".encode() + b"x" * 1024)
    assert refused.startswith(b"HTTP/1.1 403"), refused
    assert too_big.startswith(b"HTTP/1.1 413"), too_big
    assert f"over {BODY_LIMIT} bytes".encode() in too_big


@pytest.mark.slow
def test_an_upload_past_the_limit_is_cut_and_the_proxy_stays_small(platform, tmp_path, monkeypatch) -> None:
    found, server = platform
    before = len(found.seen)
    with _proxy_process(f"{server.url}/v1", {}) as (pid, info, token):
        start_rss = _rss(pid)
        status, peak = _upload(info["url"], token, 512 << 20, pid)
    assert status in (413, 0), status
    assert peak - start_rss < 64 << 20, (start_rss >> 20, peak >> 20)
    assert found.seen[before:] == []
    # The negative: the same proxy with no limit on bodies holds the whole upload, then forwards it.
    scratch = tmp_path / "scratch"
    shutil.copytree(ROOT / "branddocs", scratch / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    recording = scratch / "branddocs" / "examples" / "proxy" / "recording.py"
    text = recording.read_text(encoding="utf-8")
    assert "BODY_LIMIT = 4 << 20" in text
    recording.write_text(text.replace("BODY_LIMIT = 4 << 20", "BODY_LIMIT = 1 << 40"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # `python -m` puts the working folder first, before PYTHONPATH
    with _proxy_process(f"{server.url}/v1", {"PYTHONPATH": str(scratch)}) as (pid, info, token):
        start_rss = _rss(pid)
        status, peak = _upload(info["url"], token, 512 << 20, pid)
    assert peak - start_rss > 256 << 20, (start_rss >> 20, peak >> 20, status)


def _many_uploads(url: str, token: str, count: int, pid: int) -> tuple[list[bytes], int]:
    """`count` uploads of BODY_LIMIT bytes each to an allowed path at once, their bodies sent slowly so that they
    are all being read together; (each answer's status line, the proxy's peak RSS while they ran)."""
    host, port = url.removeprefix("http://").split(":")
    auth = f"Authorization: Bearer {RecordingProxy.run_key(token)}"
    head = (f"POST /_x/{token}/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"{auth}\r\nContent-Length: {BODY_LIMIT}\r\n\r\n")  # fmt: skip
    answers: list[bytes] = []

    def upload() -> None:
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            try:
                sock.sendall(head.encode())
                for _ in range(BODY_LIMIT >> 20):
                    sock.sendall(b" " * (1 << 20))
                    time.sleep(0.5)
                answers.append(sock.recv(4096).split(b"\r\n", 1)[0])
            except OSError:
                answers.append(b"closed")

    with _peak_rss(pid) as peak:
        uploads = [threading.Thread(target=upload) for _ in range(count)]
        for thread in uploads:
            thread.start()
        for thread in uploads:
            thread.join()
    return answers, peak[0]


@pytest.mark.slow
def test_many_large_requests_at_once_leave_the_proxy_bounded(platform, tmp_path, monkeypatch) -> None:
    """48 requests of BODY_LIMIT bytes at once from one run: RUN_CONCURRENT are read (the rest answered 429 before
    any of their body is), so the proxy's memory grows by what RUN_CONCURRENT bodies take, not 48. The negative: a
    proxy allowing 64 requests at once reads all 48, its memory growing by twice as much and more."""
    _, server = platform
    with _proxy_process(f"{server.url}/v1", {}) as (pid, info, token):
        start_rss = _rss(pid)
        answers, peak = _many_uploads(info["url"], token, 48, pid)
    assert sum(a.startswith(b"HTTP/1.1 429") for a in answers) >= 48 - 16, answers
    bounded = peak - start_rss
    assert bounded < 160 << 20, (start_rss >> 20, peak >> 20)
    scratch = tmp_path / "scratch"
    shutil.copytree(ROOT / "branddocs", scratch / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    recording = scratch / "branddocs" / "examples" / "proxy" / "recording.py"
    text = recording.read_text(encoding="utf-8")
    assert "RUN_REQUESTS, RUN_CONCURRENT = 1000, 16" in text
    wider = text.replace("RUN_REQUESTS, RUN_CONCURRENT = 1000, 16", "RUN_REQUESTS, RUN_CONCURRENT = 1000, 64")
    recording.write_text(wider, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # `python -m` puts the working folder first, before PYTHONPATH
    with _proxy_process(f"{server.url}/v1", {"PYTHONPATH": str(scratch)}) as (pid, info, token):
        start_rss = _rss(pid)
        answers, peak = _many_uploads(info["url"], token, 48, pid)
    assert not any(a.startswith(b"HTTP/1.1 429") for a in answers), answers
    assert peak - start_rss > 2 * bounded, (start_rss >> 20, peak >> 20, bounded >> 20)
