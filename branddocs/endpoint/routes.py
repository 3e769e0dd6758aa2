"""Every path the reference endpoint serves, and where it serves one brand's models: the one route table.

`GET /health`, then under each base path `POST <base>/chat/completions` and `GET <base>/models`. A brand's
own base path is `/brands/<id><its base-URL path>` (`brand_prefix`): the example checks send each brand's
runs there, so a run sees that brand's models only.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if TYPE_CHECKING:
    from branddocs.brand import Brand

__all__ = [
    "CHAT_COMPLETIONS",
    "HEALTH",
    "MODELS",
    "Handlers",
    "base_path",
    "brand_prefix",
    "route_table",
    "served_brands",
]

HEALTH = "/health"
CHAT_COMPLETIONS = "/chat/completions"
"""Under each base path, as are MODELS."""
MODELS = "/models"
_BRANDS = "/brands"


class Handlers(Protocol):
    """One handler per route; the per-base ones are told the base path the request came in under."""

    async def health(self, request: Request) -> Response: ...

    async def chat_completions(self, request: Request, base: str) -> Response: ...

    async def list_models(self, request: Request, base: str) -> Response: ...


def route_table(handlers: Handlers, bases: list[str]) -> list[Route]:
    """The routes for `bases`, each a base path as `base_path` gives it."""
    routes = [Route(HEALTH, handlers.health, methods=["GET"])]
    for base in bases:
        routes.append(Route(base + CHAT_COMPLETIONS, partial(handlers.chat_completions, base=base), methods=["POST"]))
        routes.append(Route(base + MODELS, partial(handlers.list_models, base=base), methods=["GET"]))
    return routes


def base_path(path: str) -> str:
    """`path` as a base path: one leading slash, no trailing one ("" for the root)."""
    return "/" + path.strip("/") if path.strip("/") else ""


def brand_prefix(brand: Brand) -> str:
    """Where the reference endpoint serves `brand`'s models only: `/brands/<id><its base-URL path>`."""
    return f"{_BRANDS}/{brand.id}{brand.base_path}"


def served_brands(brands: Iterable[Brand]) -> list[dict]:
    """What the reference endpoint serves of each brand, as plain data (JSON): the recording proxy's process is
    handed this by `branddocs check`, which has read the brands, and builds no brand model of its own."""
    return [{"prefix": brand_prefix(b), "base_path": b.base_path, "models": list(b.models), "user_name": b.user_name,
             "streaming": b.features.streaming, "site_url": b.site_url} for b in brands]  # fmt: skip
