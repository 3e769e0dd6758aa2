"""Material's static files linked straight from the store in `branddocs build`'s workers, not copied.

Material's scripts, stylesheets, fonts and search language packs (about 50 files, 2.5 MB) are the same in every
brand's site. MkDocs copies them into each site, then the secret scan reads and hashes them, then the store reads
and hashes them again to link them to their entries (store.py): a fifth of a brand's CPU, for the same bytes each
time. Here a worker hashes each of Material's files once (again only if the file's inode, size or time changes),
and MkDocs' copy of it becomes a hard link to its store entry, checked after it is made: the link's status must
be that of an entry this process compared byte for byte with a built file of the same digest and found unchanged
since (`store.vouched`: same inode, size, mode and time). Otherwise (the entry is not in the store yet, changed
in place, or not yet compared) the file is copied as MkDocs does, and scanned and stored as any other file.

Every check still applies to the linked files: the secret scan gives a vouched file the findings of its content,
scanned by this process (secrets_scan.py); `store.share` counts it as linked and gives it its gzip twin, checked
as any other (precompress.py). A file the brand's overrides (or docs/) put in place of Material's is not
Material's: it is copied, scanned and stored as its own. A build that writes into a linked file in place (a
plugin) is stopped before it publishes (`check_unchanged`): the written inode is the store's entry.

Installed by build_cache.install (build workers only); active only between `use(store)` and `use(None)`, which
`build_brand` calls around the engine's build. A plain `mkdocs build` copies every file, as MkDocs does.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
from pathlib import Path
from typing import Any

from branddocs.site import store as content_store

__all__ = ["ThemeFileChanged", "check_unchanged", "install", "use"]

_current: dict[str, Any] = {"store": None, "linked": {}}
"""The store of the build running in this process, and {site path: digest} of the files linked from it."""
_digests: dict[str, tuple[tuple[int, ...], str]] = {}
"""{Material's file: ((device, inode, size, mtime_ns), sha256)}, hashed once while it is unchanged."""


class ThemeFileChanged(RuntimeError):
    """A file linked from the store was written in place during the build."""


@functools.cache
def _theme_dirs() -> tuple[str, ...]:
    spec = importlib.util.find_spec("material")
    folders = spec.submodule_search_locations or [] if spec else []
    return tuple(os.path.join(os.path.realpath(folder), "templates") + os.sep for folder in folders)


@functools.lru_cache(maxsize=4096)
def _is_material(source: str) -> bool:
    """True for a file in Material's own templates folder (the theme's folders are fixed while a process runs)."""
    return os.path.realpath(source).startswith(_theme_dirs())


def use(store: Path | None) -> None:
    """Link Material's files from `store` in the builds that follow; None: copy them (after a build)."""
    _current["store"] = store
    _current["linked"] = {}


def install() -> None:
    """Patch this process's MkDocs: a static file of Material's is linked from the store while `use` set one."""
    from mkdocs.structure.files import File

    if getattr(File.copy_file, "links_theme_files", False):
        return
    copy_file = File.copy_file

    def copy_or_link(self: File, dirty: bool = False) -> None:
        source = self.abs_src_path
        if dirty or self.generated_by is not None or not source or not _link(source, self.abs_dest_path):
            copy_file(self, dirty)

    copy_or_link.links_theme_files = True  # type: ignore[attr-defined]
    File.copy_file = copy_or_link


def _link(source: str, destination: str) -> bool:
    """Link `destination` to the store's entry of Material's `source`; False (nothing made) where it cannot be."""
    store = _current["store"]
    if store is None or not _is_material(source):
        return False
    status = os.stat(source)
    key = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
    if source not in _digests or _digests[source][0] != key:
        with open(source, "rb") as file:
            _digests[source] = (key, hashlib.sha256(file.read()).hexdigest())
    digest = _digests[source][1]
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    try:
        os.link(content_store.entry_path(store, digest), destination)
    except FileNotFoundError:
        return False  # not stored yet: this build stores it
    except FileExistsError:
        return False  # MkDocs copies over it
    except OSError:
        return False  # links refused here: copies, as store.share falls back to
    # What is checked is what is published: the inode linked, not the entry's name a moment before.
    if content_store.vouched(os.lstat(destination)) != digest:
        os.unlink(destination)
        return False
    _current["linked"][destination] = digest
    return True


def check_unchanged() -> None:
    """Raise if a file linked from the store this build is no longer its vouched entry (written in place)."""
    for path, digest in _current["linked"].items():
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            continue  # removed (a plugin, or the secret scan): nothing published, nothing shared
        if content_store.vouched(status) != digest:
            raise ThemeFileChanged(
                f"{path}: Material's file, linked from the site store, was written in place during the build; "
                "plugins must write new files, not into the theme's (the store's entry is replaced at its next use)"
            )
