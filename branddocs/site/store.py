"""Identical output stored once: every site's files are hard links into a content-addressed store.

Material's assets, the search worker and shared images are the same in every brand's site. Before a brand's
staging folder is published, each of its files becomes a hard link to `site/.branddocs/store/<ab>/<cdef...>`
(named by the sha256 of its bytes), so a thousand sites hold one copy on disk; every `site/<id>/` is still a
complete folder of ordinary files that static servers, `cp -a`, `rsync -aH` and `tar` publish as before.

A hard link shares the inode, so nothing may write into a shared file in place:

- Stored files are read-only (0444): an editor or tool run by an ordinary user cannot write through them.
- A build writes only new files (a fresh staging folder) and links; it never opens a published file.
- A store entry is linked into a site only if its bytes equal the file just built (which the secret scan
  read) and it is still read-only; one changed in place (root ignores 0444) is replaced, never spread. A build
  process compares an entry's bytes once and trusts it again while its inode, size, mode and modification
  time stay the same (a write in place changes the time; as for the gzip twins, precompress.py), once that
  time is 2 s old (a write within its granularity could leave it as it was).
- A plain `mkdocs build` into `site/<id>/` first gives that folder private, writable copies (`detach`),
  as MkDocs' `--dirty` builds write into existing files.

Where the filesystem refuses hard links (another filesystem, EPERM, too many links), files stay plain copies.
Entries no site links any more (link count 1) are removed by `collect`, under the build lock: after a build, only
those the sites it replaced alone held (`held_alone`), unless a site may have changed otherwise (then all of them).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import os
import shutil
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from branddocs.site import precompress
from branddocs.site.engine_folders import own_folder
from branddocs.site.publish import STAMP_DIR

__all__ = ["STORE_DIR", "DiskUsage", "Shared", "collect", "detach", "disk_usage", "entry_path", "held_alone", "share",
           "store_dir", "vouched"]  # fmt: skip

STORE_DIR = "store"
"""Under the site root's `.branddocs/`: one file per distinct content, `<first 2 hex digits>/<the other 62>`."""
_READ_ONLY = 0o444
_NO_LINKS = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}
"""What `link()` says where hard links cannot be made: then the file stays a plain copy."""
_CHUNK = 1 << 20
_IN_MEMORY = 16 << 20
"""Files up to this size are read once, for their hash and the comparison with the store's entry."""
_names = itertools.count()
_SETTLED_NS = 2_000_000_000
_verified: dict[tuple[int, ...], str] = {}
"""{(device, inode, size, mode, mtime_ns): digest} of entries this process found byte for byte the same as the
built file of their name's digest, their times settled then."""


def store_dir(site_root: Path) -> Path:
    """The store's folder, made if missing: the engine's own (engine_folders.py), never a link, and none of its
    folders one either (looked at once per process: a committed `store/<ab> -> /etc/sudoers.d` had the build link
    a file there; every entry is reached through them)."""
    store = own_folder(site_root, STAMP_DIR, STORE_DIR)
    if store not in _folders_checked:
        for entry in os.scandir(store):
            if entry.is_symlink():
                own_folder(store, entry.name)  # says which, and stops the command
        _folders_checked.add(store)
    return store


_folders_checked: set[Path] = set()


def entry_path(store: Path, digest: str) -> Path:
    """Where `store` keeps the content whose sha256 is `digest` (hex)."""
    return store / digest[:2] / digest[2:]


def _key(status: os.stat_result) -> tuple[int, ...]:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mode, status.st_mtime_ns)


def vouched(status: os.stat_result) -> str | None:
    """The sha256 of a file whose status (`lstat`) is that of a store entry this process compared byte for byte
    and found unchanged since (same inode, size, mode and time); None for any other file."""
    return _verified.get(_key(status)) if status.st_nlink > 1 and stat.S_ISREG(status.st_mode) else None


@dataclass
class Shared:
    """What `share` did with a folder's files."""

    linked: int = 0
    """Files now a link to content already in the store."""
    stored: int = 0
    """Files whose content was new: the file itself became the store's entry."""
    copies: int = 0
    """Files left as plain copies because the filesystem refused a hard link."""
    replaced: int = 0
    """Store entries that had changed since they were stored (written in place): replaced by the new file."""
    twins: int = 0
    """Gzip twins (`x.html.gz`) given to the site's text files, each compressed once per content (precompress.py)."""


