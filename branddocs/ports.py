"""Whether this process could listen on a host and port now: asked once, before a server says it is running."""

from __future__ import annotations

import socket

__all__ = ["listen_problem"]


def listen_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (the system's words), or None when it can.

    As MkDocs' and uvicorn's servers do: a port left in TIME_WAIT is free, one that something listens on is not."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as exc:
        return exc.strerror or str(exc)
    return None
