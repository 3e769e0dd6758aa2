"""OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}` with the matching HTTP status."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ApiError"]


@dataclass
class ApiError(Exception):
    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    allow: str | None = None
    """For a 405: the methods the path does allow (sent as the `Allow` header)."""

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    @classmethod
    def bad(cls, param: str | None, message: str, code: str | None = None) -> ApiError:
        return cls(400, message, param=param, code=code)
