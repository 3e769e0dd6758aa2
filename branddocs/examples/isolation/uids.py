"""The users isolation units run as: as root, one of its own per unit, never reused while anything of it lives.

As root each unit (one example's processes) runs as a user no file on the machine belongs to. Each pytest worker
reserves a block of BLOCK users for as long as it lives (a lock file per block under /run, held open, so no
two workers on this machine, of one run or of two, ever share a block), and hands its users out in turn, each
only once the unit that had it is over (`UnitUsers.give_back`, called after the unit's PID namespace has gone,
with its processes, its IPC namespace and its tmpfs scratch). As an ordinary user there is one user, the caller:
each unit is then a user namespace of its own (the same uid to the kernel), which is what separates them.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import stat
from pathlib import Path

__all__ = ["BLOCK", "LOCKS", "PROBE_UID", "UNIT_UIDS", "UnitUsers", "UserError", "mapped_blocks"]

UNIT_UIDS = (1 << 31, (1 << 31) - 2)
"""(first, count): the users units run as (as root), above every system's own users and below 2^32 - 1."""
BLOCK = 1024
"""Users per worker: far more than the units a worker has alive at once (an example, a standby, two clients)."""
PROBE_UID = UNIT_UIDS[0] + UNIT_UIDS[1] - 1
"""The user of sandbox.py's probe (`true`, run once per process): past the last whole block, no unit's."""
LOCKS = Path("/run/branddocs-uids")
"""One lock file per reserved block: `<index>`, held locked by the worker that uses block <index>. In /run, where
only root makes folders (not /run/lock, open to every user: one who made the folder first would stop every check
of root's)."""


class UserError(RuntimeError):
    """No block of users could be reserved, or every user of the block is in use."""


def mapped_blocks(uid_map: str | None = None) -> list[range]:
    """The indexes of the blocks whose users are all mapped in this process's user namespace, as ranges (`uid_map`:
    the text of /proc/self/uid_map, read when not given): every block on the machine, the reserved ones in the
    harness (harness.py maps them in place of the first blocks)."""
    if uid_map is None:
        try:
            uid_map = Path("/proc/self/uid_map").read_text(encoding="ascii")
        except OSError:
            uid_map = f"0 0 {1 << 32}"
    first, count = UNIT_UIDS
    found = []
    for line in uid_map.splitlines():
        if line.strip():
            inner, _, length = (int(part) for part in line.split())
            low = max(0, -(-(inner - first) // BLOCK))  # the first block starting at or after the range's start
            high = min(count // BLOCK, (inner + length - first) // BLOCK)  # past the last block ending inside it
            if low < high:
                found.append(range(low, high))
    return sorted(found, key=lambda blocks: blocks.start)


class UnitUsers:
    """One worker's users for its isolation units: `take` one, `give_back` it once its unit is over."""

    def __init__(self, locks: Path = LOCKS, after: int = -1) -> None:
        """`after`: a block index this process reserved last (`index`); only the blocks past it are tried (the
        engine reserves 65 in a row: each from the first would lock-test 2,000 files)."""
        self.root = os.geteuid() == 0
        self._held: set[int] = set()
        self._next = 0
        self._lock: int | None = None
        self.index = -1
        """The reserved block's index (root only)."""
        self.first = self._reserve(locks, after) if self.root else os.getuid()

    def _reserve(self, locks: Path, after: int) -> int:
        with contextlib.suppress(FileExistsError):
            locks.mkdir(mode=0o700, parents=True)
        found = os.lstat(locks)
        if not stat.S_ISDIR(found.st_mode) or found.st_uid != 0 or found.st_mode & 0o022:
            raise UserError(f"{locks}: expected a folder of root's that only root may write to; found mode "
                            f"{stat.filemode(found.st_mode)}, owner {found.st_uid}")  # fmt: skip
        first, count = UNIT_UIDS
        usable = mapped_blocks()
        for index in itertools.chain.from_iterable(usable):
            if index <= after:
                continue
            fd = os.open(locks / str(index), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self._lock, self.index = fd, index
            return first + index * BLOCK
        mapped = sum(map(len, usable))
        if mapped < count // BLOCK:  # in the harness: the blocks the engine reserved for it, one per worker
            raise UserError(f"every block of {BLOCK} users mapped here is reserved: {mapped} blocks, one per pytest "
                            f"worker, so at most {mapped} workers as root (workspace.HARNESS_BLOCKS); run with "
                            f"fewer (-n)")  # fmt: skip
        raise UserError(f"every block of {BLOCK} users is reserved ({locks})")

    def take(self) -> int:
        """A user for a new unit: as root, one no live unit has; else the caller."""
        if not self.root:
            return self.first
        for _ in range(BLOCK):
            uid = self.first + self._next
            self._next = (self._next + 1) % BLOCK
            if uid not in self._held:
                self._held.add(uid)
                return uid
        raise UserError(f"all {BLOCK} users of this worker's block are in use by units still alive")

    def give_back(self, uid: int) -> None:
        """`uid`'s unit is over: nothing of it is left (its PID namespace has ended), so it may be given again."""
        self._held.discard(uid)

    def in_use(self) -> frozenset[int]:
        return frozenset(self._held)

    @property
    def block(self) -> tuple[int, int]:
        """(first, count): this worker's users (as root), mapped into the zygotes' user namespaces."""
        return (self.first, BLOCK) if self.root else (self.first, 1)

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
