"""What a stamp vouches for of a published site: its listing (file names and sizes), and the tree record that lets
an up-to-date check confirm the listing without listing the site again.

A build looks at every brand's site, so the listing (a scandir of each folder and a stat of each of a site's hundred
files) is paid once per brand in every run, up to date or not: at 10,000 brands most of a one-change build.
The tree record keeps, for each folder of the site, its inode and modification and change times, and for each of its
files, the name, inode and size. A folder whose inode and times are as recorded holds the same names, each for the
same inode (creating, removing or renaming an entry sets both times; the change time cannot be set back), so a check
stats only the folders, and each file inode once per process (most are store entries every site shares), to see
its size: the same names and sizes the listing hashes, lost, grown or added files told apart as before.

A folder's times are trusted only once settled (older than `SETTLED_NS` when recorded): a change within the same
timestamp could leave them as they were. A site with a symbolic link, or anything other than folders and regular
files, gets no record and is listed every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

__all__ = ["SETTLED_NS", "Tree", "listing", "record", "unchanged"]

SETTLED_NS = 2_000_000_000

Tree = dict[str, list]
"""{folder under the site ('' for the site itself): [inode, mtime_ns, ctime_ns, files]}, `files` the JSON text of
[[name, inode, size], ...] (one string: parsed only for a folder not seen alike in this process)."""

_sizes: dict[tuple[int, int], int] = {}
"""{(device, inode): size} of the files this process stat'ed for a tree check: a file shared by every site (a
theme asset, a store entry) is stat'ed once per run, not once per site."""
_checked: set[tuple[int, str]] = set()
"""(device, a folder's file record) found as recorded in this process: the folders every site has alike (Material's
assets: the same names, inodes and sizes) are checked once per run."""


def listing(site: str | os.PathLike) -> str:
    """A hash of a site's file names and sizes, as os.walk and os.path.isfile find them (no symbolic link to a
    folder entered; a link to a file counted as the file)."""
    return _walk(os.fspath(site))[0]


def record(site: str | os.PathLike) -> tuple[str, Tree | None]:
    """The site's listing, and its tree record (None when the site has a link or a folder changed too recently).

    Each folder is stat'ed before it is read: a change after that leaves the folder's times other than recorded."""
    return _walk(os.fspath(site), time.time_ns() - SETTLED_NS)


def unchanged(site: str | os.PathLike, tree: object) -> bool:
    """True if `tree` (a stamp's, as recorded by `record`) still describes the site: its folders untouched and
    every file of the size recorded. False for anything else, a damaged record included."""
    if not isinstance(tree, dict) or "" not in tree:
        return False
    site = os.fspath(site)
    try:  # paths joined as text, not by os.path.join: this runs for every folder of every brand in every build
        device = os.lstat(site).st_dev
        for folder, (inode, mtime, ctime, files) in tree.items():
            path = f"{site}/{folder}" if folder else site
            status = os.lstat(path)
            if (status.st_ino, status.st_mtime_ns, status.st_ctime_ns, status.st_dev) != (inode, mtime, ctime, device):
                return False
            if (device, files) not in _checked and not _sizes_as_recorded(path, device, files):
                return False
    except (OSError, TypeError, ValueError):  # gone, or a record not of this shape
        return False
    return True


def _sizes_as_recorded(folder: str, device: int, files: str) -> bool:
    """True if each of the folder's files (`files`: its record's JSON list of [name, inode, size]) has its size."""
    for name, inode, size in json.loads(files):
        known = _sizes.get((device, inode))
        if known is None:
            status = os.lstat(f"{folder}/{name}")
            if status.st_ino != inode or status.st_dev != device:
                return False
            known = _sizes[(device, inode)] = status.st_size
        if known != size:
            return False
    _checked.add((device, files))
    return True


def _walk(site: str, settled_before: int | None = None) -> tuple[str, Tree | None]:
    walk = _Walk(settled_before)
    walk.list_files(site, ())
    digest = hashlib.sha256()
    for parts, size in sorted(walk.found):
        digest.update(f"{'/'.join(parts)}\0{size}\n".encode())
    if not (walk.recordable and walk.tree):
        return digest.hexdigest(), None
    for folder in walk.tree.values():
        folder[3] = json.dumps(sorted(folder[3]))  # sorted: folders alike give the same text
    return digest.hexdigest(), walk.tree


class _Walk:
    """One listing of a site, with its tree record when `settled_before` is given."""

    def __init__(self, settled_before: int | None) -> None:
        self.found: list[tuple[tuple[str, ...], int]] = []
        self.settled_before = settled_before
        self.recordable = settled_before is not None
        self.tree: Tree = {}

    def list_files(self, folder: str, parts: tuple[str, ...]) -> None:
        """List `folder` into `found` with one stat a file, and record it in `tree` while the site is recordable."""
        files: list[list] = []
        if self.recordable:
            try:
                status = os.lstat(folder)
            except OSError:
                status = None
            if status is None or max(status.st_mtime_ns, status.st_ctime_ns) >= self.settled_before:
                self.recordable = False  # gone, or changed a moment ago: no record for this site
            else:
                self.tree["/".join(parts)] = [status.st_ino, status.st_mtime_ns, status.st_ctime_ns, files]
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            try:
                if entry.is_dir():
                    if entry.is_symlink():
                        self.recordable = False
                    else:
                        self.list_files(entry.path, (*parts, entry.name))
                elif entry.is_file():
                    status = entry.stat()
                    self.found.append(((*parts, entry.name), status.st_size))
                    if entry.is_symlink():
                        self.recordable = False
                    elif self.recordable:
                        files.append([entry.name, status.st_ino, status.st_size])
                else:
                    self.recordable = False  # a broken link, a socket: not listed, and not recordable
            except OSError:  # gone meanwhile: as os.walk and isfile, not listed
                self.recordable = False
