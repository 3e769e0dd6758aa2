"""What the recording proxy forwards with the real key: the requests the guide's examples make, and nothing else.

The real key opens the whole of a tenant's account (its models, fine-tunes, files, batches, keys), and an example
is hostile code: the proxy forwards only the methods and paths on this list, under the run's base path, and answers
anything else 403 with one line naming the method and path. The list is DEFAULT_REQUESTS, which the guide's
examples use, and what the checked brands add in their files (`api.example_requests`), each entry a method and a
path under the base URL in which `*` stands for one path segment (REQUEST_PATTERN, text/grammar.py):

    api:
      example_requests: ["POST /embeddings", "GET /models/*"]

The proxy takes the list from the engine when it starts (`branddocs check` reads the brand files); nothing the
checks' process or an example sends can widen it.

The request forwarded is rebuilt from allowed parts, never the example's request less a deny-list: the method and
normalised path above, the request headers of FORWARDED_HEADERS (what the openai Python and Node.js SDKs and curl
send, recorded from each; `Authorization` is set by the proxy), no query string (no entry declares one: the guide's
requests take none), and a body only for methods that have one (`GET`, `HEAD`, `DELETE` and `OPTIONS` with a body
are refused). Any other header (`X-HTTP-Method-Override`, `X-Original-URL`, `OpenAI-Organization`, `Forwarded`,
`Cookie`) is dropped: the platform never sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from branddocs.text.grammar import REQUEST_PATTERN  # not the brand model's: building it is a third of a second

__all__ = ["BODILESS", "DEFAULT_REQUESTS", "FIELD", "FORWARDED_HEADERS", "Allowed", "forwarded_headers"]

DEFAULT_REQUESTS = ("POST /chat/completions", "GET /models")
"""What the guide's examples send: chat completions (streamed or not) and the list of models."""
FIELD = "api.example_requests"
"""Where a brand file adds requests to the list."""
FORWARDED_HEADERS = frozenset({
    "accept", "content-type", "user-agent", "openai-beta",
    # The SDKs' own (Stainless): what they are, for the platform's statistics; none names a method, path or account.
    "x-stainless-arch", "x-stainless-async", "x-stainless-lang", "x-stainless-os", "x-stainless-package-version",
    "x-stainless-read-timeout", "x-stainless-retry-count", "x-stainless-runtime", "x-stainless-runtime-version",
    "x-stainless-timeout",
})  # fmt: skip
"""The request headers forwarded (lower case); `authorization` is the proxy's to set, every other is dropped."""
BODILESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
"""Methods whose requests are forwarded only without a body: a body there is a smuggling primitive upstream."""
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


def forwarded_headers(sent: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The headers of FORWARDED_HEADERS among `sent` (name, value), the first of each; every other is dropped."""
    kept: dict[str, str] = {}
    for name, value in sent:
        if name.lower() in FORWARDED_HEADERS and name.lower() not in kept:
            kept[name.lower()] = value
    return kept
