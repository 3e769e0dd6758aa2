"""`check --update-examples` as root: the harness never writes a path another local user can reach (R7-11).

The repository's code (a root `conftest.py`) copies a program into `docs/`, makes it set-user-ID and waits: with
the harness writing the project's own `docs/` through an idmapped bind, that program was root's on disk, in a
folder everyone may enter, and another local user ran it as root while the check ran (its set-ID bits were cleared
only once the check had ended). Mechanism (workspace.py): the harness is given a private copy of `docs/` in its
`0700` work folder, bound at `docs/` nosuid and nodev; once it has ended the engine writes back the `.md` pages it
changed, as new files of its own (the page's own mode, at most `0644`), nothing else. The proof: while the check
runs, the program is not in the project's `docs/`, and the second user (bdpy) can neither run it there nor reach the
copy; afterwards it is still not there. The negative: the old bind (`docs/` itself bound writable into a harness
mapped to root) leaves `-rwsr-xr-x root` in `docs/`, which the second user runs as root.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.isolation import harness
from branddocs.examples.isolation.workspace import Workspace
from branddocs.examples.run import sandbox

from ..support.project import BIN, ROOT, scratch_project

SECOND_USER = "bdpy"


def _second_user() -> str:
    if os.geteuid() != 0:
        return "as root only: the harness writes root's files only as root"
    try:
        pwd.getpwnam(SECOND_USER)
    except KeyError:
        return f"no second local user {SECOND_USER}"
    return "" if shutil.which("setpriv") else "no setpriv"


pytestmark = pytest.mark.skipif(bool(_second_user()), reason=_second_user() or "available")

PLANTER = """
import os, shutil, time
_docs = os.path.join(os.environ["BRANDDOCS_ROOT"], "docs")
shutil.copy("/usr/bin/id", os.path.join(_docs, "planted"))
os.chmod(os.path.join(_docs, "planted"), 0o4755)
open(os.path.join(_docs, "ready-{mark}"), "w").close()
time.sleep(8)
raise SystemExit("failing on purpose")
"""


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder everyone may enter, as a clone's is (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="branddocs-update-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _as_second_user(program: Path) -> subprocess.CompletedProcess[str]:
    """`program -u` run by the second user. Through a shell: setpriv's own exec(2) still holds root's capabilities
    (it looks the path up where the second user could not)."""
    return subprocess.run(["setpriv", f"--reuid={SECOND_USER}", f"--regid={SECOND_USER}", "--clear-groups", "--",
                           "/bin/sh", "-c", 'exec "$0" -u', str(program)],
                          capture_output=True, text=True, timeout=30, check=False)  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available")
def test_a_program_made_in_docs_is_out_of_every_other_users_reach(open_folder: Path, tmp_path: Path) -> None:
    mark = secrets.token_hex(5)
    project = scratch_project(open_folder / "project")
    shutil.copytree(ROOT / "branddocs", project.root / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    (project.root / "conftest.py").write_text(PLANTER.replace("{mark}", mark), encoding="utf-8")
    work = tmp_path / "work"  # the engine's temporary folder: its work folder is made here
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "BRANDDOCS_ROOT"}
    env |= {"NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(project.root), "TMPDIR": str(work)}
    check = subprocess.Popen([str(BIN / "branddocs"), "check", "--brand", "acme", "--update-examples",
                              "serverless-endpoints.md"], cwd=project.root, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not list(work.glob(f"branddocs-check-*/docs/ready-{mark}")) and check.poll() is None:
            assert time.monotonic() < deadline, "the conftest.py never ran"
            time.sleep(0.1)
        assert check.poll() is None, check.communicate()[0]
        # While the harness runs: nothing of it in the project's docs/, and its copy out of the second user's reach.
        assert not os.path.lexists(project.docs_dir / "planted")
        assert not os.path.lexists(project.docs_dir / f"ready-{mark}")
        ran = _as_second_user(project.docs_dir / "planted")
        assert ran.returncode != 0, ran
        assert "not found" in ran.stderr, ran
        (copy,) = work.glob("branddocs-check-*/docs/planted")
        ran = _as_second_user(copy)
        assert ran.returncode != 0, ran
        assert "Permission denied" in ran.stderr, ran
        assert copy.lstat().st_uid != 0, "the copy is the harness's user's on disk, never root's"
        output = check.communicate(timeout=240)[0]
    finally:
        if check.poll() is None:
            check.kill()
            check.wait()
    assert check.returncode != 0, output
    assert "failing on purpose" in output, output
    assert not os.path.lexists(project.docs_dir / "planted"), "never copied back: not a page it had"


def _in_harness(writable: list[str], binds: list[tuple[str, str]], docs: Path) -> int:
    script = (f"import os, shutil; shutil.copy('/usr/bin/id', {str(docs / 'planted')!r}); "
              f"os.chmod({str(docs / 'planted')!r}, 0o4755)")  # fmt: skip
    python = os.path.realpath(sys.executable)
    return harness.run([python, "-I", "-S", "-c", script], {"PATH": "/usr/bin:/bin"}, writable=writable, binds=binds)


@pytest.mark.skipif(bool(harness.available()), reason=harness.available() or "available")
def test_the_old_bind_left_a_set_uid_root_program_the_second_user_runs(open_folder: Path) -> None:
    """The mechanism alone, as the engine's harness binds it: the private copy (Workspace) leaves `docs/` as it was;
    the negative, `docs/` itself bound writable, leaves a set-user-ID root program there that bdpy runs as root."""
    docs = open_folder / "docs"
    docs.mkdir(mode=0o755)
    (docs / "page.md").write_text("# A page\n")
    space = Workspace.make(docs)
    try:
        assert _in_harness(space.writable, space.binds, docs) == 0
        assert sorted(p.name for p in docs.iterdir()) == ["page.md"]
        copy = Path(space.binds[0][0]) / "planted"
        assert stat.S_IMODE(copy.lstat().st_mode) & stat.S_ISUID  # it was made, in the copy: out of reach (0700)
        assert stat.S_IMODE(space.folder.lstat().st_mode) == 0o700
    finally:
        assert space.close(keep=False) == []
    assert sorted(p.name for p in docs.iterdir()) == ["page.md"]
    # The negative: docs/ itself bound writable (the bind before this change).
    assert _in_harness([str(docs)], [], docs) == 0
    planted = (docs / "planted").lstat()
    assert (planted.st_uid, stat.S_IMODE(planted.st_mode)) == (0, 0o4755)  # -rwsr-xr-x root
    ran = _as_second_user(docs / "planted")
    assert ran.stdout.strip() == "0", ran
