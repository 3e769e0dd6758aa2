"""`branddocs diff [BASE]`: what each brand's readers will see differently between BASE and the work tree.

Only the brands whose inputs differ (the build's `inputs_digest`) are built, on both sides; their sites
are then compared page by page as a reader meets them (branddocs/review/view.py): a brand whose digest
differs but whose pages read the same is reported unchanged.

The two sides' sites are kept in `.cache/diff/` and built incrementally (the build's own stamps): a
second diff, or one against the same BASE after an edit, rebuilds only what changed since. A folder per
side and per set of lock files, since the pages print package.json's versions, which the digest omits.
"""

from __future__ import annotations

import difflib
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from branddocs.brand import BrandError
from branddocs.builder.build import build_brands, inputs_digest
from branddocs.review.base import SOURCES, materialise, resolve_base
from branddocs.review.view import PageView, read_page
from branddocs.site import Project
from branddocs.site.engine_folders import own_folder

__all__ = ["BrandChange", "BuildFailure", "DiffReport", "FileChange", "PageChange", "compare_sites", "run_diff"]

CACHE = ".cache/diff"
"""Under the project: both sides' sites, `<side>-<hash of the lock files>/<id>/` (safe to delete)."""
_LOCKS = ("package.json", "pyproject.toml", "requirements.lock", "package-lock.json")
_IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".avif"}


@dataclass
class PageChange:
    page: str
    """The page's address in the brand's site, e.g. `/serverless-endpoints/`."""
    status: str
    """`added`, `removed` or `changed`."""
    text: list[str] = field(default_factory=list)
    """A unified diff of the page's visible text (its title first), without file headers."""
    code: dict[str, list[str]] = field(default_factory=dict)
    """A unified diff per changed code block, by the block's label (heading › tab)."""


@dataclass
class FileChange:
    path: str
    """A stylesheet (`stylesheets/x.css`, `<style id=brand-palette>`) or image under the brand's site."""
    status: str
    diff: list[str] = field(default_factory=list)
    """Stylesheets: a unified diff; images: `- sha256:… (N bytes)` / `+ …`."""


@dataclass
class BrandChange:
    brand_id: str
    status: str = "changed"
    """`changed`, or `added` / `removed` for a brand file only in the work tree / at BASE."""
    pages: list[PageChange] = field(default_factory=list)
    styles: list[FileChange] = field(default_factory=list)
    images: list[FileChange] = field(default_factory=list)
    nav: list[str] = field(default_factory=list)
    """A unified diff of the primary navigation."""

    def is_empty(self) -> bool:
        return self.status == "changed" and not (self.pages or self.styles or self.images or self.nav)


@dataclass(frozen=True)
class BuildFailure:
    brand_id: str
    side: str
    """`BASE (<revision>)` or `work tree`."""
    error: str


@dataclass
class DiffReport:
    base: str
    """How BASE was named, e.g. `main` or `merge base with origin/HEAD (1a2b3c4d5e6f)`."""
    commit: str
    changed: list[BrandChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failures: list[BuildFailure] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)
    """The brands whose inputs differ, built on both sides to compare."""
    seconds: float = 0.0
    shots: dict[str, list[str]] = field(default_factory=dict)
    """With --screenshots: per brand, the before/after images written (paths)."""

    def preview_command(self) -> str:
        ids = [c.brand_id for c in self.changed if c.status != "removed"]
        return "branddocs serve " + " ".join(f"--brand {i}" for i in ids) if ids else ""


def _unified(before: list[str], after: list[str]) -> list[str]:
    return list(difflib.unified_diff(before, after, lineterm="", n=2))[2:]  # no ---/+++ file headers


def _without_local_paths(text: str, root: Path, scratch: Path) -> str:
    """A build's error as a pull request may show it: BASE's copy as `<BASE>/`, the project's own files relative to
    it, no path of the machine that ran the diff (the Markdown goes to $GITHUB_STEP_SUMMARY or a comment)."""
    folders = (
        (scratch / "base", "<BASE>/"),
        (scratch, "<scratch>/"),
        (Path(sys.prefix), "<python>/"),
        (root.resolve(), ""),
        (root, ""),
    )  # the most specific first: BASE's copy is in the scratch folder
    for folder, shown in folders:
        text = text.replace(f"{folder}/", shown).replace(str(folder), shown.rstrip("/") or ".")
    return text


