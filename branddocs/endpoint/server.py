"""Run the reference endpoint: in a thread on a free loopback port (tests), or in the foreground (CLI)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from branddocs.endpoint.app import create_app
from branddocs.endpoint.cors import site_origins, with_cors
from branddocs.endpoint.routes import served_brands
from branddocs.errors import EXIT_USAGE
from branddocs.ports import listen_problem
from branddocs.settings import API_KEY

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = [
    "HEADER_TIMEOUT",
    "EndpointServer",
    "GuardedH11Protocol",
    "app_for_brands",
    "app_for_served",
    "running_endpoint",
    "serve_forever",
]


HEADER_TIMEOUT = 10.0
"""Seconds a connection may take to send a request's headers; a half-sent or silent one is then closed."""


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for the first request's headers (no slowloris connections)."""

    header_timeout = HEADER_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # Sockets from socket.create_server (proto 0) are not ones asyncio sets TCP_NODELAY on: without it a
        # response's body waits for the ACK of its headers, which a keep-alive client delays up to 40 ms.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = self.loop.call_later(self.header_timeout, self._too_slow)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and self._header_deadline is not None:  # the headers are in
            self._header_deadline.cancel()
            self._header_deadline = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._header_deadline = None
        if self.cycle is None and not self.transport.is_closing():
            self.transport.close()


def _config(app, host: str, port: int, header_timeout: float, **kwargs) -> uvicorn.Config:
    protocol = type("Guarded", (GuardedH11Protocol,), {"header_timeout": header_timeout})
    return uvicorn.Config(app, host=host, port=port, http=protocol, timeout_keep_alive=5, **kwargs)


class EndpointServer(uvicorn.Server):
    """uvicorn in a background thread; `url` is known once `started` is true."""

    def install_signal_handlers(self) -> None:  # signals belong to the main thread
        pass

    @property
    def url(self) -> str:
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"


@contextmanager
def running_endpoint(
    app, host: str = "127.0.0.1", port: int = 0, header_timeout: float = HEADER_TIMEOUT, uds: str | None = None
) -> Iterator[EndpointServer]:
    """Serve `app` on loopback (port 0: a free one), and on the Unix socket `uds` too, for the block's duration."""
    server = EndpointServer(_config(app, host, port, header_timeout, log_level="warning", access_log=False))
    sockets = [socket.create_server((host, port))]
    if uds:
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(uds)
        sockets.append(unix)
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, name="branddocs-endpoint", daemon=True)
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
        for sock in sockets:
            sock.close()


def app_for_brands(
    project: Project,
    brand_ids: list[str] | None,
    api_keys: list[str],
    base_path: str | None = None,
    drift: bool | list[str] = (),
    dialect: str = "vllm",
):
    """The app serving each brand's models under its own paths only; every selected brand's under `base_path`.

    Each brand is served at `/brands/<id><its base-URL path>` (routes.brand_prefix: the example checks call
    that) and at its base-URL path, which lists the models of the brands that share that path (usually one brand).
    """
    from branddocs.brand import load_brands  # here: the proxy's process serves brands it is handed (served_brands)

    served = served_brands(load_brands(project.brands_dir, brand_ids))
    return app_for_served(served, api_keys, base_path, drift, dialect)


def app_for_served(
    brands: list[dict], api_keys: list[str], base_path: str | None = None, drift: bool | list[str] = (),
    dialect: str = "vllm",
):  # fmt: skip
    """`app_for_brands` for brands as `served_brands` gives them: (the app, the shared base paths, the models)."""
    no_streaming, streams_at, own_paths = [], {}, set()
    if base_path:
        served = {base_path: [m for b in brands for m in b["models"]]}
    else:
        served = {}
        for brand in brands:
            own, path = brand["prefix"], brand["base_path"]
            own_paths.add(own)
            served[own] = list(brand["models"])
            served.setdefault(path, []).extend(m for m in brand["models"] if m not in served[path])
            if not brand["streaming"]:
                no_streaming.append(own)
            streams_at[path] = streams_at.get(path, False) or brand["streaming"]
        # A base path shared with a brand that streams keeps streaming.
        no_streaming += [path for path, streams in streams_at.items() if not streams]
    owner = brands[0]["user_name"] if len(brands) == 1 else "branddocs"
    app = create_app(served, api_keys, drift=drift, owned_by=owner, dialect=dialect, no_streaming=no_streaming)
    app = with_cors(app, site_origins(b["site_url"] for b in brands))  # the guides' "Try it" panels (cors.py)
    paths = [p for p in served if p not in own_paths]
    return app, paths, list(dict.fromkeys(m for b in brands for m in b["models"]))


def serve_forever(args: argparse.Namespace, project: Project) -> int:
    problem = listen_problem(args.host, args.port)
    if problem:
        print(f"branddocs endpoint: cannot listen on {args.host}:{args.port}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    keys = list(args.api_key or [])
    if not keys and API_KEY.is_set():
        keys = [API_KEY.get()]
    made = not keys
    if made:
        keys = ["sk-local-" + secrets.token_urlsafe(24)]
    app, paths, models = app_for_brands(project, args.brand, keys, args.base_path, args.drift or (), args.dialect)
    config = _config(app, args.host, args.port, HEADER_TIMEOUT, log_level="info", access_log=True)
    # Bound and listening before anything is printed (uvicorn's own line included, as uvicorn words it): with --port 0
    # the base URLs name the port the system chose, and whoever reads them can connect at once.
    info = socket.getaddrinfo(args.host.strip("[]"), args.port, type=socket.SOCK_STREAM)[0]
    listener = socket.socket(info[0], socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(info[4])
    listener.listen(config.backlog)
    port = listener.getsockname()[1]
    host = f"[{args.host.strip('[]')}]" if ":" in args.host else args.host
    logging.getLogger("uvicorn.error").info(f"Uvicorn running on http://{host}:{port} (Press CTRL+C to quit)")
    base = f"http://{host}:{port}"
    drift = f", drift: {', '.join(args.drift)}" if args.drift else ""
    print(f"branddocs reference endpoint ({args.dialect} dialect{drift}): {len(models)} models", file=sys.stderr)
    for path in paths:
        print(f"  base URL {base}{path}", file=sys.stderr)
    if made:
        # Printed once, here, for the writer to export; never logged anywhere else.
        print(f"  API key (made for this run): {keys[0]}", file=sys.stderr)
    uvicorn.Server(config).run(sockets=[listener])
    return 0
