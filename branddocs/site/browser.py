"""A built site in Debian's Chromium: the browser's path and flags, and the site served on loopback."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from branddocs import settings

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "serve_site"]

CHROMIUM = settings.CHROMIUM.get() or "/usr/bin/chromium"
"""Debian's Chromium; `make test CHROMIUM=...` (or `$BRANDDOCS_CHROMIUM`) names another."""
# No background traffic: this machine's network is closed, and a test must talk to loopback only.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip



class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_site(site: Path) -> Iterator[str]:
    """Serve a built site over HTTP on a free loopback port; yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
