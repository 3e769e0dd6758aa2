"""As root, what the harness can read: as a user nobody owns, what everyone may read, and what the check needs.

Mapped to root, the harness (harness.py) would read whatever root can (a `0600` file of root's: `/etc/shadow`, a
key in root's home folder), its view being read-only only for writing. So as root it runs as a user of its own
(`user`: the first of a block of users the engine reserved, workspace.py), which owns no file on the machine and
belongs to no group: of the machine's files it reads only what everyone may read.

What the check needs to read and may not be open to everyone (the project, the Python it runs with and its
packages, node_modules, the proxy's sockets, its work folder: `paths`, chosen by the engine) is bound in at its
own path through an idmapped mount (mount_setattr(2), MOUNT_ATTR_IDMAP): there root's files are shown as the
harness's user's own, read-only (but the project's docs/ under --update-examples, which writes them as root's).
Its work folder is its user's (workspace.py), bound as it is. A folder on the way to one of them that
only its owner may enter (`/root`, `/tmp/pytest-of-root`) is covered, in the harness's mount namespace alone, by an
empty tmpfs open to everyone, where the folders down to each such path are made and the path bound: nothing else
of the folder is in view, and what is (a path of the check's) is seen as it is.

The trees are cloned and idmapped by the engine (`View.open`), before it forks the harness; the harness's first
process places them (`View.place`) in a mount namespace of its own, made while it is still root in the machine's
user namespace (nothing of the harness's user could look those paths up), then leaves for its own user namespace,
where every mount it brings is locked (none can be unmounted to uncover what it covers).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from branddocs.examples.isolation import namespaces as ns
from branddocs.examples.isolation.uids import LOCKS

__all__ = ["NEVER_WHOLE", "USER_COVERS", "UserView", "View"]

NEVER_WHOLE = frozenset({"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/media", "/mnt", "/opt",
                         "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var"})  # noqa: S108  # fmt: skip
"""Folders never bound whole (what lies below them is the machine's, not the check's): a path among them is left
as it is, readable only where everyone may read it."""
_SYSTEM = ("/usr/",)
"""Below these, everything the check reads is open to everyone: left as it is."""
_COVER_SIZE = 1 << 20
_SYS_OPEN_TREE, _SYS_MOVE_MOUNT, _SYS_MOUNT_SETATTR = 428, 429, 442  # the same on x86_64 and aarch64 (Linux 5.12)
_OPEN_TREE_CLONE, _OPEN_TREE_CLOEXEC, _AT_EMPTY_PATH, _AT_FDCWD, _AT_RECURSIVE = 0x1, 0o2000000, 0x1000, -100, 0x8000
_MOVE_MOUNT_F_EMPTY_PATH, _MOUNT_ATTR_IDMAP = 0x4, 0x100000
_libc = ctypes.CDLL(None, use_errno=True)


class _MountAttr(ctypes.Structure):
    _fields_ = (("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64))  # fmt: skip


def _checked(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def _tree(path: str, userns: int | None, recursive: bool = False) -> int:
    """A detached copy of the mount at `path` (from `path` down; with the mounts below, `recursive`), root's files
    in it shown as the user root is mapped to in `userns` (if given: an idmapped mount); an fd for move_mount(2)."""
    flags = _OPEN_TREE_CLONE | _OPEN_TREE_CLOEXEC | (_AT_RECURSIVE if recursive else 0)
    tree = _checked(_libc.syscall(_SYS_OPEN_TREE, _AT_FDCWD, path.encode(), flags), f"open_tree {path}")
    if userns is None:
        return tree
    try:
        attr = _MountAttr(_MOUNT_ATTR_IDMAP, 0, 0, userns)
        _checked(_libc.syscall(_SYS_MOUNT_SETATTR, tree, b"", _AT_EMPTY_PATH, ctypes.byref(attr), ctypes.sizeof(attr)),
                 f"an idmapped mount of {path} (its file system may not support one)")  # fmt: skip
    except BaseException:
        os.close(tree)
        raise
    return tree


def _wanted(paths: Iterable[str]) -> list[str]:
    """`paths` resolved, existing, less the system's and NEVER_WHOLE, each once, shallowest first."""
    found = {}
    for given in paths:
        path = os.path.realpath(given)
        if os.path.lexists(path) and path not in NEVER_WHOLE and not path.startswith(_SYSTEM):
            found[path] = None
    return sorted(found, key=lambda p: (len(Path(p).parts), p))


def _closed_to_others(path: Path) -> bool:
    """Whether a user who owns nothing and is in no group may not enter the folder `path` (a folder that is not
    there: nothing to cover)."""
    try:
        found = os.stat(path)
    except OSError:
        return False
    return stat.S_ISDIR(found.st_mode) and not found.st_mode & stat.S_IXOTH


def _attach(trees: Iterable[tuple[str, int]]) -> None:
    """Each detached tree mounted at its path, the folders on the way (below a cover) and the mount point made."""
    for path, tree in trees:
        if not os.path.lexists(path):
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            if stat.S_ISDIR(os.fstat(tree).st_mode):
                os.mkdir(path, 0o755)
            else:
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o644))
        _checked(_libc.syscall(_SYS_MOVE_MOUNT, tree, b"", _AT_FDCWD, path.encode(), _MOVE_MOUNT_F_EMPTY_PATH),
                 f"move_mount {path}")  # fmt: skip


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _outermost(paths: Iterable[str]) -> list[str]:
    """`paths`, less any below another of them."""
    found: list[str] = []
    for path in sorted(set(paths), key=lambda p: (len(Path(p).parts), p)):
        if not any(_under(path, top) for top in found):
            found.append(path)
    return found


