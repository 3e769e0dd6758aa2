"""Validate a chat-completions request as strictly as OpenAI's API does; every error names its parameter."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from branddocs.endpoint.api_error import ApiError

__all__ = ["ChatRequest", "parse_chat_request"]

_ROLES = ("system", "developer", "user", "assistant", "tool")
# Accepted and ignored: they change sampling or bookkeeping, not what a deterministic endpoint returns.
_IGNORED = {
    "seed": int,
    "user": str,
    "logit_bias": dict,
    "logprobs": bool,
    "metadata": dict,
    "store": bool,
    "service_tier": str,
    "response_format": dict,
    "tools": list,
    "tool_choice": (str, dict),
    "parallel_tool_calls": bool,
}
_KNOWN = {
    "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature",
    "top_p", "n", "stop", "presence_penalty", "frequency_penalty", "top_logprobs", *_IGNORED,
}  # fmt: skip


@dataclass
class ChatRequest:
    model: str
    messages: list[dict[str, Any]]
    stream: bool = False
    include_usage: bool = False
    max_tokens: int | None = None
    n: int = 1
    stop: list[str] = field(default_factory=list)


def _type_name(value: object) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _number(body: dict, name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        raise ApiError.bad(name, f"Invalid type for '{name}': expected a number, but got {_type_name(value)}.")
    if not low <= value <= high:  # Python compares a 400-digit integer with a float exactly, no overflow
        shown = f"{value}" if len(str(value)) <= 40 else f"{str(value)[:20]}... ({len(str(value))} digits)"
        raise ApiError.bad(
            name, f"Invalid '{name}': {shown} is out of range: expected {low} to {high}.", "invalid_value"
        )


def _integer(body: dict, name: str, low: int, high: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError.bad(name, f"Invalid type for '{name}': expected an integer, but got {_type_name(value)}.")
    if value < low or (high is not None and value > high):
        bound = f"at least {low}" if high is None else f"{low} to {high}"
        raise ApiError.bad(name, f"Invalid '{name}': {value} is out of range: expected {bound}.", "invalid_value")
    return value


def _messages(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ApiError.bad("messages", f"Invalid type for 'messages': expected an array, but got {_type_name(value)}.")
    if not value:
        raise ApiError.bad("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1.")
    for i, message in enumerate(value):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise ApiError.bad(where, f"Invalid type for '{where}': expected an object, but got {_type_name(message)}.")
        role = message.get("role")
        if role not in _ROLES:
            raise ApiError.bad(
                f"{where}.role", f"Invalid value for '{where}.role': {role!r}; expected one of {', '.join(_ROLES)}."
            )
        content = message.get("content")
        text_parts = isinstance(content, list) and all(
            isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content
        )
        if not (isinstance(content, str) or text_parts or (content is None and role == "assistant")):
            raise ApiError.bad(
                f"{where}.content",
                f"Invalid type for '{where}.content': expected a string or an array of text parts, "
                f"but got {_type_name(content)}.",
            )
    return value


def parse_chat_request(body: object, strict_fields: bool = True) -> ChatRequest:
    """The validated request, or an ApiError naming the first bad parameter.

    `strict_fields`: an unknown field is a 400 (OpenAI); otherwise it is ignored (vLLM, LiteLLM).
    """
    if not isinstance(body, dict):
        raise ApiError.bad(None, f"Invalid request body: expected a JSON object, but got {_type_name(body)}.")
    for name in body:
        if name not in _KNOWN and strict_fields:
            raise ApiError.bad(name, f"Unrecognized request argument supplied: {name}", "unknown_parameter")
    for name in ("model", "messages"):
        if name not in body:
            raise ApiError.bad(name, f"Missing required parameter: '{name}'.", "missing_required_parameter")
    model = body["model"]
    if not isinstance(model, str):
        raise ApiError.bad("model", f"Invalid type for 'model': expected a string, but got {_type_name(model)}.")
    if not model.strip():
        raise ApiError.bad("model", "Invalid 'model': empty string. Expected the id of a model this endpoint serves.")
    messages = _messages(body["messages"])
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):
        raise ApiError.bad("stream", f"Invalid type for 'stream': expected a boolean, but got {_type_name(stream)}.")
    include_usage = _stream_options(body.get("stream_options"), bool(stream))
    _number(body, "temperature", 0, 2)
    _number(body, "top_p", 0, 1)
    _number(body, "presence_penalty", -2, 2)
    _number(body, "frequency_penalty", -2, 2)
    _integer(body, "top_logprobs", 0, 20)
    max_tokens = _integer(body, "max_tokens", 1)
    max_completion = _integer(body, "max_completion_tokens", 1)
    n = _integer(body, "n", 1, 128) or 1
    for name, kind in _IGNORED.items():
        value = body.get(name)
        if value is not None and ((isinstance(value, bool) and kind is int) or not isinstance(value, kind)):
            raise ApiError.bad(name, f"Invalid type for '{name}': got {_type_name(value)}.")
    return ChatRequest(
        model=model,
        messages=messages,
        stream=bool(stream),
        include_usage=include_usage,
        max_tokens=max_completion if max_completion is not None else max_tokens,
        n=n,
        stop=_stop(body.get("stop")),
    )


def _stream_options(value: object, stream: bool) -> bool:
    if value is None:
        return False
    if not stream:
        raise ApiError.bad(
            "stream_options",
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "invalid_value",
        )
    if not isinstance(value, dict) or set(value) - {"include_usage", "include_obfuscation"}:
        raise ApiError.bad("stream_options", "Invalid 'stream_options': expected {\"include_usage\": true|false}.")
    include_usage = value.get("include_usage", False)
    if not isinstance(include_usage, bool):
        raise ApiError.bad("stream_options.include_usage", "Invalid type for 'stream_options.include_usage'.")
    return include_usage


def _stop(value: object) -> list[str]:
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise ApiError.bad(
            "stop", f"Invalid type for 'stop': expected a string or an array of strings, but got {_type_name(value)}."
        )
    if len(stops) > 4:
        raise ApiError.bad("stop", f"Invalid 'stop': array too long. Expected at most 4 items, got {len(stops)}.")
    return stops
