"""Gzip twins in the store: each content compressed once, linked into every site, and never spread once changed."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from branddocs.site import precompress, store

PAGE = b"<html><body>" + b"<p>the same page in every site</p>" * 200 + b"</body></html>\n"


def staging(root: Path, name: str, files: dict[str, bytes]) -> Path:
    folder = root / name
    for relative, data in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
    return folder


def test_each_content_is_compressed_once_and_linked_into_every_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    compress = gzip.compress
    monkeypatch.setattr(gzip, "compress", lambda data, *a, **k: calls.append(len(data)) or compress(data, *a, **k))
    sites = [staging(tmp_path, f"site-{n}", {"index.html": PAGE, "logo.png": PAGE, "tiny.css": b"a{}"}) for n in (1, 2)]
    for site in sites:
        assert store.share(site, tmp_path / "store").twins == 1  # the page: not the image, not a 3-byte file
    assert calls == [len(PAGE)]
    twins = [site / "index.html.gz" for site in sites]
    assert twins[0].stat().st_ino == twins[1].stat().st_ino
    assert gzip.decompress(twins[1].read_bytes()) == PAGE
    assert twins[1].stat().st_mode & 0o777 == 0o444
    assert not (sites[0] / "logo.png.gz").exists()
    assert not (sites[0] / "tiny.css.gz").exists()


def test_a_sites_own_gz_is_left_as_built(tmp_path: Path) -> None:
    own = gzip.compress(b"what the build wrote")
    site = staging(tmp_path, "site", {"sitemap.html": PAGE, "sitemap.html.gz": own})
    store.share(site, tmp_path / "store")
    assert (site / "sitemap.html.gz").read_bytes() == own


@pytest.mark.parametrize("verify", [True, False], ids=["checked", "unchecked (the negative)"])
def test_a_twin_changed_in_place_is_never_linked_into_a_new_site(tmp_path: Path, verify: bool) -> None:
    """As root ignores 0444, a twin may be written in place; the next site must not get it. Without the check,
    it does."""
    first = staging(tmp_path, "first", {"index.html": PAGE})
    store.share(first, tmp_path / "store")
    twin = first / "index.html.gz"
    os.chmod(twin, 0o644)
    with twin.open("r+b") as file:  # in place: the store's entry is the same inode
        file.write(gzip.compress(b"<script>planted</script>"))
        file.truncate()
    os.chmod(twin, 0o444)
    second = staging(tmp_path, "second", {"index.html": PAGE})
    store.share(second, tmp_path / "store", verify=verify)
    published = gzip.decompress((second / "index.html.gz").read_bytes())
    assert (published == PAGE) is verify
    if verify:
        entry = next((tmp_path / "store").rglob("*.gz"))
        assert gzip.decompress(entry.read_bytes()) == PAGE  # replaced in the store for the sites after it


def test_twins_no_site_links_are_collected(tmp_path: Path) -> None:
    site = staging(tmp_path, "site", {"index.html": PAGE})
    store.share(site, tmp_path / "store")
    assert len(list((tmp_path / "store").rglob("*.gz"))) == 1
    (site / "index.html.gz").unlink()
    (site / "index.html").unlink()
    store.collect(tmp_path / "store")
    assert list((tmp_path / "store").rglob("*.gz")) == []


def test_only_text_files_are_twins() -> None:
    assert precompress.is_twin(Path("a/index.html.gz"))
    assert precompress.is_twin(Path("search/search_index.json.gz"))
    assert not precompress.is_twin(Path("sitemap.xml.gz"))
    assert not precompress.is_twin(Path("archive.tar.gz"))
