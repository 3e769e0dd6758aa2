"""`branddocs check-translations`: translations and brand pages that may need a shared page's change too."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from branddocs.markup import Fence, FenceCheck, FenceError, parse_fences
from branddocs.site import Project
from branddocs.site.pages import BRAND_PAGES, translation_source

__all__ = ["Follower", "followers", "report"]


@dataclass(frozen=True)
class Follower:
    """A page that follows a shared page: its translation, or a brand's own version of it."""

    path: Path
    source: Path
    translation: bool
    """True for `<page>.<language>.md`, whose code blocks must be its source's; False for a brand's page."""


def followers(project: Project) -> list[Follower]:
    docs = project.docs_dir
    found = []
    for path in sorted(docs.rglob("*.md")):
        uri = path.relative_to(docs).as_posix()
        parts = uri.split("/")
        translated = translation_source(uri)
        if translated and (docs / translated[0]).is_file():
            found.append(Follower(path, docs / translated[0], True))
        elif parts[0] == BRAND_PAGES and len(parts) > 2 and (docs / "/".join(parts[2:])).is_file():
            found.append(Follower(path, docs / "/".join(parts[2:]), False))
    return found


def _changed_at(project: Project, path: Path) -> float:
    """When `path` last changed: now-ish (its mtime) if it has uncommitted changes, else its last commit."""

    def git(*args: str) -> str:
        run = subprocess.run(["git", *args, "--", str(path)], cwd=project.root, capture_output=True, text=True)
        return run.stdout.strip() if run.returncode == 0 else ""

    if git("status", "--porcelain") or not git("log", "-1", "--format=%ct"):
        return path.stat().st_mtime
    return float(git("log", "-1", "--format=%ct"))


def _code(fences: list[Fence]) -> list[tuple]:
    # A skip's reason is prose and is translated; the rest of a block is code.
    return [(f.lang, f.code, {k: v for k, v in f.settings.items() if k != "reason"}) for f in fences]


def report(project: Project, check: FenceCheck | None = None) -> tuple[list[str], list[str]]:
    """(problems: translations whose code is not their source's; notes: followers older than their source);
    `check`: each block's own check as the pages are read (the language registry's, from the command line)."""
    problems, notes = [], []
    for follower in followers(project):
        rel, source = follower.path.relative_to(project.root), follower.source.relative_to(project.root)
        if follower.translation:
            try:
                theirs = parse_fences(follower.source.read_text(encoding="utf-8"), str(source), check)
                ours = parse_fences(follower.path.read_text(encoding="utf-8"), str(rel), check)
            except FenceError as exc:
                problems.append(str(exc))
                continue
            if len(theirs) != len(ours):
                problems.append(f"{rel}: {len(ours)} code blocks, but {source} has {len(theirs)}")
            for a, b in zip(theirs, ours, strict=False):
                if _code([a]) != _code([b]):
                    problems.append(f"{rel}:{b.line}: code block differs from {source}:{a.line}; copy it from there")
        if _changed_at(project, follower.source) > _changed_at(project, follower.path):
            kind = "translation" if follower.translation else "brand page"
            notes.append(f"{rel}: {kind} older than {source}; see what changed: git log -p -- {source}")
    return problems, notes
