"""`branddocs check` runs pytest as `python -m branddocs.examples.pytest_plugin` (its __main__.py): pytest's own
run, status and output, then its threads and atexit functions, and the process ends without the interpreter's
teardown of every module it imported (a quarter to half a second at the end of every check).

Negative: the same tests under `python -m pytest` have their module torn down (the object below says so when
it is collected), which the check's runner skips; the rest (status, output, atexit, a thread's end) is alike.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TESTS = r"""
import atexit, os, sys, threading, time

class Marker:
    def __del__(self, write=os.write):  # the module's names are gone by then: its own reference
        write(1, b"module torn down\n")

KEPT = Marker()  # collected only by the interpreter's teardown
atexit.register(lambda: sys.stdout.write("atexit ran\n"))

def _late():
    time.sleep(0.3)
    sys.stdout.write("thread ended\n")

def test_passes():
    threading.Thread(target=_late).start()  # not a daemon: waited for before the process ends

def test_fails():
    assert False, "said"
"""


@pytest.mark.parametrize("runner", ["branddocs.examples.pytest_plugin", "pytest"], ids=["check", "negative-pytest"])
def test_runner_ends_without_teardown(runner: str, tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(TESTS, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", runner, "-q", "-p", "no:cacheprovider", "test_probe.py"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr  # a failed test: pytest's own status
    assert "1 failed, 1 passed" in done.stdout
    assert "thread ended" in done.stdout
    assert "atexit ran" in done.stdout
    assert ("module torn down" in done.stdout) == (runner == "pytest")


def test_check_runs_pytest_with_the_runner() -> None:
    """The command `branddocs check` gives its harness names the runner, not `-m pytest`."""
    source = (Path(__file__).parents[1] / "branddocs" / "cli" / "check.py").read_text(encoding="utf-8")
    assert '[sys.executable, *SAFE_PATH, "-m", "branddocs.examples.pytest_plugin", *argv' in source
    assert '"-m", "pytest"' not in source
