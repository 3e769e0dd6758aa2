"""The engine's own records (stamps, the journal) never come from the checkout (red team R8-6, R7-4 (c)).

A stamp says "this brand's site is what these inputs build", and a build skips the brand, `branddocs diff` compares
the folder as it is. Its content is computable (the inputs' digest from the sources, the listing from the folder),
so a pull request committed a folder and a stamp that matched it:

- R8-6: a copy of BASE's site as `.cache/diff/work-<h>/acme/` and its stamp: in a fresh clone `branddocs diff
  origin/main --brand acme` said "no brand changes" for a page the pull request gave a phishing notice;
- R7-4 (c): a `site/acme/` of its own and its stamp survived `branddocs build` and was published.

Mechanism: each record is sealed with an HMAC keyed by 32 random bytes in the caller's own cache folder
(`site/records.py`); a record without a valid MAC is no record: the brand is built again. Negatives: the same runs
with the check off (`records.unseal` taking any JSON, as before) trust the forged stamps.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from branddocs.builder import site_tree
from branddocs.site import Project, records

from ..support.project import BIN, run_branddocs, scratch_project

GIT = ["git", "-c", "user.name=pr author", "-c", "user.email=pr@evil.example"]
PHISHING = "Paste it at https://keys.evil.example/rotate"
NOTICE = f'\n!!! warning "Key rotation"\n    Your key has expired. {PHISHING} to keep your endpoints running.\n'
PLANTED = "PLANTED-by-the-pull-request"

_OFF = (  # the check off: any JSON object is taken for the engine's record, as before
    "import json, sys; import branddocs.site.records as r; "
    "r.unseal = lambda data: (lambda v: v if isinstance(v, dict) else None)(json.loads(data)); "
    "from branddocs.cli import main; sys.exit(main(sys.argv[1:]))"
)


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def run(off: bool, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    if not off:
        return run_branddocs(*args, cwd=cwd)
    env = {k: v for k, v in os.environ.items() if k != "BRANDDOCS_ROOT"}
    return subprocess.run([str(BIN / "python"), "-c", _OFF, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


def committed(folder: Path) -> Project:
    """A scratch project (acme only: the machine is shared) in its own repository, as `main`."""
    project = scratch_project(folder)
    for brand in project.brands_dir.glob("*.yml"):
        if brand.stem != "acme":
            brand.unlink()
    (project.root / ".gitignore").write_text("/site/\n.cache/\n")
    git(project.root, "init", "-q", "-b", "main")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", "base")
    return project


def forge_stamp(stamp: Path, site: Path) -> None:
    """The stamp as the pull request's author writes it for `site`: the engine's digest (computable), the folder's
    listing, no tree record; no MAC (the key is not theirs)."""
    recorded = json.loads(stamp.read_text())
    for name in ("mac", "tree"):
        recorded.pop(name, None)
    stamp.write_text(json.dumps({**recorded, "files": site_tree.listing(site)}))


def clone(project: Project, folder: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "-b", "pr", str(project.root), str(folder)], check=True, timeout=120)
    return folder


def build_summary(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    return next(line for line in done.stdout.splitlines() if " built, " in line)


@pytest.fixture(scope="module")
def forged_diff(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """R8-6's pull request: a phishing notice in a page, and `.cache/diff/work-<h>/acme/` as BASE's site."""
    project = committed(tmp_path_factory.mktemp("r8-6") / "project")
    git(project.root, "checkout", "-q", "-b", "pr")
    page = project.docs_dir / "serverless-endpoints.md"
    lines = page.read_text(encoding="utf-8").split("\n")
    page.write_text("\n".join([lines[0], NOTICE, *lines[1:]]), encoding="utf-8")
    git(project.root, "commit", "-q", "-am", "docs: tidy")
    honest = run(False, "diff", "main", "--brand", "acme", "--format", "json", cwd=project.root)
    assert honest.returncode == 0, honest.stderr
    assert PHISHING in honest.stdout  # the honest diff shows the notice
    cache = project.root / ".cache" / "diff"
    (work,) = cache.glob("work-*")
    (base,) = cache.glob("base-*")
    subprocess.run(["rm", "-rf", str(work / "acme")], check=True)
    subprocess.run(["cp", "-r", str(base / "acme"), str(work / "acme")], check=True)
    forge_stamp(work / ".branddocs" / "acme.json", work / "acme")
    git(project.root, "add", "-f", str(work / "acme"), str(work / ".branddocs" / "acme.json"))
    git(project.root, "commit", "-q", "-m", "docs: tidy (cache)")
    return project


@pytest.mark.parametrize("off", [False, True], ids=["sealed records", "negative: check off"])
def test_a_forged_work_side_in_a_fresh_clone_is_built_again(forged_diff: Project, tmp_path: Path, off: bool) -> None:
    checkout = clone(forged_diff, tmp_path / "clone")  # CI's fresh checkout of the pull request
    assert PHISHING in (checkout / "docs" / "serverless-endpoints.md").read_text(encoding="utf-8")
    done = run(off, "diff", "origin/main", "--brand", "acme", "--format", "json", cwd=checkout)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    if off:  # R8-6 as reported: the forged stamp vouched for BASE's site as the work side
        assert report["changed"] == [], done.stdout
        assert report["unchanged"] == ["acme"], done.stdout
        return
    (change,) = report["changed"]
    assert change["brand_id"] == "acme"
    added = [line for page in change["pages"] for line in page["text"] if line.startswith("+")]
    assert any("Key rotation" in line for line in added), added
    assert any(PHISHING in line for line in added), added


@pytest.fixture(scope="module")
def forged_site(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """R7-4 (c)'s pull request: a `site/acme/` of its own choosing and a stamp that lists it."""
    project = committed(tmp_path_factory.mktemp("r7-4c") / "project")
    git(project.root, "checkout", "-q", "-b", "pr")
    build_summary(run(False, "build", "--brand", "acme", cwd=project.root))
    site = project.site_dir / "acme"
    index = site / "index.html"
    index.unlink()  # a store link: its own file now
    index.write_text(f"<html><body>{PLANTED}: {PHISHING}</body></html>")
    (site / "planted.html").write_text(PLANTED)
    forge_stamp(project.site_dir / ".branddocs" / "acme.json", site)
    git(project.root, "add", "-f", str(site), str(project.site_dir / ".branddocs" / "acme.json"))
    git(project.root, "commit", "-q", "-m", "docs: tidy (site)")
    return project


