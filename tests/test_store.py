"""Identical output stored once (branddocs/site/store.py): sites share files through hard links, stay whole
standalone sites, and no brand's build or in-place write reaches another brand's site."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from branddocs.brand import load_brand
from branddocs.site import Project, secrets_scan, store

from .support.browser import CHROMIUM, CHROMIUM_ARGS, guide_problems
from .support.project import BIN, ROOT, run_branddocs, scratch_project

pytestmark = pytest.mark.slow
BRANDS = ("acme", "brightline", "nebula")
CSS = Path("stylesheets") / "branddocs.css"
"""A file every brand's site has with the same bytes (from docs/), and that a test may change."""


def snapshot(site: Path) -> dict[str, tuple[int, str, int]]:
    """{file: (inode, sha256, mode)}: what must not change in a site another brand's build passes by."""
    return {
        str(p.relative_to(site)): (p.stat().st_ino, hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode)
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def contents(site: Path) -> dict[str, str]:
    """{file: sha256}; sitemap.xml.gz aside, as it carries the time it was written."""
    files = (p for p in site.rglob("*") if p.is_file() and p.name != "sitemap.xml.gz")
    return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def entries(site_root: Path) -> dict[str, int]:
    """{store entry: link count}, less the store's tmp/."""
    return {
        f"{p.parent.name}{p.name}": p.stat().st_nlink
        for p in store.store_dir(site_root).glob("*/*")
        if p.parent.name != "tmp"
    }


def build(project: Project, site: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run_branddocs("build", "--site-dir", str(site), *args, cwd=project.root, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    """The three test brands built once into one site folder (tests here only read it)."""
    project = scratch_project(tmp_path_factory.mktemp("project"))
    site = tmp_path_factory.mktemp("shared") / "site"
    build(project, site)
    return project, site


# --- sharing, and whole standalone sites -----------------------------------------------------------------------


def test_identical_files_are_stored_once(shared: tuple[Project, Path], tmp_path: Path) -> None:
    project, site = shared
    bundles = [next((site / b / "assets" / "javascripts").glob("bundle.*.min.js")) for b in BRANDS]
    inodes = {p.stat().st_ino for p in bundles}
    assert len(inodes) == 1, "the theme's bundle is not shared"
    bundle = bundles[0].stat()
    assert stat.S_IMODE(bundle.st_mode) == 0o444
    assert bundle.st_nlink == len(BRANDS) + 1  # each site, and the store
    digest = hashlib.sha256(bundles[0].read_bytes()).hexdigest()
    assert (store.store_dir(site) / digest[:2] / digest[2:]).stat().st_ino == bundle.st_ino
    # A brand's own pages are its own: the same inode only where the bytes are the same.
    assert (site / "acme" / "index.html").stat().st_ino != (site / "nebula" / "index.html").stat().st_ino
    usage = store.disk_usage(site, skip=(".branddocs",))
    assert usage.shared < usage.apparent * 0.5, usage
    # The same sites as a build into separate folders, byte for byte.
    for brand_id in BRANDS:
        alone = tmp_path / brand_id
        build(project, alone, "--brand", brand_id)
        assert contents(site / brand_id) == contents(alone / brand_id), brand_id


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does, as root)", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def site_problems(browser: Browser, site: Path, brand_id: str) -> list[str]:
    """tests/test_browser.py's checks of one brand's guide, its folder served alone on loopback."""
    return guide_problems(browser, site, load_brand(ROOT / "tests" / "fixtures" / "brands" / f"{brand_id}.yml"))


@pytest.mark.parametrize("tenant", BRANDS)
def test_each_shared_site_served_alone_passes_the_browser_checks(
    shared: tuple[Project, Path], browser: Browser, tenant: str
) -> None:
    _, site = shared
    assert next((site / tenant / "assets" / "javascripts").glob("bundle.*.min.js")).stat().st_nlink > 2
    assert site_problems(browser, site / tenant, tenant) == []


def test_a_tar_of_one_site_restores_a_working_site(
    shared: tuple[Project, Path], browser: Browser, tmp_path: Path
) -> None:
    _, site = shared
    archive = tmp_path / "nebula.tar"
    subprocess.run(["tar", "-C", str(site), "-cf", str(archive), "nebula"], check=True)
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(site / "nebula"), str(copy)], check=True)
    restored = tmp_path / "restored"
    restored.mkdir()
    subprocess.run(["tar", "-C", str(restored), "-xf", str(archive)], check=True)
    with tarfile.open(archive) as tar:
        assert not any(".branddocs" in m.name for m in tar.getmembers())  # the store is not part of a site
    assert contents(restored / "nebula") == contents(site / "nebula") == contents(copy)
    assert site_problems(browser, restored / "nebula", "nebula") == []


