"""Build brand sites: each into a staging folder, published by rename only when its build succeeded.

One build per site folder at a time (a lock in site/.branddocs/), and each run first repairs what an
interrupted one left. A publish swaps the staging folder and site/<id> in one step (renameat2 with
RENAME_EXCHANGE): site/<id> is a real folder at every instant, never absent, and `cp -a`, `rsync`, `tar`
and static servers see it as before. Where the filesystem refuses the exchange, it is two renames
(site/<id> -> .old-<id>, staging -> site/<id>), and after a crash between them .old-<id> is put back.
A brand's stamp is written after its site is in place, and names its files, so a site that lost files is
rebuilt. Workers die with the build that forked them (PR_SET_PDEATHSIG), so a killed build leaves no
worker publishing or holding the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from branddocs import settings
from branddocs.brand import load_brand
from branddocs.site import Project, store
from branddocs.site.publish import STAMP_DIR, libc, publish, recover, site_lock

__all__ = ["STAMP_DIR", "BuildResult", "build_brand", "build_brands", "inputs_digest", "recover", "site_lock"]

BYTECODE_DIR = ".cache/jinja-bytecode"
"""Under the project: Material's compiled templates, kept between runs (safe to delete)."""
_NOTICES = "mkdocs.plugins.branddocs"
"""The logger of branddocs' MkDocs plugin, whose INFO lines are notices for people (branddocs/plugin/plugin.py)."""
_PACKAGES = ("branddocs", "mkdocs", "mkdocs-material", "mkdocs-macros-plugin", "pymdown-extensions", "markdown",
             "pygments", "jinja2")  # fmt: skip


@dataclass(frozen=True)
class BuildResult:
    brand_id: str
    ok: bool
    seconds: float
    site_dir: Path
    """Where the site is (on success) or would have been published (on failure)."""
    error: str = ""
    """What went wrong, in MkDocs' and mkdocs-macros' own words; empty on success."""
    skipped: bool = False
    """True when the brand's inputs had not changed since its last successful build."""
    notices: tuple[str, ...] = ()
    """What the build said for people without failing, e.g. a page shown in English for want of a translation."""


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []
        self.notices: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage().strip())
        elif record.name == _NOTICES:
            self.notices.append(record.getMessage().strip())


def inputs_digest(project: Project, brand_id: str) -> str:
    """A hash of everything a brand's site is made from: its brand file, the docs (less other brands'
    images and pages, and translations into other languages), overrides, config, macros, package.json (the
    guide states its openai version), branddocs' own sources, the Python and the versions of the packages."""
    from branddocs.site.pages import BRAND_PAGES, translation_source

    brand_file = project.brands_dir / f"{brand_id}.yml"
    try:
        brand = project.brand(brand_id)
    except Exception:
        return "unreadable-brand"
    files = [brand_file, project.config_file, *[p for p in [project.root / "package.json"] if p.is_file()]]
    package = Path(__file__).parent.parent  # all of branddocs, not only this subpackage
    for folder in (project.docs_dir, project.root / "overrides", project.root / "macros", package):
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).parts
            if folder == project.docs_dir:
                other_images = rel[0] == "images" and len(rel) > 2 and rel[1] != brand.resource_dir_name
                other_pages = rel[0] == BRAND_PAGES and len(rel) > 2 and rel[1] != brand.id
                translation = translation_source("/".join(rel))
                if other_images or other_pages or (translation and translation[1] != brand.language):
                    continue
            if path.is_file() and "__pycache__" not in rel:
                files.append(path)
    digest = hashlib.sha256(f"{sys.implementation.name} {sys.version}\n".encode())
    for name in _PACKAGES:
        try:
            digest.update(f"{name}=={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} missing\n".encode())
    for path in files:
        digest.update(str(path.relative_to(project.root) if path.is_relative_to(project.root) else path).encode())
        stat = path.stat()
        digest.update(b"\0" + _file_hash(path, stat.st_mtime_ns, stat.st_size) + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=4096)
def _file_hash(path: Path, mtime_ns: int, size: int) -> bytes:
    """A file's hash, read once per process while it is unchanged: most inputs are the same for every brand."""
    return hashlib.sha256(path.read_bytes()).digest()


def _stamp(site_root: Path, brand_id: str) -> Path:
    return site_root / STAMP_DIR / f"{brand_id}.json"


def _listing(site: Path) -> str:
    """A hash of a site's file names and sizes: what its stamp vouches for."""
    digest = hashlib.sha256()
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(site)}\0{path.stat().st_size}\n".encode())
    return digest.hexdigest()


def _up_to_date(final: Path, stamp: Path, digest: str) -> bool:
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return final.is_dir() and recorded.get("inputs") == digest and recorded.get("files") == _listing(final)


def _write_stamp(stamp: Path, digest: str, final: Path) -> None:
    stamp.parent.mkdir(exist_ok=True)
    partial = stamp.with_name(f".{stamp.name}.tmp")
    partial.write_text(json.dumps({"inputs": digest, "files": _listing(final)}) + "\n")
    partial.replace(stamp)  # never a half-written stamp


