"""The built brands `branddocs mcp` serves: each read from its own `site/<id>/` when asked for; a bounded few kept.

Nothing is read at start: a brand's `platform.json` is read on its first request, its search index and page list
on its first search or page, and at most `capacity` brands stay in memory (least recently used go first), so the
server's start and memory do not grow with the number of brands. A brand rebuilt since it was read (its site
folder swapped by `branddocs build`) is read again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from branddocs.brand import BRAND_ID_RE
from branddocs.mcp.files import read_published
from branddocs.mcp.pages import Pages
from branddocs.mcp.search import SearchIndex
from branddocs.site.platform_file import FILE as PLATFORM_FILE

__all__ = ["DEFAULT_CAPACITY", "MAX_PLATFORM_BYTES", "BrandSite", "Sites"]

DEFAULT_CAPACITY = 32
MAX_PLATFORM_BYTES = 64 * 1024
log = logging.getLogger("branddocs.mcp")
_FIELDS = {"id": str, "name": str, "language": str, "base_url": str, "api_key_env": str, "models": list}


class BrandSite:
    """One brand's built site: its platform record now, its search index and pages when first asked for."""

    def __init__(self, folder: Path, platform: dict[str, Any], stamp: tuple[int, int]) -> None:
        self.folder = folder
        self.platform = platform
        self.stamp = stamp
        self._lock = threading.Lock()  # tools run in worker threads: each file is read once
        self._index: SearchIndex | None = None
        self._pages: Pages | None = None

    @classmethod
    def read(cls, folder: Path) -> BrandSite:
        """The site in `folder`; a ValueError naming the file and field when its `platform.json` is not one."""
        path = folder / PLATFORM_FILE
        status = path.stat()
        platform = json.loads(read_published(folder, PLATFORM_FILE, MAX_PLATFORM_BYTES))
        if not isinstance(platform, dict):
            raise ValueError(f"{path}: expected a JSON object, found {type(platform).__name__}")
        for field, kind in _FIELDS.items():
            if not isinstance(platform.get(field), kind):
                raise ValueError(f"{path}: field {field!r}: expected {kind.__name__}, found {platform.get(field)!r}")
        if platform["id"] != folder.name:
            raise ValueError(f"{path}: field 'id': expected {folder.name!r} (its folder), found {platform['id']!r}")
        return cls(folder, platform, (status.st_ino, status.st_mtime_ns))

    @property
    def id(self) -> str:
        return self.platform["id"]

    @property
    def site_url(self) -> str | None:
        url = self.platform.get("site_url")
        return url if isinstance(url, str) and url else None

    @property
    def index(self) -> SearchIndex:
        """The site's search index, read on first use."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = SearchIndex.load(self.folder)
        return self._index

    @property
    def pages(self) -> Pages:
        """The site's pages (its llms.txt), read on first use."""
        if self._pages is None:
            with self._lock:
                if self._pages is None:
                    self._pages = Pages(self.folder, self.site_url)
        return self._pages


class Sites:
    """The built sites under `root` (`site/`), by brand id, read lazily and `capacity` at most kept."""

    def __init__(self, root: Path, capacity: int = DEFAULT_CAPACITY, *, no_link: bool = False) -> None:
        self.root = root
        self.capacity = capacity
        # `root` is the default `./site`: no site is served while it is a link (a checkout updated under a running
        # server, red team 9, R9-6), as none is when the server starts (mcp/command.py).
        self.no_link = no_link
        self._cache: OrderedDict[str, BrandSite] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    def get(self, brand_id: str) -> BrandSite | None:
        """The brand's site, or None when `root` has no built site of that id (or not one this server can read)."""
        if not BRAND_ID_RE.fullmatch(brand_id):
            return None
        if self.no_link and os.path.islink(self.root):
            log.warning("branddocs mcp: %s is a link now: no site is served from it", self.root)
            return None
        folder = self.root / brand_id
        try:
            status = os.stat(folder / PLATFORM_FILE)
        except OSError:
            return None
        with self._lock:
            site = self._cache.get(brand_id)
            if site is not None and site.stamp == (status.st_ino, status.st_mtime_ns):
                self._cache.move_to_end(brand_id)
                return site
        try:
            site = BrandSite.read(folder)
        except (OSError, ValueError) as exc:  # the operator's log says why; the client gets a 404, as for no site
            log.warning("branddocs mcp: %s is not served: %s", folder, exc)
            return None
        with self._lock:
            self._cache[brand_id] = site
            self._cache.move_to_end(brand_id)
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
        return site