@pytest.mark.parametrize("off", [False, True], ids=["sealed records", "negative: check off"])
def test_a_committed_site_and_stamp_are_built_again(forged_site: Project, tmp_path: Path, off: bool) -> None:
    checkout = clone(forged_site, tmp_path / "clone")
    summary = build_summary(run(off, "build", "--brand", "acme", cwd=checkout))
    index = (checkout / "site" / "acme" / "index.html").read_text(encoding="utf-8")
    if off:  # R7-4 (c) as reported: kept and published as committed
        assert summary.startswith("0 built, 1 up to date"), summary
        assert PLANTED in index
        assert (checkout / "site" / "acme" / "planted.html").exists()
        return
    assert summary.startswith("1 built, 0 up to date"), summary
    assert PLANTED not in index
    assert "Serverless" in index
    assert not (checkout / "site" / "acme" / "planted.html").exists()
    # An honest second build still skips the brand: the stamp the engine wrote is its own.
    assert build_summary(run(False, "build", "--brand", "acme", cwd=checkout)).startswith("0 built, 1 up to date")
    stamp = (checkout / "site" / ".branddocs" / "acme.json").read_bytes()
    assert records.unseal(stamp) is not None
    # Another user (another key): built once, then skipped for them too.
    other = {"XDG_CACHE_HOME": str(tmp_path / "other-user-cache")}
    for expected in ("1 built, 0 up to date", "0 built, 1 up to date"):
        assert build_summary(run_branddocs("build", "--brand", "acme", cwd=checkout, env=other)).startswith(expected)


def test_a_record_is_sealed_with_the_callers_key() -> None:
    record = {"inputs": "d" * 64, "files": "f" * 64, "own": {"brands/acme.yml": [1, 2, 3, 4, "x"]}}
    sealed = records.seal(record)
    assert json.loads(sealed)["mac"]  # still one JSON object
    assert records.unseal(sealed) == record
    assert records.unseal(json.dumps(record).encode()) is None  # no MAC
    assert records.unseal(sealed.replace(b'"d', b'"e', 1)) is None  # a byte changed
    assert records.unseal(sealed[:-2]) is None
    forged = json.loads(sealed)  # the MAC of another record
    assert records.unseal(json.dumps({**forged, "files": "0" * 64}).encode()) is None
    key = Path(os.environ["XDG_CACHE_HOME"], "branddocs", "records", records.KEY_FILE)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.stat().st_size == 32