def build_brand(project: Project, brand_id: str, site_root: Path | None = None, force: bool = True) -> BuildResult:
    """Build one brand in this process; its previous site stays untouched unless the build succeeds.

    Call it under `site_lock`, as `build_brands` does: publishing assumes no other build of the folder."""
    # Imported here so `branddocs --help` and the endpoint don't pay for MkDocs' imports.
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site_root = Path(site_root or project.site_dir)
    final = site_root / brand_id
    start = time.perf_counter()
    digest = inputs_digest(project, brand_id)
    stamp = _stamp(site_root, brand_id)
    if not force and _up_to_date(final, stamp, digest):
        return BuildResult(brand_id, True, time.perf_counter() - start, final, skipped=True)
    site_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{brand_id}-", dir=site_root))
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    logging.getLogger(_NOTICES).setLevel(logging.INFO)
    os.environ["BRAND"] = brand_id
    try:
        build(load_config(str(project.config_file), site_dir=str(staging)))
    except (Exception, SystemExit) as exc:  # SystemExit: mkdocs-macros exits on a macro error
        shutil.rmtree(staging, ignore_errors=True)
        detail = "\n".join(collect.messages)
        if not isinstance(exc, SystemExit) and str(exc) not in detail:
            detail = f"{detail}\n{exc}".strip()
        if not final.is_dir():
            detail += f"\n(there is no previous site at {final}: nothing is published for {brand_id})"
        return BuildResult(brand_id, False, time.perf_counter() - start, final, detail)
    finally:
        logger.removeHandler(collect)
    stamp.unlink(missing_ok=True)
    store.share(staging, store.store_dir(site_root))  # after the secret scan read every file, before publishing
    publish(staging, final)
    _write_stamp(stamp, digest, final)
    return BuildResult(brand_id, True, time.perf_counter() - start, final, notices=tuple(collect.notices))


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Pool initializer: the kernel kills this worker when the build that forked it dies, even by kill -9,
    so no orphan keeps the lock (an inherited descriptor) or publishes after the build is gone."""
    if settings.NO_PDEATHSIG.get() == "1":  # tests only: shows what the guard prevents
        return
    c_library = libc()
    if c_library is not None and sys.platform == "linux":
        c_library.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _build_in_worker(root: str, brand_id: str, site_root: str | None, force: bool, engine: str) -> BuildResult:
    from branddocs.site import build_cache, zensical

    build_cache.install(Path(root) / BYTECODE_DIR)
    logging.getLogger("mkdocs").propagate = False  # the parent reports; don't spray the worker's logs
    build_one = zensical.build_brand if engine == "zensical" else build_brand  # --engine (branddocs/site/zensical.py)
    return build_one(Project(Path(root)), brand_id, Path(site_root) if site_root else None, force)


def _warm_up(project: Project, brand_ids: list[str]) -> None:
    """Import MkDocs, Material and mkdocs-macros once, before the workers fork, so none imports them again;
    and load jieba's dictionary (seconds) once when a Chinese brand is built, rather than once per worker."""
    import material.plugins.search.plugin  # noqa: F401
    import mkdocs.commands.build  # noqa: F401
    import mkdocs_macros.plugin  # noqa: F401

    from branddocs.site import build_cache, search

    build_cache.install(project.root / BYTECODE_DIR)
    languages = set()
    for brand_id in brand_ids:
        with contextlib.suppress(Exception):  # a broken brand fails in its own worker, with its own message
            # The file alone: Project.brand also walks docs/ for links, which the brand's own build does.
            languages.add(load_brand(project.brands_dir / f"{brand_id}.yml").language)
    search.warm_up(languages, project.root / ".cache")


def build_brands(
    project: Project,
    brand_ids: Iterable[str],
    jobs: int | None = None,
    site_root: Path | None = None,
    on_result: Callable[[BuildResult], None] | None = None,
    force: bool = False,
    engine: str = "mkdocs",
) -> list[BuildResult]:
    """Build brands over a pool of forked workers; one brand's failure never stops the others.

    `engine`: "mkdocs" (MkDocs + Material) or "zensical" (branddocs/site/zensical.py)."""
    ids = list(brand_ids)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(ids) or 1))
    _warm_up(project, ids)
    results = []
    folder = Path(site_root or project.site_dir)
    root, site = str(project.root), str(site_root) if site_root else None
    fork = multiprocessing.get_context("fork")
    with site_lock(folder), ProcessPoolExecutor(jobs, fork, _die_with_parent, (os.getpid(),)) as pool:
        recover(folder)
        futures = [pool.submit(_build_in_worker, root, i, site, force, engine) for i in ids]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if on_result:
                on_result(result)
        store.collect(store.store_dir(folder))  # the previous sites' files no site links any more
    # Once per page and language, however many brands share the language.
    for notice in dict.fromkeys(n for r in results for n in r.notices):
        print(f"branddocs: {notice}", file=sys.stderr)
    return sorted(results, key=lambda r: ids.index(r.brand_id))
