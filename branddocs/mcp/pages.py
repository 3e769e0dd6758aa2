"""A built site's pages for assistants: the list its `llms.txt` gives, each page's URL and its Markdown twin.

Only the twins `llms.txt` lists can be read (branddocs/site/llms.py writes both): a URL or path is looked up
among them, never turned into a file name, so no input reaches another file or another tenant's folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from branddocs.mcp.files import read_published
from branddocs.site.llms import INDEX

__all__ = ["MAX_PAGE_BYTES", "MAX_URL_CHARS", "PageNotFound", "Pages", "site_address"]

MAX_URL_CHARS = 2048
MAX_PAGE_BYTES = 2 * 1024 * 1024
_ENTRY = re.compile(r"^- \[(?P<title>[^\]\n]*)\]\((?P<link>[^)\s]+)\)", re.M)
_TWIN = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.?(?:/|$))[^\\\x00]+\.md$")


class PageNotFound(LookupError):
    """A URL or path that names none of the site's pages; the message says what was expected."""


@dataclass(frozen=True)
class Page:
    title: str
    twin: str
    """The Markdown twin's path in the site folder: `index.md`, `serverless-endpoints.md`."""
    path: str
    """The page's path under the site's URL: ``, `serverless-endpoints/`."""


def site_address(site_url: str | None, location: str) -> str:
    """A place in the site (`a/`, `a/#b`, ``) on the brand's `site_url`; relative (`./` for the home) without one."""
    if site_url:
        return site_url + location
    return "./" + location if not location or location.startswith("#") else location


def page_path(twin: str) -> str:
    """Where MkDocs publishes a page (directory URLs): `index.md` -> ``, `a/index.md` and `a.md` -> `a/`."""
    stem = twin.removesuffix(".md")
    stem = "" if stem == "index" else stem.removesuffix("/index")
    return stem + "/" if stem else ""


class Pages:
    """The pages of one built site, from its `llms.txt`; `site_url` is the brand's (None: relative links)."""

    def __init__(self, site: Path, site_url: str | None) -> None:
        self._site = site
        self._base = site_url or ""
        self._pages: list[Page] = []
        self._lookup: dict[str, Page] = {}
        for match in _ENTRY.finditer(read_published(site, INDEX, MAX_PAGE_BYTES)):
            link = match["link"]
            if self._base and not link.startswith(self._base):
                continue
            twin = unquote(link[len(self._base) :])
            if not _TWIN.match(twin) or twin in self._lookup:
                continue
            page = Page(match["title"], twin, page_path(twin))
            self._pages.append(page)
            for key in (twin, page.path, page.path + "index.html", page.path.rstrip("/")):
                self._lookup.setdefault(key, page)

    @property
    def pages(self) -> list[Page]:
        return list(self._pages)

    def url(self, page: Page) -> str:
        """The page's address on the brand's site (a path when the brand has no `site_url`)."""
        return site_address(self._base, page.path)

    def find(self, url: str) -> Page:
        """The page a URL on the brand's site, or a path under it, names (its query and fragment ignored)."""
        if len(url) > MAX_URL_CHARS:
            raise PageNotFound(f"expected a URL of at most {MAX_URL_CHARS} characters, found {len(url)}")
        parts = urlsplit(url.strip())
        path = parts.path
        if parts.scheme or parts.netloc:
            base = urlsplit(self._base)
            if not self._base or (parts.scheme, parts.netloc.lower()) != (base.scheme, base.netloc.lower()):
                raise PageNotFound(f"expected a URL on {self._base or 'this site'} or a path, found {url[:200]!r}")
            path = path or "/"
        base_path = urlsplit(self._base).path if self._base else "/"
        if path.startswith(base_path):  # a path under the site's own (https://x.example/docs/a/ -> a/)
            path = path[len(base_path) :]
        page = self._lookup.get(unquote(path).lstrip("/").removeprefix("./"))
        if page is None:
            known = ", ".join(self.url(p) for p in self._pages[:20])
            raise PageNotFound(f"no page of this site at {url[:200]!r}; its pages: {known}")
        return page

    def markdown(self, page: Page) -> str:
        """The page's Markdown twin, as published."""
        try:
            return read_published(self._site, page.twin, MAX_PAGE_BYTES)
        except (OSError, ValueError) as error:
            raise PageNotFound(f"{page.twin}: not a page of this site ({error})") from None
