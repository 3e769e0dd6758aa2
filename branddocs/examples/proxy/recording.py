"""A recording reverse proxy on loopback: every request an example makes is seen, forwarded and kept.

The proxy holds the real API key. An example gets a key made for its run (`run_key(token)`), worthless
anywhere else; the proxy swaps it for the real one on the way out. It forwards only under the run's base path:
the path is decoded (percent-encoded dots and slashes too) and its dot segments resolved first, and a path that
would climb out (`../admin`, `%2e%2e/`, `..%2f`) is refused with 403, never forwarded. An exchange is
recorded as soon as its response has been forwarded (a stream at `data: [DONE]`), before the client can see
its end, however the client then closes the connection.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import quote, unquote

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

__all__ = ["DEFAULT_TIMEOUT", "Exchange", "PathRefused", "RecordingProxy", "normalise_path"]

DEFAULT_TIMEOUT = 60.0
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}
_DONE = b"data: [DONE]"
_DECODE_ROUNDS = 4
"""A path still changing after this many rounds of percent-decoding is refused: no client encodes that deep."""
_SEGMENT_SAFE = "!$&'()*+,;=:@-._~"
"""Characters kept as they are when a decoded segment is encoded again (RFC 3986 pchar, less `%` and `/`)."""


class PathRefused(ValueError):
    """A request path the proxy will not forward; the message says why, for the example's writer."""


def normalise_path(raw: str) -> str:
    """`raw` (the path under a run's base path, as the client sent it), decoded and with its dot segments resolved.

    Percent-decoding is repeated until nothing changes (`%252e` is `%2e` is `.`), backslashes count as slashes
    (some servers treat them so), and the result is encoded again segment by segment, so no server further on
    can decode or resolve it into anything else. Raises PathRefused when the path climbs above the base path.
    """
    text = raw
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(text, errors="strict")
        if decoded == text:
            break
        text = decoded
    else:
        raise PathRefused(f"the path {raw[:200]!r} is percent-encoded more than {_DECODE_ROUNDS} times over")
    if re.search(r"[\x00-\x1f\x7f]", text):
        raise PathRefused(f"the path {raw[:200]!r} holds a control character")
    segments: list[str] = []
    for segment in text.replace("\\", "/").split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not segments:
                raise PathRefused(f"the path {raw[:200]!r} leads outside the base path (its '..' climbs above it)")
            segments.pop()
            continue
        segments.append(segment)
    trailing = "/" if text.endswith("/") and segments else ""
    return "/" + "/".join(quote(s, safe=_SEGMENT_SAFE) for s in segments) + trailing


@dataclass
class Exchange:
    method: str
    path: str
    """The path under the endpoint's base URL, e.g. `/chat/completions`."""
    request_body: bytes
    status: int
    """The endpoint's HTTP status; 0 when it never answered (then `body` says why)."""
    content_type: str
    body: bytes
    cut: str = ""
    """Why the body is incomplete (the endpoint went quiet, the connection broke); empty if it ended."""