def _address(rel: str) -> str:
    return "/" + rel.removesuffix("index.html") if rel == "index.html" or rel.endswith("/index.html") else "/" + rel


def _lines(view: PageView) -> list[str]:
    return [f"title: {view.title}", *view.text]


def _page_change(rel: str, before: PageView | None, after: PageView | None) -> PageChange | None:
    old, new = before or PageView(), after or PageView()
    text = _unified(_lines(old), _lines(new)) if before and after else []
    if before is None or after is None:  # a new or removed page: its whole content, as + or - lines
        sign, view = ("+", after) if after else ("-", before)
        assert view is not None
        text = [sign + line for line in _lines(view)]
    code = {}
    for label in dict.fromkeys([*old.code, *new.code]):
        a, b = old.code.get(label), new.code.get(label)
        if a != b:
            code[label] = _unified(a.splitlines() if a is not None else [], b.splitlines() if b is not None else [])
    status = "added" if before is None else "removed" if after is None else "changed"
    return PageChange(_address(rel), status, text, code) if text or code or status != "changed" else None


def _text_file(path: Path | None) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines() if path else []


def _image_line(sign: str, path: Path) -> str:
    data = path.read_bytes()
    return f"{sign} sha256:{hashlib.sha256(data).hexdigest()[:16]} ({len(data)} bytes)"


def compare_sites(brand_id: str, before: Path, after: Path) -> BrandChange:
    """What differs for a reader between two builds of one brand's site."""
    old = {p.relative_to(before).as_posix(): p for p in before.rglob("*") if p.is_file()}
    new = {p.relative_to(after).as_posix(): p for p in after.rglob("*") if p.is_file()}
    change = BrandChange(brand_id)
    styles: dict[str, FileChange] = {}
    for rel in sorted(old.keys() | new.keys()):
        a, b = old.get(rel), new.get(rel)
        if a and b and a.read_bytes() == b.read_bytes():
            continue  # the common case, and no parsing for it
        status = "added" if a is None else "removed" if b is None else "changed"
        suffix = Path(rel).suffix
        if suffix == ".html":
            va = read_page(a.read_text(encoding="utf-8")) if a else None
            vb = read_page(b.read_text(encoding="utf-8")) if b else None
            page = _page_change(rel, va, vb)
            if page:
                change.pages.append(page)
            if va and vb:
                if va.nav != vb.nav and not change.nav:  # the same navigation on every page: said once
                    change.nav = _unified(va.nav, vb.nav)
                for name in dict.fromkeys([*va.styles, *vb.styles]):
                    sa, sb = va.styles.get(name, ""), vb.styles.get(name, "")
                    if sa != sb and f"<style id={name}>" not in styles:
                        styles[f"<style id={name}>"] = FileChange(
                            f"<style id={name}>", "changed", _unified(sa.splitlines(), sb.splitlines())
                        )
        elif suffix == ".css":
            styles[rel] = FileChange(rel, status, _unified(_text_file(a), _text_file(b)))
        elif suffix.lower() in _IMAGES:
            lines = ([_image_line("-", a)] if a else []) + ([_image_line("+", b)] if b else [])
            change.images.append(FileChange(rel, status, lines))
    change.styles = list(styles.values())
    return change


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _sites(project: Project, side: str, sources: Project) -> Path:
    locks = hashlib.sha256(b"".join((_read(sources.root / name) or b"-") + b"\0" for name in _LOCKS))
    return own_folder(project.root, *CACHE.split("/"), f"{side}-{locks.hexdigest()[:12]}")


def _work_view(project: Project, folder: Path) -> Project:
    """The work tree's sources seen through links in `folder`, for `inputs_digest` only.

    The digest names a project's files by their path under it, and branddocs' own sources by their full
    path when they lie outside it: seen from BASE's scratch folder and from a folder beside it, both
    sides name every file alike, so equal inputs give equal digests."""
    folder.mkdir(parents=True)
    for name in SOURCES:
        if (project.root / name).exists():
            (folder / name).symlink_to(project.root / name)
    return Project(folder)


