"""Judge what an endpoint answered, and compare documented response samples with real responses.

"Compatible" means what a reader's client accepts: the `openai` Python package's own response types
(`ChatCompletion`, `ChatCompletionChunk`, `Model`) validate every body, so extra fields, `null` for an
optional field and a field left out that the SDK does not need all pass, as they do for curl and both SDKs.
What breaks a reader fails: a non-2xx status, a body the SDK cannot read, an envelope around the reply,
`event:` lines, a stream without `data: [DONE]`, usage that does not add up, no usage chunk when
`stream_options.include_usage` asked for one, a reply without `content`. OpenAI's published schema, to the
letter, is an opt-in report (`--conformance openai`, `conformance_problems`).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel, ValidationError

from branddocs.examples.proxy import Exchange

__all__ = [
    "conformance_problems",
    "error_summary",
    "exchange_problems",
    "normalise",
    "parse_sse",
    "sample_problems",
    "shape_differences",
    "stream_differences",
]

_VOLATILE = {"id": "<id>", "created": 0, "system_fingerprint": "<fingerprint>"}


def error_summary(status: int, body: bytes | str, content_type: str = "") -> str:
    """`the endpoint answered 401: Unauthorized`, whatever shape the error body has (object, string, text, empty)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    detail = ""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        error = parsed.get("error", parsed.get("detail", parsed.get("message")))
        if isinstance(error, dict):
            code = error.get("code")
            code = code if isinstance(code, str) and not code.isdigit() else error.get("type")
            message = error.get("message") or error.get("msg") or json.dumps(error)[:200]
            detail = f"{message} ({code})" if isinstance(code, str) and code and code not in str(message) else message
        elif error is not None:
            detail = str(error)
        else:
            detail = text
    elif parsed is not None:
        detail = str(parsed)
    else:
        detail = " ".join(text.split())
    detail = " ".join(str(detail).split())[:300]
    if not detail:
        try:
            detail = f"{HTTPStatus(status).phrase} (empty body)"
        except ValueError:
            detail = "(empty body)"
    return f"the endpoint answered {status}: {detail}"


def _sdk_problems(body: Any, model: type[BaseModel], what: str) -> list[str]:
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


def _missing_content(choices: Any, key: str) -> list[str]:
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


def _usage_problems(usages: list[Any]) -> list[str]:
    problems = []
    for usage in usages:
        if not isinstance(usage, dict):
            continue
        total, parts = usage.get("total_tokens"), (usage.get("prompt_tokens"), usage.get("completion_tokens"))
        if all(isinstance(n, int) for n in (total, *parts)) and sum(parts) != total:
            problems.append(f"usage does not add up: {parts[0]} prompt + {parts[1]} completion != {total} total")
    return problems


def _collapse(found: list[tuple[str, str, int]]) -> list[str]:
    """Each problem once: `(what, unit, number)` repeated over chunks or lines becomes one line listing where."""
    where: dict[tuple[str, str], list[int]] = {}
    for what, unit, number in found:
        where.setdefault((what, unit), []).append(number)
    lines = []
    for (what, unit), numbers in where.items():
        shown = ", ".join(map(str, numbers[:3])) + (f" and {len(numbers) - 3} more" if len(numbers) > 3 else "")
        lines.append(f"{unit}{'s' if len(numbers) > 1 else ''} {shown}: {what}")
    return lines


def parse_sse(text: str, sample: bool = False, want_usage: bool = False) -> tuple[list[dict], list[str]]:
    """The JSON chunks of a chat-completions event stream, and every way it would let a reader down.

    `want_usage`: the request asked for `stream_options.include_usage`, so a usage chunk must come.
    For a documented `sample`, usage reported along the way must also count the text sent so far.
    Each kind of problem is reported once, with the event lines or chunks where it occurs.
    """
    chunks, found, problems, done = [], [], [], False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith(":"):
            continue
        if done:
            problems.append(f"event line {number}: data after `data: [DONE]`")
            break
        field = line.split(":", 1)[0]
        if field in ("id", "retry"):  # SSE fields every client ignores here
            continue
        if field != "data":
            found.append(
                (f"`{field}:` lines are not part of OpenAI's stream format ({line[:40]!r})", "event line", number)
            )
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            done = True
            continue
        try:
            chunks.append(json.loads(payload))
        except ValueError:
            found.append((f"not JSON: {payload[:60]!r}", "event line", number))
    for i, chunk in enumerate(chunks, 1):
        found += [(p, "chunk", i) for p in _sdk_problems(chunk, ChatCompletionChunk, "chat.completion.chunk")]
        if isinstance(chunk, dict):
            found += [(p, "chunk", i) for p in _renamed_delta(chunk)]
    problems = _collapse(found) + problems
    if not done:
        problems.append("the stream does not end with `data: [DONE]`: OpenAI's SDKs rely on it")
    if chunks and not any(_kinds(c) & {"content", "role"} for c in chunks if isinstance(c, dict)):
        problems.append("no chunk carries `delta.content`: a reader who joins the deltas gets no text")
    usages = [c.get("usage") for c in chunks if isinstance(c, dict) and isinstance(c.get("usage"), dict)]
    if want_usage and not usages:
        problems.append("`stream_options.include_usage` was asked for, but no chunk carries `usage`")
    problems += _usage_problems(usages)
    if sample:
        problems += _running_usage_problems(chunks)
    return chunks, problems


