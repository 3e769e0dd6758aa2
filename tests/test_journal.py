"""The journal of up-to-date checks (builder/journal.py): an unchanged brand confirmed with a few stats, without its
stamp, its folders' listings or its brand file; and each change the full check tells apart is still sent to it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from branddocs.builder import build, site_tree, stamps
from branddocs.builder.journal import JOURNAL, Journal
from branddocs.site import Project
from branddocs.site.publish import STAMP_DIR
from branddocs.site.records import seal

STAMP, SHARED, OWN, FOLDERS, TREE = 0, 1, 3, 4, 5
"""The fields of an entry a change is caught by (journal.py)."""


@pytest.fixture
def journaled(scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Project, Path]:
    """acme's site (two files) with its stamp, given its tree, and its journal entry; nothing counts as racy."""
    monkeypatch.setattr(site_tree, "SETTLED_NS", 0)
    monkeypatch.setattr(stamps, "_RACY_NS", 0)
    monkeypatch.setattr(site_tree, "_sizes", {})
    monkeypatch.setattr(site_tree, "_checked", set())
    site = tmp_path / "site"
    (site / "acme" / "a").mkdir(parents=True)
    (site / "acme" / "index.html").write_text("<p>home</p>")
    (site / "acme" / "a" / "page.html").write_text("x" * 700)
    time.sleep(0.05)  # past the times of the folders just made (and of the scratch project's)
    stamps.write_stamp(stamps.stamp_path(site, "acme"), stamps.Inputs(scratch).digest("acme"), site / "acme")
    assert stamps.settle(site, ["acme"]) == 1
    journal = Journal(site, stamps.Inputs(scratch))
    assert journal.note("acme")
    journal.save()
    return scratch, site


def _fresh(project: Project, site: Path) -> Journal:
    """The journal as the next build reads it: its own Inputs, and nothing this process already checked."""
    site_tree._sizes.clear()
    site_tree._checked.clear()
    return Journal(site, stamps.Inputs(project))


