"""A recording reverse proxy on loopback: every request an example makes is seen, forwarded and kept."""

from __future__ import annotations

import secrets
import threading
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

__all__ = ["Exchange", "RecordingProxy"]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}


@dataclass
class Exchange:
    method: str
    path: str
    """The path under the endpoint's base URL, e.g. `/chat/completions`."""
    request_body: bytes
    status: int
    content_type: str
    body: bytes


class RecordingProxy:
    """`/_x/<token>/<path>` is forwarded to `<upstream>/<path>`; exchanges are kept per token."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._lock = threading.Lock()
        self._seen: dict[str, list[Exchange]] = defaultdict(list)
        self._client: httpx.AsyncClient | None = None
        routes = [Route("/_x/{token}/{path:path}", self._forward, methods=["GET", "POST", "DELETE"])]
        self.app = Starlette(routes=routes, lifespan=self._lifespan)

    @asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        # The client lives in the server's event loop and closes with it: no socket outlives the proxy.
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(60.0), trust_env=False)
        try:
            yield
        finally:
            await self._client.aclose()

    def new_token(self) -> str:
        return secrets.token_hex(8)

    def exchanges(self, token: str) -> list[Exchange]:
        with self._lock:
            return list(self._seen.get(token, []))

    async def _forward(self, request: Request) -> Response:
        assert self._client is not None, "the proxy serves requests only between startup and shutdown"
        token, path = request.path_params["token"], "/" + request.path_params["path"]
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream = self._client.build_request(
            request.method, self.upstream + path, params=request.query_params, headers=headers, content=body
        )
        try:
            response = await self._client.send(upstream, stream=True)
        except httpx.HTTPError as exc:
            self._record(token, Exchange(request.method, path, body, 502, "text/plain", str(exc).encode()))
            return Response(f"branddocs proxy: the endpoint did not answer: {exc}", 502)
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP}
        out_headers.pop("content-encoding", None)
        content_type = response.headers.get("content-type", "")

        async def relay() -> AsyncIterator[bytes]:
            kept = bytearray()
            try:
                async for piece in response.aiter_bytes():
                    kept += piece
                    yield piece
            finally:
                await response.aclose()
                self._record(
                    token, Exchange(request.method, path, body, response.status_code, content_type, bytes(kept))
                )

        return StreamingResponse(relay(), status_code=response.status_code, headers=out_headers)

    def _record(self, token: str, exchange: Exchange) -> None:
        with self._lock:
            self._seen[token].append(exchange)
