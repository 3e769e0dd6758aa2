"""`branddocs serve`: `mkdocs serve` per brand, each on a port checked first, stopped with its children.

Several brands (`--brand a --brand b`, as `branddocs diff` suggests) get one `mkdocs serve` each, on
consecutive ports from the one given: the simplest way to open each changed tenant side by side.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from branddocs.ports import listen_problem
from branddocs.settings import SAFE_PATH

__all__ = ["addresses", "check_address", "serve"]

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_GRACE = 10
"""Seconds a server has to stop once told to, before it is killed."""


def check_address(dev_addr: str) -> tuple[str, int]:
    """`HOST:PORT` that this process could listen on now; a ValueError, one line for people, otherwise."""
    host, _, port_text = dev_addr.rpartition(":")
    if not host or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError(f"--dev-addr: expected HOST:PORT with a port from 1 to 65535, found {dev_addr!r}")
    port = int(port_text)
    reason = listen_problem(host, port)
    if reason:
        raise ValueError(f"--dev-addr {dev_addr}: cannot listen there ({reason}); choose another port")
    return host, port


def addresses(dev_addr: str, count: int) -> list[str]:
    """`count` addresses on consecutive ports from `dev_addr`'s, each checked with `check_address`."""
    host, port = check_address(dev_addr)
    if port + count - 1 > 65535:
        raise ValueError(f"--dev-addr {dev_addr}: {count} brands need ports {port} to {port + count - 1}")
    for extra in range(1, count):
        check_address(f"{host}:{port + extra}")
    return [f"{host}:{port + k}" for k in range(count)]


def serve(config_file: Path, brand_ids: list[str], dev_addrs: list[str],
          extra_env: dict[str, dict[str, str]] | None = None) -> int:  # fmt: skip
    """Run `mkdocs serve` for each brand (on its address) until one ends or this process is told to stop.

    Check the addresses first (`addresses`): MkDocs finds a busy port only after a full build. The exit
    code is the first server's to end; the others are stopped with it. `extra_env` adds variables to a brand's
    server (`--try-it`: where its panels send).
    """
    children = []
    for brand_id, dev_addr in zip(brand_ids, dev_addrs, strict=True):
        if len(brand_ids) > 1:
            print(f"branddocs serve: {brand_id} at http://{dev_addr}/", flush=True)
        # MkDocs' serve, its config checked at every reload too (serve_child.py), not only before the first load.
        cmd = [sys.executable, *SAFE_PATH, "-m", "branddocs.site.serve_child", "serve", "-f", str(config_file)]
        cmd += ["-a", dev_addr]
        # Its own process group: a terminal's Ctrl-C reaches this process only, which passes it on once.
        env = {**os.environ, **(extra_env or {}).get(brand_id, {}), "BRAND": brand_id}
        children.append(subprocess.Popen(cmd, env=env, process_group=0))

    told: list[float] = []  # when this process was told to stop

    def forward(signum: int, _frame: object) -> None:
        # A second signal kills: `mkdocs serve` told to stop during its first build never ends (its server's
        # shutdown waits for a loop that never started), and neither would this process.
        kill = bool(told)
        told.append(time.monotonic())
        for child in children:
            if child.poll() is None and kill:
                child.kill()
            elif child.poll() is None:
                child.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in _FORWARDED}
    try:
        try:
            code = _first_exit(children, told)
        finally:
            for child in children:  # one server ended, or this process is ending: take the others with it
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code


def _first_exit(children: list[subprocess.Popen[bytes]], told: list[float]) -> int:
    """The exit code of the first child to end; a child still running STOP_GRACE seconds after this process was
    told to stop is killed (the hang `forward` describes, when nobody sends a second signal)."""
    while True:
        for child in children:
            if child.poll() is not None:
                return child.returncode
        if told and time.monotonic() > told[0] + STOP_GRACE:
            for child in children:
                child.kill()
        time.sleep(0.1)
