"""Run nginx on a written output folder, in the foreground, until the block ends: for tests and benchmarks.

Production runs nginx under its own service manager (manual: how-to/host.md); this is the same command,
`nginx -c <out>/nginx.conf -p <out>/`, started and stopped by a Python `with`.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from branddocs.errors import UsageError

__all__ = ["NGINX", "check_config", "free_port", "nginx_binary", "running_nginx"]

NGINX = "nginx"
"""Debian's `nginx` package puts it at /usr/sbin/nginx (`make test` installs it, as root)."""


def nginx_binary() -> str:
    found = shutil.which(NGINX) or shutil.which(NGINX, path="/usr/sbin:/usr/local/sbin")
    if not found:
        raise UsageError("nginx is not installed: `sudo apt-get install nginx` (make test does it, as root)")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the system's pick); nginx binds it a moment later."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def check_config(out: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on `out/nginx.conf`: what nginx says of it, without serving."""
    command = [nginx_binary(), "-t", "-q", "-c", str(out / "nginx.conf"), "-p", f"{out}/"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@contextmanager
def running_nginx(out: Path, ports: list[tuple[str, int]], timeout: float = 20) -> Iterator[subprocess.Popen[str]]:
    """nginx serving `out/nginx.conf` in the foreground; yields once every `(host, port)` in `ports` accepts."""
    command = [nginx_binary(), "-c", str(out / "nginx.conf"), "-p", f"{out}/"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + timeout
        for host, port in ports:
            while True:
                if process.poll() is not None:
                    log = (out / "logs" / "error.log").read_text(errors="replace")[-2000:]
                    said = process.stdout.read() if process.stdout else ""
                    raise RuntimeError(f"nginx stopped with {process.returncode}: {said}{log}")
                try:
                    socket.create_connection((host.strip("[]"), port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"nginx did not listen on {host}:{port} within {timeout} s") from None
                    time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)  # graceful: workers finish their requests
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout:
            process.stdout.close()
