"""The real key lives in the engine's memory alone: not in its environment, and out of its user's reach.

A shell that exported the key starts `branddocs check` with it in its environment. Every program the engine starts
outside a sandbox (`prlimit`, `bwrap`, `setpriv`, found through an absolute `PATH` entry: the caller's choice,
which the threat model allows) would inherit it, and any process of the same user could read it from
`/proc/<engine pid>/environ` (the strings a process started with: `unsetenv` erases none) or its memory. Mechanism
(branddocs/key_holder.py): at its first line the engine starts again without any secret-named variable, the key
over a pipe, and makes itself non-dumpable before it reads it.

The proof: a `prlimit` planted in a folder named first on `PATH` (the engine runs it for the sandbox's probe, as its
own child) reads its parent's environment and memory and writes down what it found, then runs the real one. With
the key holder it finds no key in the environment, and, as an ordinary user, cannot read the memory at all; as root
it can (root reads any process's memory: CAP_SYS_PTRACE, said in the threat model). The negative: the key holder
switched off (`BRANDDOCS_NO_HOLDER=1`, tests only, with `--unsafe-no-sandbox`) lets it find the key in both.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.run import sandbox
from branddocs.key_holder import is_secret_named
from branddocs.settings import SETTINGS, is_secret_name

from ..support.checks import check_under_shell
from ..support.platform import Platform
from ..support.project import BIN, scratch_project

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available")

MARK = "held-" + secrets.token_hex(6)
REAL_KEY = f"sk-real-{MARK}-0"
ROOT = os.geteuid() == 0

# Runs as the engine's child, outside any sandbox; inside the harness (pytest's own `prlimit`) it writes nothing:
# the folder is read-only there. The key is looked for in halves, joined only in the process it reads.
PLANTED = """#!{python} -I
import json, os, sys
a, b = "{half_a}".encode(), "{half_b}".encode()
def holds(data):
    i = data.find(a)
    while i >= 0:
        if data.startswith(b, i + len(a)):
            return True
        i = data.find(a, i + 1)
    return False
parent, report = os.getppid(), {{}}
try:
    with open(f"/proc/{{parent}}/cmdline", "rb") as f:
        report["parent"] = f.read().replace(b"\\0", b" ").decode(errors="replace")
    with open(f"/proc/{{parent}}/environ", "rb") as f:
        block = f.read()
    report["environ"] = holds(block)
    words = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
    names = [item.split(b"=", 1)[0].decode() for item in block.split(b"\\0") if item]
    report["secret_names"] = [n for n in names if any(w in n.upper() for w in words)]
except OSError as exc:
    report["environ"] = f"unreadable: {{exc.strerror}}"
