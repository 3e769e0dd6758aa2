"""`/<id>/mcp` for every built brand: the MCP Streamable HTTP transport, one ASGI app for all brands.

A request's path names its brand; the brand's site is looked up (branddocs/mcp/sites.py) before the SDK sees
the request, and travels with it in the ASGI scope to the tools (`site_of`). Anything else is 404, as is a
brand with no built site; no answer lists the brands. The transport is stateless with JSON answers: every
POST is complete in itself, so the server keeps no session per client.

Host and Origin (the MCP specification asks servers to check Origin, against DNS rebinding) are checked per
brand: a request may come to a loopback name, to the address the server listens on, or to the brand's own
`site_url` host (a proxy such as `branddocs host nginx` passing the reader's Host); a browser's Origin must be
a loopback one or the brand's site. So `docs.acme.example` cannot be made to answer for another tenant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from branddocs.mcp.server import create_server
from branddocs.mcp.sites import BrandSite, Sites

__all__ = ["MAX_BODY_BYTES", "SCOPE_KEY", "McpApp", "site_of_request"]

MAX_BODY_BYTES = 64 * 1024
"""A request body over this is refused with 413 before it is parsed (a tool's input is far smaller)."""
SCOPE_KEY = "branddocs.site"
_PATH = re.compile(r"^/(?P<id>[^/]{1,100})/mcp$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def site_of_request(ctx: Context) -> BrandSite:
    """The brand's site the router put into the request's scope."""
    request = ctx.request_context.request
    site = request.scope.get(SCOPE_KEY) if request is not None else None
    if not isinstance(site, BrandSite):
        raise RuntimeError("branddocs mcp: a call without its brand's site (it did not come through McpApp)")
    return site


def _host_name(value: str) -> str:
    """`Host` or an origin's authority without its port: `docs.acme.example`, `127.0.0.1`, `::1`."""
    try:
        return (urlsplit("//" + value).hostname or "").lower()
    except ValueError:
        return ""


class McpApp:
    """The ASGI app `branddocs mcp` serves: the brands under `sites.root`, each at `/<id>/mcp`."""

    def __init__(self, sites: Sites, listen_host: str = "127.0.0.1",
                 make_server: Callable[..., MCPServer] = create_server) -> None:  # fmt: skip
        self.sites = sites
        self._hosts = _LOOPBACK | {listen_host.lower().strip("[]")}
        server = make_server(site_of_request)
        server.streamable_http_app(  # makes the session manager the requests below go to
            stateless_http=True,
            json_response=True,
            max_request_body_size=MAX_BODY_BYTES,
            # Host and Origin are checked here, per brand; the SDK's own check is one list for the whole server.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self._manager = server.session_manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        match = _PATH.match(scope["path"])
        site = self.sites.get(match["id"]) if match else None
        if site is None:
            await PlainTextResponse("Not Found: no documentation site's MCP server at this path\n", 404)(
                scope, receive, send
            )
            return
        problem = self._misdirected(site, Headers(scope=scope))
        if problem:
            await PlainTextResponse(problem[1] + "\n", problem[0])(scope, receive, send)
            return
        await self._manager.handle_request({**scope, SCOPE_KEY: site}, receive, send)

    def _misdirected(self, site: BrandSite, headers: Headers) -> tuple[int, str] | None:
        own = _host_name(urlsplit(site.site_url).netloc) if site.site_url else None
        host = _host_name(headers.get("host", ""))
        if host not in self._hosts and host != own:
            return 421, f"Misdirected Request: this server answers for {site.id} at its own host, not {host!r}"
        origin = headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin) if origin != "null" else None
            allowed = (
                parts is not None
                and parts.scheme in ("http", "https")
                and ((parts.hostname or "") in _LOOPBACK or (own is not None and (parts.hostname or "").lower() == own))
            )
            if not allowed:
                return 403, f"Forbidden: requests from {origin[:100]!r} are not accepted"
        return None

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """ASGI lifespan: the SDK's session manager runs (its task group) while the server does."""
        await receive()  # lifespan.startup
        phase = "startup"
        try:
            async with self._manager.run():
                await send({"type": "lifespan.startup.complete"})
                phase = "shutdown"
                await receive()  # lifespan.shutdown
        except Exception as exc:  # reported to uvicorn, which says so and stops
            await send({"type": f"lifespan.{phase}.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.shutdown.complete"})
