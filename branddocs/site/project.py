"""Where a project's parts live, and which brand an MkDocs build is for (the BRAND variable)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from branddocs import settings
from branddocs.brand import BRAND_ID_RE, Brand, BrandError, find_brand_files, load_brand
from branddocs.brand.links import TOP_FOLDERS, project_folders
from branddocs.errors import BranddocsError

__all__ = ["WRITTEN_FOLDERS", "Project", "brand_for_build", "cached_brand"]

WRITTEN_FOLDERS = ("site", ".cache")
"""What the engine writes in a project (the sites, the store and journal; caches): the project's own folders, never
links the repository chose."""


def _owned_here(folder: Path) -> None:
    """`folder`, found above where the search started, and its mkdocs.yml and brands/ are the caller's or root's;
    BranddocsError otherwise."""
    me = os.geteuid()
    for path in (folder, folder / "mkdocs.yml", folder / "brands"):
        owner = os.lstat(path).st_uid
        if owner not in (me, 0):
            raise BranddocsError(
                f"{path}: a branddocs project above the working folder, owned by user {owner} (neither you, user {me}, "
                f"nor root): its macros and hooks would run as you; run branddocs inside it, or name it with "
                f"{settings.ROOT.name}={folder} to trust it"
            )


@dataclass(frozen=True)
class Project:
    """A branddocs checkout: `mkdocs.yml` beside `brands/` and `docs/`."""

    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        """The project holding `start` (default: the current directory), or the one given by BRANDDOCS_ROOT.

        Refused (BranddocsError, each reason on a line): a project found above `start` that is neither the caller's nor
        root's (its macros and hooks would run as the caller: git's "dubious ownership"); a project whose own folders
        (`folder_problems`) are links or other folders."""
        given = settings.ROOT.get()
        here = Path(given or start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "mkdocs.yml").is_file() and (folder / "brands").is_dir():
                if folder != here:
                    _owned_here(folder)
                project = cls(folder)
                problems = project.folder_problems()
                if problems:
                    raise BranddocsError("\n".join(problems))
                return project
        raise BrandError(f"no branddocs project (mkdocs.yml beside brands/) at or above {here}")

    def folder_problems(self) -> list[str]:
        """Why the folders a site is made from (links.TOP_FOLDERS) or the engine writes (WRITTEN_FOLDERS) are not
        this project's own: a link or another folder, which would have the engine read or write where the repository
        chose (`docs -> /root/.ssh` was made world-readable by a check's clean-up). Empty when they are."""
        names = [name for name in (*TOP_FOLDERS, *WRITTEN_FOLDERS) if os.path.lexists(self.root / name)]
        found = project_folders(self.root, {f"{name}/": (self.root / name, name) for name in names})
        return [f"{problem}; to publish elsewhere, pass --site-dir" if problem.startswith("site/") else problem
                for problem in found]  # fmt: skip

    @property
    def config_file(self) -> Path:
        return self.root / "mkdocs.yml"

    @property
    def brands_dir(self) -> Path:
        return self.root / "brands"

    @property
    def docs_dir(self) -> Path:
        return self.root / "docs"

    @property
    def site_dir(self) -> Path:
        return self.root / "site"

    def copy_to(self, folder: Path) -> Project:
        """A scratch copy to change freely: the sources and package files copied; tests and node_modules linked for the
        tests' use.

        branddocs itself is not copied or linked: the copy builds with the installed plugin, as any project does."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("mkdocs.yml", "docs", "overrides", "brands", "macros", "pyproject.toml", "package.json",
                     "package-lock.json"):  # fmt: skip
            src = self.root / name
            if src.exists():
                (shutil.copytree if src.is_dir() else shutil.copy2)(src, folder / name)
        for name in ("tests", "node_modules"):
            if (self.root / name).exists():
                (folder / name).symlink_to(self.root / name)
        return Project(folder)

    def brand_ids(self) -> list[str]:
        return [p.stem for p in find_brand_files(self.brands_dir)]

    def known_brands(self, brand_ids: list[str] | None) -> list[str]:
        """`brand_ids` (all brands when empty), each checked to name a brand file; the one unknown-brand error."""
        for brand_id in brand_ids or []:
            self._brand_file(brand_id)
        return list(dict.fromkeys(brand_ids)) if brand_ids else self.brand_ids()

    def _brand_file(self, brand_id: str) -> Path:
        path = self.brands_dir / f"{brand_id}.yml"
        if not BRAND_ID_RE.match(brand_id) or not path.is_file():
            known = ", ".join(self.brand_ids()) or "none"
            raise BrandError(f"unknown brand {brand_id!r}: no {path}; brands: {known}")
        return path

    def brand(self, brand_id: str) -> Brand:
        brand = cached_brand(self._brand_file(brand_id))
        brand.check_assets(self.docs_dir)
        return brand


def cached_brand(path: Path) -> Brand:
    """The brand file at `path`, loaded once per process while its modification time and size stay the same (a
    build's up-to-date check and its plugin read the same file a moment apart)."""
    stat = path.stat()
    return _load_cached(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _load_cached(path: Path, mtime_ns: int, size: int) -> Brand:
    # Keyed on mtime and size so `mkdocs serve` sees an edited brand file on its next rebuild.
    return load_brand(path)


def brand_for_build(config_file: str | Path, brand_id: str | None = None) -> Brand:
    """The brand `brand_id` (default: BRAND's) for the MkDocs config at `config_file`, validated with its images."""
    project = Project(Path(config_file).resolve().parent)
    brand_id = brand_id or settings.BRAND.get()
    if not brand_id:
        known = ", ".join(project.brand_ids()) or "none"
        raise BrandError(f"BRAND is not set: run e.g. `BRAND=<id> mkdocs serve`; brands: {known}")
    return project.brand(brand_id)
