"""A stand-in for a tenant's platform: a loopback server that answers everything and records what reached it, and
the real key the proxy tests give the proxy for it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = ["REAL_KEY", "REPLY", "Platform"]

REAL_KEY = "sk-real-key-of-the-platform-0123456789"
MESSAGE = {"role": "assistant", "content": "hi"}
REPLY = {"id": "c", "object": "chat.completion", "created": 1, "model": "m",
         "choices": [{"index": 0, "finish_reason": "stop", "message": MESSAGE}]}  # fmt: skip


class Platform:
    """A loopback server that answers everything and records what reached it: method, path, query, the
    authorization header, every header (lower-case names) and the body. `.../big` answers 4 MiB of text, the
    chat route a completion, anything else an empty list."""

    def __init__(self) -> None:
        self.seen: list[dict] = []

        async def anything(request: Request) -> Response:
            self.seen.append({"method": request.method, "path": request.url.path, "query": request.url.query,
                              "authorization": request.headers.get("authorization", ""),
                              "headers": {k.lower(): v for k, v in request.headers.items()},
                              "body": await request.body()})  # fmt: skip
            if request.url.path.endswith("/big"):
                return StreamingResponse(iter([b"x" * (1 << 20)] * 4), media_type="text/plain")
            if request.url.path.endswith("/chat/completions"):
                return JSONResponse(REPLY)
            return JSONResponse({"object": "list", "data": []})

        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        self.app = Starlette(routes=[Route("/{path:path}", anything, methods=methods)])
