"""Run the MCP server: every brand over HTTP (uvicorn, in the foreground), or one brand on stdin and stdout."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import anyio
import uvicorn

from branddocs.endpoint.server import GuardedH11Protocol
from branddocs.mcp.app import McpApp
from branddocs.mcp.server import create_server
from branddocs.mcp.sites import Sites

__all__ = ["serve_http", "serve_stdio"]


def serve_http(site_dir: Path, host: str, port: int, *, no_link: bool = False) -> None:
    """Serve every brand built in `site_dir` at `http://host:port/<id>/mcp` until stopped (port 0: a free one)."""
    sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    where = f"[{host}]" if ":" in host else host
    # The port it got, on one line a script (or a test) can read: port 0 asks for any free one.
    print(f"branddocs mcp: the brands built in {site_dir}, each at http://{where}:{sock.getsockname()[1]}/<id>/mcp",
          file=sys.stderr, flush=True)  # fmt: skip
    app = McpApp(Sites(site_dir, no_link=no_link), listen_host=host)
    config = uvicorn.Config(app, http=GuardedH11Protocol, lifespan="on", log_level="warning", timeout_keep_alive=5)
    uvicorn.Server(config).run(sockets=[sock])


def serve_stdio(site_dir: Path, brand_id: str, *, no_link: bool = False) -> bool:
    """Serve one brand's site on stdin and stdout until the client closes them; False when it has no built site."""
    site = Sites(site_dir, no_link=no_link).get(brand_id)
    if site is None:
        return False
    anyio.run(create_server(lambda _ctx: site).run_stdio_async)
    return True
