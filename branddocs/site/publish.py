"""Publish a brand's site: swap its staging folder in at site/<id> in one step, repair what a killed build left.

A publish swaps the staging folder and site/<id> in one step (renameat2 with RENAME_EXCHANGE): site/<id> is a
real folder at every instant, never absent, and `cp -a`, `rsync`, `tar` and static servers see it as before.
Where the filesystem refuses the exchange, it is two renames (site/<id> -> .old-<id>, staging -> site/<id>), and
after a crash between them .old-<id> is put back. One build per site folder at a time (a lock in site/.branddocs/).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from branddocs.site.engine_folders import open_own, own_folder

__all__ = ["STAMP_DIR", "libc", "publish", "recover", "site_lock"]

STAMP_DIR = ".branddocs"
"""Under the site root: one stamp per brand, the digest of the inputs of its last successful build."""

_RENAME_EXCHANGE = 2
"""From linux/fs.h: swap the two paths atomically."""
_AT_FDCWD = -100


@lru_cache(maxsize=1)
def libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap `a` and `b` in one step; False where the system or filesystem cannot (then nothing changed)."""
    c_library = libc()
    renameat2 = getattr(c_library, "renameat2", None) if c_library else None
    if renameat2 is None or sys.platform != "linux":
        return False
    done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def publish(staging: Path, final: Path, atomic: bool = True) -> None:
    """Put `staging` at `final`; `atomic=False` is the two-rename path, for filesystems without the exchange."""
    # mkdtemp made the staging folder 0700; a published site is read like the folder it is in (a web server's
    # workers run as another user: nobody under nginx started by root), and written by its owner only.
    os.chmod(staging, stat.S_IMODE(final.parent.stat().st_mode) & 0o755)
    if atomic and final.is_dir() and not final.is_symlink() and _exchange(staging, final):
        shutil.rmtree(staging, ignore_errors=True)  # now the previous site; `recover` removes it if killed here
        return
    old = final.with_name(f".old-{final.name}")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)  # between the two renames, `recover` puts .old-<id> back
    shutil.rmtree(old, ignore_errors=True)


def recover(site_root: Path) -> None:
    """Repair what an interrupted build left in `site_root`: put back or remove .old-*, remove .staging-*."""
    if not site_root.is_dir():
        return
    for path in sorted(site_root.iterdir()):
        if path.is_symlink():
            continue  # never the engine's (the checkout's): neither followed nor put in a site's place
        if path.name.startswith(".staging-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".old-"):
            final = site_root / path.name.removeprefix(".old-")
            if final.exists():
                shutil.rmtree(path)  # the new site was published; the old one was being removed
            else:
                path.rename(final)  # interrupted between the two renames: the previous site goes back
    for partial in own_folder(site_root, STAMP_DIR).glob(".*.tmp"):
        partial.unlink()


@contextmanager
def site_lock(site_root: Path) -> Iterator[None]:
    """Hold the site folder's lock; a second build waits for the first, saying so."""
    site_root.mkdir(parents=True, exist_ok=True)
    lock_file = own_folder(site_root, STAMP_DIR) / "lock"
    with os.fdopen(open_own(lock_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"branddocs: another build is using {site_root} (lock {lock_file}); waiting for it", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
