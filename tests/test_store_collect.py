"""The store's collect after a build (site/store.py, builder/build.py): it looks only at the entries the sites it
replaced alone held, unless a site may have been changed otherwise (removed, or damaged, by hand), when it looks at
the whole store, as every build did before."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from branddocs.site import Project, store

from .support.project import ROOT

# Builds the brands argv[3:] of the project argv[1] into the site folder argv[2]; with BLIND=1, blind to sites
# changed by hand: the site folder always taken as the last build left it, and every site as its stamp lists it.
BUILD = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from branddocs.builder import build
    from branddocs.site import Project
    if os.environ.get("BLIND") == "1":
        class Blind(build.Journal):
            def __init__(self, *args):
                super().__init__(*args)
                self.site_as_left = True
        build.Journal = Blind
        build.site_as_stamped = lambda site_root, brand_id: True
    results = build.build_brands(Project(Path(sys.argv[1])), sys.argv[3:], jobs=1, site_root=Path(sys.argv[2]))
    print(" ".join(f"{r.brand_id}:{'skipped' if r.skipped else r.ok}" for r in results))
    sys.exit(0 if all(r.ok for r in results) else 1)
""")


def _build(project: Project, site: Path, *brands: str, blind: bool = False) -> str:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(Path.home()),
        "BLIND": "1" if blind else "0",
        "PYTHONPATH": str(ROOT),
        "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"],
    }  # the run's cache: its records' key (site/records.py)
    result = subprocess.run(
        [sys.executable, "-c", BUILD, str(project.root), str(site), *brands],
        cwd=project.root, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _orphans(site_root: Path) -> set[str]:
    return {p.name for p in store.store_dir(site_root).glob("*/*") if p.parent.name != "tmp" and p.stat().st_nlink == 1}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_targeted_collect_removes_what_the_replaced_site_alone_held(tmp_path: Path) -> None:
    entries = tmp_path / "store"
    one, two = tmp_path / "one", tmp_path / "two"
    for site, page in ((one, "one's page"), (two, "two's page")):
        site.mkdir()
        (site / "common.css").write_text("p {}")
        (site / "page.html").write_text(page)
        store.share(site, entries)
    released = store.held_alone(one, entries)
    assert released == [_sha256("one's page")]  # not common.css: two links it too
    assert store.held_alone(tmp_path / "none", entries) == []
    shutil.rmtree(one)  # replaced by a build
    (two / "page.html").unlink()  # removed by hand: its entry is orphaned too
    assert store.collect(entries, released) == 1
    assert not store.entry_path(entries, _sha256("one's page")).exists()
    assert store.entry_path(entries, _sha256("p {}")).exists()
    # The negative: the targeted collect passes by what the whole store's collect finds, which is why a build
    # looks at the whole store when a site may have changed other than by its builds.
    assert store.entry_path(entries, _sha256("two's page")).exists()
    assert store.collect(entries) == 1
    assert not store.entry_path(entries, _sha256("two's page")).exists()


@pytest.mark.slow
@pytest.mark.parametrize("blind", [False, True], ids=["guarded", "blind"])
@pytest.mark.parametrize("by_hand", ["site removed", "file removed"])
def test_what_a_site_changed_by_hand_dropped_is_collected(scratch_built, by_hand: str, blind: bool) -> None:
    scratch, site = scratch_built("mkdocs")
    assert "acme:skipped" in _build(scratch, site, "acme")  # the journal, with the site folder as this build left it
    assert not _orphans(site)
    if by_hand == "site removed":
        shutil.rmtree(site / "nebula")  # what only nebula's site linked is orphaned
    else:
        (site / "acme" / "index.html").unlink()  # its entry is orphaned; acme's own next build is not told of it
    orphaned = _orphans(site)
    assert orphaned
    brand = scratch.brands_dir / "acme.yml"
    brand.write_text(brand.read_text(encoding="utf-8").replace('"#1e4fa0"', '"#1e4fa1"'), encoding="utf-8")
    assert "acme:True" in _build(scratch, site, "acme", blind=blind)
    if blind:  # the negative: taking every site as the builds left it, the targeted collect leaves them
        assert orphaned <= _orphans(site)
    else:
        assert not _orphans(site)
