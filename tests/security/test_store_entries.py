"""A store entry is a regular file or no entry: a committed link in the store is never published (red team 8, R8-5).

A committed `site/.branddocs/store/<ab>/<rest>` link, in a real `<ab>/` folder, to a local user's `0444` file of the
same bytes as Material's `bundle.js` was published as a link in every tenant's site: `os.link` names the link
itself, and the check that the entry was the built file (`stat`, `read_bytes`) followed it; the user then rewrote
the script every tenant loads. The same for a stored gzip twin. Mechanism: after the link is made, the site's new
name is looked at with `lstat` (`store._share_file`, `precompress._add`): anything but a regular file is no entry,
and the built file takes its place in the store. The proof: no link in the site, the entries regular. The negative:
with that look switched off, the site holds the links and serves the user's later writes.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
from pathlib import Path

import pytest

from branddocs.site import precompress, store

TEXT = ("body { color: #123456; } " * 40).encode()


def _planted(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A store whose entry (and twin) for TEXT are links to another user's files of the same bytes, mode 0444, and a
    staging site holding TEXT as `style.css`."""
    repository = tmp_path / "store"
    entry = store.entry_path(repository, hashlib.sha256(TEXT).hexdigest())
    entry.parent.mkdir(parents=True)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "style.css").write_bytes(TEXT)
    (theirs / "style.css.gz").write_bytes(gzip.compress(TEXT, 6, mtime=0))
    for name in ("style.css", "style.css.gz"):
        (theirs / name).chmod(0o444)
    entry.symlink_to(theirs / "style.css")
    entry.with_name(entry.name + ".gz").symlink_to(theirs / "style.css.gz")
    site = tmp_path / "staging"
    site.mkdir()
    (site / "style.css").write_bytes(TEXT)
    return repository, site, entry


def _links(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*") if p.is_symlink())


def test_a_link_in_the_stores_place_is_never_published(tmp_path: Path) -> None:
    repository, site, entry = _planted(tmp_path)
    store.share(site, repository)
    assert _links(site) == []
    for name in ("style.css", "style.css.gz"):
        assert stat.S_ISREG(os.lstat(site / name).st_mode), name
    assert stat.S_ISREG(os.lstat(entry).st_mode)  # the built file took the entry's place
    assert stat.S_ISREG(os.lstat(entry.with_name(entry.name + ".gz")).st_mode)
    assert gzip.decompress((site / "style.css.gz").read_bytes()) == TEXT


def test_the_negative_without_the_look_the_links_are_published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repository, site, _ = _planted(tmp_path)
    monkeypatch.setattr(store.stat, "S_ISREG", lambda mode: True)
    monkeypatch.setattr(precompress.stat, "S_ISREG", lambda mode: True)
    store.share(site, repository)
    assert _links(site) == ["style.css", "style.css.gz"]
