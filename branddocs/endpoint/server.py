"""Run the reference endpoint: in a thread on a free loopback port (tests), or in the foreground (CLI)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import uvicorn

from branddocs.brand import load_brands
from branddocs.endpoint.app import create_app
from branddocs.site import Project

__all__ = ["EndpointServer", "app_for_brands", "running_endpoint", "serve_forever"]


class EndpointServer(uvicorn.Server):
    """uvicorn in a background thread; `url` is known once `started` is true."""

    def install_signal_handlers(self) -> None:  # signals belong to the main thread
        pass

    @property
    def url(self) -> str:
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"


@contextmanager
def running_endpoint(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[EndpointServer]:
    """Serve `app` on loopback (port 0: a free one) for the duration of the block."""
    server = EndpointServer(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="branddocs-endpoint", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the reference endpoint did not start on {host}:{port}")
        threading.Event().wait(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def app_for_brands(
    project: Project,
    brand_ids: list[str] | None,
    api_keys: list[str],
    base_path: str | None = None,
    drift: bool = False,
):
    """The app serving the brands' models under each brand's base URL path (and /v1), or under `base_path`."""
    brands = load_brands(project.brands_dir, brand_ids)
    paths = [base_path] if base_path else list(dict.fromkeys([*(urlsplit(b.base_url).path for b in brands), "/v1"]))
    models = [m for b in brands for m in b.models]
    owner = brands[0].user_name if len(brands) == 1 else "branddocs"
    return create_app(models, api_keys, paths, drift=drift, owned_by=owner), paths, models


def serve_forever(args: argparse.Namespace, project: Project) -> int:
    keys = list(args.api_key or [])
    if not keys and os.environ.get("BRANDDOCS_API_KEY"):
        keys = [os.environ["BRANDDOCS_API_KEY"]]
    made = not keys
    if made:
        keys = ["sk-local-" + secrets.token_urlsafe(24)]
    app, paths, models = app_for_brands(project, args.brand, keys, args.base_path, args.drift)
    base = f"http://{args.host}:{args.port}"
    print(f"branddocs reference endpoint{' (drift mode)' if args.drift else ''}: {len(models)} models", file=sys.stderr)
    for path in paths:
        print(f"  base URL {base}{path}", file=sys.stderr)
    if made:
        # Printed once, here, for the writer to export; never logged anywhere else.
        print(f"  API key (made for this run): {keys[0]}", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=True)
    return 0
