"""One line for an error answer, whatever shape its body has: what `branddocs check` and failures print."""

from __future__ import annotations

import json
from http import HTTPStatus

__all__ = ["error_summary"]


def error_summary(status: int, body: bytes | str, content_type: str = "") -> str:
    """`the endpoint answered 401: Unauthorized`, whatever shape the error body has (object, string, text, empty)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    detail = ""
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        error = parsed.get("error", parsed.get("detail", parsed.get("message")))
        if isinstance(error, dict):
            code = error.get("code")
            code = code if isinstance(code, str) and not code.isdigit() else error.get("type")
            message = error.get("message") or error.get("msg") or json.dumps(error)[:200]
            detail = f"{message} ({code})" if isinstance(code, str) and code and code not in str(message) else message
        elif error is not None:
            detail = str(error)
        else:
            detail = text
    elif parsed is not None:
        detail = str(parsed)
    else:
        detail = " ".join(text.split())
    detail = " ".join(str(detail).split())[:300]
    if not detail:
        try:
            detail = f"{HTTPStatus(status).phrase} (empty body)"
        except ValueError:
            detail = "(empty body)"
    return f"the endpoint answered {status}: {detail}"
