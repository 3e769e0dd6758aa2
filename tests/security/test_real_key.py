"""The real key lives in one process, out of sight of the repository's code.

A real-key `branddocs check` against a platform (the reference endpoint, started apart on loopback with a key of
its own, named to the check by BRANDDOCS_ENDPOINT and BRANDDOCS_API_KEY as a user would, from a shell that holds
the key in its environment). The repository holds the engine too, as this one does (`pip install -e .`), so pytest
loads its root `conftest.py` as it loads this repository's. The repository is hostile: a root `conftest.py`, code
added to `macros/__init__.py` and a module named under `hooks:` in `mkdocs.yml` each look for the key everywhere
they can: every process's
`/proc/<pid>/environ` and memory (the anonymous regions, heap and stack, of `/proc/<pid>/mem`: the proxy's among
them), and up the tree of parents. Each writes what it saw and found into the project.

In the harness (its own user and PID namespaces, the engine's doing) none of them sees the proxy, the engine or
the shell, let alone the key. The negative: the same check with the harness switched off (BRANDDOCS_NO_HARNESS=1,
and --unsafe-no-sandbox, which a real key then needs) lets each of them find the key: in the shell's environment
(not in the engine's, which started again without it: key_holder.py), and as root in the proxy's and the engine's
memory. As an ordinary user both stay out of reach even then (not dumpable). With the key holder switched off too
(BRANDDOCS_NO_HOLDER=1) the engine's environment holds the key, and its memory, of the same user, is read: the
scan can read memory.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from branddocs.examples.run import sandbox
from branddocs.site import Project

from ..support.checks import check_under_shell
from ..support.endpoint import endpoint_command
from ..support.project import ROOT, scratch_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available"),
]

MARK = "leaked-" + secrets.token_hex(6)
REAL_KEY = f"sk-real-{MARK}-0"
WHERE = ("conftest", "macros", "hooks")

# Looks for the key without ever holding it whole (the halves are joined only in the processes it reads), and
# writes {"seen": command lines of the processes it could see, "found": where the key was} into the project.
ATTACK = """
def _branddocs_attack(where):
    import json, os
    a, b = "HALF_A".encode(), "HALF_B".encode()

    def holds(data):
        i = data.find(a)
        while i >= 0:
            if data.startswith(b, i + len(a)):
                return True
            i = data.find(a, i + 1)
        return False

    def name(pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return f.read().replace(b"\\0", b" ").decode(errors="replace").strip()[:160]
        except OSError:
            return "?"

    def ancestors():
        pid, found = os.getppid(), set()
        while pid > 1:
            found.add(str(pid))
            try:
                with open(f"/proc/{pid}/stat") as f:
                    pid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                break
        return found

    def memory(pid):
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
            budget = 1 << 28
            for line in maps:
                fields = line.split()
                if not fields[1].startswith("r") or (len(fields) > 5 and fields[5].startswith("/")):
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                if end - start > budget:
                    continue
                budget -= end - start
                try:
                    mem.seek(start)
                    if holds(mem.read(end - start)):
                        return True
                except (OSError, OverflowError, ValueError):
                    pass
        return False

    seen, found, mine = [], [], ancestors()
    for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
        who = name(pid)
        seen.append(who)
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if holds(f.read()):
                    found.append(f"environ of {who}")
        except OSError:
            pass
        # Memory is read where the key is likely: this process's ancestors, and anything named like branddocs.
        if pid in mine or "branddocs" in who or "proxy" in who:
            try:
                if memory(pid):
                    found.append(f"memory of {who}")
            except OSError:
                pass
    pid = os.getppid()
    while pid > 1:
        try:  # one that cannot be read (not dumpable) is passed over, not the end of the climb
            with open(f"/proc/{pid}/environ", "rb") as f:
                if holds(f.read()):
                    found.append(f"environ of an ancestor: {name(pid)}")
        except OSError:
            pass
        try:
            with open(f"/proc/{pid}/stat") as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    with open(os.path.join(os.environ.get("TMPDIR", "/tmp"), f"attack-{where}-{os.getpid()}.json"), "w") as out:
        json.dump({"where": where, "seen": seen, "found": sorted(set(found))}, out)
"""
# The reports come back in the check's output: the harness writes nowhere but its workspace (TMPDIR among it),
# which the engine removes after a run that passed.
SUMMARY = """
def pytest_terminal_summary(terminalreporter):
    import glob, os
    for path in sorted(glob.glob(os.path.join(os.environ.get("TMPDIR", "/tmp"), "attack-*.json"))):
        with open(path) as report:
            terminalreporter.write_line("ATTACK-REPORT " + report.read())
"""


@dataclass
class Attempt:
    code: int
    output: str
    reports: dict[str, list[dict]]
    """{where: what each process that ran that code saw and found}."""


def _hostile(project: Project) -> None:
    """The project's own code, each piece running the attack when it is loaded."""
    code = ATTACK.replace("HALF_A", MARK[: len(MARK) // 2]).replace("HALF_B", MARK[len(MARK) // 2 :])
    (project.root / "conftest.py").write_text(f"{code}\n_branddocs_attack('conftest')\n{SUMMARY}", encoding="utf-8")
    macros = project.root / "macros" / "__init__.py"
    macros.write_text(f"{macros.read_text(encoding='utf-8')}\n{code}\n_branddocs_attack('macros')\n", encoding="utf-8")
    (project.root / "hostile_hooks.py").write_text(f"{code}\n_branddocs_attack('hooks')\n", encoding="utf-8")
    config = project.root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nhooks:\n  - hostile_hooks.py\n", encoding="utf-8")


def _attempt(tmp_path_factory: pytest.TempPathFactory, extra: dict[str, str], *flags: str) -> Iterator[Attempt]:
    project = scratch_project(tmp_path_factory.mktemp("hostile-repository"))
    shutil.copytree(ROOT / "branddocs", project.root / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("attacks")  # the engine's TMPDIR
    _hostile(project)
    log_dir = tmp_path_factory.mktemp("platform")
    with endpoint_command(log_dir, "--api-key", REAL_KEY, "--brand", "acme", cwd=project.root) as (url, _):
        env = {"BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": REAL_KEY, "PYTHONPATH": str(project.root),
               "TMPDIR": str(out), **extra}  # fmt: skip
        done = check_under_shell(project, "--brand", "acme", "serverless-endpoints.md", *flags, env=env)
    reports: dict[str, list[dict]] = {where: [] for where in WHERE}
    for line in (done.stdout + done.stderr).splitlines():
        if line.startswith("ATTACK-REPORT "):
            report = json.loads(line.removeprefix("ATTACK-REPORT "))
            reports[report["where"]].append(report)
    yield Attempt(done.returncode, done.stdout + done.stderr, reports)


@pytest.fixture(scope="module")
def harnessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attempt]:
    yield from _attempt(tmp_path_factory, {})


@pytest.fixture(scope="module")
def unharnessed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attempt]:
    """The negative: the harness switched off (tests only), with the flag a real key then needs."""
    yield from _attempt(tmp_path_factory, {"BRANDDOCS_NO_HARNESS": "1"}, "--unsafe-no-sandbox")


@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attempt]:
    """The key holder's negative: the harness and the key holder switched off (tests only): the engine as it was,
    the key in its environment, dumpable."""
    yield from _attempt(tmp_path_factory, {"BRANDDOCS_NO_HARNESS": "1", "BRANDDOCS_NO_HOLDER": "1"},
                        "--unsafe-no-sandbox")  # fmt: skip


def _engine(found: str) -> bool:
    """Whether `found` names the engine (`python ... branddocs check`), not the shell that started it."""
    return "branddocs check" in found and "sh -c" not in found


def _seen(attempt: Attempt, where: str) -> list[str]:
    return [who for report in attempt.reports[where] for who in report["seen"]]


def _found(attempt: Attempt, where: str) -> list[str]:
    return [what for report in attempt.reports[where] for what in report["found"]]


def test_the_check_with_a_hostile_repository_still_runs(harnessed: Attempt) -> None:
    assert harnessed.code == 0, harnessed.output
    assert "the repository's code runs in a harness" in harnessed.output
    assert MARK not in harnessed.output


@pytest.mark.parametrize("where", WHERE)
def test_the_repositorys_code_sees_neither_the_key_holder_nor_the_key(
    harnessed: Attempt, unharnessed: Attempt, where: str
) -> None:
    assert harnessed.reports[where], f"the {where} code never ran: {harnessed.output}"
    assert _found(harnessed, where) == []
    seen = _seen(harnessed, where)
    assert seen, "it saw no process at all (not even pytest's): the scan did not run"
    for holder in ("proxy", "branddocs check", "sh -c"):
        assert not any(holder in who for who in seen), (holder, seen)
    # The negative: the same code without the harness sees them, and finds the key in the shell's environment; not
    # in the engine's, which started again without it (key_holder.py).
    assert unharnessed.reports[where], unharnessed.output
    seen, found = _seen(unharnessed, where), _found(unharnessed, where)
    assert any("proxy" in who for who in seen), seen
    assert any(f.startswith("environ of an ancestor") and "sh -c" in f for f in found), found
    assert not any(f.startswith("environ of") and _engine(f) for f in found), found


@pytest.mark.parametrize("where", WHERE)
def test_the_key_holders_are_not_dumpable(unharnessed: Attempt, exposed: Attempt, where: str) -> None:
    """Without the harness, root reads any process's memory, the engine's and the proxy's too (the negative of the
    harness); an ordinary user reads neither: not dumpable. The negative: with the key holder switched off too the
    engine's environment holds the key, and its memory is read by its own user's code."""
    found = _found(unharnessed, where)
    assert any(f.startswith("memory of") and _engine(f) for f in found) == (os.geteuid() == 0), found
    assert any(f.startswith("memory of") and "proxy" in f for f in found) == (os.geteuid() == 0), found
    found = _found(exposed, where)
    assert any(f.startswith("environ of") and _engine(f) for f in found), found
    assert any(f.startswith("memory of") and _engine(f) for f in found), found
