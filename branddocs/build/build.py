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
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from branddocs import settings
from branddocs.brand import load_brand
from branddocs.brand.folders import BRAND_PAGES, IMAGES, walk_docs
from branddocs.site import Project, store
from branddocs.site.publish import STAMP_DIR, libc, publish, recover, site_lock

__all__ = ["STAMP_DIR", "BuildResult", "Digest", "Inputs", "build_brand", "build_brands", "inputs_digest", "recover",
           "site_lock"]  # fmt: skip

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


_RACY_NS = 2_000_000_000
"""A file changed this recently may change again within its timestamps' granularity: its hash is not reused."""


def _record(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Digest:
    """A brand's inputs digest, and what its stamp keeps so the next run need not read its files again."""

    value: str
    files: dict[str, list] = field(default_factory=dict)
    """{path under the project: [size, mtime_ns, ctime_ns, inode, sha256]} of the brand's own files."""
    brand: dict[str, str] = field(default_factory=dict)
    """The brand file's `resource_dir_name` and `language`: which of docs/ and which translations are its."""


class Inputs:
    """What brands' sites are made from, hashed for one command.

    The shared inputs (docs/ less the brands' own folders and other languages' translations, overrides,
    config, macros, package.json, branddocs' own sources, the Python and the packages' versions) are hashed
    once per language, however many brands there are. A brand's own files (its brand file, its image and
    page folders) are hashed by themselves; a file whose size, times and inode match what its stamp recorded
    is not read again, and an unchanged brand file is not parsed again."""

    def __init__(self, project: Project, engine: str = "mkdocs") -> None:
        self.project = project
        self.engine = engine
        """"mkdocs" (MkDocs + Material) or "zensical" (branddocs/site/zensical.py): part of every digest."""
        self._shared: dict[str, str] = {}

    def shared(self, language: str) -> str:
        """The digest of the inputs every brand of `language` shares."""
        if language not in self._shared:
            self._shared[language] = self._shared_digest(language)
        return self._shared[language]

    def _shared_digest(self, language: str) -> str:
        from branddocs.site.pages import translation_source

        root, docs = self.project.root, self.project.docs_dir
        files = [self.project.config_file, *[p for p in [root / "package.json"] if p.is_file()]]
        for folder, _, names in walk_docs(docs, None, None):  # no brand's own folder: only what all share
            for name in sorted(names):
                translation = translation_source(Path(folder, name).relative_to(docs).as_posix())
                if not (translation and translation[1] != language):
                    files.append(Path(folder, name))
        package = Path(__file__).parent.parent  # all of branddocs, not only this subpackage
        for folder in (root / "overrides", root / "macros", package):
            files += [p for p in folder.rglob("*") if "__pycache__" not in p.relative_to(folder).parts]
        digest = hashlib.sha256(f"{sys.implementation.name} {sys.version}\n".encode())
        for name in _PACKAGES:
            try:
                digest.update(f"{name}=={metadata.version(name)}\n".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{name} missing\n".encode())
        for path in sorted(p for p in files if p.is_file()):
            digest.update(f"{self._name(path)}\0{_shared_hash(path, *_record(path.stat()))}\0".encode())
        if self.engine == "zensical":  # switching engines rebuilds; MkDocs' digests stay as they were
            from branddocs.site.zensical import engine_digest

            return engine_digest(digest.hexdigest())
        return digest.hexdigest()

    def _name(self, path: Path) -> str:
        root = self.project.root
        return str(path.relative_to(root) if path.is_relative_to(root) else path)

    def digest(self, brand_id: str, known: Digest | None = None) -> Digest:
        """`brand_id`'s digest; `known`, from its stamp, spares reading files that did not change since."""
        known = known or Digest("")
        brand_file = self.project.brands_dir / f"{brand_id}.yml"
        try:
            record = _record(brand_file.stat())
            brand = known.brand if known.files.get(self._name(brand_file), [])[:4] == record else {}
            if not brand.get("resource_dir_name") or not brand.get("language"):
                loaded = load_brand(brand_file)
                brand = {"resource_dir_name": loaded.resource_dir_name, "language": loaded.language}
        except Exception:
            return Digest("unreadable-brand")
        own = [brand_file]
        docs = self.project.docs_dir
        for top in (docs / IMAGES / brand["resource_dir_name"], docs / BRAND_PAGES / brand_id):
            for folder, dirs, names in os.walk(top, followlinks=True):
                dirs.sort()
                own += [Path(folder, name) for name in sorted(names)]
        files: dict[str, list] = {}
        digest = hashlib.sha256(f"{self.shared(brand['language'])}\n".encode())
        for path in own:
            if not path.is_file():
                continue
            name, record = self._name(path), _record(path.stat())
            recorded = known.files.get(name, [])
            content = recorded[4] if len(recorded) == 5 and recorded[:4] == record else _hash_file(path)
            if record[1] < time.time_ns() - _RACY_NS:
                files[name] = [*record, content]
            else:  # changed a moment ago: may change again unseen within the same timestamp
                files[name] = [0, 0, 0, 0, content]
            digest.update(f"{name}\0{content}\0".encode())
        return Digest(digest.hexdigest(), files, brand)


def inputs_digest(project: Project, brand_id: str) -> str:
    """A hash of everything a brand's site is made from: its brand file, the docs (less other brands'
    images and pages, and translations into other languages), overrides, config, macros, package.json (the
    guide states its openai version), branddocs' own sources, the Python and the versions of the packages."""
    return Inputs(project).digest(brand_id).value


@lru_cache(maxsize=4096)
def _shared_hash(path: Path, size: int, mtime_ns: int, ctime_ns: int, inode: int) -> str:
    """A shared file's hash, read once per process while it is unchanged."""
    return _hash_file(path)


def _stamp(site_root: Path, brand_id: str) -> Path:
    return site_root / STAMP_DIR / f"{brand_id}.json"


def _listing(site: Path) -> str:
    """A hash of a site's file names and sizes: what its stamp vouches for."""
    found = []
    for folder, _, names in os.walk(site):  # as rglob("*") in path order, a third of its time (1,000 sites a run)
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                found.append((tuple(os.path.relpath(path, site).split(os.sep)), os.stat(path).st_size))
    digest = hashlib.sha256()
    for parts, size in sorted(found):
        digest.update(f"{'/'.join(parts)}\0{size}\n".encode())
    return digest.hexdigest()


def _read_stamp(stamp: Path) -> dict:
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def _known(recorded: dict) -> Digest:
    """What a stamp recorded of the brand's inputs (an older stamp's, or a damaged one's, is empty)."""
    files, brand = recorded.get("own"), recorded.get("brand")
    if not isinstance(files, dict) or not isinstance(brand, dict):
        return Digest("")
    names = [brand.get("resource_dir_name"), brand.get("language")]
    if not all(isinstance(n, str) and n and "/" not in n and not n.startswith(".") for n in names):
        return Digest("", files)  # a folder name the brand model would refuse: read the brand file again
    return Digest(str(recorded.get("inputs", "")), files, brand)


def _up_to_date(final: Path, recorded: dict, digest: Digest) -> bool:
    return final.is_dir() and recorded.get("inputs") == digest.value and recorded.get("files") == _listing(final)


def _write_stamp(stamp: Path, digest: Digest, final: Path) -> None:
    _save(stamp, {"inputs": digest.value, "files": _listing(final), "own": digest.files, "brand": digest.brand})


def _save(stamp: Path, record: dict) -> None:
    stamp.parent.mkdir(exist_ok=True)
    partial = stamp.with_name(f".{stamp.name}.tmp")
    partial.write_text(json.dumps(record) + "\n")
    partial.replace(stamp)  # never a half-written stamp


def _check(inputs: Inputs, brand_id: str, site_root: Path) -> tuple[Digest, bool]:
    """The brand's digest, and whether its published site is up to date with it."""
    final, stamp = site_root / brand_id, _stamp(site_root, brand_id)
    recorded = _read_stamp(stamp)
    digest = inputs.digest(brand_id, _known(recorded))
    up_to_date = _up_to_date(final, recorded, digest)
    if up_to_date and (recorded.get("own") != digest.files or recorded.get("brand") != digest.brand):
        # Same inputs, but files touched or just written: record them as they are now, so that the next run
        # need not read them again either.
        _save(stamp, {**recorded, "own": digest.files, "brand": digest.brand})
    return digest, up_to_date


def build_brand(
    project: Project, brand_id: str, site_root: Path | None = None, force: bool = True, inputs: Inputs | None = None
) -> BuildResult:
    """Build one brand in this process; its previous site stays untouched unless the build succeeds.

    Call it under `site_lock`, as `build_brands` does: publishing assumes no other build of the folder.
    `inputs`: the command's, so that the shared inputs are hashed once for all brands."""
    # Imported here so `branddocs --help` and the endpoint don't pay for MkDocs' imports.
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site_root = Path(site_root or project.site_dir)
    final = site_root / brand_id
    start = time.perf_counter()
    digest, up_to_date = _check(inputs or Inputs(project), brand_id, site_root)
    stamp = _stamp(site_root, brand_id)
    if not force and up_to_date:
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


def _build_in_worker(inputs: Inputs, brand_id: str, site_root: str | None) -> BuildResult:
    from branddocs.site import build_cache, zensical

    build_cache.install(inputs.project.root / BYTECODE_DIR)
    logging.getLogger("mkdocs").propagate = False  # the parent reports; don't spray the worker's logs
    build_one = zensical.build_brand if inputs.engine == "zensical" else build_brand  # --engine
    return build_one(inputs.project, brand_id, Path(site_root) if site_root else None, True, inputs)


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

    Brands whose inputs did not change are found here first, without MkDocs: the pool (and its imports) is
    started only for the brands that need building. `engine`: "mkdocs" (MkDocs + Material) or "zensical"
    (branddocs/site/zensical.py)."""
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
        todo = []
        for brand_id in ids:
            start = time.perf_counter()
            if not force and _check(inputs, brand_id, folder)[1]:
                report(BuildResult(brand_id, True, time.perf_counter() - start, folder / brand_id, skipped=True))
            else:
                todo.append(brand_id)
        if todo:
            _warm_up(project, todo)
            jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
            fork = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(jobs, fork, _die_with_parent, (os.getpid(),)) as pool:
                futures = [pool.submit(_build_in_worker, inputs, i, site) for i in todo]
                for future in as_completed(futures):
                    report(future.result())
        store.collect(store.store_dir(folder))  # the previous sites' files no site links any more
    # Once per page and language, however many brands share the language.
    for notice in dict.fromkeys(n for r in results for n in r.notices):
        print(f"branddocs: {notice}", file=sys.stderr)
    order = {brand_id: k for k, brand_id in enumerate(ids)}
    return sorted(results, key=lambda r: order[r.brand_id])