def test_an_unchanged_brand_is_confirmed_without_its_stamp_or_its_folders_listings(
    journaled: tuple[Project, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch, site = journaled
    checked: list[str] = []
    monkeypatch.setattr(build, "check", lambda inputs, brand_id, root: checked.append(brand_id) or (None, True))
    assert build.up_to_date(_fresh(scratch, site), "acme")
    assert checked == []  # confirmed by the journal: no stamp read, no folder listed, no file hashed
    # The negative: without the journal, every brand goes to the full check, as every build did before.
    (site / STAMP_DIR / JOURNAL).unlink()
    assert build.up_to_date(_fresh(scratch, site), "acme")
    assert checked == ["acme"]


def _edit_brand(scratch: Project, site: Path) -> None:
    with (scratch.brands_dir / "acme.yml").open("a", encoding="utf-8") as brand:
        brand.write("# one more line\n")


def _rewrite_image(scratch: Project, site: Path) -> None:
    logo = scratch.docs_dir / "images" / "acme" / "logo.svg"
    data = logo.read_bytes()
    with logo.open("r+b") as file:  # in place, the same size: the folder's times stay as they were
        file.write(b"<" if data[:1] != b"<" else b" ")


def _add_image(scratch: Project, site: Path) -> None:
    (scratch.docs_dir / "images" / "acme" / "new.png").write_bytes(b"\x89PNG")


def _add_page(scratch: Project, site: Path) -> None:
    (scratch.docs_dir / "brands" / "acme").mkdir(parents=True)
    (scratch.docs_dir / "brands" / "acme" / "extra.md").write_text("# Extra\n", encoding="utf-8")


def _edit_shared_page(scratch: Project, site: Path) -> None:
    with (scratch.docs_dir / "index.md").open("a", encoding="utf-8") as page:
        page.write("\nOne more line.\n")


def _lose_site_file(scratch: Project, site: Path) -> None:
    (site / "acme" / "a" / "page.html").unlink()


def _grow_site_file(scratch: Project, site: Path) -> None:
    with (site / "acme" / "a" / "page.html").open("a") as page:
        page.write("y")


def _older_stamp(scratch: Project, site: Path) -> None:
    stamp = stamps.stamp_path(site, "acme")  # as a previous release wrote it: nothing but its digest and listing
    recorded = json.loads(stamp.read_text())
    stamp.write_bytes(seal({"inputs": recorded["inputs"], "files": recorded["files"]}))  # this user's engine wrote it


CHANGES = {  # change: (the entry field that catches it, whether the brand is still up to date)
    "brand file edited": (_edit_brand, OWN, False),
    "image rewritten in place": (_rewrite_image, OWN, False),
    "image added": (_add_image, FOLDERS, False),
    "page folder added": (_add_page, FOLDERS, False),
    "shared page edited": (_edit_shared_page, SHARED, False),
    "site file lost": (_lose_site_file, TREE, False),
    "site file grown in place": (_grow_site_file, TREE, False),
    "stamp rewritten": (_older_stamp, STAMP, True),
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_change_goes_to_the_full_check(journaled: tuple[Project, Path], change: str) -> None:
    scratch, site = journaled
    make_change, field, still_up_to_date = CHANGES[change]
    entry = json.loads((site / STAMP_DIR / JOURNAL).read_text())["brands"]["acme"]
    make_change(scratch, site)
    time.sleep(0.05)
    journal = _fresh(scratch, site)
    assert not journal.confirms("acme")
    assert stamps.check(stamps.Inputs(scratch), "acme", site)[1] is still_up_to_date  # what the full check says
    # The negative: the entry with that one field made blind to the change (taken as it is now, or emptied)
    # confirms the brand: that field's check is what sent it to the full check.
    journal = _fresh(scratch, site)
    if field == STAMP:
        status = os.stat(stamps.stamp_path(site, "acme"))
        entry[STAMP] = [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]
    elif field == SHARED:
        entry[SHARED] = journal.inputs.shared(entry[2])
    elif field == TREE:
        tree = site_tree.record(site / "acme")[1]
        assert tree is not None
        journal.lists = [record[3] for record in tree.values()]
        entry[TREE] = {folder: [*record[:3], k] for k, (folder, record) in enumerate(tree.items())}
    else:
        entry[field] = []
    journal.entries["acme"] = entry
    assert journal.confirms("acme")


def test_a_brand_built_a_moment_ago_gets_no_entry(journaled: tuple[Project, Path]) -> None:
    scratch, site = journaled
    recorded = json.loads(stamps.stamp_path(site, "acme").read_text())
    stamps.write_stamp(stamps.stamp_path(site, "acme"), stamps.Inputs(scratch).digest("acme"), site / "acme")
    assert "tree" not in json.loads(stamps.stamp_path(site, "acme").read_text())  # not settled: no tree yet
    journal = _fresh(scratch, site)
    assert not journal.note("acme")
    assert "acme" not in journal.entries
    assert "tree" in recorded  # the settled stamp had its tree, and got its entry (the fixture)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        '{"version": 0, "lists": [], "brands": {}}',
        '{"version": 1, "lists": [], "brands": {"acme": [1]}}',
        '{"version": 1, "lists": [], "brands": {"acme": [[1, 2, 3, 4], "x", "en", [], [], {"": [1, 2, 3, 0]}]}}',
        '{"version": 1, "lists": 5, "brands": []}',
    ],
)
def test_a_damaged_journal_confirms_nothing(journaled: tuple[Project, Path], text: str) -> None:
    scratch, site = journaled
    value = json.loads(text) if text.startswith("{") else None
    (site / STAMP_DIR / JOURNAL).write_bytes(seal(value) if value else text.encode())  # sealed: its shape is checked
    assert not _fresh(scratch, site).confirms("acme")
    assert build.up_to_date(_fresh(scratch, site), "acme")  # the full check still finds it up to date
