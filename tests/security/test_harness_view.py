"""The harness's view as root (harness_view.py): what is covered, what is never bound whole, and where it refuses.

The end-to-end proof (a hostile conftest.py reads no file of root's) is test_harness_reach.py; these pin the parts:
- a folder only its owner may enter, on the way to a path the check needs (or the home folder itself), is covered
  by a tmpfs; the same folder open to everyone is not (the negative);
- the top-level folders (`/`, `/root`, `/tmp`, ...) and the system's are never bound whole, whatever the engine
  asks for;
- a file system without idmapped mounts (procfs) makes `View.open` fail (the engine then falls back, and says so),
  rather than binding the path unmapped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.isolation.harness_view import NEVER_WHOLE, View
from branddocs.examples.isolation.uids import PROBE_UID

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
