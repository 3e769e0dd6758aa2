"""Set-ups made once per test run, not once per pytest-xdist worker: the first worker to ask makes it, the others
wait for it (a lock) and read what it left (JSON), so a build or a check that a session or module fixture makes is
not made again by the other worker of `make test` (-n auto) when its tests land there too."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of this test run that all its workers share (each xdist worker's base folder,
    popen-gwN, is a sub-folder of it); without xdist, the session's own base folder (its parent holds other runs').
    Not the variable alone: a pytest that a worker's test starts (test_cli's nested run) inherits it."""
    base = tmp_path_factory.getbasetemp()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return base.parent if worker and base.name == f"popen-{worker}" else base


def once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Any]) -> Any:
    """What `make(folder)` returned (JSON: lists come back for tuples), made in `folder` by the first worker of this
    run that asks for `name`; a failure is not kept: the next worker to ask makes it again, and fails in its turn."""
    root = run_folder(tmp_path_factory)
    folder, made = root / f"once-{name}", root / f"once-{name}.json"
    with (root / f"once-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if made.exists():
            return json.loads(made.read_text(encoding="utf-8"))
        shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed left
        folder.mkdir()
        value = make(folder)
        made.write_text(json.dumps(value), encoding="utf-8")
        return value
