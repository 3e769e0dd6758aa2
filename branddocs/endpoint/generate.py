"""Deterministic "generation" for the reference endpoint: same messages, same text, same token counts."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = ["GREETING_REPLY", "Completion", "complete", "count_prompt_tokens", "tokenize"]

# A token is a word with its leading whitespace, or one punctuation mark: crude, but stable, and a
# stream's chunks concatenate back to exactly the non-stream text.
_TOKEN = re.compile(r"\s*\w+|\s*[^\w\s]|\s+$")

# Chat-template overhead as Llama 3 counts it: begin-of-text, a header per message, the assistant header.
_BOS, _PER_MESSAGE, _ASSISTANT_HEADER = 1, 5, 4

GREETING_REPLY = "Hi! It's nice to meet you. Is there something I can help you with or would you like to chat?"
_GREETINGS = {"hi", "hello", "hey", "say hello", "say hi", "hello there", "hi there"}
_WORDS = [
    "the",
    "model",
    "reads",
    "your",
    "prompt",
    "and",
    "answers",
    "with",
    "text",
    "that",
    "stays",
    "the",
    "same",
    "for",
    "the",
    "same",
    "request",
    "so",
    "every",
    "example",
    "in",
    "the",
    "guide",
    "can",
    "be",
    "checked",
    "against",
    "a",
    "known",
    "reply",
    "while",
    "you",
    "write",
    "it",
]


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def count_prompt_tokens(messages: list[dict]) -> int:
    return _BOS + _ASSISTANT_HEADER + sum(_PER_MESSAGE + len(tokenize(_text(m.get("content")))) for m in messages)


@dataclass(frozen=True)
class Completion:
    text: str
    """The generated text, already cut at `max_tokens` or a stop sequence."""
    tokens: list[str]
    finish_reason: str
    """`stop` for a natural end or a stop sequence, `length` when `max_tokens` cut it."""
    stop_reason: str | None
    """The stop sequence that ended the text, as vLLM reports it; None otherwise."""


def complete(messages: list[dict], index: int = 0, max_tokens: int | None = None, stop: list[str] = ()) -> Completion:
    """The reply to `messages`; `index` picks the variant for choice `index` when n > 1."""
    tokens = tokenize(_reply(messages, index))
    finish_reason, stop_reason = "stop", None
    if max_tokens is not None and len(tokens) > max_tokens:
        tokens, finish_reason = tokens[:max_tokens], "length"
    text = "".join(tokens)
    hits = [(text.find(s), s) for s in stop if s and s in text]
    if hits:
        cut, stop_reason = min(hits)
        text, finish_reason = text[:cut], "stop"
        tokens = tokenize(text)
    return Completion(text=text, tokens=tokens, finish_reason=finish_reason, stop_reason=stop_reason)


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": "..."}]
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _reply(messages: list[dict], index: int) -> str:
    last_user = next((_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    prompt = re.sub(r"[^\w\s]", "", last_user).strip().lower()
    if prompt in _GREETINGS and index == 0:
        return GREETING_REPLY
    digest = hashlib.sha256(repr((messages, index)).encode()).digest()
    count = 12 + digest[0] % 24
    words = [_WORDS[digest[(i % 31) + 1] % len(_WORDS) - i % 3] for i in range(count)]
    return " ".join(words).capitalize() + "."
