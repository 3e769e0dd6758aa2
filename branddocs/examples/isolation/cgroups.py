"""Memory cgroups for isolation units: every kind of memory an example uses, shared mappings included, is bounded.

RLIMIT_DATA counts private writable memory only: `mmap(MAP_SHARED | MAP_ANONYMOUS)`, SysV segments and files in
a tmpfs are shared memory, which it never sees. A memory cgroup counts all of them, and the kernel stops (kills)
the unit that goes over MEMORY_LIMIT. One group per live unit, made below the worker's own cgroup (so every
limit above it still holds), reused by the next unit once its unit is over, removed when the worker closes.

Where the machine lets branddocs make one:
- cgroup v1 with the memory controller (`memory.limit_in_bytes`): root only, as the hierarchy is root's;
- cgroup v2 (`memory.max`): where this process may make a group below its own with the memory controller on
  (delegated to it, or root on the hierarchy's root).
Elsewhere `MemoryGroups.open` says why not, and `branddocs check`'s header says memory is not bounded there.

A unit joins its group itself, before it runs anything: it writes `0` into the group's task file, opened by the
worker (the kernel checks the opener's rights, so the unit needs none of its own). In v1 that is `tasks`: one
thread moved, which the kernel does without waiting for an RCU grace period, where `cgroup.procs` takes ~10 ms.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HARNESS_LEAF", "MEMORY_LIMIT", "Group", "MemoryGroups", "harness_group", "memory_groups", "remove_group"]

HARNESS_LEAF = "branddocs-harness"
"""cgroup v2: the leaf the harness's processes live in, beside the units' groups below the same run group."""
MEMORY_LIMIT = 1 << 30
"""Bytes of memory of every kind one unit may use."""


@dataclass
class Group:
    """One unit's memory cgroup."""

    path: Path
    tasks: Path
    """The file a process writes `0` into to join the group."""

    def open_tasks(self) -> int:
        """The task file opened for writing, for a unit to join with (`os.write(fd, b"0")`)."""
        return os.open(self.tasks, os.O_WRONLY | os.O_CLOEXEC)

    def free(self) -> bool:
        """No process in it, and little memory still charged to it: a SysV segment or tmpfs of a unit that has
        ended is freed by the kernel a moment later (a work queue), and would count against the next unit."""
        with contextlib.suppress(OSError, ValueError):
            usage = "memory.usage_in_bytes" if self.tasks.name == "tasks" else "memory.current"
            charged = int((self.path / usage).read_text())
            return not (self.path / "cgroup.procs").read_text().strip() and charged < MEMORY_LIMIT // 4
        return False


@dataclass
class MemoryGroups:
    """A worker's memory cgroups, below `parent`."""

    parent: Path
    version: int
    spare: list[Group] = field(default_factory=list)
    """Groups whose units are over, for the next units."""
    count: int = 0

    def take(self) -> Group:
        """A group for a new unit: one whose unit is over and whose memory is freed, or a new one."""
        for group in self.spare:
            if group.free():
                self.spare.remove(group)
                return group
        self.count += 1
        path = self.parent / f"u{self.count}"
        path.mkdir()
        if self.version == 1:
            (path / "memory.limit_in_bytes").write_text(str(MEMORY_LIMIT))
            with contextlib.suppress(FileNotFoundError):  # swap accounting, where the kernel has it
                (path / "memory.memsw.limit_in_bytes").write_text(str(MEMORY_LIMIT))
            return Group(path, path / "tasks")
        (path / "memory.max").write_text(str(MEMORY_LIMIT))
        with contextlib.suppress(FileNotFoundError):
            (path / "memory.swap.max").write_text("0")
        return Group(path, path / "cgroup.procs")

    def give_back(self, group: Group) -> None:
        """`group`'s unit is over (its processes are gone): the next unit may have it."""
        self.spare.append(group)

    def close(self) -> None:
        for child in sorted(self.parent.glob("u*")):
            with contextlib.suppress(OSError):
                child.rmdir()
        with contextlib.suppress(OSError):
            self.parent.rmdir()
        self.spare.clear()


