"""A published site's file, as `branddocs mcp` reads it: never through a link (red team 7, R7-4).

A build puts no link into a site (`links.source_problem`), but `site/<id>/` is also what the checkout holds: a
committed `site/<id>/secret.md -> /root/...` was handed to MCP clients. So the server opens the site's folder and
then each name below it with `O_NOFOLLOW` (one `openat` a name: no link anywhere on the way, `..` refused), and reads
a regular file only, up to a limit it is given.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["read_published"]

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def read_published(site: Path, name: str, limit: int) -> str:
    """The text of `site`/`name` (a path with `/`), a regular file of at most `limit` bytes reached without a link.
    OSError (ELOOP for a link, EINVAL for `..` or an empty name) or ValueError (too large, not UTF-8)."""
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise OSError(errno.EINVAL, f"not a file name below the site: {name!r}")
    folder = os.open(site, _DIRECTORY)
    try:
        for part in parts[:-1]:
            below = os.open(part, _DIRECTORY, dir_fd=folder)
            os.close(folder)
            folder = below
        descriptor = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    finally:
        os.close(folder)
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, f"{site / name}: not a regular file")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{site / name}: more than {limit} bytes")
    return data.decode("utf-8")
