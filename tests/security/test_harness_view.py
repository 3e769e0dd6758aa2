"""The harness's view as root (harness_view.py): what is covered, what is never bound whole, and where it refuses.

The end-to-end proof (a hostile conftest.py reads no file of root's) is test_harness_reach.py; these pin the parts:
- a folder only its owner may enter, on the way to a path the check needs (or the home folder itself), is covered
  by a tmpfs; the same folder open to everyone is not (the negative);
- the top-level folders (`/`, `/root`, `/tmp`, ...) and the system's are never bound whole, whatever the engine
  asks for;
- a file system without idmapped mounts (procfs) makes `View.open` fail (the engine then falls back, and says so),
  rather than binding the path unmapped;
- what the harness writes in its work folder is its own user's on disk, not root's: a setuid program it leaves
  there makes nobody root.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.isolation.harness_view import NEVER_WHOLE, View
from branddocs.examples.isolation.uids import PROBE_UID
from branddocs.examples.isolation.workspace import no_set_ids
from branddocs.examples.run import sandbox

from ..support.endpoint import endpoint_command
from ..support.project import ROOT, run_branddocs, scratch_project

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="as root only: an ordinary user's harness is that user")


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder everyone may enter, on a way everyone may take (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="branddocs-view-", dir="/tmp"))  # open to everyone, on purpose
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_folder_only_its_owner_may_enter_is_covered(open_folder: Path) -> None:
    closed, home = open_folder / "closed", open_folder / "home"
    (closed / "a" / "project").mkdir(parents=True)
    (closed / "a").chmod(0o700)  # below a cover: made again there, open
    home.mkdir(mode=0o700)
    (open_folder / "open" / "venv").mkdir(parents=True)
    closed.chmod(0o700)
    paths = [str(closed / "a" / "project"), str(closed / "b"), str(open_folder / "open" / "venv")]
    view = View(PROBE_UID, [(path, -1) for path in paths], str(home))
    assert view.covers() == [str(home), str(closed)]
    closed.chmod(0o755)  # the negative: open to everyone, nothing to cover on the way but the closed folder below
    home.chmod(0o755)
    assert view.covers() == [str(closed / "a")]
    view.home = str(open_folder / "nowhere")  # a home folder that is not there: nothing to cover, nothing to fail
    assert view.covers() == [str(closed / "a")]


def test_top_level_folders_are_never_bound_whole(tmp_path: Path) -> None:
    view = View.open([*sorted(NEVER_WHOLE), "/usr/lib", "/usr/bin/env"], PROBE_UID)
    assert view.trees == []
    view = View.open([str(tmp_path)], PROBE_UID)  # the negative: a folder of the check's is
    try:
        assert [path for path, _ in view.trees] == [os.path.realpath(tmp_path)]
    finally:
        view.close()


def test_a_file_system_without_idmapped_mounts_is_refused() -> None:
    with pytest.raises(OSError, match="idmapped"):
        View.open([f"/proc/{os.getpid()}"], PROBE_UID)


LEAVER = """
import os, shutil
_left = os.path.join(os.environ["TMPDIR"], "left")
shutil.copy("/usr/bin/id", _left)
os.chmod(_left, 0o4755)
os.chmod(os.path.dirname(os.environ["TMPDIR"]), 0o755)  # the work folder, open to every local user
raise SystemExit("failing on purpose: a failed check keeps its work folder")
"""


def _leave_a_program(folder: Path, env: dict[str, str]) -> list[os.stat_result]:
    project = scratch_project(folder / "project")
    # The repository holds the engine too (as this one does): pytest loads its root conftest.py.
    shutil.copytree(ROOT / "branddocs", project.root / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    (project.root / "conftest.py").write_text(LEAVER, encoding="utf-8")
    (folder / "tmp").mkdir()
    done = run_branddocs("check", "--brand", "acme", "serverless-endpoints.md", cwd=project.root,
                         env={"TMPDIR": str(folder / "tmp"), "PYTHONPATH": str(project.root), **env})  # fmt: skip
    assert done.returncode != 0, done.stdout + done.stderr
    assert "failing on purpose" in done.stdout + done.stderr, done.stdout + done.stderr
    return [path.lstat() for path in (folder / "tmp").rglob("left")]  # without the harness: in TMPDIR itself


@pytest.mark.slow
@pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available")
def test_a_program_the_harness_leaves_makes_nobody_root(open_folder: Path) -> None:
    """The harness writes its work folder as its own user, never as root: a setuid program it leaves there (a
    failed check keeps the folder) is no way to root for a local user, even with the folder opened to all. When
    the folder is kept it is given back to root, which clears the setuid bit. The negative: without the harness,
    the same conftest.py runs as root and leaves a setuid program of root's."""
    tmp_path = open_folder  # a short path: the proxy's sockets are made below its TMPDIR (AF_UNIX: 108 bytes)
    (tmp_path / "on").mkdir()
    left = _leave_a_program(tmp_path / "on", {})
    assert left, "the work folder was not kept"
    assert not any(found.st_uid == 0 and found.st_mode & stat.S_ISUID for found in left), left
    (tmp_path / "off").mkdir()
    left = _leave_a_program(tmp_path / "off", {"BRANDDOCS_NO_HARNESS": "1"})
    assert left, "the work folder was not kept"
    assert any(found.st_uid == 0 and found.st_mode & stat.S_ISUID for found in left), left


