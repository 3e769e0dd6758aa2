"""`branddocs serve`: `mkdocs serve` for one brand, on a port checked first, stopped with its child."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

__all__ = ["check_address", "serve"]

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def check_address(dev_addr: str) -> tuple[str, int]:
    """`HOST:PORT` that this process could listen on now; a ValueError, one line for people, otherwise."""
    host, _, port_text = dev_addr.rpartition(":")
    if not host or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"--dev-addr: expected HOST:PORT with a port from 1 to 65535, found {dev_addr!r}")
    port = int(port_text)
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as probe:
            # As mkdocs' server does: a port left in TIME_WAIT is free, one that something listens on is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(infos[0][4])
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ValueError(f"--dev-addr {dev_addr}: cannot listen there ({reason}); choose another port") from None
    return host, port


def serve(config_file: Path, brand_id: str, dev_addr: str) -> int:
    """Run `mkdocs serve` for `brand_id` until it ends or this process is told to stop; its exit code.

    Check the address with `check_address` first: MkDocs finds a busy port only after a full build.
    """
    cmd = [sys.executable, "-m", "mkdocs", "serve", "-f", str(config_file), "-a", dev_addr]
    # Its own process group: a terminal's Ctrl-C reaches this process only, which passes it on once.
    child = subprocess.Popen(cmd, env={**os.environ, "BRAND": brand_id}, process_group=0)

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in _FORWARDED}
    try:
        try:
            code = child.wait()
        finally:
            if child.poll() is None:  # this process is ending for another reason: take the server with it
                child.terminate()
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code
