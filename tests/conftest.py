"""Shared fixtures: the project, its brands, sites built once per session, scratch copies to break.

Tests over the project's own brands are parametrised over whatever `brands/` holds (`brand_id`), or use
`brands` / `built_sites`; `--brand ID` (`make test BRAND=ID`) narrows them to that brand and skips the slow
tests that are about no brand in particular. Tests that need particular values use `scratch`, whose
brands are the test brands in tests/fixtures/.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from branddocs.brand import Brand, load_brands
from branddocs.site import Project

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
FIXTURES = ROOT / "tests" / "fixtures"
# Fixtures that make a test about the selected brands (and nothing else).
BRAND_FIXTURES = {"brand_id", "brands", "built_sites", "example"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "brand_id" in metafunc.fixturenames:
        ids = metafunc.config.getoption("brand") or Project.find(ROOT).brand_ids()
        metafunc.parametrize("brand_id", ids)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --brand, skip the slow tests that check no brand in particular (the full run has them)."""
    if not config.getoption("brand"):
        return
    skip = pytest.mark.skip(reason="not about one brand: runs in the full `make test`, without BRAND")
    for item in items:
        if item.get_closest_marker("slow") and not BRAND_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(skip)


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


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory: pytest.TempPathFactory, project: Project, brands: list[Brand]) -> dict[str, Path]:
    """Every selected brand built once with `branddocs build`, read back from disk by the tests."""
    site_root = tmp_path_factory.mktemp("site")
    ids = [arg for b in brands for arg in ("--brand", b.id)]
    result = run_branddocs("build", *ids, "--site-dir", str(site_root), cwd=project.root)
    assert result.returncode == 0, result.stdout + result.stderr
    return {b.id: site_root / b.id for b in brands}


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


@pytest.fixture
def scratch(tmp_path: Path) -> Project:
    """A copy of the project to break without touching the real one; its brands: acme, brightline, nebula."""
    return scratch_project(tmp_path)


def tree_digest(folder: Path) -> str:
    """One hash of every file's path and bytes under `folder`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


SCREENSHOTS = Path(os.environ.get("BRANDDOCS_ROOT") or ROOT) / "reports" / "screenshots"
_started = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the browser tests left their screenshots (desktop and phone, per brand)."""
    shots = [p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= _started] if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"screenshots of each brand's guide: {SCREENSHOTS}/ ({len(shots)} files)")