@pytest.mark.slow
@pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available")
def test_a_real_key_is_refused_where_the_harness_would_read_what_root_may(tmp_path: Path) -> None:
    """Where a path the check needs cannot be idmapped (here a PYTHONPATH entry on procfs), the harness would run
    as root: with a real key the check refuses (exit 12) before any repository code runs. Negative: told
    --unsafe-no-sandbox, it runs with the warning."""
    project = scratch_project(tmp_path / "project")
    key = "sk-real-view-0123456789"
    with endpoint_command(tmp_path, "--api-key", key, "--brand", "acme", cwd=project.root) as (url, _):
        env = {"BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": key, "PYTHONPATH": "/proc/sys"}
        args = ("check", "--brand", "acme", "serverless-endpoints.md")
        refused = run_branddocs(*args, "--", "-k", "python", cwd=project.root, env=env)
        told = run_branddocs(*args, "--unsafe-no-sandbox", "--", "-k", "python", cwd=project.root, env=env)
    assert refused.returncode == 12, refused.stdout + refused.stderr
    assert "would run as root in its harness here" in refused.stderr
    assert "refusing" in refused.stderr
    assert "passed" not in refused.stdout  # no test ran
    assert told.returncode != 12, told.stderr
    assert "WARNING: the repository's code runs as root" in told.stderr, told.stderr


DOCS_LEAVER = """
import os, shutil
_left = os.path.join(os.environ["BRANDDOCS_ROOT"], "docs", "left")
shutil.copy("/usr/bin/id", _left)
os.chmod(_left, 0o6755)
_mode = os.stat(_left).st_mode
raise SystemExit(f"failing on purpose, left with mode {_mode:o}")
"""


@pytest.mark.slow
@pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available")
def test_a_program_left_in_docs_never_reaches_the_projects_docs(tmp_path: Path) -> None:
    """With --update-examples the harness writes a private copy of docs/ (workspace.py): a setuid, setgid program a
    conftest.py leaves there is one as the run sees it (the negative, printed from inside), but never reaches the
    project's docs/ (test_update_private.py: nor anyone's reach while the check runs)."""
    project = scratch_project(tmp_path / "project")
    shutil.copytree(ROOT / "branddocs", project.root / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    (project.root / "conftest.py").write_text(DOCS_LEAVER, encoding="utf-8")
    done = run_branddocs("check", "--brand", "acme", "--update-examples", "serverless-endpoints.md",
                         cwd=project.root, env={"PYTHONPATH": str(project.root)})  # fmt: skip
    output = done.stdout + done.stderr
    inside = re.search(r"failing on purpose, left with mode (\d+)", output)
    assert done.returncode != 0, output
    assert inside, output
    assert int(inside[1], 8) & (stat.S_ISUID | stat.S_ISGID) == stat.S_ISUID | stat.S_ISGID  # the negative
    assert not os.path.lexists(project.docs_dir / "left")


def test_no_set_ids_leaves_plain_modes_and_no_capability(tmp_path: Path) -> None:
    """What the harness left in docs/ under --update-examples, made plain: 0644 or 0755 files, 0755 folders, no file
    capability (attack7: a copy of python3 given `cap_setuid=ep` made whoever ran it root), the link's target left
    as it is. The negative: each was set as the harness could set it, and read back so before."""
    (tmp_path / "sub").mkdir()
    program, plain, open_file = tmp_path / "sub" / "program", tmp_path / "plain", tmp_path / "open"
    for path, mode in ((program, 0o6755), (plain, 0o644), (open_file, 0o666)):
        path.write_text("x")
        path.chmod(mode)
    (tmp_path / "sub").chmod(0o777)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.write_text("x")
    outside.chmod(0o666)
    (tmp_path / "link").symlink_to(outside)
    setuid = struct.pack("<IIIII", 0x02000001, 1 << 7, 0, 0, 0)  # VFS_CAP_REVISION_2, effective: CAP_SETUID
    os.setxattr(program, "security.capability", setuid)  # this module runs as root only
    assert os.getxattr(program, "security.capability") == setuid  # the negative: it is there
    no_set_ids(tmp_path)
    assert stat.S_IMODE(program.stat().st_mode) == 0o755
    assert stat.S_IMODE(plain.stat().st_mode) == 0o644
    assert stat.S_IMODE(open_file.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "sub").stat().st_mode) == 0o755
    assert stat.S_IMODE(outside.stat().st_mode) == 0o666, "a link's target is not the harness's"
    with pytest.raises(OSError, match="No data available"):
        os.getxattr(program, "security.capability")
