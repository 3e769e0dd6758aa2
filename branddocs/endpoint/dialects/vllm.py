"""vLLM 0.32's OpenAI-compatible server, the default dialect, as recorded in tests/fixtures/wire-recordings/.

What it sends differently from OpenAI: `null` for `refusal`, `annotations`, `audio`, `function_call`,
`reasoning`, `usage.*_details` and more; no `tool_calls`; `stop_reason`; its own `system_fingerprint`; the
finish reason on a stream's last piece of text; a wrong or missing key gets `401 {"error": "Unauthorized"}`;
an unknown field is ignored.
"""

from __future__ import annotations

import secrets

from branddocs.endpoint.api_error import ApiError
from branddocs.endpoint.dialects.base import Dialect, Reply
from branddocs.endpoint.generate import Completion

__all__ = ["FINGERPRINT", "VLLMDialect"]

FINGERPRINT = "vllm-0.32.0-" + "b7a9d0c3"
_MAX_MODEL_LEN = 8192


class VLLMDialect(Dialect):
    name = "vllm"
    rejects_unknown_fields = False

    def new_id(self) -> str:
        return "chatcmpl-" + secrets.token_hex(8)

    def error(self, err: ApiError, key_given: bool = True) -> tuple[int, str, object]:
        if err.status == 401:
            return 401, "application/json", {"error": "Unauthorized"}
        kind = {400: "BadRequestError", 404: "NotFoundError"}.get(err.status, "Error")
        body = {"message": err.message, "type": kind, "param": err.param or "body", "code": err.status}
        return err.status, "application/json", {"error": body}

    def completion(self, reply: Reply) -> dict:
        choices = [self.choice(i, c) for i, c in enumerate(reply.completions)]
        usage = {**reply.usage(), "prompt_tokens_details": None, "completion_tokens_details": None}
        return {
            **self.head(reply, "chat.completion"),
            "choices": choices,
            "service_tier": None,
            "system_fingerprint": FINGERPRINT,
            "usage": usage,
            "prompt_logprobs": None,
            "prompt_token_ids": None,
            "prompt_text": None,
            "kv_transfer_params": None,
            "ec_transfer_params": None,
            "metrics": None,
        }

    def choice(self, index: int, completion: Completion) -> dict:
        message = {
            "role": "assistant",
            "content": completion.text,
            "refusal": None,
            "annotations": None,
            "audio": None,
            "function_call": None,
            "reasoning": None,
        }
        return {
            "index": index,
            "message": message,
            "logprobs": None,
            "finish_reason": completion.finish_reason,
            "stop_reason": completion.stop_reason,
            "token_ids": None,
            "routed_experts": None,
        }

    def chunks(self, reply: Reply, include_usage: bool) -> list[dict]:
        out = super().chunks(reply, include_usage)
        if not include_usage:  # the fingerprint rides on the usage chunk, or else on the last chunk
            out[-1]["system_fingerprint"] = FINGERPRINT
        return out

    def chunk_head(self, reply: Reply) -> dict:
        return self.head(reply, "chat.completion.chunk")

    def role_chunk(self, head: dict, index: int) -> dict:
        role = {"index": index, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}
        return {**head, "choices": [role], "prompt_token_ids": None, "prompt_text": None}

    def text_chunks(self, head: dict, index: int, completion: Completion) -> list[dict]:
        """A chunk per token (one empty one for no text); the last piece of text carries the finish reason."""
        *pieces, last = completion.tokens or [""]
        out = [
            {**head, "choices": [{"index": index, "delta": {"content": token}, "logprobs": None,
                                  "finish_reason": None, "token_ids": None}]}
            for token in pieces
        ]  # fmt: skip
        finish = {
            "index": index,
            "delta": {"content": last},
            "logprobs": None,
            "finish_reason": completion.finish_reason,
            "stop_reason": completion.stop_reason,
            "token_ids": None,
        }
        out.append({**head, "choices": [finish]})
        return out

    def usage_chunk(self, head: dict, reply: Reply) -> dict:
        return {**head, "choices": [], "usage": reply.usage(), "system_fingerprint": FINGERPRINT}

    def models(self, served: list[str], created: int, owner: str) -> dict:
        permission = {
            "id": "modelperm-" + secrets.token_hex(8),
            "object": "model_permission",
            "created": created,
            "allow_create_engine": False,
            "allow_sampling": True,
            "allow_logprobs": True,
            "allow_search_indices": False,
            "allow_view": True,
            "allow_fine_tuning": False,
            "organization": "*",
            "group": None,
            "is_blocking": False,
        }
        data = [
            {
                "id": m,
                "object": "model",
                "created": created,
                "owned_by": "vllm",
                "root": m,
                "parent": None,
                "max_model_len": _MAX_MODEL_LEN,
                "permission": [permission],
            }
            for m in served
        ]
        return {"object": "list", "data": data}
