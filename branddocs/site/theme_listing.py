"""The theme's file listing, kept between runs in the caller's cache folder (build_cache.py asks it).

Every build command lists Material's 14,500 files (two walks of its folders and MkDocs' filter over each name) before
its first brand: a tenth of a second or more of a one-brand build, paid again by every command. The listing depends
on the names in the theme's folders alone, and the names of a folder's entries change only with the folder's own
modification and change times (an entry added, removed or renamed sets both; a change time no program can set back).
So the listing is kept beside each folder's identity and times (device, inode, mtime and ctime in nanoseconds) as
the listing found them, and used again only when every one of those folders stats the same. A folder added below
changes its parent's times; a folder removed, its parent's; a theme installed again is new folders (new inodes).

Only MkDocs' own filter (`Files.add_files_from_theme`'s, keyed by its code, the theme's `static_templates` and
MkDocs' Markdown extensions) or no filter is kept on disk; any other filter is listed as before. The folder is the
caller's (engine_folders.user_cache), never the project's: a listing found in a repository is never read (red team
7, R7-5). An entry is JSON (never unpickled), written beside and renamed; a folder changed within the last seconds
is listed but not kept (its times could still change within the same tick of the clock). Anything unreadable or
unexpected is a miss: listed again, as without the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import marshal
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["RECENT_S", "folders_state", "listing"]

RECENT_S = 2.0
"""A folder whose times are this recent is not kept: a change in the same clock tick would not show."""
_FILTER_NAME = "Files.add_files_from_theme.<locals>.filter"


def folders_state(searchpath: Sequence[str], followlinks: bool) -> list[list[Any]]:
    """Each folder a walk of `searchpath` enters, as Jinja's FileSystemLoader walks it: [path, dev, ino, mtime_ns,
    ctime_ns], or [path] for a search path that does not stat (it may appear later)."""
    state: list[list[Any]] = []
    for top in searchpath:
        if _stat(top) is None:
            state.append([top])
            continue
        for folder, _, _ in os.walk(top, followlinks=followlinks):
            found = _stat(folder)
            state.append([folder, *found] if found is not None else [folder])
    return state


def _stat(path: str) -> list[int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return [status.st_dev, status.st_ino, status.st_mtime_ns, status.st_ctime_ns]


def _unchanged(state: Any) -> bool:
    if not isinstance(state, list) or not state:
        return False
    for entry in state:
        if not isinstance(entry, list) or not entry or not isinstance(entry[0], str):
            return False
        if _stat(entry[0]) != (entry[1:] or None):
            return False
    return True


def _filter_key(filter_func: Callable[[str], bool] | None, static_templates: Sequence[str]) -> list[Any] | None:
    """What MkDocs' filter depends on, or None for a filter that is not MkDocs' (not kept on disk)."""
    if filter_func is None:
        return []
    code = getattr(filter_func, "__code__", None)
    if code is None or code.co_qualname != _FILTER_NAME:
        return None
    if not code.co_filename.endswith(os.path.join("mkdocs", "structure", "files.py")):
        return None
    from mkdocs import utils

    return [hashlib.sha256(marshal.dumps(code)).hexdigest(), sorted(static_templates),
            list(utils.markdown_extensions)]  # fmt: skip


def listing(
    loader: Any,
    extensions: Any,
    filter_func: Callable[[str], bool] | None,
    static_templates: Sequence[str],
    compute: Callable[[], list[str]],
    folder: Path | None,
) -> list[str]:
    """`compute()` (the environment's `list_templates`), from each search path's listing kept while its folders are
    unchanged: the filter takes or leaves each name by itself, so the union of the folders' filtered names, sorted,
    is what Jinja lists (and a project's own theme folder, new in each copy of the project, costs only its own walk).

    `loader`: the environment's (a FileSystemLoader, else nothing is kept); `folder`: the caller's cache folder."""
    import jinja2

    filter_key = _filter_key(filter_func, static_templates)
    if folder is None or type(loader) is not jinja2.FileSystemLoader or filter_key is None:
        return compute()
    if extensions is not None and filter_func is not None:
        return compute()  # Jinja's TypeError, as before
    found: set[str] = set()
    for searchpath in loader.searchpath:
        key = [os.fspath(searchpath), bool(loader.followlinks), sorted(extensions) if extensions is not None else None,
               filter_key, jinja2.__version__, importlib.util.MAGIC_NUMBER.hex(), sys.platform]  # fmt: skip
        found.update(_one_folder(key, extensions, filter_func, folder))
    return sorted(found)


def _one_folder(key: list[Any], extensions: Any, filter_func: Any, folder: Path) -> list[str]:
    """The filtered names of one search path (key[0]), kept or listed (and then kept, unless just changed)."""
    import jinja2

    text = json.dumps(key, separators=(",", ":"))
    path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:40]}.json"
    with contextlib.suppress(OSError, ValueError):
        kept = json.loads(path.read_text(encoding="utf-8"))
        names = kept.get("names") if isinstance(kept, dict) and kept.get("key") == key else None
        if isinstance(names, list) and all(isinstance(n, str) for n in names) and _unchanged(kept.get("folders")):
            return names
    state = folders_state([key[0]], key[1])  # before the listing: a change meanwhile is a miss next time
    alone = jinja2.Environment(loader=jinja2.FileSystemLoader([key[0]], followlinks=key[1]), autoescape=True)
    names = alone.list_templates(extensions=extensions, filter_func=filter_func)
    recent = (time.time() - RECENT_S) * 1e9
    if any(len(entry) == 1 or max(entry[3:5]) >= recent for entry in state):
        return names
    with contextlib.suppress(OSError):
        fd, temporary = tempfile.mkstemp(prefix=".listing-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"key": key, "folders": state, "names": names}, out, separators=(",", ":"))
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    return names