def share(site: Path, store: Path, *, read_only: bool = True, verify: bool = True) -> Shared:
    """Make each file of `site` (a staging folder nobody else sees yet) a hard link into `store`.

    `read_only=False` and `verify=False` turn the guards off, only to show what they prevent."""
    result = Shared()
    store.mkdir(parents=True, exist_ok=True)  # the build's is made by `store_dir`, checked; a test's, here
    scratch = own_folder(store, "tmp")
    links_work = True
    for path, status in _regular_files(site):
        known = vouched(status)
        if known is not None:  # linked from the store in the build (theme_links.py): its entry, unchanged
            result.linked += 1
            entry = entry_path(store, known)
            result.twins += precompress.add_known_twin(path, status.st_size, known, entry, scratch, read_only, verify)
            continue
        # Already linked elsewhere (a plugin that linked a source file in): never tie it to the sites.
        if not links_work or status.st_nlink > 1:
            result.copies += 1
            continue
        try:
            entry, data = _share_file(path, status, store, scratch, read_only, verify, result)
            if data is not None and precompress.add_twin(path, data, entry, scratch, read_only, verify):
                result.twins += 1
        except OSError as error:
            if error.errno not in _NO_LINKS:
                raise
            result.copies += 1
            links_work = error.errno == errno.EMLINK  # that inode is full; the others may still link
    return result


def _regular_files(site: Path) -> list[tuple[Path, os.stat_result]]:
    """The regular files under `site` (no links to elsewhere), in path order, each with its status."""
    found = []
    for folder, _, names in os.walk(site):
        for name in names:
            path = os.path.join(folder, name)
            status = os.lstat(path)
            if stat.S_ISREG(status.st_mode):
                found.append((Path(path), status))
    return sorted(found, key=lambda item: item[0].parts)


def _share_file(
    path: Path, status: os.stat_result, store: Path, scratch: Path, read_only: bool, verify: bool, result: Shared
) -> tuple[Path, bytes | None]:
    """Link `path` to its store entry; the entry, and the bytes if they were read (for the gzip twin)."""
    data = path.read_bytes() if status.st_size <= _IN_MEMORY else None
    digest = hashlib.sha256(data).hexdigest() if data is not None else _sha256(path)
    entry = entry_path(store, digest)
    temporary = scratch / f"{os.getpid()}-{next(_names)}"
    while True:
        try:
            os.link(entry, temporary)  # hold the entry's inode: what is checked is what gets published
        except FileExistsError:
            os.unlink(temporary)  # a killed build's, whose process id this one has
            continue
        except FileNotFoundError:
            mode = status.st_mode
            _protect(path, read_only)
            try:
                os.link(path, entry)
            except FileExistsError:
                continue  # another worker stored the same content a moment ago: link to theirs
            except FileNotFoundError:  # the first entry of its `<ab>/` folder
                own_folder(store, entry.parent.name)
                os.chmod(path, mode)
                continue
            except OSError:
                os.chmod(path, mode)  # stays a plain copy, as built
                raise
            result.stored += 1
            return entry, data
        break
    # An entry is a regular file or no entry: `link` names a committed link itself, and `stat` would vouch for
    # where it leads (red team 8, R8-5: every tenant's bundle.js published as a link to a local user's file).
    regular = stat.S_ISREG(os.lstat(temporary).st_mode)
    if regular and (not verify or _trustworthy(temporary, path, data, read_only, digest)):
        try:
            os.replace(temporary, path)
        except OSError:
            os.unlink(temporary)
            raise
        result.linked += 1
        return entry, data
    # Changed in place since it was stored: never link it into another site. The new file takes its place;
    # the sites that hold the changed inode keep it (they are theirs), and their own next build replaces it.
    os.unlink(temporary)
    _protect(path, read_only)
    os.link(path, temporary)
    os.replace(temporary, entry)
    result.replaced += 1
    return entry, data


def _protect(path: Path, read_only: bool) -> None:
    if read_only:
        os.chmod(path, _READ_ONLY)