def run_diff(
    project: Project,
    base: str | None = None,
    brand_ids: list[str] | None = None,
    jobs: int | None = None,
    log: Callable[[str], None] | None = None,
    on_sites: Callable[[DiffReport, Path, Path], None] | None = None,
) -> DiffReport:
    """Compare every brand (or `brand_ids`) between BASE and the work tree; see the module's docstring.

    `on_sites(report, base_root, work_root)` is given the folders holding both sides' sites (`<root>/<id>/`)."""
    say = log or (lambda line: print(f"branddocs diff: {line}", file=sys.stderr))
    start = time.perf_counter()
    commit, label = resolve_base(project, base)
    report = DiffReport(label, commit)
    with tempfile.TemporaryDirectory(prefix="branddocs-diff-") as tmp:
        scratch = Path(tmp)
        base_project = materialise(project, commit, scratch / "base")
        work_view = _work_view(project, scratch / "work")
        say(f"BASE's sources in {time.perf_counter() - start:.2f} s")
        at_base, in_work = set(base_project.brand_ids()), set(project.brand_ids())
        ids = brand_ids or sorted(at_base | in_work)
        for brand_id in ids:
            if brand_id not in at_base and brand_id not in in_work:
                raise BrandError(f"unknown brand {brand_id!r}: not in brands/ at BASE or in the work tree")
        both = [i for i in ids if i in at_base and i in in_work]
        digests = {i: (inputs_digest(base_project, i), inputs_digest(work_view, i)) for i in both}
        # The pages print package.json's openai version and Node.js minimum (branddocs/site/sdk_versions.py), which the
        # build's digest does not cover: a change there makes every brand a candidate.
        every = _read(base_project.root / "package.json") != _read(project.root / "package.json")
        report.rebuilt = [
            i for i in both if every or digests[i][0] != digests[i][1] or "unreadable-brand" in digests[i]
        ]
        report.unchanged = [i for i in both if i not in report.rebuilt]
        work_ids = [i for i in ids if i in report.rebuilt or i not in at_base]
        base_ids = [i for i in ids if i in report.rebuilt or i not in in_work]
        say(f"comparing with {label}: {len(ids)} brands, {len(report.rebuilt)} with changed inputs"
            + (f", built on both sides unless up to date in {CACHE}/ ({', '.join(report.rebuilt[:8])}"
               f"{', …' if len(report.rebuilt) > 8 else ''})" if report.rebuilt else ""))  # fmt: skip
        sites = {"work": _sites(project, "work", project), "base": _sites(project, "base", base_project)}
        side_names = {"work": "work tree", "base": f"BASE ({label})"}
        # The work tree first: the build's bytecode cache is then the project's own, warm from earlier builds.
        for side, side_project, side_ids in (("work", project, work_ids), ("base", base_project, base_ids)):
            if side_ids:
                for result in build_brands(side_project, side_ids, jobs=jobs, site_root=sites[side]):
                    if not result.ok:
                        shown = _without_local_paths(result.error, project.root, scratch)
                        report.failures.append(BuildFailure(result.brand_id, side_names[side], shown))
        built = time.perf_counter()
        say(f"built in {built - start:.2f} s")
        failed = {f.brand_id for f in report.failures}
        for brand_id in ids:
            if brand_id in failed:
                continue
            if brand_id not in at_base or brand_id not in in_work:
                status = "added" if brand_id not in at_base else "removed"
                site = sites["work" if status == "added" else "base"] / brand_id
                pages = sorted(_address(p.relative_to(site).as_posix()) for p in site.rglob("*.html"))
                report.changed.append(BrandChange(brand_id, status, [PageChange(p, status) for p in pages]))
            elif brand_id in report.rebuilt:
                change = compare_sites(brand_id, sites["base"] / brand_id, sites["work"] / brand_id)
                (report.unchanged.append(brand_id) if change.is_empty() else report.changed.append(change))
        report.unchanged.sort()
        say(f"compared in {time.perf_counter() - built:.2f} s")
        if on_sites and report.changed:
            on_sites(report, sites["base"], sites["work"])
    report.seconds = time.perf_counter() - start
    return report
