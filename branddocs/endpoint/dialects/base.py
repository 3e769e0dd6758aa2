"""OpenAI's wire format, which every dialect starts from: a server's dialect overrides what it sends differently.

The same deterministic completion is shaped field for field, in the order the server sends the fields (the
wire output is compared byte for byte with earlier runs, and in shape with real servers' recordings in
tests/fixtures/wire-recordings/).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import ClassVar

from branddocs.endpoint.api_error import ApiError
from branddocs.endpoint.generate import Completion

__all__ = ["Dialect", "Reply"]

_FINGERPRINT = "fp_branddocs"


@dataclass(frozen=True)
class Reply:
    """One request's completions, with what every response shape needs."""

    ident: str
    created: int
    model: str
    completions: list[Completion]
    prompt_tokens: int

    @property
    def completion_tokens(self) -> int:
        return sum(len(c.tokens) for c in self.completions)

    def usage(self) -> dict[str, int]:
        total = self.prompt_tokens + self.completion_tokens
        return {"prompt_tokens": self.prompt_tokens, "total_tokens": total, "completion_tokens": self.completion_tokens}


class Dialect:
    """What OpenAI's API sends, to the letter of its published schema; subclasses are other servers."""

    name: ClassVar[str] = ""
    """The name `create_app(dialect=...)` and `branddocs endpoint --dialect` take."""
    rejects_unknown_fields: ClassVar[bool] = True
    """OpenAI refuses a request with a field it does not know (a 400 naming it)."""

    def new_id(self) -> str:
        return "chatcmpl-" + secrets.token_urlsafe(21)

    @staticmethod
    def head(reply: Reply, kind: str) -> dict:
        """The fields every body and chunk starts with; `kind` is its `object`."""
        return {"id": reply.ident, "object": kind, "created": reply.created, "model": reply.model}

    # Errors: (status, content type, body) for an ApiError.

    def error(self, err: ApiError, key_given: bool = True) -> tuple[int, str, object]:
        return err.status, "application/json", err.body()

    # Non-stream responses.

    def completion(self, reply: Reply) -> dict:
        choices = [self.choice(i, c) for i, c in enumerate(reply.completions)]
        return {
            **self.head(reply, "chat.completion"),
            "choices": choices,
            "usage": self.usage(reply),
            "service_tier": "default",
            "system_fingerprint": _FINGERPRINT,
        }

    def choice(self, index: int, completion: Completion) -> dict:
        message = {"role": "assistant", "content": completion.text, "refusal": None, "annotations": []}
        return {"index": index, "message": message, "logprobs": None, "finish_reason": completion.finish_reason}

    def usage(self, reply: Reply) -> dict:
        return {
            **reply.usage(),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    # Streams: the chunks, in order, as dicts (the app frames them as `data:` events). Each choice's
    # chunk with its role comes first, then each choice's text, then the usage when the client asked for it.

    def chunks(self, reply: Reply, include_usage: bool) -> list[dict]:
        head = self.chunk_head(reply)
        out = [self.role_chunk(head, i) for i in range(len(reply.completions))]
        for i, completion in enumerate(reply.completions):
            out += self.text_chunks(head, i, completion)
        if include_usage:
            out.append(self.usage_chunk(head, reply))
        return out

    def chunk_head(self, reply: Reply) -> dict:
        return {
            **self.head(reply, "chat.completion.chunk"),
            "service_tier": "default",
            "system_fingerprint": _FINGERPRINT,
        }

    def role_chunk(self, head: dict, index: int) -> dict:
        delta = {"role": "assistant", "content": "", "refusal": None}
        return {**head, "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": None}]}

    def text_chunks(self, head: dict, index: int, completion: Completion) -> list[dict]:
        """A chunk per token (one empty one for no text), then a chunk with the finish reason alone."""
        out = [
            {
                **head,
                "choices": [{"index": index, "delta": {"content": token}, "logprobs": None, "finish_reason": None}],
            }
            for token in completion.tokens or [""]
        ]
        finish = {"index": index, "delta": {}, "logprobs": None, "finish_reason": completion.finish_reason}
        out.append({**head, "choices": [finish]})
        return out

    def usage_chunk(self, head: dict, reply: Reply) -> dict:
        return {**head, "choices": [], "usage": self.usage(reply)}

    # Models.

    def models(self, served: list[str], created: int, owner: str) -> dict:
        return {
            "object": "list",
            "data": [{"id": m, "object": "model", "created": created, "owned_by": owner} for m in served],
        }
