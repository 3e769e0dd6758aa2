"""The revision a change is compared with (BASE), and its sources in a folder of their own."""

from __future__ import annotations

import re
import subprocess
import tarfile
from pathlib import Path

from branddocs.site import Project

__all__ = ["DEFAULT_BRANCHES", "SOURCES", "BaseError", "materialise", "resolve_base"]

DEFAULT_BRANCHES = ("origin/HEAD", "main")
"""Without a BASE, the merge base with the first of these that exists."""
SOURCES = ("mkdocs.yml", "docs", "overrides", "brands", "macros", "package.json", "pyproject.toml", "requirements.lock",
           "package-lock.json")  # fmt: skip
"""What a brand's site is made from, besides branddocs itself: the pages print the SDK versions the locks pin."""


class BaseError(Exception):
    """BASE cannot be used: one line for people."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def resolve_base(project: Project, base: str | None) -> tuple[str, str]:
    """(commit, how to name it) for `base`, or for the merge base with the default branch when it is None."""
    if _git(project.root, "rev-parse", "--git-dir").returncode != 0:
        raise BaseError(f"{project.root} is not in a git repository: branddocs diff compares with a git revision")
    if base is not None:
        found = _git(project.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{base}^{{commit}}")
        if found.returncode != 0:
            raise BaseError(f"no revision {base!r} in {project.root} (expected a commit, branch or tag)")
        return found.stdout.strip(), base
    for branch in DEFAULT_BRANCHES:
        if _git(project.root, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}").returncode == 0:
            merge_base = _git(project.root, "merge-base", branch, "HEAD")
            if merge_base.returncode == 0:
                commit = merge_base.stdout.strip()
                return commit, f"merge base with {branch} ({commit[:12]})"
    raise BaseError(f"no {' or '.join(DEFAULT_BRANCHES)} to compare with: name a BASE, e.g. `branddocs diff HEAD`")


def materialise(project: Project, commit: str, folder: Path) -> Project:
    """BASE's sources (SOURCES) in `folder`, to be built with this branddocs (the installed plugin)."""
    prefix = _git(project.root, "rev-parse", "--show-prefix").stdout.strip()  # the project in a subfolder
    tree = f"{commit}:{prefix}"
    listed = _git(project.root, "ls-tree", "--name-only", tree)
    if listed.returncode != 0:
        raise BaseError(f"{commit[:12]} has no {prefix or 'top folder'}: {listed.stderr.strip()}")
    names = [n for n in listed.stdout.splitlines() if n in SOURCES]
    if "mkdocs.yml" not in names:
        raise BaseError(f"{commit[:12]} has no {prefix}mkdocs.yml: not a branddocs project at that revision")
    folder.mkdir(parents=True, exist_ok=True)
    with subprocess.Popen(["git", "-C", str(project.root), "archive", "--format=tar", tree, *names],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as archive:  # fmt: skip
        assert archive.stdout is not None
        with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
            # "tar": a committed link may point anywhere, as in the work tree (the build refuses such links);
            # Python before 3.11.4 has no filters and extracts the same way.
            tar.extractall(folder, **({"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}))  # noqa: S202
        error = archive.stderr.read().decode(errors="replace") if archive.stderr else ""
    if archive.returncode != 0:
        raise BaseError(f"git archive {tree} failed: {error.strip()}")
    _check_hooks(folder / "mkdocs.yml", commit)
    return Project(folder)  # built with the installed branddocs plugin, the one running now, as the work tree is


_HOOKS = re.compile(r"^hooks:[ \t]*(?:#.*)?\n((?:[ \t]+-[^\n]*\n?)+)", re.MULTILINE)


def _check_hooks(config: Path, commit: str) -> None:
    """One line for a BASE whose mkdocs.yml runs hook files it does not hold, instead of a failed build per brand.

    Before the branddocs plugin (0ba9199), mkdocs.yml named `branddocs/mkdocs_hooks.py`, a file of the engine, which
    is not among SOURCES: such a BASE can only be built by the branddocs of its own time.
    """
    found = _HOOKS.search(config.read_text(encoding="utf-8", errors="replace"))
    if found is None:
        return
    for item in found.group(1).splitlines():
        hook = item.strip().removeprefix("-").split("#", 1)[0].strip().strip("'\"")
        if hook and not (config.parent / hook).is_file():
            raise BaseError(
                f"{commit[:12]}:mkdocs.yml runs the hook file {hook}, which is not among the sources a BASE is "
                f"built from ({', '.join(SOURCES)}); a revision from before the branddocs plugin cannot be built "
                "by this branddocs: compare with a later BASE"
            )
