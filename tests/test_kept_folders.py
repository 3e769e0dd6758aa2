"""A failed check keeps its work folder (its examples' scripts, to look at) and says where; a user keeps the newest
few, as pytest keeps its last runs' folders, so failed checks do not fill the temporary folder. Only the user's own
folders of ended checks are pruned: never a running check's, a link, another user's."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from branddocs.examples.isolation.workspace import KEPT, prune
from branddocs.site import Project

from .support.project import run_branddocs


def kept_folder(where: Path, name: str, age: int) -> Path:
    """A failed check's folder, kept `age` minutes ago."""
    folder = where / f"branddocs-check-{name}"
    (folder / "pytest").mkdir(parents=True)
    mark = folder / ".kept"
    mark.touch()
    os.utime(mark, (1_700_000_000 - age * 60,) * 2)
    return folder


def test_only_the_newest_kept_folders_stay(tmp_path: Path) -> None:
    old = [kept_folder(tmp_path, f"old{age}", age) for age in range(10, 15)]
    running = tmp_path / "branddocs-check-running"  # no mark: its check has not ended
    running.mkdir()
    elsewhere = kept_folder(tmp_path / "elsewhere", "target", 99)
    link = tmp_path / "branddocs-check-link"
    link.symlink_to(elsewhere)
    other = tmp_path / "other-tool"
    other.mkdir()
    prune(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["branddocs-check-old10", "branddocs-check-old11", "branddocs-check-old12", "branddocs-check-running",
         "branddocs-check-link", "other-tool", "elsewhere"])  # fmt: skip
    assert elsewhere.is_dir()
    assert not any(p.exists() for p in old[KEPT:])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs another user's folder: root makes one")
def test_another_users_folder_is_left_alone(tmp_path: Path) -> None:
    theirs = kept_folder(tmp_path, "theirs", 60)
    os.chown(theirs, 1234, 1234)
    mine = [kept_folder(tmp_path, f"mine{age}", age) for age in range(KEPT)]
    prune(tmp_path)
    assert theirs.is_dir()
    assert all(folder.is_dir() for folder in mine)
    os.chown(theirs, 0, 0)
    prune(tmp_path)  # the same folder, now this user's and the oldest: pruned (the check above can fail)
    assert not theirs.exists()


def test_a_failed_check_names_its_kept_folder_and_prunes_the_oldest(scratch: Project, tmp_path: Path) -> None:
    """In a temporary folder too deep for a Unix socket's path: the proxy's sockets go to /tmp instead (it had
    stopped with `AF_UNIX path too long`)."""
    temp = tmp_path / ("deep-" * 16)
    temp.mkdir()
    before = [kept_folder(temp, f"before{age}", age) for age in range(KEPT)]
    (scratch.docs_dir / "bad.md").write_text("# Bad\n\n```python\nraise SystemExit(3)\n```\n", encoding="utf-8")
    env = {"TMPDIR": str(temp), "BRANDDOCS_ENDPOINT": "", "BRANDDOCS_API_KEY": ""}
    done = run_branddocs("check", "--brand", "acme", "bad.md", cwd=scratch.root, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    [named] = re.findall(r"are kept in (\S+) ", done.stdout + done.stderr)
    assert Path(named).parent == temp
    assert (Path(named) / "pytest").is_dir()
    assert (Path(named) / ".kept").is_file()
    assert [folder.exists() for folder in before] == [True] * (KEPT - 1) + [False]  # the oldest went