class RecordingProxy:
    """`/_x/<token>/<path>` is forwarded to `<upstream>/<path>`; exchanges are kept per token."""

    def __init__(self, upstream: str, key: str = "", timeout: float = DEFAULT_TIMEOUT) -> None:
        self.upstream = upstream.rstrip("/")
        self.timeout = timeout
        self._key = key
        self._lock = threading.Lock()
        self._seen: dict[str, list[Exchange]] = defaultdict(list)
        self._open: dict[str, int] = defaultdict(int)
        self._prefix: dict[str, str] = {}
        self._client: httpx.AsyncClient | None = None
        routes = [Route("/_x/{token}/{path:path}", self._forward, methods=["GET", "POST", "DELETE"])]
        self.app = Starlette(routes=routes, lifespan=self._lifespan)

    def __repr__(self) -> str:  # never the key
        return f"RecordingProxy({self.upstream!r}, timeout={self.timeout})"

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        # The client lives in the server's event loop and closes with it: no socket outlives the proxy.
        # Reads wait as long as an example may run: the proxy never cuts a stream before the example's limit.
        timeout = httpx.Timeout(10.0, read=self.timeout + 5)
        self._client = httpx.AsyncClient(timeout=timeout, trust_env=False)
        try:
            yield
        finally:
            await self._client.aclose()

    def new_token(self, prefix: str = "") -> str:
        """A new run's token; its requests go to `<upstream><prefix>/<path>` (a tenant's own base path)."""
        token = secrets.token_hex(12)
        with self._lock:
            self._prefix[token] = prefix.rstrip("/")
        return token

    @staticmethod
    def run_key(token: str) -> str:
        """The API key an example sees for run `token`: accepted by this proxy only, for that run only."""
        return f"sk-branddocs-run-{token}"

    def exchanges(self, token: str, wait: float = 2.0) -> list[Exchange]:
        """The run's exchanges, after waiting up to `wait` s for any still being forwarded."""
        deadline = time.monotonic() + wait
        while self.in_flight(token) and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._lock:
            return list(self._seen.get(token, []))

    def in_flight(self, token: str) -> int:
        with self._lock:
            return self._open.get(token, 0)

    async def _forward(self, request: Request) -> Response:
        assert self._client is not None, "the proxy serves requests only between startup and shutdown"
        token = request.path_params["token"]
        with self._lock:
            prefix = self._prefix.get(token)
        if prefix is None:
            return Response("branddocs proxy: unknown run", 404)
        body = await request.body()
        # The path as sent (uvicorn's `path` is already decoded once): everything after /_x/<token>.
        parts = request.scope.get("raw_path", b"").decode("latin-1").split("/", 3)
        sent = "/" + (parts[3] if len(parts) > 3 else "")
        try:
            path = normalise_path(sent)
        except (PathRefused, UnicodeDecodeError) as exc:
            why = f"branddocs proxy: not forwarded: {exc if isinstance(exc, PathRefused) else 'the path is not UTF-8'}"
            with self._lock:  # recorded, so the example's failure says why its request got nowhere
                self._seen[token].append(Exchange(request.method, sent[:200], body, 403, "text/plain", why.encode()))
            return Response(why, 403)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        if self._key and headers.get("authorization") == f"Bearer {self.run_key(token)}":
            headers["authorization"] = f"Bearer {self._key}"
        upstream = self._client.build_request(
            request.method, self.upstream + prefix + path, params=request.query_params, headers=headers, content=body
        )
        with self._lock:
            self._open[token] += 1
        recorded = False

        def record(exchange: Exchange) -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                with self._lock:
                    self._seen[token].append(exchange)
                    self._open[token] -= 1

        try:
            response = await self._client.send(upstream, stream=True)
        except httpx.TimeoutException:
            why = f"timed out after {self.timeout:g} s waiting for the endpoint to answer"
            record(Exchange(request.method, path, body, 0, "text/plain", why.encode()))
            return Response(f"branddocs proxy: {why}", 504)
        except httpx.HTTPError as exc:
            why = f"the endpoint did not answer: {type(exc).__name__}: {exc}"
            record(Exchange(request.method, path, body, 0, "text/plain", why.encode()))
            return Response(f"branddocs proxy: {why}", 502)
        except BaseException:
            record(Exchange(request.method, path, body, 0, "text/plain", b"the request was abandoned"))
            raise
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP}
        out_headers.pop("content-encoding", None)
        content_type = response.headers.get("content-type", "")

        def exchange(kept: bytearray, cut: str = "") -> Exchange:
            return Exchange(request.method, path, body, response.status_code, content_type, bytes(kept), cut)

        async def relay() -> AsyncIterator[bytes]:
            kept, cut = bytearray(), "the client closed the connection before the body ended"
            try:
                async for piece in response.aiter_bytes():
                    kept += piece
                    if _DONE in kept[-len(piece) - len(_DONE) :]:
                        record(exchange(kept))  # before the client sees [DONE]: it may hang up right after
                    yield piece
                cut = ""
                record(exchange(kept))  # before the body's end reaches the client
            except httpx.ReadTimeout:
                cut = f"the endpoint sent nothing for {self.timeout + 5:g} s; the body was cut there"
            except httpx.HTTPError as exc:
                cut = f"the connection broke mid-body: {type(exc).__name__}"
            finally:
                record(exchange(kept, cut))  # synchronous, before any await a cancellation could cut short
                await asyncio.shield(response.aclose())

        return StreamingResponse(relay(), status_code=response.status_code, headers=out_headers)
