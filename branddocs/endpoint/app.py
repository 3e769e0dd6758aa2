"""The reference endpoint: a Starlette app serving OpenAI chat completions in a real server's dialect."""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterable, Mapping

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from branddocs.endpoint.dialects import Dialect, Reply
from branddocs.endpoint.errors import ApiError
from branddocs.endpoint.generate import complete, count_prompt_tokens
from branddocs.endpoint.request import ChatRequest, parse_chat_request

__all__ = ["DRIFTS", "MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 1024 * 1024
BODY_TIMEOUT = 30.0
_MODELS_CREATED = 1_717_000_000  # a fixed date: the same request always gets the same models list
# Ways a platform drifts from OpenAI's format, for tests that show the example checks catch each one.
# `guide` is what the original guide's samples claimed: an envelope, `event:` lines and no `[DONE]`.
DRIFTS = ("envelope", "event-lines", "no-done", "no-usage", "rename-content")
_GUIDE_DRIFT = ("envelope", "event-lines", "no-done")


def _json(body: object, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status, media_type="application/json", headers=headers)


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
) -> Starlette:
    """An app serving `POST {base}/chat/completions` and `GET {base}/models` under each base path.

    `models` is one list for every base path, or {base path: its own models}: a tenant's path lists and
    serves only that tenant's models. `dialect` is the server it sends as (`vllm`, `litellm`, `openai`).
    `drift` names ways to break OpenAI's format (DRIFTS; True or "guide": the original guide's samples).
    `no_streaming` names base paths whose platform does not stream: `stream: true` there is a 400.
    """
    speaks = Dialect(dialect)
    drifts = _drifts(drift)
    if isinstance(models, Mapping):
        served_at = {_path(p): list(dict.fromkeys(m)) for p, m in models.items()}
    else:
        listed = list(dict.fromkeys(models))
        served_at = {_path(p): listed for p in base_paths}
    no_stream = {_path(p) for p in no_streaming}
    keys = [k.encode() for k in api_keys if k]
    if not keys:
        raise ValueError("the reference endpoint needs at least one API key")

    def error(err: ApiError, request: Request) -> Response:
        status, content_type, body = speaks.error(err, key_given=bool(request.headers.get("authorization")))
        headers = {"Allow": err.allow} if err.allow else None
        if isinstance(body, str):
            return Response(body, status, media_type=content_type.split(";")[0], headers=headers)
        return _json(body, status, headers)

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
        try:
            # A 1 MiB body takes a while to parse: off the event loop, so other requests keep flowing.
            return await run_in_threadpool(json.loads, body, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            raise ApiError(
                400,
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                "HTTP library correctly. The OpenAI API expects a JSON payload.)",
            ) from None

    def compute(body: object, served: list[str], streams: bool = True) -> tuple[ChatRequest, Reply]:
        chat = parse_chat_request(body, strict_fields=speaks.rejects_unknown_fields)
        if chat.model not in served:
            raise ApiError(
                404,
                f"The model `{chat.model}` does not exist or you do not have access to it.",
                param="model",
                code="model_not_found",
            )
        if chat.stream and not streams:  # OpenAI's words for a model that does not stream
            raise ApiError.bad("stream", "Unsupported value: 'stream' does not support true with this model. "
                               "Supported values are: false.", code="unsupported_value")  # fmt: skip
        completions = [complete(chat.messages, i, chat.max_tokens, chat.stop) for i in range(chat.n)]
        reply = Reply(speaks.new_id(), int(time.time()), chat.model, completions, count_prompt_tokens(chat.messages))
        return chat, reply

    def chat_completions(served: list[str], streams: bool):
        async def endpoint(request: Request) -> Response:
            try:
                authorise(request)
                chat, reply = await run_in_threadpool(compute, await read_json(request), served, streams)
                if chat.stream:
                    chunks = await run_in_threadpool(speaks.chunks, reply, chat.include_usage)
                    events = _stream(chunks, drifts)
                    headers = {"Cache-Control": "no-cache"}
                    return StreamingResponse(events, media_type="text/event-stream", headers=headers)
                body = _drift_body(speaks.completion(reply), drifts)
            except ApiError as err:
                return error(err, request)
            except ClientDisconnect:
                return Response(status_code=499)
            return _json(body)

        return endpoint

    def list_models(served: list[str]):
        async def endpoint(request: Request) -> Response:
            try:
                authorise(request)
            except ApiError as err:
                return error(err, request)
            return _json(speaks.models(served, _MODELS_CREATED, owned_by))

        return endpoint

    async def health(request: Request) -> Response:
        return _json({"status": "ok"})

    async def http_error(request: Request, exc: HTTPException) -> Response:
        # Routing errors (unknown path, wrong method) in the dialect's shape too, never Starlette's plain text.
        if exc.status_code == 405:
            allow = (exc.headers or {}).get("Allow") or ("POST" if request.url.path.endswith("/completions") else "GET")
            err = ApiError(405, f"Method {request.method} is not allowed for {request.url.path}.",
                           code="method_not_allowed", allow=allow)  # fmt: skip
        else:
            err = ApiError(exc.status_code, f"Invalid URL ({request.method} {request.url.path})", code="not_found")
        return error(err, request)

    async def server_error(request: Request, exc: Exception) -> Response:
        return error(ApiError(500, "The server had an error while processing your request.", type="server_error"),
                     request)  # fmt: skip

    routes = [Route("/health", health, methods=["GET"])]
    for base, served in served_at.items():
        chat = chat_completions(served, streams=base not in no_stream)
        routes.append(Route(f"{base}/chat/completions", chat, methods=["POST"]))
        routes.append(Route(f"{base}/models", list_models(served), methods=["GET"]))
    # No trailing-slash redirect: it would take its host from the request's Host header.
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})
    app.router.redirect_slashes = False
    return app


def _path(path: str) -> str:
    return "/" + path.strip("/") if path.strip("/") else ""


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


async def _stream(chunks: list[dict], drifts: set[str]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        if "no-usage" in drifts and chunk.get("usage"):
            continue
        if "rename-content" in drifts:
            for choice in chunk.get("choices", []):
                if "content" in choice.get("delta", {}):
                    choice["delta"]["text"] = choice["delta"].pop("content")
        data = json.dumps(chunk, separators=(",", ":"))
        yield f"event:messages\ndata:{data}\n\n".encode() if "event-lines" in drifts else f"data: {data}\n\n".encode()
    if "no-done" not in drifts:
        yield b"data: [DONE]\n\n"