def _mounts() -> list[tuple[str, str, str, str]]:
    """(root within the filesystem, mount point, type, super options) of each mount, from mountinfo."""
    found = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo", encoding="utf-8") as info:
        for line in info:
            left, _, right = line.partition(" - ")
            fields, after = left.split(), right.split()
            if len(fields) >= 5 and len(after) >= 3:
                found.append((fields[3], fields[4].replace("\\040", " "), after[0], after[2]))
    return found


def _own_dirs() -> tuple[Path | None, Path | None, Path | None]:
    """This process's v1 memory cgroup folder, its v2 cgroup folder and the v2 hierarchy's root (None: none)."""
    v1_path = v2_path = None
    with contextlib.suppress(OSError), open("/proc/self/cgroup", encoding="utf-8") as lines:
        for line in lines:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            if number == "0" and not controllers:
                v2_path = path
            elif "memory" in controllers.split(","):
                v1_path = path
    v1 = v2 = v2_root = None
    for root, point, kind, options in _mounts():
        if kind == "cgroup" and "memory" in options.split(",") and v1_path is not None and v1 is None:
            v1 = Path(point) / os.path.relpath(v1_path, root)
        elif kind == "cgroup2" and v2_path is not None and v2 is None:
            v2, v2_root = Path(point) / os.path.relpath(v2_path, root), Path(point)
    return v1, v2, v2_root


def _make_parent(under: Path) -> Path:
    parent = under / f"branddocs-{secrets.token_hex(6)}"
    parent.mkdir(mode=0o755)
    return parent


def memory_groups() -> tuple[MemoryGroups | None, str]:
    """(the worker's memory groups, "") where it may make them here; else (None, why not)."""
    v1, v2, v2_root = _own_dirs()
    if v1 is not None:
        if not os.access(v1, os.W_OK):
            return None, f"cgroup v1's memory hierarchy ({v1}) is root's"
        try:
            return MemoryGroups(_make_parent(v1), 1), ""
        except OSError as exc:
            return None, f"cannot make a memory cgroup in {v1}: {exc.strerror}"
    if v2 is None or v2_root is None:
        return None, "no memory cgroup controller here"
    # In the harness (v2): its run group, the parent of its leaf, is where its workers may make groups.
    for under in (v2.parent if v2.name == HARNESS_LEAF else v2, v2_root if os.geteuid() == 0 else None):
        if under is None:
            continue
        try:
            if "memory" not in (under / "cgroup.subtree_control").read_text().split():
                continue  # its children have no memory controller (and turning it on is not ours to do)
            parent = _make_parent(under)
        except OSError:
            continue
        try:  # the groups below parent get the memory controller; refused where parent's own parent has not it
            (parent / "cgroup.subtree_control").write_text("+memory")
        except OSError:
            parent.rmdir()
            continue
        return MemoryGroups(parent, 2), ""
    return None, f"cgroup v2 here gives this user no group with the memory controller below {v2}"


def harness_group() -> tuple[Path | None, Path | None]:
    """A run group for the harness, made by the engine below its own cgroup: (the folder to bind writable into the
    harness, the `cgroup.procs` to move the harness into); (None, None) where none can be made here.

    The harness sees this group writable and nothing else of the hierarchy: its workers make their units' groups
    below it, and no limit of the engine's or the proxy's cgroups is in its reach. v1: the run group itself; v2: a
    run group with the memory controller for its children, the harness in its leaf HARNESS_LEAF beside them."""
    v1, v2, _ = _own_dirs()
    try:
        if v1 is not None and os.access(v1, os.W_OK):
            group = _make_parent(v1)
            return group, group / "cgroup.procs"
        if v2 is not None and "memory" in (v2 / "cgroup.subtree_control").read_text().split():
            group = _make_parent(v2)
            (group / "cgroup.subtree_control").write_text("+memory")
            (group / HARNESS_LEAF).mkdir()
            return group, group / HARNESS_LEAF / "cgroup.procs"
    except OSError:
        pass
    return None, None


def remove_group(group: Path) -> None:
    """Remove `group` and every group below it, deepest first (each empty of processes once the harness ended)."""
    for child in sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        with contextlib.suppress(OSError):
            child.rmdir()
    with contextlib.suppress(OSError):
        group.rmdir()