def _trustworthy(entry: Path, built: Path, data: bytes | None, read_only: bool, digest: str) -> bool:
    """True if the store's entry is still read-only and byte for byte the file just built (`data`, if read)."""
    status = entry.stat()
    if read_only and status.st_mode & 0o7777 != _READ_ONLY:
        return False
    if status.st_size != (len(data) if data is not None else built.stat().st_size):
        return False
    key = _key(status)
    if _verified.get(key) == digest:
        return True
    if not _same_bytes(entry, built, data):
        return False
    if status.st_mtime_ns < time.time_ns() - _SETTLED_NS:
        _verified[key] = digest
    return True


def _same_bytes(entry: Path, built: Path, data: bytes | None) -> bool:
    if data is not None:
        return entry.read_bytes() == data
    with entry.open("rb") as stored, built.open("rb") as new:
        while True:
            chunk = stored.read(_CHUNK)
            if chunk != new.read(_CHUNK):
                return False
            if not chunk:
                return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def collect(store: Path, entries: Iterable[str] | None = None) -> int:
    """Remove the entries no site links any more, and what a killed build left in the store's tmp/.

    Call it under the site's lock, with no build running: an entry is orphaned when its link count is 1.
    `entries`: the digests of the only entries that can be orphaned (`held_alone` of the sites a build replaced;
    the build knows no site was removed or damaged otherwise): only those are looked at, not the whole store."""
    removed = 0
    names = (
        ["tmp"]
        if entries is not None
        else [entry.name for entry in os.scandir(store) if entry.is_symlink() or entry.is_dir(follow_symlinks=False)]
    )
    for name in names:
        folder = own_folder(store, name)  # a real folder of the engine's: a link here stops the build, named
        for entry in os.scandir(folder):
            if folder.name == "tmp" or entry.stat(follow_symlinks=False).st_nlink == 1:
                os.unlink(entry.path)
                removed += folder.name != "tmp"
    for digest in dict.fromkeys(entries or ()):
        path = entry_path(store, digest)
        with contextlib.suppress(FileNotFoundError):
            if os.lstat(path).st_nlink == 1:
                os.unlink(path)
                removed += 1
    return removed


def held_alone(site: Path, store: Path) -> list[str]:
    """The digests of the store entries `site` alone links (a link count of 2: the store's and the site's), which
    removing the site leaves for `collect`; its other files are shared by other sites or are no store entries."""
    found = []
    for path, status in _regular_files(site) if site.is_dir() else []:
        if status.st_nlink != 2:
            continue
        with contextlib.suppress(OSError):
            digest = vouched(status) or _sha256(path)
            if os.lstat(entry_path(store, digest)).st_ino == status.st_ino:
                found.append(digest)
    return found


def detach(folder: Path) -> int:
    """Copy-on-write: give every shared file in `folder` a private, writable copy of its own, so a tool that
    writes into existing files (MkDocs' `--dirty` builds) cannot change other sites through the links."""
    detached = 0
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_symlink() or not path.is_file() or path.stat().st_nlink < 2:
            continue
        private = path.with_name(f".{path.name}.detach")
        shutil.copy2(path, private)  # keeps the time: MkDocs' --dirty compares it with the source's
        os.chmod(private, 0o644)
        os.replace(private, path)
        detached += 1
    return detached


@dataclass(frozen=True)
class DiskUsage:
    """Bytes of a folder's files: every path counted (what copies would take) and every inode once."""

    apparent: int
    shared: int
    files: int
    inodes: int


def disk_usage(folder: Path, skip: tuple[str, ...] = ()) -> DiskUsage:
    """What the files under `folder` take, less the top-level names in `skip` (e.g. `.branddocs`)."""
    apparent = shared = files = 0
    seen: set[tuple[int, int]] = set()
    for path in folder.rglob("*"):
        if path.relative_to(folder).parts[0] in skip or path.is_symlink() or not path.is_file():
            continue
        status = path.stat()
        apparent += status.st_size
        files += 1
        if (status.st_dev, status.st_ino) not in seen:
            seen.add((status.st_dev, status.st_ino))
            shared += status.st_size
    return DiskUsage(apparent, shared, files, len(seen))
