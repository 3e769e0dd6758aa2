"""The MCP server an assistant talks to: three read-only tools over one brand's built site.

One server answers for every brand: each call asks `site_of(ctx)` whose site it is (the brand of the URL
the request came to, or the one brand of a `--stdio` server), so nothing a tool returns comes from another
tenant's folder. Inputs are bounded by the tools' own schemas (checked by the SDK before a tool runs) and
again where they are used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from branddocs.mcp.pages import MAX_URL_CHARS, PageNotFound, site_address
from branddocs.mcp.search import MAX_QUERY_CHARS
from branddocs.mcp.sites import BrandSite

__all__ = ["MAX_LIMIT", "SearchResult", "SearchResults", "create_server"]

MAX_LIMIT = 50
INSTRUCTIONS = (
    "The documentation of one platform's OpenAI-compatible API, as its readers see it. search() finds pages by "
    "words in the guide's own language; get_page() gives a page's Markdown (its code examples are the checked "
    "ones); platform() gives the base URL, models, API-key variable and SDK versions to write code with."
)
_READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)


class SearchResult(BaseModel):
    """One place in the guide that matches the query."""

    title: str = Field(description="The section's heading, or the page's title")
    url: str = Field(description="The section's address on the documentation site; get_page() reads its page")
    snippet: str = Field(description="The text around the first matching word")


class SearchResults(BaseModel):
    results: list[SearchResult]


def create_server(site_of: Callable[[Context], BrandSite]) -> MCPServer:
    """The MCP server; `site_of` says which brand's site a call is for."""
    server = MCPServer("branddocs", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(annotations=_READ_ONLY)
    def search(
        query: Annotated[
            str,
            Field(min_length=1, max_length=MAX_QUERY_CHARS, description="Words to look for, in the guide's language"),
        ],
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="How many results at most")] = 10,
        *,
        ctx: Context,
    ) -> SearchResults:
        """Search this documentation site, as its own search box does; results best first."""
        site = site_of(ctx)
        try:
            hits = site.index.search(query, limit)
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        return SearchResults(results=[SearchResult(title=h.title, url=site_address(site.site_url, h.location),
                                                   snippet=h.snippet) for h in hits])  # fmt: skip

    @server.tool(annotations=_READ_ONLY)
    def get_page(
        url: Annotated[
            str,
            Field(
                max_length=MAX_URL_CHARS,
                description="A page's URL on this site (from search()) or its path, e.g. serverless-endpoints/",
            ),
        ],
        *,
        ctx: Context,
    ) -> str:
        """A page of this documentation site as Markdown: the page's own source, its examples as published."""
        pages = site_of(ctx).pages
        try:
            return pages.markdown(pages.find(url))
        except PageNotFound as exc:
            raise ToolError(str(exc)) from None

    @server.tool(annotations=_READ_ONLY)
    def platform(*, ctx: Context) -> dict[str, Any]:
        """The platform this site documents: its name, API base URL, models, the environment variable the
        examples read the API key from, and the SDKs the guide installs (with the versions its examples are
        checked with)."""
        return {k: v for k, v in site_of(ctx).platform.items() if not k.startswith("_")}

    return server
