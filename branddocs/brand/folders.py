"""A brand's part of docs/: the shared files and its own folders, walked without listing another brand's.

docs/images/<resource_dir_name>/ and docs/brands/<brand-id>/ belong to one brand each. Whatever looks at what
one brand's site is made from (MkDocs' file collection, the page map, the inputs digest, the link check) walks
docs/ through `walk_docs`, so its cost does not grow with the number of brands: another brand's folder is
never entered, listed or hashed, and docs/images/ and docs/brands/ themselves (one entry per brand) are listed
once per process while they do not change, for the files directly in them, which every brand shares.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["BRAND_PAGES", "IMAGES", "other_brands", "own_folders", "walk_docs"]

IMAGES = "images"
"""The folder under docs/ holding each brand's images, `images/<resource_dir_name>/`."""
BRAND_PAGES = "brands"
"""The folder under docs/ holding each brand's own pages, `brands/<brand-id>/`."""
_RACY_NS = 2_000_000_000
"""A folder changed this recently may change again within its timestamp's granularity: its listing is not kept."""
_files_in: dict[str, tuple[tuple[int, ...], list[str]]] = {}
_WHAT = {IMAGES: "image folder", BRAND_PAGES: "pages"}


def own_folders(resource_dir_name: str | None, brand_id: str | None) -> dict[str, str | None]:
    """{folder under docs/ that holds one folder per brand: the name of this brand's own in it}."""
    return {IMAGES: resource_dir_name, BRAND_PAGES: brand_id}


def other_brands(uri: str, resource_dir_name: str, brand_id: str) -> str | None:
    """What of another brand's `uri` (a path under docs/, `/`-separated) is in: "image folder" or "pages"; None
    for a shared file or one of this brand's own. The one answer to "is this another brand's file?": the build's
    file list, its walk of docs/, Zensical's staging, the macros' includes and the link check all ask it."""
    parts = uri.split("/")
    if len(parts) < 3 or parts[0] not in _WHAT:  # a file directly in images/ or brands/ is shared
        return None
    return None if parts[1] == own_folders(resource_dir_name, brand_id)[parts[0]] else _WHAT[parts[0]]


def walk_docs(
    docs_dir: str | Path, resource_dir_name: str | None, brand_id: str | None, followlinks: bool = True
) -> Iterator[tuple[str, list[str], list[str]]]:
    """`os.walk(docs_dir)` as one brand sees it: in docs/images/ and docs/brands/ only its own folder is entered.

    Yields os.walk's tuples in os.walk's order, and honours in-place changes to the folder list as os.walk
    does. With no brand (both None), only the shared part: the files directly in those two folders."""
    top = os.fspath(docs_dir)
    entries = _entries(top, followlinks)
    if entries is None:
        return
    dirs, files = entries
    yield top, dirs, files
    own = own_folders(resource_dir_name, brand_id)
    for name in dirs:  # as os.walk, after the caller's in-place changes
        path = os.path.join(top, name)
        if os.path.islink(path) and (not followlinks or _leads_up(path, top)):
            continue
        if name in own:
            yield from _brand_folders(path, own[name], followlinks)
        else:
            yield from _walk(path, followlinks)


def _leads_up(link: str, folder: str) -> bool:
    """Whether `link` (in `folder`) leads to `folder` or a folder above it: a cycle a walk would follow forever."""
    real, here = os.path.realpath(link), os.path.realpath(folder)
    return here == real or here.startswith(real.rstrip(os.sep) + os.sep)


def _walk(path: str, followlinks: bool) -> Iterator[tuple[str, list[str], list[str]]]:
    """os.walk, never into a link that leads back to a folder it is in (two links `docs/a -> .` and `docs/b -> .`
    had every build walk 2^40 folders, red team 9, R9-8): such a link is left out of the folders it lists."""
    for root, dirs, files in os.walk(path, followlinks=followlinks):
        if followlinks:
            dirs[:] = [
                d
                for d in dirs
                if not (os.path.islink(os.path.join(root, d)) and _leads_up(os.path.join(root, d), root))
            ]
        yield root, dirs, files


def _entries(folder: str, followlinks: bool) -> tuple[list[str], list[str]] | None:
    """os.walk's split of one folder's entries into folders and the rest; None if it cannot be listed."""
    dirs, files = [], []
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                (dirs if is_dir else files).append(entry.name)
    except OSError:
        return None
    return dirs, files


def _brand_folders(path: str, own: str | None, followlinks: bool) -> Iterator[tuple[str, list[str], list[str]]]:
    """docs/images/ or docs/brands/: its own files, and only `own` below it, without listing the others."""
    try:
        stat = os.stat(path)
    except OSError:
        return
    key = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns)
    kept = _files_in.get(path)
    if kept is not None and kept[0] == key:
        files = list(kept[1])
    else:
        entries = _entries(path, followlinks)
        if entries is None:
            return
        files = entries[1]
        if stat.st_mtime_ns < time.time_ns() - _RACY_NS:
            _files_in[path] = (key, list(files))
    dirs = [own] if own and os.path.isdir(os.path.join(path, own)) else []
    yield path, dirs, files
    for name in dirs:
        below = os.path.join(path, name)
        if followlinks or not os.path.islink(below):
            yield from _walk(below, followlinks)
