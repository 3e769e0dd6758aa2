"""More pytest workers than blocks of users, as root: a clear error naming the limit, never a block nobody mapped.

As root each pytest worker reserves a block of uids.BLOCK users for its isolation units (uids.py), and the harness
maps in HARNESS_BLOCKS of them (workspace.py, harness.py). A worker beyond those would have reserved a block that
is not mapped in the harness, whose users no unit could become (setresuid fails with EINVAL, an example's obscure
failure). `UnitUsers` takes only blocks mapped in its user namespace (`uids.mapped_blocks`), and says how many
there are; `branddocs check -n N` refuses N above HARNESS_BLOCKS as root, in one line, before anything starts.
Negative: the block the next worker would have had is there on the machine (the reservation without the harness
succeeds) and unusable in the namespace (setresuid fails).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from branddocs.examples.isolation import namespaces
from branddocs.examples.isolation.uids import BLOCK, LOCKS, UNIT_UIDS, UnitUsers, UserError, mapped_blocks
from branddocs.examples.isolation.workspace import HARNESS_BLOCKS

from ..support.project import run_branddocs, scratch_project

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="blocks of users are reserved as root only")
FIRST = UNIT_UIDS[0]


def test_mapped_blocks_read_a_namespace_map() -> None:
    harness = f"0 0 1\n{FIRST} {FIRST + 7 * BLOCK} {BLOCK}\n{FIRST + BLOCK} {FIRST + 9 * BLOCK} {BLOCK}\n"
    assert [list(r) for r in mapped_blocks(harness)] == [[0], [1]]
    assert mapped_blocks(f"0 0 1\n{FIRST + 1} {FIRST + 1} {BLOCK}\n") == [], "a block mapped in part is not usable"
    assert [len(r) for r in mapped_blocks("0 0 4294967295\n")] == [UNIT_UIDS[1] // BLOCK]


def _in_namespace_with_two_blocks(locks: Path) -> dict:
    """In a user namespace mapping root and the first two blocks (as the harness maps its reserved ones): three
    workers' reservations, and whether the third block's first user can be become there."""
    ids = [(0, 0, 1), (FIRST, FIRST, 2 * BLOCK)]
    read, write = os.pipe()
    pid = namespaces.fork_into_user_namespace(ids, ids)
    if pid == 0:
        os.close(read)
        seen: dict = {"reserved": [], "error": None, "third_user": None}
        try:
            users = [UnitUsers(locks), UnitUsers(locks)]
            seen["reserved"] = [u.first for u in users]
            try:
                users.append(UnitUsers(locks))
            except UserError as exc:
                seen["error"] = str(exc)
            try:
                os.setresuid(FIRST + 2 * BLOCK, FIRST + 2 * BLOCK, FIRST + 2 * BLOCK)
            except OSError as exc:
                seen["third_user"] = exc.errno
        finally:
            os.write(write, json.dumps(seen).encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as said:
        seen = json.loads(said.read() or b"{}")
    os.waitpid(pid, 0)
    return seen


@as_root
def test_a_worker_beyond_the_mapped_blocks_is_told_the_limit(tmp_path: Path) -> None:
    seen = _in_namespace_with_two_blocks(tmp_path / "locks")
    assert seen["reserved"] == [FIRST, FIRST + BLOCK]
    assert seen["error"] is not None, seen
    assert "2 blocks" in seen["error"]
    assert "at most 2 workers" in seen["error"]
    assert "-n" in seen["error"]
    # Negative: that block is free on the machine, and no unit could become its users in the namespace.
    assert seen["third_user"] == 22, "EINVAL: the third block's users are not mapped there"
    outside = [UnitUsers(tmp_path / "locks-outside") for _ in range(3)]
    try:
        assert [u.first for u in outside] == [FIRST, FIRST + BLOCK, FIRST + 2 * BLOCK]
    finally:
        for users in outside:
            users.close()


@as_root
def test_check_refuses_more_workers_than_blocks_in_one_line(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    env = {"BRANDDOCS_ENDPOINT": "", "BRANDDOCS_API_KEY": ""}
    done = run_branddocs("check", "-n", str(HARNESS_BLOCKS + 1), cwd=project.root, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"-n {HARNESS_BLOCKS + 1}: as root at most {HARNESS_BLOCKS} pytest workers" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_the_lock_folder_lies_where_only_root_makes_folders() -> None:
    """Made in a folder every user may write to (`/run/lock` is 1777), the lock folder could be made first by any
    user, and every check of root's would then refuse (the folder is not root's). In /run only root makes folders.
    Negative: /run/lock, where it was, is open to every user."""
    parent = os.stat(LOCKS.parent)
    assert parent.st_uid == 0, LOCKS.parent
    assert not parent.st_mode & 0o022, oct(parent.st_mode)
    if Path("/run/lock").is_dir():
        assert os.stat("/run/lock").st_mode & 0o002, "the negative: /run/lock is writable by every user"


@as_root
def test_a_lock_folder_of_someone_elses_is_refused(tmp_path: Path) -> None:
    """The lock folder must be root's alone: one of another user's is refused, naming it (never followed)."""
    locks = tmp_path / "locks"
    locks.mkdir()
    os.chown(locks, 1001, 1001)
    with pytest.raises(UserError, match="expected a folder of root's"):
        UnitUsers(locks)
