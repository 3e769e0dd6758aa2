"""Which file under docs/ each page of a brand's site comes from: shared pages, translations, brand pages.

- `docs/<page>.md` is shared by every brand;
- `docs/<page>.<language>.md` is its translation: it replaces `<page>.md` for brands with that `language`;
- `docs/brands/<brand-id>/<name>` is that brand's own: it replaces a shared page of the same name, or is
  added after the guide; no other brand's site has it.

One answer, used by the MkDocs plugin (what is published), the example checks (what is collected), the
incremental build (what a brand's site is made from) and `branddocs check-translations`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from branddocs.brand import Brand, material_languages
from branddocs.brand.folders import BRAND_PAGES, other_brands, walk_docs

__all__ = [
    "BRAND_PAGES",
    "SitePages",
    "docs_files",
    "is_other_content",
    "kept_out",
    "site_pages",
    "site_title",
    "translation_source",
]

_TRANSLATION = re.compile(r"^(?P<stem>.+)\.(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z]{2,4})?)\.md$")
_TITLES = {
    "en": ("{name} Learning Guide", "How to call {name}'s serverless LLM endpoints"),
    "zh-TW": ("{name} 學習指南", "如何呼叫 {name} 的無伺服器 LLM 端點"),
}
"""The site's name and description per language (English for a language not listed)."""


def site_title(brand: Brand) -> tuple[str, str]:
    """The site's name and description in the brand's language, e.g. `Acme Cloud Learning Guide`."""
    name, description = _TITLES.get(brand.language, _TITLES["en"])
    return name.format(name=brand.user_name), description.format(name=brand.user_name)


def translation_source(uri: str) -> tuple[str, str] | None:
    """`serverless-endpoints.zh-TW.md` -> (`serverless-endpoints.md`, `zh-TW`); None for any other name."""
    match = _TRANSLATION.match(uri)
    if match and match["lang"] in material_languages():
        return f"{match['stem']}.md", match["lang"]
    return None


@dataclass
class SitePages:
    """A brand's pages: {published uri: source uri under docs/}, and what fell back to English."""

    sources: dict[str, str] = field(default_factory=dict)
    untranslated: list[str] = field(default_factory=list)
    """Shared pages the brand's language has no translation of: published in English."""
    own: list[str] = field(default_factory=list)
    """Published uris of the brand's own pages, in name order."""


def _own_prefix(brand_id: str) -> str:
    return f"{BRAND_PAGES}/{brand_id}/"


def is_other_content(uri: str, brand: Brand) -> bool:
    """True for a translation, or a file under docs/brands/ (other brands' and the brand's own, as filed)."""
    return uri.startswith(f"{BRAND_PAGES}/") or translation_source(uri) is not None


def kept_out(uri: str, brand: Brand) -> bool:
    """A file under docs/ that `brand`'s site never publishes as filed: another brand's (brand/folders.py says
    whose), a translation, or a brand's own page (published under the shared name instead: `site_pages`)."""
    return other_brands(uri, brand.resource_dir_name, brand.id) is not None or is_other_content(uri, brand)


def docs_files(docs_dir: Path, brand: Brand) -> list[str]:
    """Every file under docs/ `brand`'s site may be made from, as sorted uris; other brands' folders unvisited."""
    found = []
    for folder, _, files in walk_docs(docs_dir, brand.resource_dir_name, brand.id):
        rel = Path(folder).relative_to(docs_dir)
        found += [(rel / name).as_posix() for name in files if os.path.isfile(os.path.join(folder, name))]
    return sorted(found)


def site_pages(docs_dir: Path, brand: Brand, files: list[str] | None = None) -> SitePages:
    """Every Markdown page and brand file of `brand`'s site, with the file it is made from.

    `files`: `docs_files(docs_dir, brand)` when the caller has it already."""
    files = docs_files(docs_dir, brand) if files is None else files
    present = set(files)
    pages = SitePages()
    for uri in files:
        if uri.endswith(".md") and not is_other_content(uri, brand):
            translated = f"{uri.removesuffix('.md')}.{brand.language}.md"
            if brand.language != "en" and translated in present:
                pages.sources[uri] = translated
            else:
                pages.sources[uri] = uri
                if brand.language != "en":
                    pages.untranslated.append(uri)
    prefix = _own_prefix(brand.id)
    for uri in files:
        if uri.startswith(prefix):
            name = uri.removeprefix(prefix)
            if name.endswith(".md") and name not in pages.sources:
                pages.own.append(name)
            pages.sources[name] = uri
    return pages
