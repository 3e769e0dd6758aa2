"""What each kind of server sends, field for field: vLLM 0.32, a LiteLLM 1.106 gateway in front of it, OpenAI.

Each dialect shapes the same deterministic completion the way its server does, as recorded in
tests/fixtures/wire-recordings/ (tests replay every recording against its dialect and compare shapes):

- `vllm` (the default): `null` for `refusal`, `annotations`, `audio`, `function_call`, `reasoning`,
  `usage.*_details` and more; no `tool_calls`; `stop_reason`; `system_fingerprint`; a wrong or missing key
  gets `401 {"error": "Unauthorized"}`; an unknown field is ignored.
- `litellm` (no database): no `logprobs`, `refusal` or `stop_reason` (moved into `provider_specific_fields`);
  the finish reason on a chunk of its own with an empty delta; a wrong key gets `400 "No connected db."`,
  a missing key a plain-text 500; an unknown model a 400.
- `openai`: OpenAI's published schema to the letter; an unknown field is a 400 naming it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from branddocs.endpoint.errors import ApiError
from branddocs.endpoint.generate import Completion

__all__ = ["DIALECTS", "Dialect", "Reply"]

DIALECTS = ("vllm", "litellm", "openai")
_VLLM_FINGERPRINT = "vllm-0.32.0-" + "b7a9d0c3"


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


@dataclass(frozen=True)
class Dialect:
    name: str = "vllm"

    def __post_init__(self) -> None:
        if self.name not in DIALECTS:
            raise ValueError(f"unknown dialect {self.name!r}; expected one of {', '.join(DIALECTS)}")

    @property
    def rejects_unknown_fields(self) -> bool:
        return self.name == "openai"

    def new_id(self) -> str:
        return "chatcmpl-" + (secrets.token_hex(8) if self.name != "openai" else secrets.token_urlsafe(21))

    # Errors: (status, content type, body) for an ApiError.

    def error(self, err: ApiError, key_given: bool = True) -> tuple[int, str, object]:
        if self.name == "vllm":
            if err.status == 401:
                return 401, "application/json", {"error": "Unauthorized"}
            kind = {400: "BadRequestError", 404: "NotFoundError"}.get(err.status, "Error")
            body = {"message": err.message, "type": kind, "param": err.param or "body", "code": err.status}
            return err.status, "application/json", {"error": body}
        if self.name == "litellm":
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
        return err.status, "application/json", err.body()

    # Non-stream responses.

    def completion(self, reply: Reply) -> dict:
        if self.name == "litellm":
            return self._litellm_completion(reply)
        choices = []
        for i, c in enumerate(reply.completions):
            if self.name == "vllm":
                message = {
                    "role": "assistant",
                    "content": c.text,
                    "refusal": None,
                    "annotations": None,
                    "audio": None,
                    "function_call": None,
                    "reasoning": None,
                }
                choices.append(
                    {
                        "index": i,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": c.finish_reason,
                        "stop_reason": c.stop_reason,
                        "token_ids": None,
                        "routed_experts": None,
                    }
                )
            else:
                message = {"role": "assistant", "content": c.text, "refusal": None, "annotations": []}
                choices.append({"index": i, "message": message, "logprobs": None, "finish_reason": c.finish_reason})
        head = {"id": reply.ident, "object": "chat.completion", "created": reply.created, "model": reply.model}
        if self.name == "vllm":
            usage = {**reply.usage(), "prompt_tokens_details": None, "completion_tokens_details": None}
            return {
                **head,
                "choices": choices,
                "service_tier": None,
                "system_fingerprint": _VLLM_FINGERPRINT,
                "usage": usage,
                "prompt_logprobs": None,
                "prompt_token_ids": None,
                "prompt_text": None,
                "kv_transfer_params": None,
                "ec_transfer_params": None,
                "metrics": None,
            }
        return {
            **head,
            "choices": choices,
            "usage": self._openai_usage(reply),
            "service_tier": "default",
            "system_fingerprint": "fp_branddocs",
        }

    def _litellm_completion(self, reply: Reply) -> dict:
        choices = [
            {
                "finish_reason": c.finish_reason,
                "index": i,
                "message": {
                    "content": c.text,
                    "role": "assistant",
                    "provider_specific_fields": {"refusal": None, "reasoning": None},
                },
                "provider_specific_fields": {"routed_experts": None, "token_ids": None, "stop_reason": c.stop_reason},
            }
            for i, c in enumerate(reply.completions)
        ]
        usage = {
            "completion_tokens": reply.completion_tokens,
            "prompt_tokens": reply.prompt_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        }
        return {
            "id": reply.ident,
            "created": reply.created,
            "model": reply.model,
            "object": "chat.completion",
            "system_fingerprint": _VLLM_FINGERPRINT,
            "choices": choices,
            "usage": usage,
        }

    def _openai_usage(self, reply: Reply) -> dict:
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

    # Streams: the chunks, in order, as dicts (the app frames them as `data:` events).

    def chunks(self, reply: Reply, include_usage: bool) -> list[dict]:
        head = {"id": reply.ident, "object": "chat.completion.chunk", "created": reply.created, "model": reply.model}
        if self.name == "litellm":
            return self._litellm_chunks(reply, head, include_usage)
        out: list[dict] = []
        for i in range(len(reply.completions)):
            role = {"index": i, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}
            if self.name == "vllm":
                out.append({**head, "choices": [role], "prompt_token_ids": None, "prompt_text": None})
            else:
                role["delta"]["refusal"] = None
                out.append({**head, "service_tier": "default", "system_fingerprint": "fp_branddocs", "choices": [role]})
        for i, c in enumerate(reply.completions):
            pieces = c.tokens or [""]
            for n, token in enumerate(pieces, 1):
                last = n == len(pieces)
                choice = {"index": i, "delta": {"content": token}, "logprobs": None, "finish_reason": None}
                if self.name == "vllm":
                    # The last piece of text carries the finish reason, as vLLM sends it.
                    if last:
                        choice |= {"finish_reason": c.finish_reason, "stop_reason": c.stop_reason}
                    choice["token_ids"] = None
                    out.append({**head, "choices": [choice]})
                else:
                    out.append(
                        {**head, "service_tier": "default", "system_fingerprint": "fp_branddocs", "choices": [choice]}
                    )
            if self.name == "openai":
                finish = {"index": i, "delta": {}, "logprobs": None, "finish_reason": c.finish_reason}
                out.append(
                    {**head, "service_tier": "default", "system_fingerprint": "fp_branddocs", "choices": [finish]}
                )
        if include_usage and self.name == "vllm":
            out.append({**head, "choices": [], "usage": reply.usage(), "system_fingerprint": _VLLM_FINGERPRINT})
        elif self.name == "vllm":
            out[-1]["system_fingerprint"] = _VLLM_FINGERPRINT
        elif include_usage:
            out.append(
                {
                    **head,
                    "service_tier": "default",
                    "system_fingerprint": "fp_branddocs",
                    "choices": [],
                    "usage": self._openai_usage(reply),
                }
            )
        return out

    def _litellm_chunks(self, reply: Reply, head: dict, include_usage: bool) -> list[dict]:
        out = [
            {**head, "choices": [{"index": i, "delta": {"role": "assistant", "content": ""}}]}
            for i in range(len(reply.completions))
        ]
        for i, c in enumerate(reply.completions):
            out += [{**head, "choices": [{"index": i, "delta": {"content": t}}]} for t in c.tokens]
            out.append({**head, "choices": [{"index": i, "delta": {}, "finish_reason": c.finish_reason}]})
        if include_usage:
            usage = {
                "completion_tokens": reply.completion_tokens,
                "prompt_tokens": reply.prompt_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
                "completion_tokens_details": {"reasoning_tokens": 0, "text_tokens": reply.completion_tokens},
            }
            out.append(
                {
                    "id": reply.ident,
                    "created": reply.created,
                    "model": reply.model,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {}}],
                    "usage": usage,
                }
            )
        return out

    def models(self, served: list[str], created: int, owner: str) -> dict:
        if self.name == "vllm":
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
                    "max_model_len": 8192,
                    "permission": [permission],
                }
                for m in served
            ]
            return {"object": "list", "data": data}
        if self.name == "litellm":
            data = [{"id": m, "object": "model", "created": created, "owned_by": "openai"} for m in served]
            return {"data": data, "object": "list"}
        return {
            "object": "list",
            "data": [{"id": m, "object": "model", "created": created, "owned_by": owner} for m in served],
        }