USER_COVERS = ("/tmp", "/var/tmp", "/run", "/dev/shm", "/dev/mqueue", "/dev/pts", "/home", "/mnt", "/media", "/srv")  # noqa: S108
"""As an ordinary user, where that user's sockets and terminals are: tmux's and ssh-agent's in /tmp, D-Bus,
systemd's and gpg-agent's in /run/user/<uid>, more in the home folder, its terminals in /dev/pts. The harness is that
user, and a read-only view stops neither connect(2) to a socket (a tmux server runs any command asked of it, outside
every namespace) nor open(2) of a terminal (what the user types there is read): these are covered."""


@dataclass
class UserView:
    """As an ordinary user: the harness's view of the machine, its system's folders as they are, USER_COVERS and the
    home folder covered by empty tmpfs, and of what they held only `paths` (what the check reads and writes:
    harness_reads.py, workspace.py), bound back at their own paths."""

    paths: Sequence[str]
    home: str | None = None
    covers: Sequence[str] = USER_COVERS

    def place(self, cwd: str) -> None:
        """In the harness's mount namespace (its user namespace's own), before it is made read-only: each of `paths`
        under a cover cloned (with the mounts below it), the covers mounted, the clones moved back; `cwd` entered
        again (else it would stay the covered folder's, and `..` from it would climb the machine's)."""
        home = [os.path.realpath(self.home)] if self.home and os.path.isabs(self.home) else []
        covers = _outermost(c for c in (os.path.realpath(c) for c in (*self.covers, *home)) if os.path.isdir(c))
        covers = [c for c in covers if c != "/"]
        kept = _outermost(p for p in _wanted(self.paths) if any(_under(p, c) for c in covers))
        trees: list[tuple[str, int]] = []
        try:
            trees += [(path, _tree(path, None, recursive=True)) for path in kept]
            old = os.umask(0o022)
            try:
                for cover in covers:
                    ns.mount_tmpfs(cover, _COVER_SIZE, mode=0o755)
                for folder in home:  # there, empty: what looks in it finds nothing, not a folder that is gone
                    os.makedirs(folder, mode=0o755, exist_ok=True)
                _attach(trees)
            finally:
                os.umask(old)
        finally:
            for _, tree in trees:
                with contextlib.suppress(OSError):
                    os.close(tree)
        try:
            os.chdir(cwd)
        except OSError:
            os.chdir("/")


@dataclass
class View:
    """As root: the harness's user, and the trees of the paths it needs, idmapped to it (see the module's doc)."""

    user: int
    trees: list[tuple[str, int]] = field(default_factory=list)
    home: str | None = None
    """The home folder the harness is given ($HOME): covered, empty, when only its owner may enter it, so that
    what looks in it finds nothing (ENOENT) rather than a folder it may not enter (git, for one, stops there)."""

    @classmethod
    def open(cls, paths: Iterable[str], user: int, home: str | None = None, own: Iterable[str] = ()) -> View:
        """Clone and idmap each of `paths` (see `_wanted`) for `user`; clone `own` as it is (folders made for the
        harness and given to `user`: what it writes there is `user`'s on disk, never root's, so no file it leaves
        can be a program that makes whoever runs it root). OSError where the kernel or a file system refuses an
        idmapped mount."""
        view = cls(user, home=os.path.realpath(home) if home and os.path.isabs(home) else None)
        userns = ns.user_namespace([(0, user, 1)], [(0, user, 1)])
        try:
            wanted = _wanted(paths)  # and the mounts below each (a clone holds one mount, not those below it)
            for path in _wanted([*wanted, *(below for top in wanted for below in ns.mounts_below(top))]):
                view.trees.append((path, _tree(path, userns)))
            view.trees += [(path, _tree(path, None)) for path in _wanted(own)]
            view.trees.sort(key=lambda tree: (len(Path(tree[0]).parts), tree[0]))
        except BaseException:
            view.close()
            raise
        finally:
            os.close(userns)
        return view

    def covers(self) -> list[str]:
        """The folders to cover with a tmpfs: on the way to a tree's path (or to its home folder, and that folder),
        the first only its owner may enter."""
        found: list[str] = []
        ways: list[Sequence[Path]] = [Path(path).parents for path, _ in self.trees]
        if self.home is not None and self.home != "/":
            ways.insert(0, [Path(self.home), *Path(self.home).parents])
        for parents in ways:
            for above in reversed(parents):
                if str(above) != "/" and _closed_to_others(above):
                    if not any(str(above) == c or str(above).startswith(c + "/") for c in found):
                        found.append(str(above))
                    break
        return found

    def place(self, cwd: str) -> None:
        """In the harness's first process, still root in the machine's user namespace: a mount namespace of its
        own with the covers and the trees in place, `cwd` entered again (else it would stay the folder's as it
        was before), no supplementary group. USER_COVERS are covered too: a socket everyone may connect to (an X
        server's in /tmp/.X11-unix, the system bus in /run) is no path the check reads."""
        covers = self.covers()
        covers = _outermost([*covers, *(c for c in map(os.path.realpath, USER_COVERS) if os.path.isdir(c))])
        ns.unshare(ns.CLONE_NEWNS)
        ns.make_mounts_private()
        old = os.umask(0o022)
        try:
            for cover in covers:
                ns.mount_tmpfs(cover, _COVER_SIZE, mode=0o755)
            _attach(self.trees)
            if LOCKS.parent.is_dir():  # the mount point of the harness's own lock folder (harness.py: _view)
                os.makedirs(LOCKS, mode=0o700, exist_ok=True)
        finally:
            os.umask(old)
            self.close()
        try:
            os.chdir(cwd)
        except OSError:
            os.chdir("/")
        os.setgroups([])

    def close(self) -> None:
        for _, tree in self.trees:
            with contextlib.suppress(OSError):
                os.close(tree)
        self.trees.clear()
