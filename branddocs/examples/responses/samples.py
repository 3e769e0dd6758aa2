"""Compare a documented JSON or event-stream response sample with the endpoint's real response.

Samples must be replies the SDKs can read (sdk.py, sse.py). Beside a real response, a JSON sample is compared
by shape (each field it shows with a value, of the same type), a stream by the kinds of chunk it carries;
against the reference endpoint, values must match too, ids and timestamps aside. A field the sample shows that
no platform is required to send (optional in the openai SDK's types, such as `system_fingerprint`, or unknown to
them, a platform's own extension) is shown as optional: a response without it passes; sent as another type, it
still fails.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel

from branddocs.examples.proxy.recording import Exchange
from branddocs.examples.responses.conformance import schema_errors
from branddocs.examples.responses.sdk import missing_content, sdk_problems, usage_problems
from branddocs.examples.responses.sse import chunk_kinds, parse_sse

__all__ = ["normalise", "required_by_sdk", "sample_problems", "shape_differences", "stream_differences"]

_VOLATILE = {"id": "<id>", "created": 0, "system_fingerprint": "<fingerprint>"}


def normalise(value: Any) -> Any:
    """`value` with the fields that change on every call (ids, timestamps) set to placeholders."""
    if isinstance(value, dict):
        return {k: _VOLATILE[k] if k in _VOLATILE else normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (`Optional[List[Choice]]` -> Choice), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            if found := _model_in(arg):
                return found
    return None


def required_by_sdk(model: type[BaseModel] | None, keys: list[str]) -> bool:
    """Whether every platform must send the field at `keys` (list indexes left out): required at each step in
    the openai SDK's type `model`. An optional field, or one the SDK does not know, is nobody's obligation."""
    for key in keys:
        field = model.model_fields.get(key) if model is not None else None
        if field is None or not field.is_required():
            return False
        model = _model_in(field.annotation)
    return True


def _type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), "null"
    )


def _same_type(sample: Any, actual: Any) -> bool:
    return _type(sample) == _type(actual) or (_type(sample) == "number" and _type(actual) == "integer")


def shape_differences(
    sample: Any, actual: Any, exact_keys: bool, path: str = "", model: type[BaseModel] | None = ChatCompletion,
    keys: tuple[str, ...] = (),
) -> list[str]:  # fmt: skip
    """Where `actual` lacks what `sample` shows, or has it as another type, recursively.

    A `null` in the sample is a field the guide does not rely on: absent or any value passes. A field `model`
    (the SDK's type; None: every field counts) does not require is shown as optional: absent passes too. With
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
            if k not in actual and v is not None and (model is None or required_by_sdk(model, [*keys, k]))
        ]
        if exact_keys:
            extra = [k for k in actual if k not in sample]
            problems += [f"{path}.{k}: the endpoint sends it, the guide does not show it" for k in extra]
        for key in sample:
            if key in actual:
                problems += shape_differences(
                    sample[key], actual[key], exact_keys, f"{path}.{key}", model, (*keys, key)
                )
        return problems
    if isinstance(sample, list) and sample and actual:
        return [
            p
            for i, item in enumerate(actual)
            for p in shape_differences(sample[min(i, len(sample) - 1)], item, exact_keys, f"{path}[{i}]", model, keys)
        ]
    return []


# Streams are compared by the kinds of chunks they carry, never chunk N with chunk N.
_KIND_ORDER = ("role", "content", "finish", "usage")


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
    have = {kind: [c for c in actual if kind in chunk_kinds(c)] for kind in _KIND_ORDER}
    problems = []
    for kind in _KIND_ORDER:
        if any(kind in chunk_kinds(c) for c in sample) and not have[kind]:
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
                if required_by_sdk(ChatCompletionChunk, path.replace("[]", "").split(".")):
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
        problems = [f"the sample: {p}" for p in sdk_problems(sample, ChatCompletion, "chat.completion")]
        if isinstance(sample, dict):
            problems += [f"the sample: {p}" for p in missing_content(sample.get("choices"), "message")]
            problems += usage_problems([sample.get("usage")])
        if conformance:
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
