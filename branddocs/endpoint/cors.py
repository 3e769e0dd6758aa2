"""CORS on the reference endpoint: a reader's browser may call it from the guide's "Try it" panels.

The panels (branddocs/site/try_it.py) send the example's request from the page, with the reader's key in an
`Authorization` header and a JSON body: a browser first asks the platform (a CORS preflight, `OPTIONS`) whether the
page's origin may send that, and shows the reply only if the platform says so. The reference endpoint says yes to
the origins a guide is read from while it is written and checked (loopback, any port: `branddocs serve`) and to
the brands' own sites (`site_url`), and no to any other; it never allows credentials (cookies), which the
panels never send. A real platform must allow the same for its tenants' sites (the manual: Assistants and Try it).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

__all__ = ["ALLOWED_HEADERS", "LOOPBACK_ORIGINS", "site_origins", "with_cors"]

LOOPBACK_ORIGINS = r"^https?://(?:127\.0\.0\.1|localhost|\[::1\])(?::[0-9]{1,5})?$"
"""A page served from this machine, on any port: `branddocs serve`, the browser checks."""
ALLOWED_HEADERS = ["Authorization", "Content-Type"]
"""What the panels send besides the CORS-safelisted headers: the bearer key and the JSON body's type."""


def site_origins(site_urls: Iterable[str | None]) -> list[str]:
    """`https://docs.acme.example` for each brand's `site_url` (scheme and host, and port when it has one)."""
    origins = []
    for url in site_urls:
        if url:
            parts = urlsplit(url)
            origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return sorted(set(origins))


def with_cors(app: ASGIApp, origins: list[str]) -> ASGIApp:
    """`app` answering CORS preflights and requests from loopback pages and from `origins`; others get no CORS."""
    return CORSMiddleware(
        app,
        allow_origins=origins,
        allow_origin_regex=LOOPBACK_ORIGINS,
        allow_methods=["GET", "POST"],
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=False,
        max_age=600,
    )
