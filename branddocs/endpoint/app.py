"""The reference endpoint: a Starlette app serving OpenAI chat completions the way vLLM does."""

from __future__ import annotations

import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from branddocs.endpoint.errors import ApiError
from branddocs.endpoint.generate import Completion, complete, count_prompt_tokens
from branddocs.endpoint.request import ChatRequest, parse_chat_request

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 1024 * 1024
_MODELS_CREATED = 1_717_000_000  # a fixed date: the same request always gets the same models list


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status, media_type="application/json")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Python's json accepts NaN and Infinity; JSON does not


def _error(err: ApiError) -> Response:
    return _json(err.body(), err.status)


def create_app(
    models: Iterable[str],
    api_keys: Iterable[str],
    base_paths: Iterable[str] = ("/v1",),
    drift: bool = False,
    owned_by: str = "branddocs",
) -> Starlette:
    """An app serving `POST {base}/chat/completions` and `GET {base}/models` under each base path.

    `drift=True` answers the way the original guide's samples claim (a `{"code", "msg", "data"}` wrapper,
    `event:messages` SSE lines, no `[DONE]`), so tests can show the example checks catch a drifted platform.
    """
    served = list(dict.fromkeys(models))
    keys = [k.encode() for k in api_keys if k]
    if not keys:
        raise ValueError("the reference endpoint needs at least one API key")

    def authorise(request: Request) -> None:
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
        if not sum(hmac.compare_digest(given, key) for key in keys):
            raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")

    async def read_json(request: Request) -> object:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise ApiError(413, f"Request body too large: the limit is {MAX_BODY_BYTES} bytes.", code="body_too_large")
        body = bytearray()
        async for piece in request.stream():
            body += piece
            if len(body) > MAX_BODY_BYTES:
                raise ApiError(
                    413, f"Request body too large: the limit is {MAX_BODY_BYTES} bytes.", code="body_too_large"
                )
        try:
            return json.loads(body, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise ApiError(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                "HTTP library correctly. The OpenAI API expects a JSON payload.)",
            ) from None

    async def chat_completions(request: Request) -> Response:
        try:
            authorise(request)
            chat = parse_chat_request(await read_json(request))
            if chat.model not in served:
                raise ApiError(
                    404,
                    f"The model `{chat.model}` does not exist or you do not have access to it.",
                    param="model",
                    code="model_not_found",
                )
        except ApiError as err:
            return _error(err)
        except ClientDisconnect:
            return Response(status_code=499)
        completions = [complete(chat.messages, i, chat.max_tokens, chat.stop) for i in range(chat.n)]
        prompt_tokens = count_prompt_tokens(chat.messages)
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if chat.stream:
            events = _stream(chat, completions, prompt_tokens, ident, created, drift)
            return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        body = _completion_body(chat, completions, prompt_tokens, ident, created)
        if drift:
            body = {"code": 200, "msg": "Operation successful", "data": body}
        return _json(body)

    async def list_models(request: Request) -> Response:
        try:
            authorise(request)
        except ApiError as err:
            return _error(err)
        data = [{"id": m, "object": "model", "created": _MODELS_CREATED, "owned_by": owned_by} for m in served]
        return _json({"object": "list", "data": data})

    async def health(request: Request) -> Response:
        return _json({"status": "ok"})

    async def http_error(request: Request, exc: HTTPException) -> Response:
        # Routing errors (unknown path, wrong method) in OpenAI's shape too, never Starlette's plain text.
        if exc.status_code == 405:
            err = ApiError(
                405, f"Method {request.method} is not allowed for {request.url.path}.", code="method_not_allowed"
            )
        else:
            err = ApiError(exc.status_code, f"Invalid URL ({request.method} {request.url.path})", code="not_found")
        return _error(err)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(ApiError(500, "The server had an error while processing your request.", type="server_error"))

    routes = [Route("/health", health, methods=["GET"])]
    for base in dict.fromkeys("/" + p.strip("/") if p.strip("/") else "" for p in base_paths):
        routes.append(Route(f"{base}/chat/completions", chat_completions, methods=["POST"]))
        routes.append(Route(f"{base}/models", list_models, methods=["GET"]))
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})


def _usage(prompt_tokens: int, completions: list[Completion]) -> dict[str, int]:
    completion_tokens = sum(len(c.tokens) for c in completions)
    return {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
    }


def _completion_body(
    chat: ChatRequest, completions: list[Completion], prompt_tokens: int, ident: str, created: int
) -> dict:
    choices = [
        {
            "index": i,
            "message": {"role": "assistant", "content": c.text, "refusal": None, "tool_calls": []},
            "logprobs": None,
            "finish_reason": c.finish_reason,
            "stop_reason": c.stop_reason,
        }
        for i, c in enumerate(completions)
    ]
    return {
        "id": ident,
        "object": "chat.completion",
        "created": created,
        "model": chat.model,
        "choices": choices,
        "usage": _usage(prompt_tokens, completions),
        "prompt_logprobs": None,
    }


async def _stream(
    chat: ChatRequest, completions: list[Completion], prompt_tokens: int, ident: str, created: int, drift: bool
) -> AsyncIterator[bytes]:
    head = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": chat.model}

    def event(choices: list[dict], **extra: object) -> bytes:
        data = json.dumps({**head, "choices": choices, **extra}, separators=(",", ":"))
        return f"event:messages\ndata:{data}\n\n".encode() if drift else f"data: {data}\n\n".encode()

    def choice(i: int, delta: dict, finish: Completion | None = None) -> dict:
        item = {"index": i, "delta": delta, "logprobs": None, "finish_reason": finish and finish.finish_reason}
        if finish:
            item["stop_reason"] = finish.stop_reason
        return item

    for i in range(len(completions)):
        yield event([choice(i, {"role": "assistant", "content": ""})])
    for i, c in enumerate(completions):
        # The last piece of text carries the finish_reason, as vLLM sends it; an empty reply still ends.
        pieces = c.tokens or [""]
        for n, token in enumerate(pieces, 1):
            yield event([choice(i, {"content": token}, c if n == len(pieces) else None)])
    if chat.include_usage:
        yield event([], usage=_usage(prompt_tokens, completions))
    if not drift:
        yield b"data: [DONE]\n\n"
