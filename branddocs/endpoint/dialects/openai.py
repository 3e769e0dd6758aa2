"""OpenAI's own API: the base dialect's format to the letter of its published schema, nothing different."""

from __future__ import annotations

from branddocs.endpoint.dialects.base import Dialect

__all__ = ["OpenAIDialect"]


class OpenAIDialect(Dialect):
    name = "openai"
