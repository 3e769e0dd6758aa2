"""`branddocs new DIR`: a docs project of one's own, from the templates in `project/` (package data).

The project uses the installed branddocs as any user's would: the `branddocs` MkDocs plugin, the macros
API and `branddocs check`. Nothing of this repository is copied except those templates.
"""

from __future__ import annotations

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
    """Write a new project into `folder` (created, or empty); returns the files written, sorted."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder}: {'not a folder' if not folder.is_dir() else 'not empty'}; "
                         "branddocs new writes a project into a new or empty folder only")  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    written = _copy(resources.files(__package__) / "project", folder)
    screenshot = folder / "docs" / "images" / BRAND_ID / "endpoint.png"
    screenshot.write_bytes(_png(*_SCREENSHOT))
    return sorted([*written, screenshot])


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
            path.write_bytes(entry.read_bytes())
            written.append(path)
    return written


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour: 8-bit RGB, each row filter byte 0, then its pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\0" + bytes(rgb) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
