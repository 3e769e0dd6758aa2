"""What a reader's client accepts: the `openai` Python package's own response types, and usage that adds up.

"Compatible" means what a reader's client accepts: the `openai` Python package's own response types
(`ChatCompletion`, `ChatCompletionChunk`, `Model`) validate every body, so extra fields, `null` for an
optional field and a field left out that the SDK does not need all pass, as they do for curl and both SDKs.
What breaks a reader fails: a non-2xx status, a body the SDK cannot read, an envelope around the reply,
`event:` lines, a stream without `data: [DONE]`, usage that does not add up, no usage chunk when
`stream_options.include_usage` asked for one, a reply without `content`. OpenAI's published schema, to the
letter, is an opt-in report (`--conformance openai`, conformance.py).
"""

from __future__ import annotations

import json
from typing import Any

from openai.types import Model
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from branddocs.examples.proxy import Exchange
from branddocs.examples.responses.errors import error_summary

__all__ = ["exchange_problems", "missing_content", "request_json", "sdk_problems", "usage_problems"]


def sdk_problems(body: Any, model: type[BaseModel], what: str) -> list[str]:
    """Why the `openai` package's own type `model` rejects `body`: the SDK's idea of a readable reply."""
    if isinstance(body, dict) and {"code", "data"} <= body.keys() and ({"msg", "message"} & body.keys()):
        return [f"wraps the reply in an envelope {{{', '.join(body)}}}: a reader's SDK expects the {what} itself"]
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return [
            f"the openai SDK cannot read it as a {what}: "
            + "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()[:6])
        ]
    return []


def missing_content(choices: Any, key: str) -> list[str]:
    """A reply whose text is not under `content` (say `text`): the SDKs give the reader `None` / `undefined`."""
    problems = []
    for i, choice in enumerate(choices if isinstance(choices, list) else []):
        part = choice.get(key) if isinstance(choice, dict) else None
        if isinstance(part, dict) and "content" not in part:
            problems.append(
                f"choices[{i}].{key} has no `content` (it has {', '.join(map(repr, part)) or 'nothing'}): "
                f"a reader's `choices[0].{key}.content` is empty"
            )
    return problems


def usage_problems(usages: list[Any]) -> list[str]:
    problems = []
    for usage in usages:
        if not isinstance(usage, dict):
            continue
        total, parts = usage.get("total_tokens"), (usage.get("prompt_tokens"), usage.get("completion_tokens"))
        if all(isinstance(n, int) for n in (total, *parts)) and sum(parts) != total:
            problems.append(f"usage does not add up: {parts[0]} prompt + {parts[1]} completion != {total} total")
    return problems


def request_json(exchange: Exchange) -> dict:
    try:
        body = json.loads(exchange.request_body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def exchange_problems(exchange: Exchange) -> list[str]:
    """Why this request/response would let a reader down; empty if curl and both SDKs read it fine."""
    from branddocs.examples.responses.sse import parse_sse  # here: sse.py reads each chunk with this module's checks

    where = f"{exchange.method} {exchange.path}"
    if exchange.status == 0:
        return [f"{where}: {exchange.body.decode('utf-8', 'replace')}"]
    if not 200 <= exchange.status < 300:
        return [f"{where}: {error_summary(exchange.status, exchange.body, exchange.content_type)}"]
    if exchange.cut and not exchange.cut.startswith("the client closed"):
        return [f"{where}: {exchange.cut}"]
    text = exchange.body.decode("utf-8", "replace")
    request = request_json(exchange)
    streamed = request.get("stream") is True
    if "text/event-stream" in exchange.content_type or (streamed and text.lstrip().startswith(("data:", "event:"))):
        options = request.get("stream_options")
        want_usage = isinstance(options, dict) and options.get("include_usage") is True
        problems = parse_sse(text, want_usage=want_usage)[1]
        if "text/event-stream" not in exchange.content_type:
            problems.insert(0, f"a stream sent as {exchange.content_type or 'no content type'}, not text/event-stream")
        return [f"{where}: {p}" for p in problems]
    if streamed and exchange.path.endswith("/chat/completions"):
        return [f"{where}: `stream: true` was answered with {exchange.content_type or 'no content type'}, not events"]
    try:
        body = json.loads(text)
    except ValueError:
        return [f"{where}: the response is not JSON: {text[:120]!r}"]
    if exchange.path.endswith("/models"):
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            return [f"{where}: no `data` list of models: {text[:120]!r}"]
        return [f"{where}: {p}" for item in data for p in sdk_problems(item, Model, "model")][:6]
    problems = sdk_problems(body, ChatCompletion, "chat.completion")
    if isinstance(body, dict):
        problems += missing_content(body.get("choices"), "message")
        if isinstance(body.get("usage"), dict):
            problems += usage_problems([body["usage"]])
    return [f"{where}: {p}" for p in problems]
