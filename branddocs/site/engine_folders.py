"""The engine's own folders below a site folder and the project's `.cache/`: reached without following a link.

`Project.find` checks that `site/` and `.cache/` themselves are the project's own folders (project.py). Below them
the engine makes its store, journal, stamps, lock and scratch folders, and deletes what no site links any more: a
link committed there (`site/.branddocs/store -> /etc`) had a build delete every file of the folders it named and
create files where another pointed. So every folder the engine writes in below them is reached here, one name at a
time: made if missing, else it must be a real folder (`lstat`: not a link) of the caller's. Files the engine opens
there are opened with `O_NOFOLLOW`; names it removes or renames are never followed by the kernel anyway.

The caches the engine reads back (Jinja's compiled templates, which Jinja unpickles and runs; jieba's dictionary
and the project's kept cuts) are not kept in the project at all but in the caller's own cache folder (`user_cache`):
a checkout can bring any file into `.cache/`, and a committed `.cache/jinja-bytecode/` entry ran its code in the build.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from branddocs import settings
from branddocs.errors import BranddocsError

__all__ = ["open_own", "own_folder", "read_own", "user_cache", "write_own"]


def own_folder(top: Path, *names: str, mode: int = 0o755) -> Path:
    """`top`/`names`..., each folder made if missing (0755) and otherwise a real folder of the caller's; BranddocsError
    naming the first that is a link, not a folder, or another user's. `top` itself is the caller's choice."""
    path = top
    for name in names:
        path = path / name
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):  # another build made it in between: looked at below
                os.mkdir(path, mode)
            status = os.lstat(path)
        problem = _problem(status)
        if problem:
            raise BranddocsError(
                f"{path}: {problem}; the folders branddocs writes in below {top} are its own (never links the "
                f"checkout brought): remove it"
            )
    return path


def user_cache(name: str) -> Path | None:
    """The caller's own cache folder `name` ($XDG_CACHE_HOME/branddocs/`name`, else ~/.cache/branddocs/`name`), made
    if missing (the branddocs folder only its owner may enter); None where there is none of the caller's (no home
    folder, a read-only one, a link or another user's folder there): the caller then does without the cache."""
    base = settings.CACHE_HOME.get()
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    try:
        os.makedirs(base, 0o700, exist_ok=True)  # ~/.cache itself is the user's to place (a link is their choice)
        return own_folder(own_folder(Path(base), "branddocs", mode=0o700), name)
    except (OSError, BranddocsError):
        return None


def _problem(status: os.stat_result) -> str | None:
    if stat.S_ISLNK(status.st_mode):
        return "a link"
    if not stat.S_ISDIR(status.st_mode):
        return "not a folder"
    if status.st_uid != os.geteuid():
        return f"owned by user {status.st_uid}, not by you (user {os.geteuid()})"
    return None


def open_own(path: Path, flags: int, mode: int = 0o644) -> int:
    """`os.open` of a file in one of the engine's folders, never through a link: BranddocsError naming one."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        raise BranddocsError(f"{path}: a link; the files branddocs writes are its own: remove it") from None


def read_own(path: Path) -> bytes:
    """The bytes of a file in one of the engine's folders (OSError for a link, ELOOP)."""
    with os.fdopen(open_own(path, os.O_RDONLY), "rb") as file:
        return file.read()


def write_own(path: Path, data: bytes) -> None:
    """Write `data` to a file in one of the engine's folders (a partial file, renamed by the caller), never through a
    link."""
    with os.fdopen(open_own(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "wb") as file:
        file.write(data)
