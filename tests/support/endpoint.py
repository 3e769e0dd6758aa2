"""The reference endpoint as a user starts it: `branddocs endpoint` in a process of its own."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .project import BIN, ROOT


@contextmanager
def endpoint_command(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Iterator[tuple[str, Path]]:
    """`branddocs endpoint --port 0 ...` as a process in the project at `cwd`; yields its URL and its log file."""
    log = tmp_path / "endpoint.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "branddocs"), "endpoint", "--port", "0", *args],
            cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env={"PATH": "/usr/bin:/bin", **(env or {})},
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while "Uvicorn running on" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
        yield log.read_text().split("Uvicorn running on ")[1].split()[0], log
    finally:
        proc.terminate()
        proc.wait(timeout=10)
