"""Judge what an endpoint answered, and compare documented response samples with real responses."""

from __future__ import annotations

import json
from typing import Any

from branddocs.examples.proxy import Exchange
from branddocs.openai_schema import schema_errors

__all__ = ["exchange_problems", "normalise", "parse_sse", "sample_problems", "shape_differences"]

_VOLATILE = {"id": "<id>", "created": 0, "system_fingerprint": "<fingerprint>"}


def parse_sse(text: str, sample: bool = False) -> tuple[list[dict], list[str]]:
    """The JSON chunks of a chat-completions event stream, and every way it breaks OpenAI's format.

    For a documented `sample`, usage reported along the way must also count the text sent so far.
    """
    chunks, problems, done = [], [], False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith(":"):
            continue
        if done:
            problems.append(f"event line {number}: data after `data: [DONE]`")
            break
        if not line.startswith("data:"):
            field = line.split(":", 1)[0]
            problems.append(
                f"event line {number}: `{field}:` lines are not part of OpenAI's stream format ({line[:40]!r})"
            )
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            done = True
            continue
        try:
            chunks.append(json.loads(payload))
        except ValueError:
            problems.append(f"event line {number}: not JSON: {payload[:60]!r}")
    if not done:
        problems.append("the stream does not end with `data: [DONE]`: OpenAI's SDKs rely on it")
    for i, chunk in enumerate(chunks):
        problems += [f"chunk {i + 1}: {e}" for e in schema_errors(chunk, "CreateChatCompletionStreamResponse")]
    usages = [c["usage"] for c in chunks if isinstance(c, dict) and isinstance(c.get("usage"), dict)]
    problems += _usage_problems(usages)
    if sample:
        problems += _running_usage_problems(chunks)
    return chunks, problems


def _running_usage_problems(chunks: list[dict]) -> list[str]:
    """A sample's per-chunk usage must grow with its text: one more completion token per piece of text."""
    problems, pieces = [], 0
    for i, chunk in enumerate(chunks, 1):
        if not isinstance(chunk, dict):
            continue
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict) and isinstance(choice.get("delta"), dict) and choice["delta"].get("content"):
                pieces += 1
        usage = chunk.get("usage")
        told = usage.get("completion_tokens") if isinstance(usage, dict) else None
        if isinstance(told, int) and told != pieces:
            problems.append(f"chunk {i}: usage says {told} completion tokens after {pieces} pieces of text")
    return problems


def _usage_problems(usages: list[dict]) -> list[str]:
    problems = []
    for usage in usages:
        total, parts = usage.get("total_tokens"), (usage.get("prompt_tokens"), usage.get("completion_tokens"))
        if all(isinstance(n, int) for n in (total, *parts)) and sum(parts) != total:
            problems.append(f"usage does not add up: {parts[0]} prompt + {parts[1]} completion != {total} total")
    return problems


def exchange_problems(exchange: Exchange) -> list[str]:
    """Why this request/response is wrong for an OpenAI-compatible API; empty if it is fine."""
    where = f"{exchange.method} {exchange.path}"
    text = exchange.body.decode("utf-8", "replace")
    if exchange.status >= 400:
        try:
            error = json.loads(text)["error"]
            detail = f"{error.get('code') or error.get('type')}: {error.get('message')}"
        except (ValueError, KeyError, TypeError):
            detail = text[:300]
        return [f"{where}: the endpoint answered {exchange.status} ({detail})"]
    if "text/event-stream" in exchange.content_type:
        return [f"{where}: {p}" for p in parse_sse(text)[1]]
    try:
        body = json.loads(text)
    except ValueError:
        return [f"{where}: the response is not JSON: {text[:120]!r}"]
    schema = "ListModelsResponse" if exchange.path.endswith("/models") else "CreateChatCompletionResponse"
    problems = [f"{where}: not OpenAI-shaped ({schema}): {e}" for e in schema_errors(body, schema)]
    if isinstance(body, dict) and isinstance(body.get("usage"), dict):
        problems += [f"{where}: {p}" for p in _usage_problems([body["usage"]])]
    return problems


def normalise(value: Any) -> Any:
    """`value` with the fields that change on every call (ids, timestamps) set to placeholders."""
    if isinstance(value, dict):
        return {k: _VOLATILE.get(k, normalise(v)) if k in _VOLATILE else normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def _type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), "null"
    )


def shape_differences(sample: Any, actual: Any, exact_keys: bool, path: str = "") -> list[str]:
    """Where `sample` and `actual` differ in keys or types, recursively; a `null` in the sample matches any type."""
    where = path or "(top)"
    if sample is None:
        return []
    if _type(sample) != _type(actual) and not (_type(sample) == "number" and _type(actual) == "integer"):
        return [f"{where}: the sample has {_type(sample)} {json.dumps(sample)[:40]}, the endpoint {_type(actual)}"]
    if isinstance(sample, dict):
        problems = [f"{path}.{k}: in the sample, not in the response" for k in sample if k not in actual]
        if exact_keys:
            problems += [f"{path}.{k}: in the response, not in the sample" for k in actual if k not in sample]
        for key in sample:
            if key in actual:
                problems += shape_differences(sample[key], actual[key], exact_keys, f"{path}.{key}")
        return problems
    if isinstance(sample, list) and sample and actual:
        return [
            p
            for i, item in enumerate(actual)
            for p in shape_differences(sample[min(i, len(sample) - 1)], item, exact_keys, f"{path}[{i}]")
        ]
    return []


def sample_problems(lang: str, sample_text: str, actual: Exchange | None, exact: bool) -> list[str]:
    """Why a documented JSON or SSE sample is wrong, alone and beside the endpoint's real response."""
    if lang == "json":
        try:
            sample = json.loads(sample_text)
        except ValueError as exc:
            return [f"the sample is not valid JSON: {exc}"]
        problems = [
            f"the sample is not an OpenAI chat completion: {e}"
            for e in schema_errors(sample, "CreateChatCompletionResponse")
        ]
        if isinstance(sample, dict):
            problems += _usage_problems([sample["usage"]] if isinstance(sample.get("usage"), dict) else [])
        if actual is None:
            return problems
        try:
            real = json.loads(actual.body)
        except ValueError:
            return [*problems, "the endpoint's response is not JSON"]
    else:
        sample, sample_issues = parse_sse(sample_text, sample=True)
        problems = [f"the sample: {p}" for p in sample_issues]
        if actual is None:
            return problems
        real, _ = parse_sse(actual.body.decode("utf-8", "replace"))
        if exact and len(real) != len(sample):
            problems.append(f"the sample shows {len(sample)} chunks, the endpoint sent {len(real)}")
    problems += [f"differs from the response: {d}" for d in shape_differences(sample, real, exact_keys=exact)]
    if exact and not problems and normalise(sample) != normalise(real):
        problems.append(
            "the values differ from the reference endpoint's response (ids and timestamps aside):\n"
            f"  sample:   {json.dumps(normalise(sample))[:600]}\n  endpoint: {json.dumps(normalise(real))[:600]}"
        )
    return problems
