"""What the recording proxy forwards with the real key: the requests the guide's examples make, and nothing else.

The real key opens the whole of a tenant's account (its models, fine-tunes, files, batches, keys), and an example
is hostile code: the proxy forwards only the methods and paths on this list, under the run's base path, and answers
anything else 403 with one line naming the method and path. The list is DEFAULT_REQUESTS, which the guide's
examples use, and what the checked brands add in their files (`api.example_requests`), each entry a method and a
path under the base URL in which `*` stands for one path segment (the brand model's REQUEST_PATTERN):

    api:
      example_requests: ["POST /embeddings", "GET /models/*"]

The proxy takes the list from the engine when it starts (`branddocs check` reads the brand files); nothing the
checks' process or an example sends can widen it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from branddocs.brand import REQUEST_PATTERN

__all__ = ["DEFAULT_REQUESTS", "FIELD", "Allowed"]

DEFAULT_REQUESTS = ("POST /chat/completions", "GET /models")
"""What the guide's examples send: chat completions (streamed or not) and the list of models."""
FIELD = "api.example_requests"
"""Where a brand file adds requests to the list."""
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")


class Allowed:
    """The requests the proxy forwards: DEFAULT_REQUESTS and `extra` ("METHOD /path", REQUEST_PATTERN)."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.entries = tuple(dict.fromkeys([*DEFAULT_REQUESTS, *extra]))
        self._rules = []
        for entry in self.entries:
            if not re.match(REQUEST_PATTERN, entry):
                raise ValueError(f"{FIELD}: expected METHOD /path (pattern {REQUEST_PATTERN}), found {entry!r}")
            method, path = entry.split(" ", 1)
            self._rules.append((method, path.split("/")[1:]))

    def __repr__(self) -> str:
        return f"Allowed({list(self.entries)!r})"

    def permits(self, method: str, path: str) -> bool:
        """Whether `method` `path` (normalised, under the base path: `/chat/completions`) is on the list."""
        segments = path.split("/")[1:] if path.startswith("/") else None
        if not segments or any(not _SEGMENT.fullmatch(s) for s in segments):
            return False  # an empty segment (a trailing or doubled slash), an encoded character: not a listed path
        return any(
            method == allowed
            and len(pattern) == len(segments)
            and all(p in ("*", s) for p, s in zip(pattern, segments, strict=True))
            for allowed, pattern in self._rules
        )

    def refusal(self, method: str, path: str) -> str:
        """The one line a refused request is answered with."""
        shown = path if len(path) <= 200 else path[:200] + "..."
        return (f"branddocs proxy: not forwarded: {method[:20]} {shown} is not a request the guide's examples make "
                f"(forwarded: {', '.join(self.entries)}; a brand adds more with {FIELD})")  # fmt: skip
