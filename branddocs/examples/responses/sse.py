"""Read a chat-completions event stream as OpenAI's SDKs do, and say every way it would let a reader down.

A real stream fails only on what breaks a reader's SDK (departures.py): no `data: [DONE]`, `event:` lines, a
missing usage chunk and usage that does not add up break neither SDK, so they fail a sample the guide shows (it
must show OpenAI's format) but never a runnable example; the prose that claims them is checked on its own line
(judge/wire_claims.py).
"""

from __future__ import annotations

import json

from openai.types.chat import ChatCompletionChunk

from branddocs.examples.responses.departures import breaks_a_reader
from branddocs.examples.responses.sdk import Reads, sdk_problems, usage_problems

__all__ = ["chunk_kinds", "ends_with_done", "parse_sse"]


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


def parse_sse(
    text: str, sample: bool = False, want_usage: bool = False, reads: Reads = None
) -> tuple[list[dict], list[str]]:
    """The JSON chunks of a chat-completions event stream, and every way it would let a reader down.

    `want_usage`: the request asked for `stream_options.include_usage`, so a usage chunk must come.
    `reads`: the fields the reader's code touches (sdk.py); None, every field the SDK's types require.
    A documented `sample` must show OpenAI's format to the letter (`data: [DONE]`, no `event:` lines, usage that
    adds up, counting the text sent so far); a real stream fails only on what breaks a reader (departures.py).
    Each kind of problem is reported once, with the event lines or chunks where it occurs.
    """

    def counts(departure: str) -> bool:
        return sample or breaks_a_reader(departure)

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
            if counts("event-lines"):
                what = f"`{field}:` lines are not part of OpenAI's stream format ({line[:40]!r})"
                found.append((what, "event line", number))
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
        found += [(p, "chunk", i) for p in sdk_problems(chunk, ChatCompletionChunk, "chat.completion.chunk", reads)]
        if isinstance(chunk, dict):
            found += [(p, "chunk", i) for p in _renamed_delta(chunk)]
    problems = _collapse(found) + problems
    if not done and counts("no-done"):
        problems.append("the stream does not end with `data: [DONE]`, as OpenAI's streams do")
    if chunks and not any(chunk_kinds(c) & {"content", "role"} for c in chunks if isinstance(c, dict)):
        problems.append("no chunk carries `delta.content`: a reader who joins the deltas gets no text")
    usages = [c.get("usage") for c in chunks if isinstance(c, dict) and isinstance(c.get("usage"), dict)]
    if want_usage and not usages and counts("no-usage"):
        problems.append("`stream_options.include_usage` was asked for, but no chunk carries `usage`")
    if counts("usage-sum"):
        problems += usage_problems(usages)
    if sample:
        problems += _runningusage_problems(chunks)
    return chunks, problems


def ends_with_done(text: str) -> bool:
    """Whether a stream's last event is `data: [DONE]`."""
    events = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith(":")]
    return bool(events) and events[-1] == "data: [DONE]"


def _renamed_delta(chunk: dict) -> list[str]:
    for choice in chunk.get("choices") or []:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        if isinstance(delta, dict) and "content" not in delta and isinstance(delta.get("text"), str):
            return ["`delta.text` instead of `delta.content`: the SDKs read `content`"]
    return []


def _runningusage_problems(chunks: list[dict]) -> list[str]:
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


def chunk_kinds(chunk: dict) -> set[str]:
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
