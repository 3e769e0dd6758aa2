"""The reference endpoint: a Starlette app serving OpenAI chat completions in a real server's dialect."""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from branddocs.endpoint.api_error import ApiError
from branddocs.endpoint.dialects import Dialect, Reply, get_dialect
from branddocs.endpoint.generate import complete, count_prompt_tokens
from branddocs.endpoint.request import ChatRequest, parse_chat_request
from branddocs.endpoint.routes import CHAT_COMPLETIONS, base_path, route_table

__all__ = ["DRIFTS", "INLINE_BODY_BYTES", "INLINE_CHOICES", "MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 1024 * 1024
# Up to these, parsing, generating and chunking a request take 2 ms or less (8 KiB with n=8, measured):
# cheaper than two thread hand-offs under load, too short to hold up other clients.
INLINE_BODY_BYTES = 8 * 1024
INLINE_CHOICES = 8
BODY_TIMEOUT = 30.0
_MODELS_CREATED = 1_717_000_000  # a fixed date: the same request always gets the same models list
# Ways a platform drifts from OpenAI's format, for tests that show the example checks catch each one.
# `guide` is what the original guide's samples claimed: an envelope, `event:` lines and no `[DONE]`.
DRIFTS = ("envelope", "event-lines", "no-done", "no-usage", "rename-content")
_GUIDE_DRIFT = ("envelope", "event-lines", "no-done")
# One encoder for every body and event: json.dumps with options builds a new one per call, a fifth of a
# stream's cost when each of its ~30 events is encoded on its own. No cycle check: every body is a fresh tree.
_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def _json(body: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(_encode(body), status, media_type="application/json", headers=headers)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Python's json accepts NaN and Infinity; JSON does not


def create_app(
    models: Iterable[str] | Mapping[str, Iterable[str]],
    api_keys: Iterable[str],
    base_paths: Iterable[str] = ("/v1",),
    drift: bool | Iterable[str] = (),
    owned_by: str = "branddocs",
    dialect: str = "vllm",
    no_streaming: Iterable[str] = (),
    inline_body_bytes: int = INLINE_BODY_BYTES,
    inline_choices: int = INLINE_CHOICES,
) -> Starlette:
    """An app serving `POST {base}/chat/completions` and `GET {base}/models` under each base path.

    `models` is one list for every base path, or {base path: its own models}: a tenant's path lists and
    serves only that tenant's models. `dialect` is the server it sends as (`vllm`, `litellm`, `openai`).
    `drift` names ways to break OpenAI's format (DRIFTS; True or "guide": the original guide's samples).
    `no_streaming` names base paths whose platform does not stream: `stream: true` there is a 400.
    A request with a body over `inline_body_bytes` or more than `inline_choices` choices is worked on in a
    thread, any other on the event loop; `app.state.work` counts the requests each way ("loop", "thread").
    """
    speaks = get_dialect(dialect)
    drifts = _drifts(drift)
    if isinstance(models, Mapping):
        lists = {base_path(p): list(dict.fromkeys(m)) for p, m in models.items()}
    else:
        listed = list(dict.fromkeys(models))
        lists = {base_path(p): listed for p in base_paths}
    no_stream = {base_path(p) for p in no_streaming}
    keys = [k.encode() for k in api_keys if k]
    if not keys:
        raise ValueError("the reference endpoint needs at least one API key")
    served = {base: _Served(m, streams=base not in no_stream) for base, m in lists.items()}
    endpoint = _Endpoint(speaks, drifts, keys, owned_by, served, inline_body_bytes, inline_choices)
    app = Starlette(
        routes=route_table(endpoint, list(served)),
        exception_handlers={HTTPException: endpoint.http_error, Exception: endpoint.server_error},
    )
    app.router.redirect_slashes = False  # a trailing-slash redirect would take its host from the Host header
    app.state.work = endpoint.work
    return app


@dataclass(frozen=True)
class _Served:
    """What one base path serves."""

    models: list[str]
    streams: bool
    """False where the platform does not stream: `stream: true` there is a 400."""


@dataclass(eq=False)
class _Endpoint:
    """The app's state, and one handler per route (routes.route_table gives each its path)."""

    speaks: Dialect
    drifts: set[str]
    keys: list[bytes] = field(repr=False)
    """Every accepted API key, as bytes for the constant-time comparison."""
    owned_by: str
    served: dict[str, _Served]
    """What each base path serves."""
    inline_body_bytes: int
    inline_choices: int
    work: Counter[str] = field(default_factory=lambda: Counter(loop=0, thread=0))
    """The requests worked on each way, "loop" and "thread" (app.state.work)."""

    # The routes.

    async def chat_completions(self, request: Request, base: str) -> Response:
        try:
            self.authorise(request)
            body = await _read_body(request)
            # A big body takes milliseconds to parse, and n choices n times as long to generate: such a
            # request is worked on in a thread, so the event loop keeps serving other clients meanwhile.
            # An ordinary one costs less than the hand-offs to a thread and back: it stays on the loop.
            if len(body) > self.inline_body_bytes:
                self.work["thread"] += 1
                return await run_in_threadpool(lambda: self.answer(self.parse(body, base)))
            chat = self.parse(body, base)
            if chat.n > self.inline_choices:
                self.work["thread"] += 1
                return await run_in_threadpool(self.answer, chat)
            self.work["loop"] += 1
            return self.answer(chat)
        except ApiError as err:
            return self.error(err, request)
        except ClientDisconnect:
            return Response(status_code=499)

    async def list_models(self, request: Request, base: str) -> Response:
        try:
            self.authorise(request)
        except ApiError as err:
            return self.error(err, request)
        return _json(self.speaks.models(self.served[base].models, _MODELS_CREATED, self.owned_by))

    async def health(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def http_error(self, request: Request, exc: HTTPException) -> Response:
        # Routing errors (unknown path, wrong method) in the dialect's shape too, never Starlette's plain text.
        path = request.url.path
        if exc.status_code == 405:
            allow = (exc.headers or {}).get("Allow") or ("POST" if path.endswith(CHAT_COMPLETIONS) else "GET")
            err = ApiError(405, f"Method {request.method} is not allowed for {path}.", code="method_not_allowed",
                           allow=allow)  # fmt: skip
        else:
            err = ApiError(exc.status_code, f"Invalid URL ({request.method} {path})", code="not_found")
        return self.error(err, request)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        return self.error(ApiError(500, "The server had an error while processing your request.",
                                   type="server_error"), request)  # fmt: skip

    # A request's steps.

    def authorise(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        given = token.strip().encode()
        # Compare with every key, always, in constant time: no early exit that would time the match.
        if not sum(hmac.compare_digest(given, key) for key in self.keys):
            raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")

    def parse(self, body: bytes, base: str) -> ChatRequest:
        try:
            data = json.loads(body, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise ApiError(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                "HTTP library correctly. The OpenAI API expects a JSON payload.)",
            ) from None
        chat = parse_chat_request(data, strict_fields=self.speaks.rejects_unknown_fields)
        served = self.served[base]
        if chat.model not in served.models:
            raise ApiError(
                404,
                f"The model `{chat.model}` does not exist or you do not have access to it.",
                param="model",
                code="model_not_found",
            )
        if chat.stream and not served.streams:  # OpenAI's words for a model that does not stream
            raise ApiError.bad("stream", "Unsupported value: 'stream' does not support true with this model. "
                               "Supported values are: false.", code="unsupported_value")  # fmt: skip
        return chat

    def answer(self, chat: ChatRequest) -> Response:
        """The response to a valid request: generation, shaping and encoding, all of a request's work."""
        speaks = self.speaks
        completions = [complete(chat.messages, i, chat.max_tokens, chat.stop) for i in range(chat.n)]
        reply = Reply(speaks.new_id(), int(time.time()), chat.model, completions, count_prompt_tokens(chat.messages))
        if chat.stream:
            return _EventStream(_events(speaks.chunks(reply, chat.include_usage), self.drifts))
        return _json(_drift_body(speaks.completion(reply), self.drifts))

    def error(self, err: ApiError, request: Request) -> Response:
        """`err` in the dialect's shape; the Allow header on a 405."""
        status, content_type, body = self.speaks.error(err, key_given=bool(request.headers.get("authorization")))
        headers = {"Allow": err.allow} if err.allow else None
        if isinstance(body, str):
            return Response(body, status, media_type=content_type.split(";")[0], headers=headers)
        return _json(body, status, headers)


async def _read_body(request: Request) -> bytes:
    """The body, up to MAX_BODY_BYTES (413 beyond), arrived within BODY_TIMEOUT (408 after)."""
    declared = request.headers.get("content-length", "")
    too_big = ApiError(413, f"Request body too large: the limit is {MAX_BODY_BYTES} bytes.", code="body_too_large")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_big
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_TIMEOUT):  # a body trickled in byte by byte holds nothing for long
            async for piece in request.stream():
                body += piece
                if len(body) > MAX_BODY_BYTES:
                    raise too_big
    except TimeoutError:
        raise ApiError(408, f"The request body did not arrive within {BODY_TIMEOUT:g} s.", code="timeout") from None
    return bytes(body)


def _drifts(drift: bool | str | Iterable[str]) -> set[str]:
    if drift is True or drift == "guide":
        return set(_GUIDE_DRIFT)
    if not drift:
        return set()
    names = {drift} if isinstance(drift, str) else set(drift)
    if "guide" in names:
        names = (names - {"guide"}) | set(_GUIDE_DRIFT)
    unknown = names - set(DRIFTS)
    if unknown:
        raise ValueError(f"unknown drift {', '.join(sorted(unknown))}; expected guide or one of {', '.join(DRIFTS)}")
    return names


def _drift_body(body: dict, drifts: set[str]) -> dict:
    if "rename-content" in drifts:
        for choice in body.get("choices", []):
            if "content" in choice.get("message", {}):
                choice["message"]["text"] = choice["message"].pop("content")
    if "envelope" in drifts:
        body = {"code": 200, "msg": "Operation successful", "data": body}
    return body


def _events(chunks: list[dict], drifts: set[str]) -> list[bytes]:
    """A stream's server-sent events, encoded."""
    events = []
    for chunk in chunks:
        if "no-usage" in drifts and chunk.get("usage"):
            continue
        if "rename-content" in drifts:
            for choice in chunk.get("choices", []):
                if "content" in choice.get("delta", {}):
                    choice["delta"]["text"] = choice["delta"].pop("content")
        data = _encode(chunk)
        events.append(f"event:messages\ndata:{data}\n\n" if "event-lines" in drifts else f"data: {data}\n\n")
    if "no-done" not in drifts:
        events.append("data: [DONE]\n\n")
    return [e.encode() for e in events]


class _EventStream(Response):
    """A stream of server-sent events all known in advance, sent in writes of up to `WRITE_BYTES`.

    Starlette's StreamingResponse costs a task group, a disconnect listener and a write per event: most of
    a short stream's time under load. Here an ordinary stream is one write; a long one yields the event loop
    between writes, so other clients keep their turn, and a client gone away is uvicorn's no-op send.
    """

    media_type = "text/event-stream"
    WRITE_BYTES = 16 * 1024

    def __init__(self, events: list[bytes]) -> None:
        self.status_code = 200
        self.background = None
        self.events = events
        self.init_headers({"Cache-Control": "no-cache"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        batch: list[bytes] = []
        size = 0
        for event in self.events:
            batch.append(event)
            size += len(event)
            if size >= self.WRITE_BYTES:
                await send({"type": "http.response.body", "body": b"".join(batch), "more_body": True})
                await asyncio.sleep(0)
                batch, size = [], 0
        await send({"type": "http.response.body", "body": b"".join(batch), "more_body": False})