try:
    found = False
    with open(f"/proc/{{parent}}/maps") as maps, open(f"/proc/{{parent}}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("r") or (len(fields) > 5 and fields[5].startswith("/")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if end - start > 1 << 28:
                continue
            try:
                mem.seek(start)
                found = found or holds(mem.read(end - start))
            except (OSError, OverflowError, ValueError):
                pass
    report["memory"] = found
except OSError as exc:
    report["memory"] = f"unreadable: {{exc.strerror}}"
try:
    with open("{witness}", "a") as out:
        out.write(json.dumps(report) + "\\n")
except OSError:
    pass
os.execv("/usr/bin/prlimit", ["prlimit", *sys.argv[1:]])
"""


def _planted_check(tmp_path: Path, *, holder: bool) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    project = scratch_project(tmp_path / "project")
    programs = tmp_path / "programs"  # outside the project: a folder of the caller's, named first on PATH
    programs.mkdir()
    witness = tmp_path / "witness.jsonl"
    planted = programs / "prlimit"
    half = len(MARK) // 2
    planted.write_text(PLANTED.format(python=sys.executable, half_a=MARK[:half], half_b=MARK[half:],
                                      witness=witness), encoding="utf-8")  # fmt: skip
    planted.chmod(0o755)
    tmp_path.chmod(0o755)  # the harness's user reads the planted program (as root: a user of its own)
    env = {"BRANDDOCS_API_KEY": REAL_KEY, "PATH": f"{programs}:{os.environ['PATH']}"}
    flags: tuple[str, ...] = ()
    if not holder:
        env["BRANDDOCS_NO_HOLDER"] = "1"
        flags = ("--unsafe-no-sandbox",)
    with running_endpoint(Platform().app) as server:
        env["BRANDDOCS_ENDPOINT"] = f"{server.url}/v1"
        done = check_under_shell(project, "--brand", "acme", "index.md", *flags, env=env)
    lines = witness.read_text(encoding="utf-8").splitlines() if witness.exists() else []
    reports = [json.loads(line) for line in lines]
    return done, [r for r in reports if "branddocs check" in r.get("parent", "")]


def test_a_program_the_engine_runs_finds_no_key(tmp_path: Path) -> None:
    done, reports = _planted_check(tmp_path, holder=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert reports, "the engine never ran the planted prlimit"
    assert MARK not in done.stdout + done.stderr
    for report in reports:
        if ROOT:  # root reads any process's memory (CAP_SYS_PTRACE): the threat model says so
            assert report["environ"] is False, report
            assert report["secret_names"] == [], report  # none at all: what the engine starts inherits none
            assert report["memory"] is True, report
        else:  # not dumpable: neither may be opened by a process of its user
            assert str(report["environ"]).startswith("unreadable"), report
            assert str(report["memory"]).startswith("unreadable"), report


def test_the_negative_without_the_key_holder_the_program_finds_it(tmp_path: Path) -> None:
    done, reports = _planted_check(tmp_path, holder=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert reports, "the engine never ran the planted prlimit"
    assert all(r["environ"] is True and r["memory"] is True for r in reports), reports
    assert all("BRANDDOCS_API_KEY" in r["secret_names"] for r in reports), reports


def _env_table(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed `branddocs env`, as a user runs it, with `env` on top of ours."""
    return subprocess.run([str(BIN / "branddocs"), "env"], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def test_env_still_says_the_key_is_set() -> None:
    """`branddocs env` reads the key too (set or unset): it gets it over the pipe, as `check` does."""
    done = _env_table({"BRANDDOCS_API_KEY": REAL_KEY, "ACME_API_KEY": REAL_KEY})
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("BRANDDOCS_API_KEY "))
    assert " set " in line, line
    assert MARK not in done.stdout + done.stderr


def test_one_rule_for_secret_names() -> None:
    """The first line's rule (key_holder.py, which imports nothing of branddocs) is settings' rule, but for
    branddocs' own settings that are no secret (`BRANDDOCS_MAX_TOKENS`, which `check` reads: dropped, a check
    would run with the default)."""
    names = [s.name for s in SETTINGS] + ["ACME_API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "aws_secret", "HOME", "PATH"]
    own = {s.name for s in SETTINGS if not s.secret}
    assert all(is_secret_named(n) == (is_secret_name(n) and n not in own) for n in names)
    assert not is_secret_named("BRANDDOCS_MAX_TOKENS")
    assert not is_secret_named("BRANDDOCS_HELD_FD")
    assert not is_secret_named("BRANDDOCS_NO_HOLDER")


LENT = """
import ctypes, os, sys
from branddocs.examples.isolation import namespaces as ns
libc = ctypes.CDLL(None, use_errno=True)
ns.set_dumpable(False)  # as the engine is: key_holder.py
ids = [(os.getuid(), os.getuid(), 1)], [(os.getgid(), os.getgid(), 1)]
if sys.argv[1] == "raw":  # the negative: a plain fork, which stays as its parent is
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        libc.unshare(ns.CLONE_NEWUSER)
        os.write(ready_w, b"u")
        os.read(done_r, 1)
        os._exit(0)
    os.read(ready_r, 1)
    try:
        ns.write_id_maps(pid, *ids)
        print("mapped")
    except OSError as exc:
        print("refused", exc.strerror)
    os.write(done_w, b"x")
    os.waitpid(pid, 0)
else:
    pid = ns.fork_into_user_namespace(*ids)
    if pid == 0:
        os._exit(10 + libc.prctl(3, 0, 0, 0, 0))  # 10: not dumpable again once mapped
    print("mapped", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


@pytest.mark.parametrize("how", ["fork_into_user_namespace", "raw"])
def test_a_non_dumpable_engine_still_maps_the_harness(how: str) -> None:
    """The harness's first process is forked from the engine, non-dumpable as it is, and mapped into its user
    namespace by the engine: an ordinary user may write the maps of a dumpable process alone (its /proc files are
    root's otherwise). `fork_into_user_namespace` makes the child dumpable while it is mapped, then not again. The
    negative: a plain fork cannot be mapped by an ordinary user (root may write any)."""
    done = subprocess.run([sys.executable, "-c", LENT, how], capture_output=True, text=True, timeout=60, check=True)
    if how == "raw":
        assert done.stdout.split()[0] == ("mapped" if ROOT else "refused"), done.stdout
    else:
        assert done.stdout.split() == ["mapped", "10"], done.stdout + done.stderr
