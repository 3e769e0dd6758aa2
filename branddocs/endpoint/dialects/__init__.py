"""What each kind of server sends, field for field: one class per server, looked up by name.

- vllm.py: vLLM 0.32's OpenAI-compatible server (the default)
- litellm.py: a LiteLLM 1.106 gateway in front of vLLM
- transformers.py: Hugging Face `transformers serve` 5.25, pinned to one model, without authentication
- openai.py: OpenAI itself, whose format base.py holds and every other dialect starts from
"""

from __future__ import annotations

from branddocs.endpoint.dialects.base import Dialect, Reply
from branddocs.endpoint.dialects.litellm import LiteLLMDialect
from branddocs.endpoint.dialects.openai import OpenAIDialect
from branddocs.endpoint.dialects.transformers import TransformersDialect
from branddocs.endpoint.dialects.vllm import VLLMDialect

__all__ = ["DIALECTS", "Dialect", "LiteLLMDialect", "OpenAIDialect", "Reply", "TransformersDialect", "VLLMDialect",
           "get_dialect"]  # fmt: skip

DIALECTS: dict[str, type[Dialect]] = {
    d.name: d for d in (VLLMDialect, LiteLLMDialect, OpenAIDialect, TransformersDialect)
}
"""Every dialect by its name, the default first."""


def get_dialect(name: str) -> Dialect:
    """The dialect called `name`; an unknown name is a ValueError that lists the known ones."""
    try:
        return DIALECTS[name]()
    except (KeyError, TypeError):  # TypeError: an unhashable name
        raise ValueError(f"unknown dialect {name!r}; expected one of {', '.join(DIALECTS)}") from None
