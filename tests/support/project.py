"""Helpers for the tests: the project, scratch copies, running `branddocs` as a user does."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from branddocs.site import Project

ROOT = Path(__file__).resolve().parents[2]


BIN = Path(sys.executable).parent


FIXTURES = ROOT / "tests" / "fixtures"

FIRST_BUILD_LOG = "first-build.log"
"""What the first build of `scratch_built` (conftest.py) printed, a file beside its project and site."""


def run_branddocs(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `branddocs` command as a user would, on the project at `cwd`."""
    # BRANDDOCS_ROOT (set when these tests check another project) would override the folder it runs in.
    inherited = {k: v for k, v in os.environ.items() if k != "BRANDDOCS_ROOT"}
    return subprocess.run(
        [str(BIN / "branddocs"), *args],
        cwd=cwd,
        env={**inherited, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def scratch_project(folder: Path) -> Project:
    """A copy of the project's sources in `folder`, with the test brands (tests/fixtures/) as its brands."""
    copy = Project(ROOT).copy_to(folder)
    for path in copy.brands_dir.glob("*.yml"):
        path.unlink()  # brand.schema.json stays: discovery must ignore it
    shutil.copytree(FIXTURES / "brands", copy.brands_dir, dirs_exist_ok=True)
    for image_dir in (p for p in (copy.docs_dir / "images").iterdir() if p.is_dir()):
        shutil.rmtree(image_dir)
    shutil.copytree(FIXTURES / "images", copy.docs_dir / "images", dirs_exist_ok=True)
    return copy


def copy_built(source: Path, folder: Path) -> Path:
    """`source` (a project and the site it built, shared read-only) copied to `folder` for one test to change: `cp -a`
    keeps the hard links a build's store shares with the published files, and the links to this checkout."""
    subprocess.run(["cp", "-a", "--", str(source), str(folder)], check=True, timeout=300)
    return folder


def tree_digest(folder: Path) -> str:
    """One hash of every file's path and bytes under `folder`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


SCREENSHOTS = Path(os.environ.get("BRANDDOCS_ROOT") or ROOT) / "reports" / "screenshots"
