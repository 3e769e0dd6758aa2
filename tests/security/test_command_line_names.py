"""The key is taken out of the environment however the command line is started (red team 8, R8-4).

The first line (`branddocs/__init__.py`, `key_holder.py`) knew the command line by the script's name, `branddocs`,
or by `python -m branddocs.cli`: started through a link named `bd`, `python -m branddocs.cli.__main__` or
`python -c "from branddocs.cli import main; main()"`, `endpoint` and `check` kept the key in their environment, and
`/proc/<pid>/environ` showed it to every program they started. Mechanism: `key_holder.is_command_line` knows the
command line by what it runs (the console script that calls `branddocs.cli:main`, by any name or link; the module;
its `__main__.py` as a script), and `cli.main` starts any other way in again as `python -P -m branddocs.cli`. The
proof: each way, the running `endpoint` holds no key in its environment and was started with `-P`. The negatives: a
process started with the key holds it where the same reader looks, and the rule by name alone knows none of them.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from branddocs.host.run import free_port
from branddocs.key_holder import is_command_line

from ..support.project import BIN, ROOT

pytestmark = pytest.mark.slow

KEY = "sk-real-" + secrets.token_hex(8)
PYTHON = str(BIN / "python")


def _ways(tmp_path: Path) -> dict[str, list[str]]:
    link = tmp_path / "bd"
    link.symlink_to(BIN / "branddocs")
    copy = tmp_path / "docs-tool"
    copy.write_bytes((BIN / "branddocs").read_bytes())
    copy.chmod(0o755)
    return {
        "the script": [str(BIN / "branddocs")],
        "a link named bd": [str(link)],
        "a copy of the script by another name": [str(copy)],
        "python -m branddocs.cli.__main__": [PYTHON, "-m", "branddocs.cli.__main__"],
        "python -c main()": [PYTHON, "-c", "import sys; from branddocs.cli import main; sys.exit(main())"],
    }


@contextmanager
def _running(command: list[str], log: Path, extra: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`command` started with the key in its environment, until it listens on its port."""
    port = free_port()
    env = {**os.environ, "BRANDDOCS_API_KEY": KEY, **(extra or {})}
    with log.open("wb") as err:
        proc = subprocess.Popen([*command, "endpoint", "--host", "127.0.0.1", "--port", str(port), "--brand", "acme"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the endpoint did not listen within 60 s"
                time.sleep(0.1)
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _environ_holds_key(pid: int) -> bool | str:
    try:
        return KEY.encode() in Path(f"/proc/{pid}/environ").read_bytes()
    except PermissionError:
        return "unreadable"  # non-dumpable, read by an ordinary user: no key to be had either


@pytest.mark.parametrize("way", ["the script", "a link named bd", "a copy of the script by another name",
                                 "python -m branddocs.cli.__main__", "python -c main()"])  # fmt: skip
def test_every_way_in_leaves_no_key_in_the_environment(tmp_path: Path, way: str) -> None:
    with _running(_ways(tmp_path)[way], tmp_path / "log") as proc:
        assert _environ_holds_key(proc.pid) in (False, "unreadable")
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"-P" in cmdline, cmdline


def test_the_negative_a_process_started_with_the_key_holds_it() -> None:
    env = {**os.environ, "BRANDDOCS_API_KEY": KEY}
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)
    try:
        time.sleep(0.3)
        assert _environ_holds_key(proc.pid) is True
    finally:
        proc.kill()
        proc.wait()


def test_the_negative_the_name_alone_knows_none_of_the_other_ways(tmp_path: Path) -> None:
    for way, command in _ways(tmp_path).items():
        argv = ["-c"] if command[1:2] == ["-c"] else ["-m"] if command[1:2] == ["-m"] else [command[0]]
        orig = [PYTHON, *command[1:3]] if argv[0] in ("-m", "-c") else [PYTHON, command[0]]
        by_name = os.path.basename(argv[0]) == "branddocs" or (argv[0] == "-m" and orig[2] == "branddocs.cli")
        assert by_name == (way == "the script"), way
        assert is_command_line(argv, orig) == (way != "python -c main()"), way  # that one: cli.main starts it again


@pytest.mark.parametrize("marker", ["-", "7"])
def test_a_started_again_marker_from_the_caller_is_not_trusted(tmp_path: Path, marker: str) -> None:
    """`BRANDDOCS_HELD_FD` says "started again already"; set by the caller beside the key, it kept the key in the
    environment (red team 9, R9-5). A marker beside a secret is the caller's: the command starts again all the same.
    (The negative of the reader is test_the_negative_a_process_started_with_the_key_holds_it.)"""
    with _running([str(BIN / "branddocs")], tmp_path / "log", {"BRANDDOCS_HELD_FD": marker}) as proc:
        assert _environ_holds_key(proc.pid) in (False, "unreadable")
