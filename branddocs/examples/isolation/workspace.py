"""What the harness may write, made by the engine before the harness starts and collected after it ends.

The harness (harness.py) sees the machine's file system read-only: the engine's code and environment, the
project, /etc, the home folder, whatever a later `branddocs` command run with the key would load or execute, are
out of its reach for writing. It writes only:
- its work folder (`branddocs-check-*` in the engine's temporary folder): pytest's `--basetemp`, its TMPDIR, and
  the outputs pytest is asked for (`--junitxml`), which the engine copies to where they were asked for once the
  harness has ended. A check that failed keeps it (its examples' scripts, to look at), as pytest keeps its last
  runs' folders: the user's KEPT newest kept folders stay, older ones are removed when one is kept (`prune`);
- with `--update-examples` alone (which runs against the reference endpoint, never a key), a private copy of the
  project's `docs/` in its work folder, bound in place of `docs/` (nosuid, nodev): the project's own `docs/` is
  never written while it runs, so nothing it makes there (a set-user-ID program) is in reach of another local
  user. Once it has ended the engine copies back the `.md` pages it changed, as new regular files written by the
  engine (`copy_back`: the page's own mode, at most 0644), nothing else (no link, device, new file or mode);
- its run group of cgroups (cgroups.harness_group), where its workers make their units' memory groups;
- as root, its own lock folder for the blocks of users (a tmpfs at uids.LOCKS, inside the harness): the blocks
  are reserved here, by the engine, in the machine's, and mapped into the harness in place of the first
  HARNESS_BLOCKS blocks (harness.py): the harness can neither take nor free another run's.
As root the harness is a user of its own (`user`, the first of one more block reserved here, which no unit is
given and no file belongs to; harness_view.py): the work folder and the run group are given to it (`give`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from branddocs.examples.isolation import cgroups
from branddocs.examples.isolation.uids import UnitUsers

__all__ = ["HARNESS_BLOCKS", "KEPT", "Workspace", "copy_back", "copy_out", "no_set_ids", "prune"]

HARNESS_BLOCKS = 64
"""Blocks of users (uids.BLOCK each) reserved for one harness, as root: one per pytest worker, at most."""
_OUTPUTS = ("--junitxml", "--junit-xml")
PREFIX = "branddocs-check-"
KEPT = 3
"""How many failed checks' work folders a user keeps (pytest keeps its last 3 runs' folders the same way)."""
_MARK = ".kept"
"""Written in a work folder kept by `close`: only such a folder, its check ended, is ever pruned."""


def prune(where: Path, keep: int = KEPT) -> None:
    """Remove the work folders of this user's failed checks in `where` but the newest `keep`. A folder is pruned
    only when it is this user's (lstat: a link or another user's folder is left alone) and marked kept, so a check
    still running is never touched."""
    kept = []
    with contextlib.suppress(OSError), os.scandir(where) as entries:
        for entry in entries:
            if not entry.name.startswith(PREFIX):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                mark = os.lstat(os.path.join(entry.path, _MARK))
                if stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and stat.S_ISREG(mark.st_mode):
                    kept.append((mark.st_mtime_ns, entry.path))
    for _, path in sorted(kept, reverse=True)[keep:]:
        shutil.rmtree(path, ignore_errors=True)


def _give(folder: Path, user: int) -> None:
    """`folder` (the work folder, the run group: its workers make their units' groups there) and everything below
    it `user`'s."""
    for path in [folder, *folder.rglob("*")]:
        with contextlib.suppress(OSError):
            os.chown(path, user, user, follow_symlinks=False)


_PRIVILEGE_XATTRS = ("security.capability", "system.posix_acl_access", "system.posix_acl_default")


def no_set_ids(folder: Path) -> None:
    """What the harness left below `folder` (through the idmapped `docs/`, root's on disk), made plain: every file
    `0644` (`0755` if it was executable by anyone) and every folder `0755`, so no set-user-ID, set-group-ID or
    sticky bit, and nothing others may write; no file capability (`security.capability`: `cap_setuid=ep` on a copy
    of python3 made whoever ran it root) and no ACL. An allow-list of modes, not a list of bits to clear."""
    if os.path.islink(folder):  # a link's target is not this check's to change (os.walk would follow the top)
        return
    for top, dirs, names in os.walk(folder):  # links are not followed
        for name in [*dirs, *names]:
            _plain(Path(top, name))
    _plain(folder)


def _plain(path: Path) -> None:
    with contextlib.suppress(OSError):
        mode = path.lstat().st_mode
        if stat.S_ISDIR(mode):
            wanted = 0o755
        elif stat.S_ISREG(mode):
            wanted = 0o755 if mode & 0o111 else 0o644
        else:
            return  # a link (its target is not touched) or a special file
        for name in _PRIVILEGE_XATTRS:
            with contextlib.suppress(OSError):
                os.removexattr(path, name, follow_symlinks=False)
        if stat.S_IMODE(mode) != wanted:
            os.chmod(path, wanted)  # not a link (lstat above), and the harness is gone: nothing swaps it


@dataclass
class Workspace:
    """One check's writable places (see the module's docstring)."""

    folder: Path
    writable: list[str]
    """Paths bound writable into the harness's read-only view."""
    binds: list[tuple[str, str]] = field(default_factory=list)
    """(source, target): the private copy of docs/ bound writable at the project's docs/."""
    cgroup_procs: Path | None = None
    """Where the engine moves the harness's first process (its run group), if one could be made."""
    blocks: list[int] = field(default_factory=list)
    """The first user of each block reserved for the harness (root only)."""
    user: int | None = None
    """As root, the harness's own user (harness_view.py)."""
    _group: Path | None = None
    _given: bool = False
    _docs: Path | None = None
    _pages: dict[str, str] = field(default_factory=dict)
    _root: Path | None = None
    _users: list[UnitUsers] = field(default_factory=list)
    _outputs: list[tuple[Path, Path]] = field(default_factory=list)

    @classmethod
    def make(cls, docs: Path | None, root: Path | None = None) -> Workspace:
        """The work folder, the run group and (as root) the blocks of users; `docs` also writable when given (the
        project's own folder, never a link: Project.find refuses one); outputs asked for under `root` are copied
        there only through the project's own folders (`copy_out`)."""
        if docs is not None and docs.is_symlink():
            raise ValueError(f"{docs}: a symbolic link; expected the project's own docs/ folder")
        folder = Path(tempfile.mkdtemp(prefix=PREFIX))
        (folder / "tmp").mkdir()
        space = cls(folder, [str(folder)])
        space._root = root
        if docs is not None:  # the harness's docs/: a copy in the work folder (0700), never the project's own
            try:
                space._docs = docs.resolve()
                space._pages = _copy_in(space._docs, folder / "docs")
            except BaseException:
                space.close(keep=False)
                raise
            space.binds.append((str(folder / "docs"), str(space._docs)))
        group, procs = cgroups.harness_group()
        if group is not None:
            space._group, space.cgroup_procs = group, procs
            space.writable.append(str(group))
        if os.geteuid() == 0:
            try:
                for _ in range(HARNESS_BLOCKS + 1):  # each past the last: one pass over the lock files
                    space._users.append(UnitUsers(after=space._users[-1].index if space._users else -1))
            except BaseException:
                space.close(keep=False)
                raise
            space.blocks = [users.first for users in space._users[:HARNESS_BLOCKS]]
            space.user = space._users[-1].first
        return space

    def give(self) -> None:
        """As root, with the harness to run as `user`: the work folder and the run group its."""
        assert self.user is not None
        for mine in (self.folder, *([self._group] if self._group is not None else [])):
            _give(mine, self.user)
        self._given = True

    @property
    def basetemp(self) -> Path:
        return self.folder / "pytest"

    def environ(self) -> dict[str, str]:
        """What the harness's environment takes from here: its temporary folder, inside the work folder."""
        return {"TMPDIR": str(self.folder / "tmp")}

    def pytest_args(self, args: list[str]) -> list[str]:
        """`args` with each output file asked for written in the work folder instead; copied out by `close`."""
        out, given = [], iter(args)
        for arg in given:
            name, eq, value = arg.partition("=")
            if name in _OUTPUTS:
                wanted = value if eq else next(given, "")
                inside = self.folder / f"output-{len(self._outputs)}{Path(wanted).suffix}"
                self._outputs.append((inside, Path(wanted).absolute()))
                out.append(f"{name}={inside}")
                continue
            out.append(arg)
        return out

    def close(self, keep: bool) -> list[str]:
        """Copy the outputs and the changed pages out, remove the run group, free the blocks; the work folder too unless
        `keep` or one could not be copied. Returns why one was not copied, one line each (it stays in the work
        folder)."""
        problems = []
        for inside, wanted in self._outputs:
            if inside.is_file() and not inside.is_symlink():
                problem = copy_out(inside, wanted, self._root)
                if problem:
                    problems.append(f"{problem}; it is kept as {inside}")
        if self._docs is not None:  # the harness has ended: its pages, read from its copy, written by the engine
            problems += copy_back(self.folder / "docs", self._docs, self._pages)
        keep = keep or bool(problems)
        if self._group is not None:
            cgroups.remove_group(self._group)
        if keep and self._given:  # root's again before the harness's user is freed: it may be given again
            _give(self.folder, 0)
        for users in self._users:
            users.close()
        self._users.clear()
        if not keep:
            shutil.rmtree(self.folder, ignore_errors=True)
            return problems
        with contextlib.suppress(OSError):
            (self.folder / _MARK).touch()
        prune(self.folder.parent)
        return problems


def copy_out(source: Path, wanted: Path, root: Path | None) -> str | None:
    """`source` copied to `wanted` (an output the caller asked pytest for) without following a link: under the project
    `root` every folder on the way must be the project's own (no link: the repository chose those; missing ones are
    made), and the file is written beside `wanted` as a new file, then renamed over it (a link at `wanted` is
    replaced, its target untouched). Why not, or None once copied. A path outside the project is the caller's own."""
    wanted = Path(os.path.abspath(wanted))
    if root is not None and wanted.is_relative_to(root):
        here = root
        for part in wanted.relative_to(root).parts[:-1]:
            here = here / part
            try:
                info = os.lstat(here)
            except FileNotFoundError:
                try:
                    os.mkdir(here, 0o755)
                except OSError as exc:
                    return f"{wanted}: cannot make {here} ({exc.strerror})"
                continue
            if not stat.S_ISDIR(info.st_mode):
                kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a folder"
                return f"{wanted}: {here} is {kind} inside the project; expected its own folder (no link)"
    try:
        wanted.parent.mkdir(parents=True, exist_ok=True)  # outside the project: the caller's path, as pytest would
        fd, temporary = tempfile.mkstemp(prefix=f".{wanted.name}.", dir=wanted.parent)  # O_EXCL: a new file
    except OSError as exc:
        return f"{wanted}: cannot write it ({exc.strerror})"
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out)
        mask = os.umask(0o022)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, wanted)  # renames over a link at `wanted`, never through it
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return f"{wanted}: cannot write it ({exc.strerror})"
    return None