def test_two_builds_at_once_take_turns_and_share(scratch: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    runs = []
    for brand_id in ("acme", "nebula"):
        command = [str(BIN / "branddocs"), "build", "--brand", brand_id, "--site-dir", str(site)]
        runs.append(subprocess.Popen(command, cwd=scratch.root, **pipes))  # type: ignore[call-overload]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sum("another build is using" in err for _, err in outputs) == 1, outputs  # one waited for the lock
    bundles = [next((site / b / "assets" / "javascripts").glob("bundle.*.min.js")) for b in ("acme", "nebula")]
    assert bundles[0].stat().st_ino == bundles[1].stat().st_ino
    assert min(entries(site).values()) >= 2
    assert not list((store.store_dir(site) / "tmp").iterdir())


# --- another brand's build never changes a site ------------------------------------------------------------------


def test_building_one_brand_never_changes_another(scratch: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(scratch, site)
    before = {b: snapshot(site / b) for b in ("brightline", "nebula")}
    acme_before = snapshot(site / "acme")
    # acme's build now makes a different shared stylesheet and different pages; the others are not rebuilt.
    css = scratch.docs_dir / CSS
    css.write_text(css.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    brand = scratch.brands_dir / "acme.yml"
    brand.write_text(brand.read_text(encoding="utf-8").replace('"#1e4fa0"', '"#1e4fa1"'), encoding="utf-8")
    assert "acme: built" in build(scratch, site, "--brand", "acme", "--force")
    assert {b: snapshot(site / b) for b in ("brightline", "nebula")} == before
    after = snapshot(site / "acme")
    assert after[str(CSS)][1] != acme_before[str(CSS)][1]
    assert (site / "acme" / CSS).stat().st_ino != (site / "nebula" / CSS).stat().st_ino


def test_orphaned_entries_are_collected(scratch: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(scratch, site)
    assert entries(site)
    assert min(entries(site).values()) >= 2  # every entry held by the store and a site
    old_home = hashlib.sha256((site / "acme" / "index.html").read_bytes()).hexdigest()
    shutil.rmtree(site / "nebula")  # a site removed by hand: what only it held is orphaned
    brand = scratch.brands_dir / "acme.yml"
    brand.write_text(brand.read_text(encoding="utf-8").replace('"#1e4fa0"', '"#1e4fa1"'), encoding="utf-8")
    orphans = sum(1 for links in entries(site).values() if links == 1)
    assert orphans > 0  # the check below can fail: there is something to collect
    build(scratch, site, "--brand", "acme")
    assert entries(site)
    assert min(entries(site).values()) >= 2
    assert old_home not in entries(site)  # acme's previous home page went with its previous site
    assert not list((store.store_dir(site) / "tmp").iterdir())
    # Every file of every site is still there, and a build with nothing to do finds them whole.
    assert "0 built, 2 up to date" in build(scratch, site, "--brand", "acme", "--brand", "brightline")


# --- in-place writes ---------------------------------------------------------------------------------------------

# Writes argv[2] into the file argv[1] in place (as an editor or `cat >` would), as an ordinary user: without
# the capabilities that let root ignore file modes. Prints "written" or the error's name.
WRITER = textwrap.dedent("""
    import sys
    try:
        with open(sys.argv[1], "r+b") as file:
            file.write(sys.argv[2].encode())
        print("written")
    except OSError as error:
        print(type(error).__name__)
""")


def write_in_place(path: Path, text: str) -> str:
    command = [sys.executable, "-c", WRITER, str(path), text]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to write as root without its override of file modes"
        drop = "-dac_override,-dac_read_search,-fowner"
        command = [setpriv, f"--bounding-set={drop}", "--inh-caps=-all", *command]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def two_sites(source: Path, folder: Path, read_only: bool) -> tuple[Path, Path]:
    """Two sites with the same stylesheet (plain copies of `source`), shared through one store."""
    sites = []
    for name in ("one", "two"):
        sites.append(folder / name)
        shutil.copytree(source, folder / name, copy_function=shutil.copyfile)  # new files, writable
        store.share(folder / name, folder / "store", read_only=read_only)
    return sites[0], sites[1]


def test_shared_files_are_read_only_so_an_in_place_write_cannot_leak(
    shared: tuple[Project, Path], tmp_path: Path
) -> None:
    _, site = shared
    one, two = two_sites(site / "acme", tmp_path / "guarded", read_only=True)
    before = (two / CSS).read_bytes()
    assert (one / CSS).stat().st_ino == (two / CSS).stat().st_ino
    assert write_in_place(one / CSS, "/* edited */") == "PermissionError"
    assert (two / CSS).read_bytes() == before
    # The same write with the guard off gets through, and changes the other site too.
    one, two = two_sites(site / "acme", tmp_path / "unguarded", read_only=False)
    assert write_in_place(one / CSS, "/* edited */") == "written"
    assert (two / CSS).read_bytes().startswith(b"/* edited */")


def _plant(path: Path, secret: str) -> None:
    """Overwrite the start of `path` in place, its mode kept: what root's editor does to a read-only file."""
    mode = stat.S_IMODE(path.stat().st_mode)
    path.chmod(0o644)
    with path.open("r+b") as file:
        file.write(secret.encode())
    path.chmod(mode)


def test_a_store_entry_changed_in_place_is_never_linked_into_a_new_site(scratch: Project, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(scratch, site)
    secret = "sk-store-test-0123456789abcdef"
    digest = hashlib.sha256((site / "nebula" / CSS).read_bytes()).hexdigest()
    entry = store.store_dir(site) / digest[:2] / digest[2:]
    _plant(entry, secret)  # and so nebula's and brightline's copies: the same inode, edited by their owner
    nebula = snapshot(site / "nebula")
    env = {"STORE_TEST_TOKEN": secret}  # named like a secret: the scan looks for its value
    assert "acme: built" in build(scratch, site, "--brand", "acme", "--force", env=env)
    assert secret.encode() not in (site / "acme" / CSS).read_bytes()
    assert hashlib.sha256((site / "acme" / CSS).read_bytes()).hexdigest() == digest
    assert snapshot(site / "nebula") == nebula  # the edited site is its owner's: acme's build leaves it
    assert secret.encode() not in entry.read_bytes()  # the entry is the file acme's build made and scanned

    # Without the check, the edited entry would be published in a site whose own bytes the scan had passed.
    _plant(entry, secret)
    staging = tmp_path / "staging"
    shutil.copytree(site / "brightline", staging, copy_function=shutil.copyfile)
    (staging / CSS).unlink()
    shutil.copyfile(scratch.docs_dir / CSS, staging / CSS)
    needles = {"STORE_TEST_TOKEN": secret}
    assert secrets_scan.scan_site(staging, needles) == []
    store.share(staging, store.store_dir(site), verify=False)
    assert secrets_scan.scan_site(staging, needles) == [(str(CSS), "STORE_TEST_TOKEN")]


# The plain `mkdocs build --dirty` of branddocs' MkDocs plugin, with its copy-on-write step (detach) turned off.
NO_DETACH = textwrap.dedent("""
    import sys
    import branddocs.site.store
    from mkdocs.__main__ import cli

    branddocs.site.store.detach = lambda folder: 0
    cli(["build", "--dirty"])
""")


@pytest.mark.parametrize("detach", [True, False])
def test_a_dirty_mkdocs_build_into_a_shared_site_changes_no_other_site(
    scratch: Project, tmp_path: Path, detach: bool
) -> None:
    site = scratch.root / "site"
    build(scratch, site)
    nebula = snapshot(site / "nebula")
    css = scratch.docs_dir / CSS
    css.write_text(css.read_text(encoding="utf-8") + "\n/* changed */\n", encoding="utf-8")
    command = [str(BIN / "mkdocs"), "build", "--dirty"] if detach else [sys.executable, "-c", NO_DETACH]
    env = {**os.environ, "BRAND": "acme", "NO_MKDOCS_2_WARNING": "1"}
    env.pop("BRANDDOCS_ROOT", None)
    dirty = subprocess.run(command, cwd=scratch.root, env=env, capture_output=True, text=True, timeout=300)
    # The project's strict mode turns --dirty's own warning into a failure, after every file is written.
    assert "A 'dirty' build is being performed" in dirty.stderr
    if detach:
        assert (site / "acme" / CSS).read_text(encoding="utf-8").endswith("/* changed */\n"), dirty.stderr
        assert snapshot(site / "nebula") == nebula
    elif os.geteuid() == 0:  # root writes through the read-only link: into every brand's site
        assert (site / "nebula" / CSS).read_text(encoding="utf-8").endswith("/* changed */\n"), dirty.stderr
    else:  # an ordinary user's build stops at the read-only file instead
        assert dirty.returncode != 0
        assert "Permission denied" in dirty.stderr
        assert snapshot(site / "nebula") == nebula


# --- where hard links cannot be made ------------------------------------------------------------------------------


def other_filesystem(than: Path) -> Path:
    """A writable folder on another filesystem than `than` (/dev/shm is tmpfs where /tmp is a disk)."""
    device = than.stat().st_dev
    for candidate in (Path("/dev/shm"), ROOT, Path.home(), Path("/tmp"), Path("/var/tmp")):
        if candidate.is_dir() and os.access(candidate, os.W_OK) and candidate.stat().st_dev != device:
            return candidate
    pytest.fail(f"no writable folder on another filesystem than {than}'s (tried /dev/shm, the project, home, /tmp)")


@pytest.fixture
def other_store(tmp_path: Path) -> Iterator[Path]:
    folder = Path(os.environ.get("STORE_TEST_OTHER_FS") or other_filesystem(tmp_path))
    made = folder / f"branddocs-store-test-{os.getpid()}"
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_without_hard_links_files_stay_plain_copies(
    shared: tuple[Project, Path], tmp_path: Path, other_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, site = shared
    # EXDEV: the store on another filesystem than the site.
    staging = tmp_path / "across"
    shutil.copytree(site / "acme", staging, copy_function=shutil.copyfile)
    before = snapshot(staging)
    done = store.share(staging, other_store)
    assert (done.linked, done.stored, done.copies) == (0, 0, len(before))
    assert snapshot(staging) == before  # same files, same inodes, modes as built
    assert all(p.stat().st_nlink == 1 for p in staging.rglob("*") if p.is_file())
    assert contents(staging) == contents(site / "acme")
    # EPERM, as some filesystems answer (and Linux's protected_hardlinks, for another user's files).
    staging = tmp_path / "refused"
    shutil.copytree(site / "acme", staging, copy_function=shutil.copyfile)
    before = snapshot(staging)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted", str(src))

    monkeypatch.setattr(os, "link", refuse)
    done = store.share(staging, tmp_path / "store")
    assert (done.linked, done.stored, done.copies) == (0, 0, len(before))
    assert snapshot(staging) == before
    # The control: the same folder on one filesystem is shared.
    monkeypatch.undo()
    done = store.share(staging, tmp_path / "store")
    assert done.copies == 0
    assert done.linked + done.stored == len(before)


# --- make clean ---------------------------------------------------------------------------------------------------


def test_make_clean_removes_the_sites_and_their_store(shared: tuple[Project, Path], tmp_path: Path) -> None:
    _, site = shared
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(site, project / "site", copy_function=os.link)  # the same read-only, shared files
    assert list(store.store_dir(project / "site").glob("*/*"))
    done = subprocess.run(["make", "-f", str(ROOT / "Makefile"), "clean"], cwd=project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not (project / "site").exists()


def test_a_file_linked_from_outside_the_site_is_left_alone(tmp_path: Path) -> None:
    """A file some plugin linked into the site from the sources would tie docs/ to every site: left a copy."""
    source = tmp_path / "docs" / "logo.svg"
    source.parent.mkdir()
    source.write_text("<svg/>")
    staging = tmp_path / "staging"
    staging.mkdir()
    os.link(source, staging / "linked.svg")
    (staging / "copied.svg").write_text("<svg/>")  # the control: the same bytes, its own file
    done = store.share(staging, tmp_path / "store")
    assert (done.stored, done.copies) == (1, 1)
    assert stat.S_IMODE(source.stat().st_mode) != 0o444
    assert source.stat().st_nlink == 2  # the source and the site's name for it, nothing in the store
    assert (staging / "copied.svg").stat().st_nlink == 2  # the site's file and the store's entry
