"""The fields a body forwarded with the real key may name, by request kind, and what a chat message may hold.

body.py asks this module two things, each an allow-list (what is not listed is refused, never looked up in a list of
dear things):

- FIELDS: the top-level fields of each request kind the rule knows, by path under the base URL. Chat is the guide's
  own request (CHAT_FIELDS); the others are what a brand may add with `api.example_requests` (OpenAI's request for
  that kind, less the fields that raise a reply's price). On a path of a kind the rule does not know (a brand's own
  `POST /rerank`), the fields go as sent, but no field may spell a known one in another case (`spelling`): a Go
  platform or gateway matches JSON field names without case (`encoding/json`: the last one wins), so `"Model"` or
  `"N"` would be read as the model or the count the rule never saw.
- `message_problem`: a chat request's `messages`, each an object of MESSAGE_FIELDS whose `content` is a string, null
  or a list of text parts (`{"type": "text", "text": "..."}`). A part that makes the platform fetch, decode or bill
  what the body does not hold (`image_url`, `input_audio`, `file`, a type the platform adds later) is refused: with
  it, 64 KiB of body could bill hundreds of thousands of input tokens (688 high-detail images in one request).
"""

from __future__ import annotations

__all__ = [
    "CHAT_FIELDS",
    "FIELDS",
    "KNOWN_FIELDS",
    "MESSAGE_FIELDS",
    "ONE_FORM",
    "message_problem",
    "one_form",
    "spelling",
]

CHAT_FIELDS = frozenset({
    # What the guide's examples and tables send:
    "model", "messages", "max_tokens", "max_completion_tokens", "n", "stream", "stream_options", "temperature",
    "top_p", "stop", "seed",
    "maxTokens",  # the error table's misspelled field: what the platform answers to a field it does not know
    # The rest of OpenAI's chat request that shapes a reply but does not raise its price (a writer's next example
    # may use them): sampling, output format, tools. Left out: `service_tier` (a dearer tier), `audio` and
    # `modalities` (dearer output), `web_search_options` (a billed tool), `prediction` (rejected tokens billed),
    # `store` and `metadata` (the platform keeps the exchange), `best_of` (vLLM: that many replies billed).
    "frequency_penalty", "presence_penalty", "logit_bias", "logprobs", "top_logprobs", "response_format", "tools",
    "tool_choice", "parallel_tool_calls", "functions", "function_call", "user", "reasoning_effort",
})  # fmt: skip
"""The fields a chat request forwarded with the real key may hold: what the guide's examples and tables send, and
what else of OpenAI's request shapes a reply without raising its price."""
_COMPLETION_FIELDS = frozenset({
    # The legacy completions request, less `best_of` (that many replies billed, one returned).
    "model", "prompt", "max_tokens", "n", "stream", "stream_options", "temperature", "top_p", "stop", "seed",
    "frequency_penalty", "presence_penalty", "logit_bias", "logprobs", "echo", "suffix", "user",
})  # fmt: skip
FIELDS = {
    "/chat/completions": CHAT_FIELDS,
    "/completions": _COMPLETION_FIELDS,
    "/embeddings": frozenset({"model", "input", "encoding_format", "dimensions", "user"}),
    "/moderations": frozenset({"model", "input"}),
    # Images, less `size`, `quality` and `style` (a larger or `hd` image is billed more: the platform's default is
    # what a check pays for).
    "/images/generations": frozenset({"model", "prompt", "n", "response_format", "user"}),
}
"""The request kinds the rule knows (the path under the base URL) and the fields each may name; anything else there is
refused."""
KNOWN_FIELDS = frozenset().union(*FIELDS.values())
"""Every field of a known kind: on any path, a key that equals one of these without case must be spelled as it is."""
MESSAGE_FIELDS = frozenset({
    "role", "content", "name",
    # A conversation a reader's code continues: the assistant's reply as the SDK gives it back, and tool results.
    "tool_calls", "tool_call_id", "function_call", "refusal", "annotations",
})  # fmt: skip
"""The fields a chat message may hold (OpenAI's, less the assistant's `audio`: a stored reply, billed as input)."""
ONE_FORM = {"/completions": ("prompt", "suffix"), "/images/generations": ("prompt",)}
"""Fields whose list form asks for one reply per item (a completions `prompt` of 13,096 prompts in 64 KiB was 13,096
replies of up to `max_tokens` each, red team round 7, R7-2): held to their single form, a string (or, for a prompt,
one list of token ids), as `n` is held to 1."""
TEXT_PART = frozenset({"type", "text"})
"""The fields of a text part of a message's content, the one kind of part forwarded."""


def spelling(keys: list[str]) -> str | None:
    """Why these top-level field names could be read otherwise by a platform that matches them without case, or None:
    two equal without case, or one equal without case to a known field but spelled otherwise (`Model`, `N`,
    `max_to\u212aens` with a KELVIN SIGN, which Go folds to `k`)."""
    seen: dict[str, str] = {}
    known = {name.casefold(): name for name in KNOWN_FIELDS}
    for key in keys:
        folded = key.casefold()
        if folded in seen:
            return f"the body names {seen[folded][:40]!r} and {key[:40]!r}, which a platform may read as one field"
        seen[folded] = key
        if folded in known and key != known[folded]:
            return f"the field {key[:40]!r} is {known[folded]!r} spelled otherwise, which a platform may read as it"
    return None


def one_form(path: str, data: dict) -> str | None:
    """Why a field of ONE_FORM holds more than one item (one reply each), or None."""
    for name in ONE_FORM.get(path, ()):
        value = data.get(name)
        if value is None or isinstance(value, str):
            continue
        if name == "prompt" and isinstance(value, list) and all(type(token) is int for token in value):
            continue  # one prompt, as token ids
        return f"{name} is not one string: a list asks for a reply per item (a check sends one, as n: 1)"
    return None


def message_problem(messages: object) -> str | None:
    """Why a chat request's `messages` asks for more than text, or None."""
    if not isinstance(messages, list) or not all(isinstance(message, dict) for message in messages):
        return "messages is not a list of message objects"
    for index, message in enumerate(messages):
        unknown = sorted(set(message) - MESSAGE_FIELDS)
        if unknown:
            return (f"message {index} names {unknown[0][:40]!r}, not a field a check sends with a real key "
                    f"(allowed: {', '.join(sorted(MESSAGE_FIELDS))})")  # fmt: skip
        content = message.get("content")
        if content is None or isinstance(content, str):
            continue
        if not isinstance(content, list):
            return f"message {index}'s content is neither text nor a list of text parts"
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind != "text" or not set(part) <= TEXT_PART or not isinstance(part.get("text"), str):
                shown = repr(kind)[:40] if isinstance(kind, str) else "a part that is not a text part"
                return (f"message {index} holds a content part of type {shown}: only text parts "
                        '({"type": "text", "text": ...}) are forwarded with a real key (an image, audio or file '
                        "part is billed for what the body does not hold)")  # fmt: skip
    return None
