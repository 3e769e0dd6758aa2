"""A LiteLLM 1.106 gateway (no database) in front of vLLM 0.32, as recorded in tests/fixtures/wire-recordings/.

What it sends differently from OpenAI: vLLM's ids and fingerprint passed through; no `logprobs`, `refusal` or
`stop_reason` (moved into `provider_specific_fields`); fields in its own order; the finish reason on a chunk
of its own with an empty delta; a wrong key gets `400 "No connected db."`, a missing key a plain-text 500;
an unknown model a 400; an unknown field is ignored.
"""

from __future__ import annotations

import secrets

from branddocs.endpoint.api_error import ApiError
from branddocs.endpoint.dialects.base import Dialect, Reply
from branddocs.endpoint.dialects.vllm import FINGERPRINT
from branddocs.endpoint.generate import Completion

__all__ = ["LiteLLMDialect"]


class LiteLLMDialect(Dialect):
    name = "litellm"
    rejects_unknown_fields = False

    def new_id(self) -> str:
        return "chatcmpl-" + secrets.token_hex(8)  # vLLM's, passed through

    def error(self, err: ApiError, key_given: bool = True) -> tuple[int, str, object]:
        if err.status == 401 and not key_given:
            return 500, "text/plain; charset=utf-8", "Internal Server Error"
        if err.status == 401:
            body = {"message": "No connected db.", "type": "no_db_connection", "param": None, "code": "400"}
            return 400, "application/json", {"error": body}
        status = 400 if err.code == "model_not_found" else err.status
        # LiteLLM names the parameter only when it checked it itself; vLLM's own errors come back wrapped.
        param = err.param if err.code == "missing_required_parameter" else None
        param = "request_body" if err.param is None and status == 400 else param
        body = {"message": err.message, "type": "invalid_request_error", "param": param, "code": str(status)}
        if err.code == "model_not_found":
            body = {**body, "param": None, "provider_specific_fields": {"error": err.message}}
        return status, "application/json", {"error": body}

    def completion(self, reply: Reply) -> dict:
        return {
            "id": reply.ident,
            "created": reply.created,
            "model": reply.model,
            "object": "chat.completion",
            "system_fingerprint": FINGERPRINT,
            "choices": [self.choice(i, c) for i, c in enumerate(reply.completions)],
            "usage": self.usage(reply),
        }

    def choice(self, index: int, completion: Completion) -> dict:
        return {
            "finish_reason": completion.finish_reason,
            "index": index,
            "message": {
                "content": completion.text,
                "role": "assistant",
                "provider_specific_fields": {"refusal": None, "reasoning": None},
            },
            "provider_specific_fields": {
                "routed_experts": None,
                "token_ids": None,
                "stop_reason": completion.stop_reason,
            },
        }

    def usage(self, reply: Reply) -> dict:
        return {
            "completion_tokens": reply.completion_tokens,
            "prompt_tokens": reply.prompt_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        }

    def chunk_head(self, reply: Reply) -> dict:
        return self.head(reply, "chat.completion.chunk")

    def role_chunk(self, head: dict, index: int) -> dict:
        return {**head, "choices": [{"index": index, "delta": {"role": "assistant", "content": ""}}]}

    def text_chunks(self, head: dict, index: int, completion: Completion) -> list[dict]:
        """A chunk per token (none for no text), then a chunk with the finish reason alone."""
        out = [{**head, "choices": [{"index": index, "delta": {"content": token}}]} for token in completion.tokens]
        out.append({**head, "choices": [{"index": index, "delta": {}, "finish_reason": completion.finish_reason}]})
        return out

    def usage_chunk(self, head: dict, reply: Reply) -> dict:
        details = {"reasoning_tokens": 0, "text_tokens": reply.completion_tokens}
        return {
            "id": reply.ident,
            "created": reply.created,
            "model": reply.model,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}}],
            "usage": {**self.usage(reply), "completion_tokens_details": details},
        }

    def models(self, served: list[str], created: int, owner: str) -> dict:
        data = [{"id": m, "object": "model", "created": created, "owned_by": "openai"} for m in served]
        return {"data": data, "object": "list"}
