"""A stamp's file listing (builder/stamps.py `_listing`): what os.walk and os.path.isfile find, read with one
stat a file; an up-to-date brand is found by it, so it runs once per brand in every build."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from branddocs.builder import site_tree, stamps
from branddocs.builder.stamps import _listing
from branddocs.site import Project


def _walked(site: Path, followlinks: bool = False) -> str:
    """The listing as it was computed before: os.walk, isfile and stat (the reference)."""
    found = []
    for folder, _, names in os.walk(site, followlinks=followlinks):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                found.append((tuple(os.path.relpath(path, site).split(os.sep)), os.stat(path).st_size))
    digest = hashlib.sha256()
    for parts, size in sorted(found):
        digest.update(f"{'/'.join(parts)}\0{size}\n".encode())
    return digest.hexdigest()


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "a" / "b").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>")
    (site / "a" / "b" / "page.html").write_text("x" * 700)
    (site / "a-b").write_text("sorted between a/ and a/b by parts, not by text")
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "hidden.txt").write_text("never listed: a link to a folder is not entered")
    (outside / "file.txt").write_text("listed: a link to a file is the file")
    (site / "to-folder").symlink_to(outside / "deep")
    (site / "a" / "to-file").symlink_to(outside / "file.txt")
    (site / "broken").symlink_to(tmp_path / "gone")
    return site


def test_the_listing_is_what_os_walk_and_isfile_find(tmp_path: Path) -> None:
    site = _site(tmp_path)
    assert _listing(site) == _walked(site)
    assert _listing(tmp_path / "none") == _walked(tmp_path / "none")  # no site: an empty listing
    # Negative: a listing that enters the linked folder is told apart.
    assert _listing(site) != _walked(site, followlinks=True)


def test_the_listing_changes_with_a_file_lost_grown_or_added(tmp_path: Path) -> None:
    site = _site(tmp_path)
    before = _listing(site)
    (site / "a" / "b" / "page.html").write_text("x" * 701)
    grown = _listing(site)
    (site / "a" / "b" / "new.html").write_text("")
    added = _listing(site)
    (site / "index.html").unlink()
    assert len({before, grown, added, _listing(site)}) == 4
    assert _listing(site) == _walked(site)


def _plain_site(tmp_path: Path) -> Path:
    """A site as builds publish them: folders and regular files, no links."""
    site = tmp_path / "acme"
    (site / "a").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>")
    (site / "a" / "page.html").write_text("x" * 700)
    return site


class _Inputs:
    """A brand's inputs that never change: what check() is left to decide is the site."""

    def digest(self, brand_id: str, known: stamps.Digest | None = None) -> stamps.Digest:
        return stamps.Digest("inputs", {}, {"resource_dir_name": "acme", "language": "en"})


def test_an_up_to_date_site_is_listed_once_then_confirmed_by_its_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_tree, "SETTLED_NS", 0)
    site = _plain_site(tmp_path)
    root, stamp = site.parent, stamps.stamp_path(site.parent, site.name)
    stamps.write_stamp(stamp, _Inputs().digest(site.name), site)
    assert "tree" not in json.loads(stamp.read_text())  # just built: its folders not settled yet
    time.sleep(0.05)
    assert stamps.check(_Inputs(), site.name, root)[1]  # listed, and given its tree
    assert "tree" in json.loads(stamp.read_text())
    site_tree._checked.clear()
    site_tree._sizes.clear()
    listed = []
    real_record = site_tree.record
    monkeypatch.setattr(site_tree, "record", lambda folder: listed.append(folder) or real_record(folder))
    assert stamps.check(_Inputs(), site.name, root)[1]
    assert listed == []  # the negative (before the tree record, every check listed the site): not listed
    (site / "index.html").unlink()
    assert not stamps.check(_Inputs(), site.name, root)[1]  # a lost file is still told
    assert listed == [site]


def test_settle_gives_just_built_sites_their_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _plain_site(tmp_path)
    root, stamp = site.parent, stamps.stamp_path(site.parent, site.name)
    stamps.write_stamp(stamp, _Inputs().digest(site.name), site)
    assert stamps.settle(root, [site.name]) == 0  # a moment ago: not settled
    monkeypatch.setattr(site_tree, "SETTLED_NS", 0)
    time.sleep(0.05)
    assert stamps.settle(root, [site.name, "none"]) == 1
    recorded = json.loads(stamp.read_text())
    assert site_tree.unchanged(site, recorded["tree"])
    assert recorded["files"] == site_tree.listing(site)


def _own_walked(top: Path) -> list[str]:
    """The brand's own files as the digest lists them: os.walk, folders and names sorted, a link never followed but
    one of the names, a link to a folder too (red team 9, R9-8: `docs/images/<id>/a -> .` was walked 40 deep)."""
    found = []
    for folder, dirs, names in os.walk(top):
        dirs.sort()
        links = [name for name in dirs if os.path.islink(os.path.join(folder, name))]
        found += [os.path.join(folder, name) for name in sorted([*names, *links])]
    return found


def test_the_own_walk_finds_what_os_walk_found_and_records_each_folder(tmp_path: Path) -> None:
    top = _site(tmp_path)  # nested folders, a link to a folder (a name, not entered), a bad link
    (top / "a" / "c").mkdir()
    (top / "a" / "c" / "z.txt").write_text("z")
    (top / "B.txt").write_text("upper case sorts first")
    settled = time.time_ns() + 10**9
    walk = stamps._Walk([], settled, str)
    walk.top(str(top))
    walk.top(str(tmp_path / "none"))
    assert walk.found == _own_walked(top) + _own_walked(tmp_path / "none")
    assert walk.folders is not None
    folders = [record[0] for record in walk.folders]
    assert folders == [str(top), str(top / "a"), str(top / "a" / "b"), str(top / "a" / "c"), str(tmp_path / "none")]
    assert str(top / "to-folder") in walk.found  # hashed as the link it is
    assert walk.folders[-1] == [str(tmp_path / "none")]  # not there: recorded as absent
    assert walk.folders[0][1:] == [os.stat(top).st_ino, os.stat(top).st_mtime_ns, os.stat(top).st_ctime_ns]
    # The negative: a folder changed a moment ago (its times could miss the next change) leaves no record.
    walk = stamps._Walk([], time.time_ns() - 10**12, str)
    walk.top(str(top))
    assert walk.found == _own_walked(top)
    assert walk.folders is None


def test_a_name_that_is_no_file_leaves_the_digest_without_folder_records(
    scratch: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stamps, "_RACY_NS", 0)
    images = scratch.docs_dir / "images" / "acme"
    time.sleep(0.05)
    assert stamps.Inputs(scratch).digest("acme").folders  # every name a file: the folders vouch for them
    (images / "later.png").symlink_to(images / "not-yet.png")  # a name the digest skips, until its target appears
    time.sleep(0.05)
    digest = stamps.Inputs(scratch).digest("acme")
    assert "docs/images/acme/later.png" not in digest.files
    assert digest.folders is None  # the negative: with records, the target's arrival would go unseen
