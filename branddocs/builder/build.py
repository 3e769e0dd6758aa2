"""Build brand sites: each into a staging folder by its engine (builder/engines/), published by rename only when
its build succeeded.

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
import gc
import logging
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

from branddocs import settings, text
from branddocs.brand import MAX_BRAND_BYTES
from branddocs.brand.folders import walk_docs
from branddocs.brand.links import read_regular
from branddocs.builder import engines
from branddocs.builder.journal import Journal
from branddocs.builder.result import NOTICES, BuildResult, LogCollector
from branddocs.builder.stamps import Inputs, check, inputs_digest, settle, site_as_stamped, stamp_path, write_stamp
from branddocs.site import Project, build_cache, search, segments, store, theme_links
from branddocs.site.engine_folders import user_cache
from branddocs.site.publish import STAMP_DIR, libc, publish, recover, site_lock

__all__ = ["STAMP_DIR", "BuildResult", "Inputs", "build_brand", "build_brands", "inputs_digest", "recover",
           "site_lock", "up_to_date"]  # fmt: skip

SETTLE_S = 2.5
"""A site published this long ago has settled folders (site_tree.py): its stamp gets its tree record meanwhile."""
BYTECODE_DIR = "jinja-bytecode"
"""In the caller's cache folder (engine_folders.user_cache), never the project's: Material's compiled templates,
kept between runs (safe to delete). Jinja unpickles and runs what it finds there."""
LISTING_DIR = "theme-listings"
"""In the caller's cache folder too: the theme's file listing, kept while its folders stat the same (safe to
delete; site/theme_listing.py)."""


def build_brand(
    project: Project, brand_id: str, site_root: Path | None = None, force: bool = True, inputs: Inputs | None = None
) -> BuildResult:
    """Build one brand in this process with `inputs`' engine; its previous site stays untouched unless the build
    succeeds.

    Call it under `site_lock`, as `build_brands` does: publishing assumes no other build of the folder.
    `inputs`: the command's, so that the shared inputs are hashed once for all brands."""
    inputs = inputs or Inputs(project)
    engine = engines.get(inputs.engine)
    site_root = Path(site_root or project.site_dir)
    final = site_root / brand_id
    start = time.perf_counter()
    digest, up_to_date = check(inputs, brand_id, site_root)
    stamp = stamp_path(site_root, brand_id)
    if not force and up_to_date:
        return BuildResult(brand_id, True, time.perf_counter() - start, final, skipped=True)
    site_root.mkdir(parents=True, exist_ok=True)
    # .staging-<id>-: what `recover` removes after a killed build, and what branddocs' plugin lets a build write.
    work = Path(tempfile.mkdtemp(prefix=f".staging-{brand_id}-", dir=site_root))
    collect = LogCollector()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    logging.getLogger(NOTICES).setLevel(logging.INFO)
    try:
        theme_links.use(store.store_dir(site_root))  # Material's files linked from the store (workers only)
        site = engine.build(project, brand_id, work)
        theme_links.check_unchanged()
    except (Exception, SystemExit) as exc:  # SystemExit: mkdocs-macros exits on a macro error
        shutil.rmtree(work, ignore_errors=True)
        detail = collect.failure(exc)
        if not final.is_dir():
            detail += f"\n(there is no previous site at {final}: nothing is published for {brand_id})"
        return BuildResult(brand_id, False, time.perf_counter() - start, final, detail)
    finally:
        theme_links.use(None)
        logger.removeHandler(collect)
    stamp.unlink(missing_ok=True)
    store.share(site, store.store_dir(site_root))  # after the secret scan read every file, before publishing
    released = tuple(store.held_alone(final, store.store_dir(site_root)))  # what the previous site alone held
    publish(site, final)
    shutil.rmtree(work, ignore_errors=True)  # what the engine left beside the site (MkDocs: nothing)
    write_stamp(stamp, digest, final)
    return BuildResult(brand_id, True, time.perf_counter() - start, final, notices=tuple(collect.notices),
                       released=released)  # fmt: skip


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


def _build_in_worker(inputs: Inputs, brand_id: str, site_root: str | None) -> BuildResult:
    build_cache.install(user_cache(BYTECODE_DIR), user_cache(LISTING_DIR))
    logging.getLogger("mkdocs").propagate = False  # the parent reports; don't spray the worker's logs
    result = build_brand(inputs.project, brand_id, Path(site_root) if site_root else None, True, inputs)
    segments.save()  # the Chinese cuts this worker made, for the project's next builds
    return result


