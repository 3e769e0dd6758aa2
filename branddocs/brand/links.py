"""Symbolic links a brand's site may not publish: outside the project, or into another brand's folders."""

from __future__ import annotations

import os
from pathlib import Path

from branddocs.brand.folders import walk_docs

__all__ = ["unsafe_links"]


def _link_problem(link: Path, root: Path, brand_id: str, resource_dir_name: str) -> str | None:
    """Why the symbolic link `link` may not be published for the brand, or None if it may."""
    target = Path(os.path.realpath(link))
    docs, overrides, brands = root / "docs", root / "overrides", root / "brands"
    if target.is_relative_to(brands) and target == brands / f"{brand_id}.yml":
        return None
    if not (target.is_relative_to(docs) or target.is_relative_to(overrides)):
        return f"symbolic link {link} -> {target}: expected a target inside {docs} or {overrides}"
    rel = target.relative_to(docs).parts if target.is_relative_to(docs) else ()
    if len(rel) > 1 and rel[0] == "images" and rel[1] != resource_dir_name:
        return f"symbolic link {link} -> {target}: points into another brand's image folder"
    if len(rel) > 1 and rel[0] == "brands" and rel[1] != brand_id:
        return f"symbolic link {link} -> {target}: points into another brand's pages"
    return None


def unsafe_links(root: Path, brand_id: str, resource_dir_name: str) -> list[str]:
    """Symbolic links that would publish, for brand `brand_id` (images in `resource_dir_name`), a file outside the
    project or another brand's.

    Walks what the brand's site is made from: docs/ (less other brands' image and page folders, which its
    site never holds and which are never listed), overrides/ and its brand file; a link is never followed into."""
    root = Path(os.path.realpath(root))
    found = []
    brand_file = root / "brands" / f"{brand_id}.yml"
    if brand_file.is_symlink():
        found.append(_link_problem(brand_file, root, brand_id, resource_dir_name))
    walks = (walk_docs(root / "docs", resource_dir_name, brand_id, followlinks=False),
             os.walk(root / "overrides"))  # fmt: skip
    for walk in walks:
        for folder, dirs, files in walk:
            here = Path(folder)
            for name in [*dirs, *files]:
                if (here / name).is_symlink():
                    found.append(_link_problem(here / name, root, brand_id, resource_dir_name))
    return [problem for problem in found if problem]
