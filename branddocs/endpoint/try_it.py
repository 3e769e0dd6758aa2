"""The reference endpoint behind `branddocs serve --try-it`: the preview's "Try it" panels send to it.

It runs on a free loopback port for as long as the preview does, with a key made for the run (printed once,
for the writer to paste into a panel), serving each previewed brand at its own path (`/brands/<id><base path>`,
its models only) and answering CORS for loopback pages (branddocs/endpoint/cors.py). Each brand's `mkdocs serve`
gets `BRANDDOCS_TRY_IT_BASE`, so its panels send there while the code shown keeps the brand's base URL.
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from branddocs.endpoint.routes import brand_prefix
from branddocs.endpoint.server import app_for_brands, running_endpoint
from branddocs.settings import TRY_IT_BASE
from branddocs.site import Project

__all__ = ["try_it_endpoint"]


@contextmanager
def try_it_endpoint(project: Project, brand_ids: list[str]) -> Iterator[dict[str, dict[str, str]]]:
    """The reference endpoint for the block's duration; yields each brand's server environment for `serve`."""
    key = "sk-local-" + secrets.token_urlsafe(24)
    app, _, _ = app_for_brands(project, brand_ids, [key])
    with running_endpoint(app) as server:
        bases = {brand_id: server.url + brand_prefix(project.brand(brand_id)) for brand_id in brand_ids}
        # Printed once, here, for the writer to paste into a panel; never logged anywhere else.
        print(f"branddocs serve: Try it sends to the reference endpoint at {server.url}; API key for this run: {key}",
              file=sys.stderr, flush=True)  # fmt: skip
        yield {brand_id: {TRY_IT_BASE.name: base} for brand_id, base in bases.items()}