def _language_hint(brand_file: Path) -> str:
    """The brand's `language` as its file states it, read by libyaml without the brand model (a thousandth of
    the time, serial in the build's own process): only which dictionaries and digests to prepare before the
    workers fork. Each worker loads the brand properly; a wrong hint costs time there, never a wrong site. Read as
    the loader reads it, a regular file not through a link, capped (R9-7: a link to 1 GB was read whole): else none."""
    with contextlib.suppress(Exception):  # a broken brand fails in its own worker, with its own message
        read = read_regular(brand_file, MAX_BRAND_BYTES)
        if read is None:  # a link, a FIFO, a hard link: the loader refuses it, naming it
            return "en"
        data = yaml.load(read, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
        language = data.get("language", "en") if isinstance(data, dict) else "en"
        return language if isinstance(language, str) else "en"
    return "en"


def _warm_up(project: Project, brand_ids: list[str], inputs: Inputs) -> None:
    """Import MkDocs, Material and mkdocs-macros once, before the workers fork, so none imports them again;
    load jieba's dictionary (seconds) once when a Chinese brand's index is Material's, rather than once per worker
    (or the project's kept cuts instead: site/segments.py); and hash
    the inputs the brands of each language share, which every brand's task then carries (not once a brand)."""
    build_cache.install(user_cache(BYTECODE_DIR), user_cache(LISTING_DIR))  # first: mkdocs-macros' requests lazily
    import material.plugins.search.plugin  # noqa: F401
    import mkdocs.commands.build  # noqa: F401
    import mkdocs_macros.plugin  # noqa: F401

    languages = {_language_hint(project.brands_dir / f"{brand_id}.yml") for brand_id in brand_ids}
    for language in sorted(languages):
        inputs.shared(language)
    if engines.get(inputs.engine).material_search:  # Zensical writes its own index: no jieba
        search.warm_up(languages, search.jieba_folder())
    _first_use(project, brand_ids[0])
    gc.freeze()  # what the workers inherit (the imports, jieba's dictionary): never traversed by their collections


_FENCE = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[ \t]*\{?[ \t]*\.?([A-Za-z0-9_+-]+)", re.M)
_GUESS_BYTES = 1 << 20
"""What the warm-up reads of a page at most to guess its code blocks' languages."""


def _first_use(project: Project, brand_id: str) -> None:
    """What every worker would do for its first brand, done once before they fork: mkdocs.yml checked and loaded
    (config_check.py keeps its verdict per text), Material's 14,500 files listed and filtered by MkDocs (kept per
    process: build_cache.py), and the lexers of the pages' code blocks made (Pygments compiles a lexer's rules on its
    first use). A wrong guess costs time, never a wrong site; what fails here fails again in the brand's own build."""
    from mkdocs.structure.files import Files
    from pygments.lexers import get_lexer_by_name

    from branddocs.plugin.render import brand_config

    with contextlib.suppress(Exception):
        config = brand_config(project, brand_id)
        Files([]).add_files_from_theme(config.theme.get_env(), config)
    languages: set[str] = set()
    for folder, _, names in walk_docs(project.docs_dir, None, None, followlinks=False):
        for name in (n for n in names if n.endswith(".md")):
            data = read_regular(os.path.join(folder, name), _GUESS_BYTES)  # never a link, a FIFO or /dev/zero
            if data:
                languages.update(_FENCE.findall(data.decode("utf-8", "replace")))
    for language in sorted(languages):
        with contextlib.suppress(Exception):
            get_lexer_by_name(language)


def up_to_date(journal: Journal, brand_id: str) -> bool:
    """Whether the brand's site is up to date: confirmed by the journal with a few stats, else by its stamp (then
    the journal gets an entry for it, so that the next run needs only the stats)."""
    if journal.confirms(brand_id):
        return True
    if check(journal.inputs, brand_id, journal.site_root)[1]:
        journal.note(brand_id)
        return True
    return False


def build_brands(
    project: Project,
    brand_ids: Iterable[str],
    jobs: int | None = None,
    site_root: Path | None = None,
    on_result: Callable[[BuildResult], None] | None = None,
    force: bool = False,
    engine: str = engines.DEFAULT,
) -> list[BuildResult]:
    """Build brands over a pool of forked workers; one brand's failure never stops the others.

    Brands whose inputs did not change are found here first, without MkDocs: the pool (and its imports) is
    started only for the brands that need building. `engine`: a build engine's name (builder/engines/)."""
    ids = list(dict.fromkeys(brand_ids))
    results = []
    folder = Path(site_root or project.site_dir)
    site = str(site_root) if site_root else None
    inputs = Inputs(project, engine)

    def report(result: BuildResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    with site_lock(folder):
        recover(folder)
        journal = Journal(folder, inputs)
        todo = []
        whole = journal.site_as_left  # no site added, removed or renamed since the last build, nor one interrupted
        for brand_id in ids:
            start = time.perf_counter()
            if not force and up_to_date(journal, brand_id):
                report(BuildResult(brand_id, True, time.perf_counter() - start, folder / brand_id, skipped=True))
            else:
                journal.forget(brand_id)
                todo.append(brand_id)
                # A site lost, or changed other than by a build: what it dropped is for the whole store's collect.
                whole &= force or site_as_stamped(folder, brand_id)
        if todo:
            _warm_up(project, todo, inputs)
            per_core = engines.get(inputs.engine).workers_per_core
            jobs = max(1, min(jobs or (os.cpu_count() or 1) * per_core, len(todo)))
            fork = multiprocessing.get_context("fork")
            built: list[tuple[float, str]] = []  # (when, brand) of sites published: their stamps get tree records
            with ProcessPoolExecutor(jobs, fork, _die_with_parent, (os.getpid(),)) as pool:
                futures = [pool.submit(_build_in_worker, inputs, i, site) for i in todo]
                for future in as_completed(futures):
                    result = future.result()
                    report(result)
                    built += [(time.monotonic(), result.brand_id)] if result.ok else []
                    while built and built[0][0] < time.monotonic() - SETTLE_S:
                        settle(folder, [built.pop(0)[1]])
            settle(folder, [brand_id for _, brand_id in built])  # those settled by now; the others are listed next run
            for result in results:
                if result.ok and not result.skipped:
                    journal.note(result.brand_id)  # an entry if its stamp got its tree; else the next run's check
        # The previous sites' files no site links any more: only those the replaced sites alone held, when every
        # other site is known whole; else the whole store.
        released = [digest for result in results for digest in result.released]
        store.collect(store.store_dir(folder), released if whole and not force else None)
        journal.save()
    # Once per page and language, however many brands share the language.
    for notice in dict.fromkeys(n for r in results for n in r.notices):
        for line in f"branddocs: {notice}".split("\n"):
            print(text.terminal_line(line), file=sys.stderr)
    order = {brand_id: k for k, brand_id in enumerate(ids)}
    return sorted(results, key=lambda r: order[r.brand_id])