def _digest(path: Path) -> str | None:
    """The sha256 of the regular file `path` (no link followed), None if it is not one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as data:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return hashlib.file_digest(data, "sha256").hexdigest()


def _copy_in(docs: Path, copy: Path) -> dict[str, str]:
    """`docs` copied to `copy` (links as links, special files left out); the digest of each `.md` page, by its path
    below `docs`: the pages `copy_back` may write back."""
    shutil.copytree(docs, copy, symlinks=True, ignore=_special)
    pages = {}
    for page in docs.rglob("*.md"):
        digest = _digest(page)
        if digest is not None:
            pages[str(page.relative_to(docs))] = digest
    return pages


def _special(folder: str, names: list[str]) -> list[str]:
    kinds = (stat.S_ISREG, stat.S_ISDIR, stat.S_ISLNK)
    return [n for n in names if not any(kind(os.lstat(os.path.join(folder, n)).st_mode) for kind in kinds)]


def copy_back(copy: Path, docs: Path, pages: dict[str, str]) -> list[str]:
    """Each of `pages` the harness changed in `copy` written back to `docs`: read as a regular file (no link), written
    new beside the page by the engine and renamed over it, with the page's own owner and mode (at most 0644). A
    page changed in `docs` while the check ran is left as it is. Why a page was not written back, one line each."""
    problems = []
    for name, before in sorted(pages.items()):
        changed, page = _digest(copy / name), docs / name
        if changed is None or changed == before or os.path.realpath(copy / name) != str(copy.resolve() / name):
            continue  # unchanged, or no longer a regular file of its own folders: nothing the engine writes back
        if _digest(page) != before:
            problems.append(f"{page}: changed while the check ran; its update is kept in {copy / name}")
            continue
        try:
            info = page.lstat()
            fd, temporary = tempfile.mkstemp(prefix=f".{page.name}.", dir=page.parent)
        except OSError as exc:
            problems.append(f"{page}: cannot write it ({exc.strerror}); its update is kept in {copy / name}")
            continue
        try:
            with os.fdopen(fd, "wb") as out, open(copy / name, "rb", opener=_no_follow) as data:
                shutil.copyfileobj(data, out)
                if os.geteuid() == 0:
                    os.fchown(out.fileno(), info.st_uid, info.st_gid)
                os.fchmod(out.fileno(), stat.S_IMODE(info.st_mode) & 0o644)
            os.replace(temporary, page)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            problems.append(f"{page}: cannot write it ({exc.strerror}); its update is kept in {copy / name}")
    return problems


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)
