"""A recording reverse proxy on loopback: every request an example makes is seen, forwarded and kept.

The proxy holds the real API key. An example gets a key made for its run (`run_key(token)`), worthless
anywhere else; the proxy swaps it for the real one on the way out. It forwards only under the run's base path:
the path is decoded (percent-encoded dots and slashes too) and its dot segments resolved first, and a path that
would climb out (`../admin`, `%2e%2e/`, `..%2f`) is refused with 403, never forwarded; so is any method and path
the guide's examples do not use (allowed.py: the key opens the tenant's whole account), and the request forwarded is
rebuilt from allowed parts alone: the listed headers, no query string, a body only where the method has one, and
sent with the real key only if it asks for what the run's brand's examples may (body.py: its models, one reply,
a bounded `max_tokens`).
The proxy is a resource to bound like a unit: a request is judged on its request line and headers before its
body is read, a body over BODY_LIMIT is answered 413, a run's record keeps a bounded prefix of each body
(BODY_KEPT, RECORD_LIMIT in all) and a run makes at most RUN_REQUESTS, RUN_CONCURRENT at once. A run's key stops working
once its example is over (`exchanges(close=True)`). An exchange is
recorded as soon as its response has been forwarded (a stream at `data: [DONE]`), before the client can see
its end, however the client then closes the connection.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import ssl
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

from branddocs.examples.proxy.allowed import BODILESS, Allowed, forwarded_headers
from branddocs.examples.proxy.body import Bodies
from branddocs.examples.proxy.budget import Budget
from branddocs.examples.proxy.launch import DEFAULT_TIMEOUT  # re-exported: the checks' default limit

__all__ = ["BODY_KEPT", "BODY_LIMIT", "DEFAULT_TIMEOUT", "Allowed", "Exchange", "PathRefused", "RecordingProxy",
           "normalise_path", "tls_context"]  # fmt: skip

BODY_LIMIT = 4 << 20
"""Bytes of a request body the proxy reads: over it, 413 (a Content-Length over it: before any of it is read)."""
BODY_KEPT = 256 << 10
"""Bytes of each body (request and response) kept in a run's record; the response goes to the client whole."""
RECORD_LIMIT = 16 << 20
"""Bytes of bodies one run's record holds in all; further exchanges are kept without their bodies."""
RUN_REQUESTS, RUN_CONCURRENT = 1000, 16
"""Requests one run may make (its record's length), and have in flight at once; more are answered 429."""
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


def tls_context() -> ssl.SSLContext:
    """What httpx.AsyncClient(trust_env=False) checks an upstream's certificate with (certifi's authorities): a
    tenth of a second to load, which the proxy's process spends while it waits for its settings."""
    import httpcore  # noqa: F401 - what the client's transport imports on its first creation: here, ahead too

    return httpx.create_ssl_context(verify=True, trust_env=False)


