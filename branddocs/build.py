"""Build brand sites: each into a staging folder, published by rename only when its build succeeded."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from branddocs.site import Project

__all__ = ["BuildResult", "build_brand", "build_brands"]


@dataclass(frozen=True)
class BuildResult:
    brand_id: str
    ok: bool
    seconds: float
    site_dir: Path
    """Where the site is (on success) or would have been published (on failure)."""
    error: str = ""
    """What went wrong, in MkDocs' and mkdocs-macros' own words; empty on success."""


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().strip())


def build_brand(project: Project, brand_id: str, site_root: Path | None = None) -> BuildResult:
    """Build one brand in this process; its previous site stays untouched unless the build succeeds."""
    # Imported here so `branddocs --help` and the endpoint don't pay for MkDocs' imports.
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site_root = Path(site_root or project.site_dir)
    final = site_root / brand_id
    staging = site_root / f".staging-{brand_id}"
    site_root.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    collect = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    start = time.perf_counter()
    os.environ["BRAND"] = brand_id
    try:
        build(load_config(str(project.config_file), site_dir=str(staging)))
    except (Exception, SystemExit) as exc:  # SystemExit: mkdocs-macros exits on a macro error
        shutil.rmtree(staging, ignore_errors=True)
        detail = "\n".join(collect.messages)
        if not isinstance(exc, SystemExit) and str(exc) not in detail:
            detail = f"{detail}\n{exc}".strip()
        return BuildResult(brand_id, False, time.perf_counter() - start, final, detail)
    finally:
        logger.removeHandler(collect)
    _publish(staging, final)
    return BuildResult(brand_id, True, time.perf_counter() - start, final)


def _publish(staging: Path, final: Path) -> None:
    old = final.with_name(f".old-{final.name}")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _build_in_worker(root: str, brand_id: str, site_root: str | None) -> BuildResult:
    logging.getLogger("mkdocs").propagate = False  # the parent reports; don't spray the worker's logs
    return build_brand(Project(Path(root)), brand_id, Path(site_root) if site_root else None)


def build_brands(
    project: Project,
    brand_ids: Iterable[str],
    jobs: int | None = None,
    site_root: Path | None = None,
    on_result: Callable[[BuildResult], None] | None = None,
) -> list[BuildResult]:
    """Build brands over a process pool; one brand's failure never stops the others."""
    ids = list(brand_ids)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(ids) or 1))
    results = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [
            pool.submit(_build_in_worker, str(project.root), i, str(site_root) if site_root else None) for i in ids
        ]
        for future in futures:
            result = future.result()
            results.append(result)
            if on_result:
                on_result(result)
    return results
