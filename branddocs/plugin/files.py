"""MkDocs' file collection for one brand: docs/ walked without entering or listing other brands' folders.

MkDocs 1.6 walks the whole of docs_dir (`get_files`) before any plugin sees the files, and `exclude_docs`
only marks files after the walk: with 1,000 brands, each brand's build would list 1,000 image folders to drop
them. No plugin event comes between the walk and the config, so the plugin puts its own `get_files` in
`mkdocs.commands.build` (where `build()` looks it up at each call): for a build with the branddocs plugin it
is MkDocs' own function with the walk pruned (`walk_docs`); for any other build it is MkDocs' unchanged.
The Files collection is the same, in the same order, less the files the plugin's `on_files` drops anyway.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import lru_cache, partial

import mkdocs.commands.build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure import files as mkdocs_files
from mkdocs.structure.files import File, Files, set_exclusions

from branddocs.brand import Brand
from branddocs.brand.folders import walk_docs
from branddocs.brand.links import source_problem

__all__ = ["brand_get_files", "install", "refused"]

log = logging.getLogger("mkdocs.structure.files")  # MkDocs' own logger for its one warning below
_mkdocs_get_files = mkdocs_files.get_files


BrandOf = Callable[[MkDocsConfig], Brand | None]
"""The brand a build's config is for (plugin.brand_of); None for a build without the branddocs plugin."""


def install(brand_of: BrandOf) -> None:
    """Make MkDocs' builds in this process collect files with `brand_get_files`, finding each build's brand with
    `brand_of` (the plugin's; idempotent)."""
    mkdocs.commands.build.get_files = partial(brand_get_files, brand_of=brand_of)


def brand_get_files(config: MkDocsConfig, brand_of: BrandOf) -> Files:
    """`mkdocs.structure.files.get_files` (MkDocs 1.6.1, BSD-2-Clause), walking only the brand's part of docs/."""
    brand = brand_of(config)
    if brand is None:
        return _mkdocs_get_files(config)
    files: list[File] = []
    conflicting_files: list[tuple[File, File]] = []
    for source_dir, dirnames, filenames in walk_docs(config["docs_dir"], brand.resource_dir_name, brand.id):
        relative_dir = os.path.relpath(source_dir, config["docs_dir"])
        dirnames.sort()
        filenames.sort(key=_file_sort_key)

        files_by_dest: dict[str, File] = {}
        for filename in filenames:
            file = File(
                os.path.join(relative_dir, filename),
                config["docs_dir"],
                config["site_dir"],
                config["use_directory_urls"],
            )
            # Skip README.md if an index file also exists in dir (part 1)
            prev_file = files_by_dest.setdefault(file.dest_uri, file)
            if prev_file is not file:
                conflicting_files.append((prev_file, file))
            files.append(file)

    set_exclusions(files, config)
    # Skip README.md if an index file also exists in dir (part 2)
    for a, b in conflicting_files:
        if b.inclusion.is_included():
            if a.inclusion.is_included():
                log.warning(f"Excluding '{a.src_uri}' from the site because it conflicts with '{b.src_uri}'.")
            if a in files:
                files.remove(a)
        elif b in files:
            files.remove(b)
    return Files(files)


def _file_sort_key(name: str) -> tuple[bool, str]:
    """MkDocs' order of a folder's files: `index` or `README` first."""
    return (os.path.splitext(name)[0] not in ("index", "README"), name)


def refused(files: Files, config: MkDocsConfig, brand: Brand) -> list[str]:
    """Why each file of `files` read from disk may not be published in the brand's site (links.source_problem):
    docs_dir's files by the docs/ rule, the custom_dir's by the overrides/ rule, the theme's own inside its
    package; any other source is refused."""
    root = os.path.dirname(config.config_file_path)
    custom = config.theme.custom_dir
    themes = [os.path.realpath(d) for d in config.theme.dirs
              if not custom or os.path.realpath(d) != os.path.realpath(custom)]  # fmt: skip
    found = []
    for file in files:
        source = file.abs_src_path  # None: content in memory (a plugin's, such as the Try it assets)
        if source is None:
            continue
        if _under(source, config.docs_dir):
            problem = source_problem(source, root, brand.id, brand.resource_dir_name, "docs")
        elif custom and _under(source, custom):
            problem = source_problem(source, root, brand.id, brand.resource_dir_name, "overrides")
        elif any(_under(_theme_file_path(source, config.theme.dirs), theme) for theme in themes):
            problem = None  # the theme's own files, from its installed package
        else:
            problem = f"{source}: expected a file of docs/, overrides/ or the theme"
        if problem:
            found.append(f"{file.src_uri}: {problem}")
    return found


def _theme_file_path(source: str, dirs: list[str]) -> str:
    """The real path of a file neither docs/ nor overrides/ holds; for one MkDocs found in the theme's folders, whose
    installed files do not change while a build runs (as theme_links.py takes them), looked up once per process."""
    return _real_theme_path(source) if any(_under(source, folder) for folder in dirs) else os.path.realpath(source)


@lru_cache(maxsize=4096)
def _real_theme_path(source: str) -> str:
    return os.path.realpath(source)


def _under(path: str, folder: str) -> bool:
    return os.path.normpath(path).startswith(os.path.normpath(folder) + os.sep)
