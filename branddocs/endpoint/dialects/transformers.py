"""Hugging Face `transformers serve` 5.25 (FastAPI), pinned to one model, as in tests/fixtures/wire-recordings/.

What it sends differently from OpenAI: no `data: [DONE]` (the body just ends); no key check at all; errors
as FastAPI's `{"detail": ...}`: a model it is not pinned to is a 400 naming both, an unknown field a 422, a body
that is not JSON FastAPI's 422 with a list of errors, a request without `messages` a plain-text 500;
`temperature: 5` is taken; `n` is ignored (one choice); `id` a bare UUID; `system_fingerprint` `""` in streams
and absent otherwise; the role chunk's delta without `content`, the finish reason on a chunk of its own with an
empty delta; `/models` lists the pinned model with `created: 0`, `owned_by: "local"` and a `status`.
"""

from __future__ import annotations

import dataclasses
import uuid

from branddocs.endpoint.api_error import ApiError
from branddocs.endpoint.dialects.base import Dialect, Reply
from branddocs.endpoint.generate import Completion

__all__ = ["TransformersDialect"]

_PLAIN_500 = (500, "text/plain; charset=utf-8", "Internal Server Error")


class TransformersDialect(Dialect):
    name = "transformers"
    rejects_unknown_fields = True
    checks_key = False
    checks_ranges = False
    ends_with_done = False
    pins_model = True

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def error(self, err: ApiError, key_given: bool = True) -> tuple[int, str, object]:
        if err.code == "model_not_found":
            pinned = err.served[0] if err.served else ""
            requested = err.message.split("`")[1] if err.message.count("`") >= 2 else ""
            return 400, "application/json", {"detail": f"Server is pinned to {pinned!r}; requested {requested!r}."}
        if err.code == "unknown_parameter":
            return 422, "application/json", {"detail": f"Unexpected fields in the request: {{{err.param!r}}}"}
        if err.code == "missing_required_parameter":  # it reads `messages` before checking that it is there
            return _PLAIN_500
        if err.reason == "json":
            problem = {"type": "json_invalid", "loc": ["body", 1], "msg": "JSON decode error", "input": {},
                       "ctx": {"error": "Expecting value"}}  # fmt: skip
            return 422, "application/json", {"detail": [problem]}
        if err.status == 400:  # FastAPI's validation of the request's types
            problem = {"type": "value_error", "loc": ["body", err.param or "body"], "msg": err.message, "input": None}
            return 422, "application/json", {"detail": [problem]}
        if err.status in (404, 405):  # Starlette's routing, as FastAPI words it
            return (
                err.status,
                "application/json",
                {"detail": "Not Found" if err.status == 404 else "Method Not Allowed"},
            )
        return err.status, "application/json", {"detail": err.message}

    @staticmethod
    def _one(reply: Reply) -> Reply:
        return dataclasses.replace(reply, completions=reply.completions[:1])  # it ignores `n`

    def completion(self, reply: Reply) -> dict:
        reply = self._one(reply)
        return {
            "id": reply.ident,
            "choices": [self.choice(i, c) for i, c in enumerate(reply.completions)],
            "created": reply.created,
            "model": reply.model,
            "object": "chat.completion",
            "usage": self.usage(reply),
        }

    def choice(self, index: int, completion: Completion) -> dict:
        message = {"content": completion.text, "role": "assistant"}
        return {"finish_reason": completion.finish_reason, "index": index, "message": message}

    def usage(self, reply: Reply) -> dict:
        total = reply.prompt_tokens + reply.completion_tokens
        return {"completion_tokens": reply.completion_tokens, "prompt_tokens": reply.prompt_tokens,
                "total_tokens": total}  # fmt: skip

    def chunks(self, reply: Reply, include_usage: bool) -> list[dict]:
        return super().chunks(self._one(reply), include_usage)

    def chunk_head(self, reply: Reply) -> dict:
        return {"id": reply.ident, "created": reply.created, "model": reply.model}

    @staticmethod
    def _chunk(head: dict, choices: list[dict], **more: object) -> dict:
        return {"id": head["id"], "choices": choices, "created": head["created"], "model": head["model"],
                "object": "chat.completion.chunk", "system_fingerprint": "", **more}  # fmt: skip

    def role_chunk(self, head: dict, index: int) -> dict:
        return self._chunk(head, [{"delta": {"role": "assistant"}, "index": index}])

    def text_chunks(self, head: dict, index: int, completion: Completion) -> list[dict]:
        """A chunk per token (none for no text), then a chunk with the finish reason alone."""
        out = [self._chunk(head, [{"delta": {"content": token}, "index": index}]) for token in completion.tokens]
        out.append(self._chunk(head, [{"delta": {}, "index": index, "finish_reason": completion.finish_reason}]))
        return out

    def usage_chunk(self, head: dict, reply: Reply) -> dict:
        return self._chunk(head, [], usage=self.usage(reply))

    def models(self, served: list[str], created: int, owner: str) -> dict:
        data = [{"owned_by": "local", "id": m, "object": "model", "created": 0, "status": {"value": "loaded"}}
                for m in served]  # fmt: skip
        return {"object": "list", "data": data}
