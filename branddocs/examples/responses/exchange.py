"""One request and its response judged as a reader's client meets them: status, JSON or event stream, the SDK's
types (sdk.py, sse.py), usage that adds up."""

from __future__ import annotations

import json

from openai.types import Model
from openai.types.chat import ChatCompletion

from branddocs.examples.proxy.recording import Exchange
from branddocs.examples.responses.sdk import Reads, missing_content, sdk_problems, usage_problems
from branddocs.examples.responses.sse import parse_sse
from branddocs.examples.responses.summary import error_summary

__all__ = ["exchange_problems", "request_json"]


def request_json(exchange: Exchange) -> dict:
    try:
        body = json.loads(exchange.request_body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def exchange_problems(exchange: Exchange, reads: Reads = None) -> list[str]:
    """Why this request/response would let a reader whose code touches `reads` down; empty if it reads fine.

    `reads=None` (nothing known of the reader): every field the SDK's types require counts.
    """
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
        problems = parse_sse(text, want_usage=want_usage, reads=reads)[1]
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
        found = [f"{where}: {p}" for item in data for p in sdk_problems(item, Model, "model", reads)]
        return list(dict.fromkeys(found))[:6]  # the same departure in every model once
    problems = sdk_problems(body, ChatCompletion, "chat.completion", reads)
    if isinstance(body, dict):
        problems += missing_content(body.get("choices"), "message")
        if isinstance(body.get("usage"), dict):
            problems += usage_problems([body["usage"]])
    return [f"{where}: {p}" for p in problems]
