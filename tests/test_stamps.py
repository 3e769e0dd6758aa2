"""A stamp's file listing (builder/stamps.py `_listing`): what os.walk and os.path.isfile find, read with one
stat a file; an up-to-date brand is found by it, so it runs once per brand in every build."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from branddocs.builder.stamps import _listing


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
