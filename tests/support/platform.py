"""A stand-in for a tenant's platform: a loopback server that answers everything and records what reached it, and
the real key the proxy tests give the proxy for it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["REAL_KEY", "REPLY", "Platform"]

REAL_KEY = "sk-real-key-of-the-platform-0123456789"
MESSAGE = {"role": "assistant", "content": "hi"}
REPLY = {"id": "c", "object": "chat.completion", "created": 1, "model": "m",
         "choices": [{"index": 0, "finish_reason": "stop", "message": MESSAGE}]}  # fmt: skip


class Platform:
    """A loopback server that answers everything and records what reached it: method, path, query, headers."""

    def __init__(self) -> None:
        self.seen: list[dict] = []

        async def anything(request: Request) -> Response:
            self.seen.append({"method": request.method, "path": request.url.path, "query": request.url.query,
                              "authorization": request.headers.get("authorization", ""),
                              "body": (await request.body()).decode(errors="replace")[:200]})  # fmt: skip
            if request.url.path.endswith("/chat/completions"):
                return JSONResponse(REPLY)
            return JSONResponse({"object": "list", "data": []})

        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        self.app = Starlette(routes=[Route("/{path:path}", anything, methods=methods)])