def _renamed_delta(chunk: dict) -> list[str]:
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict) and "content" not in delta and isinstance(delta.get("text"), str):
            return ["`delta.text` instead of `delta.content`: the SDKs read `content`"]
    return []


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


def _request_json(exchange: Exchange) -> dict:
    try:
        body = json.loads(exchange.request_body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def exchange_problems(exchange: Exchange) -> list[str]:
    """Why this request/response would let a reader down; empty if curl and both SDKs read it fine."""
    where = f"{exchange.method} {exchange.path}"
    if exchange.status == 0:
        return [f"{where}: {exchange.body.decode('utf-8', 'replace')}"]
    if not 200 <= exchange.status < 300:
        return [f"{where}: {error_summary(exchange.status, exchange.body, exchange.content_type)}"]
    if exchange.cut and not exchange.cut.startswith("the client closed"):
        return [f"{where}: {exchange.cut}"]
    text = exchange.body.decode("utf-8", "replace")
    request = _request_json(exchange)
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
        return [f"{where}: {p}" for item in data for p in _sdk_problems(item, Model, "model")][:6]
    problems = _sdk_problems(body, ChatCompletion, "chat.completion")
    if isinstance(body, dict):
        problems += _missing_content(body.get("choices"), "message")
        if isinstance(body.get("usage"), dict):
            problems += _usage_problems([body["usage"]])
    return [f"{where}: {p}" for p in problems]


def conformance_problems(exchange: Exchange) -> list[str]:
    """`--conformance openai`: where a 2xx reply breaks OpenAI's published schema to the letter (opt-in)."""
    from branddocs.openai_schema import schema_errors

    if not 200 <= exchange.status < 300:
        return []
    where = f"{exchange.method} {exchange.path}: conformance (OpenAI's schema)"
    text = exchange.body.decode("utf-8", "replace")
    if "text/event-stream" in exchange.content_type:
        chunks, _ = parse_sse(text)
        return [
            f"{where}: chunk {i + 1}: {e}"
            for i, chunk in enumerate(chunks)
            for e in schema_errors(chunk, "CreateChatCompletionStreamResponse")
        ]
    try:
        body = json.loads(text)
    except ValueError:
        return []
    schema = "ListModelsResponse" if exchange.path.endswith("/models") else "CreateChatCompletionResponse"
    return [f"{where}: {e}" for e in schema_errors(body, schema)]


def normalise(value: Any) -> Any:
    """`value` with the fields that change on every call (ids, timestamps) set to placeholders."""
    if isinstance(value, dict):
        return {k: _VOLATILE[k] if k in _VOLATILE else normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def _type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), "null"
    )


def _same_type(sample: Any, actual: Any) -> bool:
    return _type(sample) == _type(actual) or (_type(sample) == "number" and _type(actual) == "integer")


def shape_differences(sample: Any, actual: Any, exact_keys: bool, path: str = "") -> list[str]:
    """Where `actual` lacks what `sample` shows, or has it as another type, recursively.

    A `null` in the sample is a field the guide does not rely on: absent or any value passes. With
    `exact_keys` (the reference endpoint) the response may not carry fields the sample leaves out.
    """
    where = path or "(top)"
    if sample is None:
        return []
    if not _same_type(sample, actual):
        shown = json.dumps(sample, ensure_ascii=False)[:40]
        return [f"{where}: the guide shows {_type(sample)} {shown}, the endpoint sent {_type(actual)}"]
    if isinstance(sample, dict):
        problems = [
            f"{path}.{k}: the guide shows it, the endpoint does not send it"
            for k, v in sample.items()
            if k not in actual and v is not None
        ]
        if exact_keys:
            extra = [k for k in actual if k not in sample]
            problems += [f"{path}.{k}: the endpoint sends it, the guide does not show it" for k in extra]
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


# Streams are compared by the kinds of chunks they carry, never chunk N with chunk N.
_KIND_ORDER = ("role", "content", "finish", "usage")


