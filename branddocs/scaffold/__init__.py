"""`branddocs new DIR`: a docs project of one's own, from the templates in `project/` (package data).

The project uses the installed branddocs as any user's would: the `branddocs` MkDocs plugin, the macros
API and `branddocs check`. Nothing of this repository is copied except those templates.
"""

from __future__ import annotations

import os
import stat
import struct
import zlib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from branddocs.errors import UsageError

__all__ = ["BRAND_ID", "new"]

BRAND_ID = "mycloud"
"""The scaffolded brand: brands/mycloud.yml, docs/images/mycloud/."""
_RENAMED = {"gitignore": ".gitignore"}  # shipped without the dot: package data globs skip dotfiles
_SCREENSHOT = (640, 360, (0x1E, 0x4F, 0xA0))
"""endpoint.png, the screenshot every brand has: a plain placeholder in the brand's primary colour."""


def new(folder: Path) -> list[Path]:
    """Write a new project into `folder` (created, or empty); returns the files written, sorted.

    An existing folder must be the caller's, a folder itself (no link) that nobody else may write: another local
    user who made it first (under /tmp) could otherwise replace the new mkdocs.yml before it is first built. Every
    file is made new (`O_EXCL`, `O_NOFOLLOW`), never written through something already there."""
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        folder.mkdir(parents=True)
    else:
        why = ("a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a folder" if not stat.S_ISDIR(info.st_mode)
               else "not empty" if any(folder.iterdir())
               else f"owned by user {info.st_uid}, not you" if info.st_uid != os.geteuid()
               else f"others may write in it (mode {stat.filemode(info.st_mode)})" if info.st_mode & 0o022
               else "")  # fmt: skip
        if why:
            raise UsageError(f"{folder}: {why}; branddocs new writes a project into a new folder, or an empty one of "
                             "yours that only you may write")  # fmt: skip
    written = _copy(resources.files(__package__) / "project", folder)
    screenshot = folder / "docs" / "images" / BRAND_ID / "endpoint.png"
    _write_new(screenshot, _png(*_SCREENSHOT))
    return sorted([*written, screenshot])


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _copy(source: Traversable, target: Path) -> list[Path]:
    written = []
    for entry in source.iterdir():
        if entry.name == "__pycache__":
            continue
        path = target / _RENAMED.get(entry.name, entry.name)
        if entry.is_dir():
            path.mkdir()
            written += _copy(entry, path)
        else:
            _write_new(path, entry.read_bytes())
            written.append(path)
    return written


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour: 8-bit RGB, each row filter byte 0, then its pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\0" + bytes(rgb) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
