"""Starting the proxy process (process.py): `launch` it, with its settings on its stdin or (`send`) once they are
read, then, once the engine has done what it can meanwhile, `ready` reads where it serves; `stop` ends it. Here,
apart from process.py and recording.py: the engine starts it before it imports what they import (httpx,
starlette), which the proxy process imports for itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping

from branddocs.settings import SAFE_PATH

__all__ = ["DEFAULT_TIMEOUT", "launch", "ready", "send", "stop"]

DEFAULT_TIMEOUT = 60.0
"""Seconds one example may run, and the proxy's limit for one request, unless the run or a brand sets another."""


def launch(settings: Mapping[str, object] | None, environ: Mapping[str, str]) -> subprocess.Popen:
    """The proxy process, started with `settings` on its stdin (None: `send` them later; it imports meanwhile);
    `ready` waits until it serves. Closing its stdin before any settings came ends it quietly."""
    # In a folder of nobody's choosing ("/"): a relative entry on Python's path (an editable install's) is looked up
    # there, not in the project, whose `__editable__...` folder would be imported from (a sitecustomize.py).
    process = subprocess.Popen(
        [sys.executable, *SAFE_PATH, "-m", "branddocs.examples.proxy.process"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, env=dict(environ), cwd="/",
    )  # fmt: skip
    if settings is not None:
        send(process, settings)
    return process


def send(process: subprocess.Popen, settings: Mapping[str, object]) -> None:
    """The `launch`ed proxy's settings, the key among them: one line on its stdin, which it reads once."""
    assert process.stdin is not None
    process.stdin.write(json.dumps(dict(settings)).encode() + b"\n")
    process.stdin.flush()


def ready(process: subprocess.Popen) -> dict:
    """Where the `launch`ed proxy serves, once it does; RuntimeError if it ended first."""
    assert process.stdin is not None
    assert process.stdout is not None
    line = process.stdout.readline()
    process.stdout.close()
    if not line:
        process.stdin.close()
        raise RuntimeError(f"the recording proxy did not start (status {process.wait(timeout=30)}; see above)")
    return json.loads(line)


def stop(process: subprocess.Popen) -> None:
    """The proxy ends with its stdin: closed (if it is not already), and waited for; killed after 15 s."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
