"""`branddocs serve` stops when told to, even when its `mkdocs serve` does not: that one is killed STOP_GRACE
seconds after the signal, or at once on a second signal. (`mkdocs serve` told to stop at the wrong moment of its
start never ended under heavy load, and the preview's terminal hung with it.) The child here is a stand-in that
ignores every signal it may: a real `mkdocs serve` cannot be made to hang on cue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from branddocs.site.serve import STOP_GRACE

STUBBORN = """import signal, sys, time
for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(signum, signal.SIG_IGN)
print("Serving on", flush=True)
time.sleep(600)
"""
SUPERVISOR = "import sys; from pathlib import Path; from branddocs.site.serve import serve; " \
             "sys.exit(serve(Path('mkdocs.yml'), ['acme'], ['127.0.0.1:1']))"  # fmt: skip


@contextmanager
def stubborn_serve(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`serve()` with a `mkdocs` package first on the path that ignores signals; the supervisor and its child."""
    (tmp_path / "mkdocs").mkdir()
    (tmp_path / "mkdocs" / "__init__.py").write_text("")
    (tmp_path / "mkdocs" / "__main__.py").write_text(STUBBORN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    proc = subprocess.Popen([sys.executable, "-c", SUPERVISOR], cwd=tmp_path, env=env, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"Serving on\n"
        [child] = [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/stat")
                   if _parent(p) == proc.pid]  # fmt: skip
        yield proc, child
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def _parent(stat: Path) -> int:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError):
        return -1


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_server_that_does_not_stop_is_killed_after_the_grace(tmp_path: Path, signum: int) -> None:
    with stubborn_serve(tmp_path) as (proc, child):
        started = time.monotonic()
        proc.send_signal(signum)
        time.sleep(1)
        assert proc.poll() is None, "ended before the grace"  # the child was given its chance: it ignored it
        assert proc.wait(timeout=STOP_GRACE + 20) != 0
        assert time.monotonic() - started >= STOP_GRACE
        assert _gone(child)


def test_a_second_signal_kills_at_once(tmp_path: Path) -> None:
    with stubborn_serve(tmp_path) as (proc, child):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=STOP_GRACE)
        assert time.monotonic() - started < STOP_GRACE / 2
        assert _gone(child)
