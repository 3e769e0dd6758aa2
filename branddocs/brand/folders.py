"""A brand's part of docs/: the shared files and its own folders, walked without listing another brand's.

docs/images/<resource_dir_name>/ and docs/brands/<brand-id>/ belong to one brand each. Whatever looks at what
one brand's site is made from (MkDocs' file collection, the page map, the inputs digest, the link check) walks
docs/ through `walk_docs`, so its cost does not grow with the number of brands: another brand's folder is
never entered, listed or hashed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["BRAND_FOLDERS", "BRAND_PAGES", "IMAGES", "own_folders", "walk_docs"]

IMAGES = "images"
"""The folder under docs/ holding each brand's images, `images/<resource_dir_name>/`."""
BRAND_PAGES = "brands"
"""The folder under docs/ holding each brand's own pages, `brands/<brand-id>/`."""
BRAND_FOLDERS = (IMAGES, BRAND_PAGES)


def own_folders(resource_dir_name: str | None, brand_id: str | None) -> dict[str, str | None]:
    """{top folder under docs/: the brand's one folder in it}; None for no brand (the shared part alone)."""
    return {IMAGES: resource_dir_name, BRAND_PAGES: brand_id}


def walk_docs(
    docs_dir: str | Path, resource_dir_name: str | None, brand_id: str | None, followlinks: bool = True
) -> Iterator[tuple[str, list[str], list[str]]]:
    """`os.walk(docs_dir)` as one brand sees it: in docs/images/ and docs/brands/ only its own folder is entered.

    Yields os.walk's tuples, top-down, and honours in-place changes to the folder list as os.walk does. With
    no brand (both None), only the shared part: files directly in those two folders, no folder below them."""
    top = os.fspath(docs_dir)
    keep = {os.path.join(top, name): own for name, own in own_folders(resource_dir_name, brand_id).items()}
    for folder, dirs, files in os.walk(top, followlinks=followlinks):
        if folder in keep:  # another brand's folder is pruned here, before os.walk lists it
            dirs[:] = [d for d in dirs if d == keep[folder]]
        yield folder, dirs, files
