"""Gzip twins: `page.html.gz` beside `page.html`, compressed once per distinct content, for `gzip_static`.

A web server that finds `x.gz` beside `x` sends it to clients that take gzip (nginx's `gzip_static`, Caddy's
`precompressed gzip`), instead of compressing `x` on every request. The store (`store.py`) holds each content once
as `<ab>/<cdef...>`; its twin is `<ab>/<cdef...>.gz` beside it, made the first time any site has that content and
hard-linked into every later one, so a thousand sites compress Material's bundle once. The bytes are
deterministic (level 6, no name, time 0): the same content always gives the same twin.

A twin is linked into a new site only if it is still read-only and inflates to exactly the file it stands for
(so a twin changed in place never spreads, as with the store's own entries). Inflating is the one cost that would
grow with the brands (a site holds about 2 MB of shared text), so a build process inflates each twin once and
trusts it again while its inode, size and modification time stay the same; a write in place changes the time. A
site's own `x.gz` (MkDocs' `sitemap.xml.gz`) is left as built.
"""

from __future__ import annotations

import gzip
import itertools
import os
import stat
import zlib
from collections.abc import Callable
from pathlib import Path

__all__ = ["COMPRESSIBLE", "MIN_SIZE", "TWIN_SUFFIX", "add_known_twin", "add_twin", "is_twin", "wants_twin"]

COMPRESSIBLE = frozenset({".html", ".htm", ".css", ".js", ".mjs", ".json", ".svg", ".txt", ".md", ".webmanifest"})
"""Text a reader's browser or assistant fetches. Images and fonts are compressed already; source maps (`.map`, a
third of a site's text) only a developer's tools fetch, and the server compresses those few on the fly."""
MIN_SIZE = 512
"""Below this, gzip's header and the extra request headers cost more than they save."""
TWIN_SUFFIX = ".gz"
_LEVEL = 6
"""zlib's default: Material's 1.3 MB of text in a third of level 9's time (0.08 against 0.24 CPU s, paid by the first
build into a site folder), 0.5% larger; a site's own pages change little either way."""
_READ_ONLY = 0o444
_names = itertools.count()
_checked: set[tuple[int, int, int, int, object]] = set()
"""(device, inode, size, mtime_ns, the content's crc32 or sha256) of the twins this process inflated and found right."""


def is_twin(path: Path) -> bool:
    """True if `path` is a gzip twin of the file beside it (`x.html.gz` of `x.html`)."""
    return path.name.endswith(TWIN_SUFFIX) and Path(path.as_posix()[: -len(TWIN_SUFFIX)]).suffix in COMPRESSIBLE


def wants_twin(path: Path, size: int) -> bool:
    """True if a file of this name and size gets a gzip twin."""
    return path.suffix in COMPRESSIBLE and size >= MIN_SIZE


def add_twin(path: Path, data: bytes, entry: Path, scratch: Path, read_only: bool = True, verify: bool = True) -> bool:
    """Give `path` (a staging file whose bytes are `data`, stored as `entry`) its twin `path.gz`; True if made."""
    if not wants_twin(path, len(data)):
        return False
    return _add(path, lambda: data, zlib.crc32(data), entry, scratch, read_only, verify)


def add_known_twin(
    path: Path, size: int, digest: str, entry: Path, scratch: Path, read_only: bool = True, verify: bool = True
) -> bool:
    """`add_twin` for a file whose content is the store entry `entry` with sha256 `digest`, as the store vouched
    (linked from the store: theme_links.py): its bytes are read only when its twin is made or first inflated in
    this process, not for every site (Material's 2 MB of text a brand)."""
    if not wants_twin(path, size):
        return False
    return _add(path, path.read_bytes, digest, entry, scratch, read_only, verify)


def _add(path: Path, read: Callable[[], bytes], content: object, entry: Path, scratch: Path, read_only: bool,
         verify: bool) -> bool:  # fmt: skip
    twin = path.with_name(path.name + TWIN_SUFFIX)
    stored = entry.with_name(entry.name + TWIN_SUFFIX)
    while True:
        try:
            os.link(stored, twin)  # the stored twin's inode, now the site's: what is checked is what is published
        except FileExistsError:
            return False  # the site's own x.gz, as built
        except FileNotFoundError:  # the first site with this content: compress it once, for every later one
            try:
                _write(twin, read(), read_only)
            except FileExistsError:
                return False
            try:
                os.link(twin, stored)
            except FileExistsError:
                twin.unlink()
                continue  # another worker stored the same twin a moment ago: use theirs
            return True
        break
    regular = stat.S_ISREG(os.lstat(twin).st_mode)  # a stored twin is a regular file or none (store.py, R8-5)
    if regular and (not verify or _inflates_to(twin, read, content, read_only)):
        return True
    # Changed in place since it was made: this site gets a fresh twin, which replaces it in the store too (the sites
    # that hold the changed inode keep it, and their own next build replaces it).
    twin.unlink()
    _write(twin, read(), read_only)
    temporary = scratch / f"{os.getpid()}-gz-{next(_names)}"
    temporary.unlink(missing_ok=True)  # a killed build's, whose process id this one has
    os.link(twin, temporary)
    os.replace(temporary, stored)
    return True


def _write(twin: Path, data: bytes, read_only: bool) -> None:
    with twin.open("xb") as file:  # never over a file that is there: the site's own, or a link to a stored twin
        file.write(gzip.compress(data, _LEVEL, mtime=0))
    if read_only:
        os.chmod(twin, _READ_ONLY)


def _inflates_to(twin: Path, read: Callable[[], bytes], content: object, read_only: bool) -> bool:
    """True if `twin` is read-only and inflates to the bytes `read` gives; `content` names them (their crc32, or
    the store's sha256), so that a twin unchanged since this process inflated it is trusted without reading."""
    status = twin.stat()
    if read_only and status.st_mode & 0o7777 != _READ_ONLY:
        return False
    key = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, content)
    if key in _checked:
        return True
    try:
        right = zlib.decompress(twin.read_bytes(), wbits=31) == read()  # 31: a gzip member
    except zlib.error:
        return False
    if right:
        _checked.add(key)
    return right
