"""`make test-pythons`: the tests with every supported CPython on this machine, and a table of Python by result.

Usage: python3 tools/test_pythons.py [--all] [-- PYTEST_ARGS...]

Finds python3.11 to python3.14 and python3 on PATH, /usr/bin/python3, pyenv's versions ($PYENV_ROOT or ~/.pyenv)
and the interpreters $PYTHONS names (paths or commands, space-separated). Each supported one, one at a time (the
machine's cores are shared), gets its own venv, .venv-<version>, made by the Makefile from the one lock, then runs the
build, example and endpoint tests (--all: the whole suite). Interpreters branddocs does not support are listed with
the reason and not run. Logs: reports/pythons/<version>.log. Exit 1 if any run failed or none ran.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Interpreter", "find_interpreters", "main"]

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "reports" / "pythons"
# The parts that depend most on the interpreter and its wheels (building sites, running examples, the endpoint),
# and the interpreter checks.
PARTS = ["tests/test_build.py", "tests/test_examples.py", "tests/test_endpoint.py", "tests/test_pythons.py"]
PROBE = "import os, sys; print(sys.implementation.name, '%d.%d.%d' % sys.version_info[:3], sys.executable)"
# make passes its command-line variables down through MAKEFLAGS: each run starts afresh.
ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "BRAND", "VIRTUAL_ENV")}


@dataclass(frozen=True)
class Interpreter:
    found_as: str  # how it was found: a command or a path
    executable: str  # its sys.executable
    version: str  # 3.12.1
    problem: str | None  # why branddocs cannot use it (tools/check_python.py), or None


def candidates() -> list[str]:
    names = [f"python3.{minor}" for minor in range(11, 15)] + ["python3", "/usr/bin/python3"]
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    names += sorted(str(p) for p in pyenv.glob("*/bin/python3"))
    names += os.environ.get("PYTHONS", "").split()
    return names


def probe(name: str) -> Interpreter | None:
    """What `name` runs, or None if it runs nothing (not installed, or a pyenv shim with no such version)."""
    path = shutil.which(name)
    if path is None:
        return None
    try:
        done = subprocess.run([path, "-c", PROBE], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    if done.returncode != 0 or len(done.stdout.split(" ", 2)) != 3:
        return None
    _implementation, version, executable = done.stdout.strip().split(" ", 2)
    check = subprocess.run(
        [path, str(ROOT / "tools" / "check_python.py")],
        env={**ENV, "PYTHON": name}, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return Interpreter(name, executable, version, check.stderr.strip() or None if check.returncode else None)


def find_interpreters() -> list[Interpreter]:
    """Every interpreter found, one per version (the first found of each), oldest first."""
    found: dict[str, Interpreter] = {}
    for name in candidates():
        interpreter = probe(name)
        if interpreter is not None and interpreter.version not in found:
            found[interpreter.version] = interpreter
    return sorted(found.values(), key=lambda i: tuple(int(part) for part in i.version.split(".")))


def summary(output: str) -> str:
    """pytest's last line, `12 passed, 1 skipped in 80.1s`, without the time."""
    lines = [line.strip("= ") for line in output.splitlines() if re.match(r"^=+ .*\bin [\d.]+s", line)]
    return re.sub(r" in [\d.]+s.*$", "", lines[-1]) if lines else "no pytest summary"


def run(interpreter: Interpreter, pytest_args: list[str]) -> tuple[bool, str]:
    """Make its venv and run the tests in it; (passed, what happened). The whole output goes to its log."""
    venv = f".venv-{interpreter.version}"
    log = LOGS / f"{interpreter.version}.log"
    make = ["make", "--no-print-directory", f"PYTHON={interpreter.executable}", f"VENV={venv}"]
    make.append(f"{venv}/bin/.installed")
    pytest = [f"{venv}/bin/pytest", *pytest_args]
    with log.open("w", encoding="utf-8") as out:
        for command in (make, pytest):
            out.write(f"$ {' '.join(command)}\n")
            out.flush()
            done = subprocess.run(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, check=False)  # fmt: skip
            out.write(done.stdout)
            if done.returncode != 0:
                last = done.stdout.strip().splitlines()[-1:] or [f"exit {done.returncode}"]
                what = "venv: " + last[0] if command is make else summary(done.stdout)
                return False, what
    return True, summary(done.stdout)


def main(argv: list[str]) -> int:
    whole = "--all" in argv[: argv.index("--")] if "--" in argv else "--all" in argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    pytest_args = ["-n", "auto", "-p", "no:cacheprovider", *([] if whole else PARTS), *extra]
    LOGS.mkdir(parents=True, exist_ok=True)
    interpreters = find_interpreters()
    rows = []
    failed = ran = 0
    for interpreter in interpreters:
        if interpreter.problem:
            reason = interpreter.problem.rsplit("; ", 1)[-1]  # the version and path are in the row already
            rows.append((interpreter.version, interpreter.executable, "not run: " + reason, ""))
            continue
        print(f"CPython {interpreter.version} ({interpreter.executable}) ...", flush=True)
        start = time.monotonic()
        passed, what = run(interpreter, pytest_args)
        ran += 1
        failed += not passed
        result = ("pass: " if passed else "FAIL: ") + what
        rows.append((interpreter.version, interpreter.executable, result, f"{time.monotonic() - start:.0f} s"))
    print(f"\n{'the whole suite' if whole else 'tests: ' + ' '.join(PARTS)}; logs in {LOGS.relative_to(ROOT)}/\n")
    header = ("Python", "interpreter", "result", "time")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |")
    if not ran:
        print("no supported CPython found (3.11.2 or newer); name some with PYTHONS=...", file=sys.stderr)
    return 1 if failed or not ran else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