def _kinds(chunk: dict) -> set[str]:
    kinds = set()
    for choice in chunk.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
        if delta.get("role"):
            kinds.add("role")
        if isinstance(delta.get("content"), str) and delta["content"]:
            kinds.add("content")
        if choice.get("finish_reason"):
            kinds.add("finish")
    if isinstance(chunk.get("usage"), dict):
        kinds.add("usage")
    return kinds


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """{`choices[].delta.content`: value, ...}: every non-null leaf (and empty container), list indexes folded."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}" if path else key))
        return out
    if isinstance(value, list) and value:
        out = {}
        for item in value:
            for key, leaf in _leaves(item, f"{path}[]").items():
                out.setdefault(key, leaf)
        return out
    return {} if value is None or value in ([], {}) else {path: value}


def _owner(path: str) -> str:
    """Which kind of chunk a field belongs to: role, content, finish, usage, or every chunk."""
    if path.startswith("choices[].delta.role"):
        return "role"
    if path.startswith("choices[].delta.content"):
        return "content"
    if path.startswith(("choices[].finish_reason", "choices[].stop_reason")):
        return "finish"
    if path.startswith("usage"):
        return "usage"
    return "any"


def stream_differences(sample: list[dict], actual: list[dict]) -> list[str]:
    """What the guide's stream shows that the endpoint's does not: kinds of chunk, and the fields each carries.

    Each difference once, naming what the guide shows and what the endpoint sent. More chunks, a finish
    reason on a chunk of its own, extra fields, and `null` for a field the guide shows as `null` all pass.
    """
    sample = [c for c in sample if isinstance(c, dict)]
    actual = [c for c in actual if isinstance(c, dict)]
    have = {kind: [c for c in actual if kind in _kinds(c)] for kind in _KIND_ORDER}
    problems = []
    for kind in _KIND_ORDER:
        if any(kind in _kinds(c) for c in sample) and not have[kind]:
            problems.append(f"the guide shows a {kind} chunk; the endpoint sent none")
    seen: set[str] = set()
    for chunk in sample:
        for path, value in _leaves(chunk).items():
            owner = _owner(path)
            if path in seen or (owner != "any" and not have[owner]):
                continue
            seen.add(path)
            pool = actual if owner == "any" else have[owner]
            found = [leaves[path] for leaves in map(_leaves, pool) if path in leaves]
            shown = json.dumps(value, ensure_ascii=False)[:40]
            where = "any chunk" if owner == "any" else f"its {owner} chunk"
            if not found:
                problems.append(f"{path}: the guide shows {_type(value)} {shown} in the stream; not in {where}")
            elif not any(_same_type(value, f) for f in found):
                problems.append(
                    f"{path}: the guide shows {_type(value)} {shown}, the endpoint sent {_type(found[0])} "
                    f"{json.dumps(found[0], ensure_ascii=False)[:40]}"
                )
    return problems


def sample_problems(
    lang: str, sample_text: str, actual: Exchange | None, exact: bool, conformance: bool = False
) -> list[str]:
    """Why a documented JSON or SSE sample is wrong, alone and beside the endpoint's real response."""
    if lang == "json":
        try:
            sample = json.loads(sample_text)
        except ValueError as exc:
            return [f"the sample is not valid JSON: {exc}"]
        problems = [f"the sample: {p}" for p in _sdk_problems(sample, ChatCompletion, "chat.completion")]
        if isinstance(sample, dict):
            problems += [f"the sample: {p}" for p in _missing_content(sample.get("choices"), "message")]
            problems += _usage_problems([sample.get("usage")])
        if conformance:
            from branddocs.openai_schema import schema_errors

            problems += [f"the sample: conformance: {e}" for e in schema_errors(sample, "CreateChatCompletionResponse")]
        if actual is None or not 200 <= actual.status < 300:
            return problems
        try:
            real = json.loads(actual.body)
        except ValueError:
            return [*problems, "the endpoint's response is not JSON"]
        problems += [f"differs from the response: {d}" for d in shape_differences(sample, real, exact_keys=exact)]
    else:
        sample, sample_issues = parse_sse(sample_text, sample=True)
        problems = [f"the sample: {p}" for p in sample_issues]
        if actual is None or not 200 <= actual.status < 300:
            return problems
        real, _ = parse_sse(actual.body.decode("utf-8", "replace"))
        if exact and len(real) != len(sample):
            problems.append(f"the sample shows {len(sample)} chunks, the endpoint sent {len(real)}")
        problems += [f"differs from the response: {d}" for d in stream_differences(sample, real)]
    if exact and not problems and normalise(sample) != normalise(real):
        problems.append(
            "the values differ from the reference endpoint's response (ids and timestamps aside):\n"
            f"  sample:   {json.dumps(normalise(sample))[:600]}\n  endpoint: {json.dumps(normalise(real))[:600]}"
        )
    return problems
