"""Shared fixtures: the project, its brands, sites built once per session, scratch copies to break."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from branddocs.brand import Brand, load_brands
from branddocs.site import Project

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def project() -> Project:
    """This checkout, or the one BRANDDOCS_ROOT names (`branddocs check` on a copy of the project)."""
    return Project.find(ROOT)


@pytest.fixture(scope="session")
def brands(project: Project, pytestconfig: pytest.Config) -> list[Brand]:
    return load_brands(project.brands_dir, pytestconfig.getoption("brand") or None)


@pytest.fixture(scope="session")
def all_brands(project: Project) -> list[Brand]:
    return load_brands(project.brands_dir)


def run_branddocs(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `branddocs` command as a user would."""
    return subprocess.run(
        [str(BIN / "branddocs"), *args],
        cwd=cwd,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory: pytest.TempPathFactory, project: Project, brands: list[Brand]) -> dict[str, Path]:
    """Every selected brand built once with `branddocs build`, read back from disk by the tests."""
    site_root = tmp_path_factory.mktemp("site")
    ids = [arg for b in brands for arg in ("--brand", b.id)]
    result = run_branddocs("build", *ids, "--site-dir", str(site_root), cwd=project.root)
    assert result.returncode == 0, result.stdout + result.stderr
    return {b.id: site_root / b.id for b in brands}


@pytest.fixture
def scratch(tmp_path: Path) -> Project:
    """A copy of the project's sources to break without touching the real one."""
    return Project(ROOT).copy_to(tmp_path)


def tree_digest(folder: Path) -> str:
    """One hash of every file's path and bytes under `folder`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


SCREENSHOTS = ROOT / "reports" / "screenshots"
_started = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the browser tests left their screenshots (desktop and phone, per brand)."""
    shots = [p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= _started] if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"screenshots of each brand's guide: {SCREENSHOTS}/ ({len(shots)} files)")
