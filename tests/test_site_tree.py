"""A stamp's tree record (builder/site_tree.py): an up-to-date check stats a site's folders, not its hundred files,
and still tells a file lost, grown or added, as the listing does."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from branddocs.builder import site_tree, stamps


@pytest.fixture(autouse=True)
def _settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(site_tree, "SETTLED_NS", 0)  # a folder counts as settled once its time is past
    monkeypatch.setattr(site_tree, "_sizes", {})
    monkeypatch.setattr(site_tree, "_checked", set())


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "a" / "b").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>")
    (site / "a" / "b" / "page.html").write_text("x" * 700)
    (site / "a" / "style.css").write_text("p {}")
    time.sleep(0.05)  # past the folders' times
    return site


def _recorded(site: Path) -> site_tree.Tree:
    files, tree = site_tree.record(site)
    assert files == site_tree.listing(site) == stamps._listing(site)
    assert tree is not None
    site_tree._sizes.clear()
    site_tree._checked.clear()  # as in the next run's process
    return tree


def test_an_untouched_site_is_confirmed_by_its_folders(tmp_path: Path) -> None:
    site = _site(tmp_path)
    tree = _recorded(site)
    assert sorted(tree) == ["", "a", "a/b"]
    assert site_tree.unchanged(site, tree)
    assert site_tree.unchanged(site, tree)  # again, from what this process already checked


@pytest.mark.parametrize("change", ["lost", "grown", "added", "folder added", "renamed", "replaced"])
def test_a_site_changed_is_told_apart(tmp_path: Path, change: str) -> None:
    site = _site(tmp_path)
    tree = _recorded(site)
    page = site / "a" / "b" / "page.html"
    folder_times = os.stat(page.parent).st_mtime_ns, os.stat(page.parent).st_ctime_ns
    if change == "lost":
        page.unlink()
    elif change == "grown":
        with page.open("a") as file:  # in place: the folder's times stay as they were
            file.write("y")
    elif change == "added":
        (site / "a" / "new.html").write_text("")
    elif change == "folder added":
        (site / "a" / "b" / "c").mkdir()
    elif change == "renamed":
        page.rename(page.with_name("other.html"))
    else:  # the same name, another file
        (site / "a" / "b" / "tmp").write_text("x" * 700)
        os.replace(site / "a" / "b" / "tmp", page)
    assert not site_tree.unchanged(site, tree)
    if change == "grown":
        # The negative: the folders' times alone would call the grown site unchanged; the sizes tell it apart.
        assert (os.stat(page.parent).st_mtime_ns, os.stat(page.parent).st_ctime_ns) == folder_times
        assert site_tree.unchanged(site, {folder: [*record[:3], "[]"] for folder, record in tree.items()})


def test_no_record_for_a_folder_changed_a_moment_ago_or_a_site_with_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site(tmp_path)
    monkeypatch.setattr(site_tree, "SETTLED_NS", 60_000_000_000)
    assert site_tree.record(site) == (site_tree.listing(site), None)  # written a moment ago: not settled
    monkeypatch.setattr(site_tree, "SETTLED_NS", 0)
    (site / "a" / "link.html").symlink_to(site / "index.html")
    time.sleep(0.05)
    assert site_tree.record(site) == (site_tree.listing(site), None)  # a link's target can change unseen


@pytest.mark.parametrize("tree", [None, {}, {"": "x"}, {"": [1, 2, 3]}, {"": [1, 2, 3, "not json"]}, [1]])
def test_a_damaged_record_confirms_nothing(tmp_path: Path, tree: object) -> None:
    assert not site_tree.unchanged(_site(tmp_path), tree)