class RecordingProxy:
    """`/_x/<token>/<path>` is forwarded to `<upstream><prefix>/<path>` when `allowed` lists it; exchanges are kept
    per token."""

    def __init__(
        self, upstream: str, key: str = "", timeout: float = DEFAULT_TIMEOUT, allowed: Allowed | None = None,
        prefixes: frozenset[str] = frozenset({""}), bodies: Bodies | None = None, tls: ssl.SSLContext | None = None,
        budget: Budget | None = None) -> None:  # fmt: skip
        self.upstream = upstream.rstrip("/")
        self._tls = tls
        """How the upstream's certificate is checked: `tls_context()`'s, made ahead (None: made at the start)."""
        self.timeout = timeout
        self.allowed = allowed or Allowed()
        """The requests forwarded (allowed.py); anything else is answered 403."""
        self.prefixes = prefixes
        """The paths under the upstream a run may be given (a tenant's own base path on the reference endpoint)."""
        self.bodies = bodies
        """What a body sent with the real key may ask for (body.py), per run's brand; None: no rule (tests only)."""
        self._key = key
        self.budget = budget or Budget()  # what the whole check may spend (budget.py)
        self._lock = threading.Lock()
        self._seen: dict[str, list[Exchange]] = defaultdict(list)
        self._open: dict[str, int] = defaultdict(int)
        self._reading: dict[str, int] = defaultdict(int)
        self._kept: dict[str, int] = defaultdict(int)
        self._prefix: dict[str, str] = {}
        self._brand: dict[str, str] = {}
        self._client: httpx.AsyncClient | None = None
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]  # each refused unless allowed lists it
        routes = [Route("/_x/{token}/{path:path}", self._forward, methods=methods)]
        self.app = Starlette(routes=routes, lifespan=self._lifespan)

    def __repr__(self) -> str:  # never the key
        return f"RecordingProxy({self.upstream!r}, timeout={self.timeout})"

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        # The client lives in the server's event loop and closes with it: no socket outlives the proxy.
        # Reads wait as long as an example may run: the proxy never cuts a stream before the example's limit.
        timeout = httpx.Timeout(10.0, read=self.timeout + 5)
        self._client = httpx.AsyncClient(timeout=timeout, trust_env=False, verify=self._tls or tls_context())
        try:
            yield
        finally:
            await self._client.aclose()

    def new_token(self, prefix: str = "", brand: str = "") -> str:
        """A new run's token; its requests go to `<upstream><prefix>/<path>` (a tenant's own base path, one of
        `prefixes`: the checks' process, which asks, cannot point a run anywhere else), and their bodies ask for
        what `brand`'s may (one of the checked brands)."""
        prefix = prefix.rstrip("/")
        if prefix not in self.prefixes:
            raise PathRefused(f"no run under {prefix[:200]!r}: expected one of {sorted(self.prefixes)[:10]}")
        if self.bodies is not None and brand not in self.bodies.models:
            raise PathRefused(f"no run for brand {brand[:40]!r}: expected one of {sorted(self.bodies.models)[:10]}")
        if spent := self.budget.new_run():
            raise PathRefused(spent)
        token = secrets.token_hex(12)
        with self._lock:
            self._prefix[token] = prefix
            self._brand[token] = brand
        return token

    @staticmethod
    def run_key(token: str) -> str:
        """The API key an example sees for run `token`: accepted by this proxy only, for that run only."""
        return f"sk-branddocs-run-{token}"

    def exchanges(self, token: str, wait: float = 2.0, close: bool = False) -> list[Exchange]:
        """The run's exchanges, after waiting up to `wait` s for any still being forwarded; `close`: the run is
        over, and its key stops working (a request with it is an unknown run's)."""
        deadline = time.monotonic() + wait
        while self.in_flight(token) and time.monotonic() < deadline:
            time.sleep(0.01)
        with self._lock:
            if close:
                self._prefix.pop(token, None)
                self._brand.pop(token, None)
                self._open.pop(token, None)
                self._kept.pop(token, None)
                self._reading.pop(token, None)
                return self._seen.pop(token, [])
            return list(self._seen.get(token, []))

    def in_flight(self, token: str) -> int:
        with self._lock:
            return self._open.get(token, 0)

    def _refused(self, token: str, method: str, path: str, why: str, status: int = 403) -> Response:
        """`status` with one line saying why; recorded (without the body, never read), so the example's failure says
        why its request got nowhere."""
        self._record(token, Exchange(method[:20], path[:200], b"", status, "text/plain", why.encode()))
        return Response(why, status)

    def _record(self, token: str, exchange: Exchange, done: bool = False) -> None:
        """Keep `exchange` for run `token`, each body cut to what the run's record may still hold (RECORD_LIMIT)."""
        with self._lock:
            room = max(0, RECORD_LIMIT - self._kept[token])
            for name in ("request_body", "body"):
                data = getattr(exchange, name)
                keep = min(len(data), BODY_KEPT, room)
                if keep < len(data):
                    setattr(exchange, name, data[:keep])
                    if name == "body" and not exchange.cut:
                        exchange.cut = f"the record keeps the first {keep} bytes of the body, of {len(data)}"
                room -= keep
            self._kept[token] = RECORD_LIMIT - room
            self._seen[token].append(exchange)
            if done:
                self._open[token] -= 1

    async def _body(self, request: Request) -> bytes | str:
        """The request's body, or (a string) why it is not read: over BODY_LIMIT, or sent where none belongs."""
        length, chunked = request.headers.get("content-length"), "transfer-encoding" in request.headers
        if request.method in BODILESS and (chunked or (length or "0") != "0"):
            return f"branddocs proxy: not forwarded: a {request.method} request carries no body"
        if length is not None and (not length.isdigit() or int(length) > BODY_LIMIT):
            return f"branddocs proxy: not forwarded: the body is over {BODY_LIMIT} bytes (Content-Length {length[:20]})"
        body = bytearray()
        async for piece in request.stream():
            body += piece
            if len(body) > BODY_LIMIT:
                return f"branddocs proxy: not forwarded: the body is over {BODY_LIMIT} bytes"
        return bytes(body)

    async def _forward(self, request: Request) -> Response:
        assert self._client is not None, "the proxy serves requests only between startup and shutdown"
        token = request.path_params["token"]
        with self._lock:
            prefix, brand = self._prefix.get(token), self._brand.get(token, "")
            # .get: a request for an unknown run (any token an example makes up) leaves no entry behind
            busy = self._open.get(token, 0) + self._reading.get(token, 0)
            made = len(self._seen.get(token, ()))
        if prefix is None:
            return Response("branddocs proxy: unknown run", 404)
        if busy >= RUN_CONCURRENT or made >= RUN_REQUESTS:
            what = f"{RUN_CONCURRENT} requests at once" if busy >= RUN_CONCURRENT else f"{RUN_REQUESTS} requests"
            return Response(f"branddocs proxy: not forwarded: a run makes at most {what}", 429)
        # Method, path and query first, from the request line: nothing refused has its body read.
        # The path as sent (uvicorn's `path` is already decoded once): everything after /_x/<token>.
        parts = request.scope.get("raw_path", b"").decode("latin-1").split("/", 3)
        sent = "/" + (parts[3] if len(parts) > 3 else "")
        try:
            path = normalise_path(sent)
        except (PathRefused, UnicodeDecodeError) as exc:
            why = f"branddocs proxy: not forwarded: {exc if isinstance(exc, PathRefused) else 'the path is not UTF-8'}"
            return self._refused(token, request.method, sent, why)
        if not self.allowed.permits(request.method, path):
            return self._refused(token, request.method, path, self.allowed.refusal(request.method, path))
        if request.scope.get("query_string"):
            why = f"branddocs proxy: not forwarded: {request.method} {path} takes no query string"
            return self._refused(token, request.method, path, why)
        with self._lock:
            self._reading[token] += 1
        try:
            body = await self._body(request)
        finally:
            with self._lock:
                self._reading[token] -= 1
        if isinstance(body, str):
            return self._refused(token, request.method, path, body, 413 if "over" in body else 403)
        headers = forwarded_headers(request.headers.items())
        sent_key = request.headers.get("authorization")
        if sent_key is not None:  # the run's key becomes the real one; any other (a wrong key) goes as it is
            real = self._key and sent_key == f"Bearer {self.run_key(token)}"
            headers["authorization"] = f"Bearer {self._key}" if real else sent_key
            why = self.bodies.refusal(brand, request.method, path, body) if real and self.bodies else None
            if why:
                return self._refused(token, request.method, path, why)
            if real and self.bodies and body:
                headers["content-type"] = "application/json"  # as the rule read it
        if spent := self.budget.request():
            return Response(spent, 429)
        upstream = self._client.build_request(
            request.method, self.upstream + prefix + path, headers=headers, content=body or None
        )
        with self._lock:
            self._open[token] += 1
        recorded = False

        def record(exchange: Exchange) -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self._record(token, exchange, done=True)

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

        def exchange(kept: bytearray, total: int, cut: str = "") -> Exchange:
            if not cut and total > len(kept):
                cut = f"the record keeps the first {len(kept)} bytes of the body, of {total}"
            return Exchange(request.method, path, body, response.status_code, content_type, bytes(kept), cut)

        async def relay() -> AsyncIterator[bytes]:
            kept, cut = bytearray(), "the client closed the connection before the body ended"
            tail, total = b"", 0
            try:
                async for piece in response.aiter_bytes():
                    total += len(piece)
                    if len(kept) < BODY_KEPT:  # a bounded prefix; the rest goes to the client alone
                        kept += piece[: BODY_KEPT - len(kept)]
                    if _DONE in tail + piece:
                        record(exchange(kept, total))  # before the client sees [DONE]: it may hang up right after
                    tail = (tail + piece)[-len(_DONE) :]
                    yield piece
                cut = ""
                record(exchange(kept, total))  # before the body's end reaches the client
            except httpx.ReadTimeout:
                cut = f"the endpoint sent nothing for {self.timeout + 5:g} s; the body was cut there"
            except httpx.HTTPError as exc:
                cut = f"the connection broke mid-body: {type(exc).__name__}"
            finally:
                record(exchange(kept, total, cut))  # synchronous, before any await a cancellation could cut short
                await asyncio.shield(response.aclose())

        return StreamingResponse(relay(), status_code=response.status_code, headers=out_headers)
