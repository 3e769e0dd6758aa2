"""Shared fixtures: the project, its brands, sites built once per session, scratch copies to break, a browser.

Helpers the tests share are in tests/support/ (the project and running `branddocs`, `branddocs check` and its
report, the endpoint, browser and reader checks, wire recordings, ...), never imported from another test file.

Tests over the project's own brands are parametrised over whatever `brands/` holds (`brand_id`), or use
`brands` / `built_sites`; `--brand ID` (`make test BRAND=ID`) narrows them to that brand and skips the slow
tests that are about no brand in particular. Tests that need particular values use `scratch`, whose
brands are the test brands in tests/fixtures/.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from branddocs.brand import Brand, load_brands
from branddocs.site import Project
from branddocs.site.browser import CHROMIUM, CHROMIUM_ARGS
from branddocs.site.records import KEY_FILE

from .support.once import once
from .support.project import FIRST_BUILD_LOG, ROOT, SCREENSHOTS, copy_built, run_branddocs, scratch_project

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

# A suite started in the background of a script (`make test &`) inherits SIGINT ignored, and so would every process
# a test starts: a `mkdocs serve` told to stop with SIGINT, as a terminal's Ctrl-C does, never ended. The tests'
# processes get the disposition a terminal gives them (a Python handler becomes the default at exec).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# The caches a build reads back live in the caller's own cache folder (~/.cache/branddocs: site/engine_folders.py):
# each test process keeps its own for the run, read by every build it starts and left nowhere in the user's home.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="branddocs-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)
# One key for the engine's records (stamps, the journal: site/records.py) per run, its workers' alike: a build one
# worker made for all (support/once.py) is up to date for the others too. Set by the first process (the controller),
# inherited by the workers it starts.
_RECORDS = Path(os.environ["XDG_CACHE_HOME"], "branddocs", "records")
_RECORDS.mkdir(0o700, parents=True)
_RECORDS.parent.chmod(0o700)
_key = os.open(_RECORDS / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
os.write(_key, bytes.fromhex(os.environ.setdefault("BRANDDOCS_TEST_RECORDS_KEY", secrets.token_hex(32))))
os.close(_key)

# Fixtures that make a test about the selected brands (and nothing else).
BRAND_FIXTURES = {"brand_id", "brands", "built_sites", "example"}


@pytest.fixture(autouse=True)
def _environment_kept() -> Iterator[None]:
    """A build in the test's own process keeps only a build's environment (branddocs/site/build_env.py, from the
    plugin's on_config): what it dropped comes back for the next test, which runs as the shell started it."""
    before = dict(os.environ)
    yield
    for name, value in before.items():
        os.environ.setdefault(name, value)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "brand_id" in metafunc.fixturenames:
        ids = metafunc.config.getoption("brand") or Project.find(ROOT).brand_ids()
        metafunc.parametrize("brand_id", ids)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    """The test modules' bytecode kept while they are collected, whatever PYTHONDONTWRITEBYTECODE says: without it
    each pytest process (each xdist worker, each nested run) compiled and rewrote every test module again, 5 s of a
    12 s collection. Only during collection, in this process: a build in a test's own process writes no __pycache__
    into a project, and the processes the tests start keep the variable."""
    kept = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = kept


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest tests first, each in its module's order (a worker starts on them and the others share out the
    rest); with --brand, skip the slow tests that check no brand in particular (the full run has them)."""
    items.sort(key=lambda item: item.get_closest_marker("longest") is None)
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


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory: pytest.TempPathFactory, project: Project, brands: list[Brand]) -> dict[str, Path]:
    """Every selected brand built once with `branddocs build` (once a run, whichever worker asks first), read back
    from disk by the tests, which never change it."""

    def build(site_root: Path) -> str:
        ids = [arg for b in brands for arg in ("--brand", b.id)]
        result = run_branddocs("build", *ids, "--site-dir", str(site_root), cwd=project.root)
        assert result.returncode == 0, result.stdout + result.stderr
        return str(site_root)

    site_root = Path(once(tmp_path_factory, "built-sites", build))
    return {b.id: site_root / b.id for b in brands}


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A scratch project whose brands are the test brands (tests/fixtures/brands), whatever brands/ holds, shared by
    one module's tests, which leave it as they found it (`scratch` is each test's own)."""
    return scratch_project(tmp_path_factory.mktemp("project"))


@pytest.fixture
def scratch(tmp_path: Path) -> Project:
    """A copy of the project to break without touching the real one; its brands: acme, brightline, nebula."""
    return scratch_project(tmp_path)


@pytest.fixture
def scratch_built(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Callable[[str], tuple[Project, Path]]:
    """`scratch_built(engine)`: (a scratch project, its site root) as `scratch` and a first `branddocs build
    --engine ENGINE --site-dir SITE` of all its brands leave them, the build done once and copied for each test;
    what that first build printed is in FIRST_BUILD_LOG beside them (`site.parent / FIRST_BUILD_LOG`)."""

    def build(engine: str, folder: Path) -> str:
        project = scratch_project(folder / "project")
        done = run_branddocs("build", "--engine", engine, "--site-dir", str(folder / "site"), cwd=project.root)
        assert done.returncode == 0, done.stdout + done.stderr
        (folder / FIRST_BUILD_LOG).write_text(done.stdout, encoding="utf-8")
        return str(folder)

    def made(engine: str) -> tuple[Project, Path]:
        # A scratch project (project/) and every one of its brands built by that engine (site/), made on first use,
        # once a run (whichever worker asks first), never changed: each test gets its own copy.
        shared = Path(once(tmp_path_factory, f"built-{engine}", lambda folder: build(engine, folder)))
        copy = copy_built(shared, tmp_path / "built")
        return Project(copy / "project"), copy / "site"

    return made


_started = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the browser tests left their screenshots (desktop and phone, per brand)."""
    shots = [p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= _started] if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"screenshots of each brand's guide: {SCREENSHOTS}/ ({len(shots)} files)")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright, for one module's browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, for one module's browser tests (the one `browser` fixture)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does, as root)", pytrace=False)
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
