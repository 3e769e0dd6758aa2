"""Material's static files linked straight from the store (branddocs/site/theme_links.py): only Material's own
files, only to an entry this process compared and found unchanged, still scanned and given their twins, and a
build that writes into one in place is stopped."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mkdocs.structure.files import File

from branddocs.site import secrets_scan, store, theme_links

SECRET = "sk-theme-links-0123456789"
SCRIPT = "assets/javascripts/bundle.js"
"""Where the tests put Material's script in a site."""


def theme() -> Path:
    spec = importlib.util.find_spec("material")
    assert spec
    assert spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "templates"


def material_asset() -> Path:
    return min((theme() / "assets" / "javascripts").glob("bundle.*.min.js"))


def copy(source: Path, site: Path) -> Path:
    """MkDocs' copy of a theme file (`source`) to the site's SCRIPT, as a build's `copy_static_files` makes it."""
    folder = theme() if source.is_relative_to(theme()) else source.parent
    file = File(source.relative_to(folder).as_posix(), str(folder), str(site), False)
    file.abs_dest_path = str(site / SCRIPT)
    theme_links.install()
    file.copy_file()
    return site / SCRIPT


def linked(path: Path, entry: Path) -> bool:
    return path.stat().st_ino == entry.stat().st_ino


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A store holding Material's script, compared byte for byte by this process (as after a first brand)."""
    source, shelf = material_asset(), tmp_path / "store"
    first = tmp_path / "first" / "assets" / "bundle.js"
    first.parent.mkdir(parents=True)
    shutil.copyfile(source, first)
    store.share(first.parent.parent, shelf)
    entry = store.entry_path(shelf, hashlib.sha256(source.read_bytes()).hexdigest())
    settled = time.time() - 60  # stored a minute ago: its time can no longer hide a write
    os.utime(entry, (settled, settled))
    second = tmp_path / "second" / "assets" / "bundle.js"
    second.parent.mkdir(parents=True)
    shutil.copyfile(source, second)
    assert store.share(second.parent.parent, shelf).linked == 1  # compared, and now vouched for
    theme_links.use(shelf)
    yield shelf, entry
    theme_links.use(None)


def test_materials_file_is_linked_from_the_store_then_scanned_and_twinned(
    stored: tuple[Path, Path], tmp_path: Path
) -> None:
    shelf, entry = stored
    site = tmp_path / "site"
    made = copy(material_asset(), site)
    assert linked(made, entry)
    assert made.read_bytes() == material_asset().read_bytes()
    theme_links.check_unchanged()
    assert secrets_scan.scan_site(site, {"a secret": SECRET}) == []
    shared = store.share(site, shelf)
    assert (shared.linked, shared.stored, shared.copies, shared.twins) == (1, 0, 0, 1)
    assert Path(f"{made}.gz").is_file()


def test_a_file_in_place_of_materials_is_not_linked(stored: tuple[Path, Path], tmp_path: Path) -> None:
    """The overrides' (or docs/') file of the same name is the brand's own: copied, scanned and stored as such."""
    _, entry = stored
    overrides = tmp_path / "overrides" / "bundle.js"
    overrides.parent.mkdir(parents=True)
    shutil.copyfile(material_asset(), overrides)  # the same bytes, even: not Material's file
    made = copy(overrides, tmp_path / "site")
    assert made.read_bytes() == material_asset().read_bytes()
    assert not linked(made, entry)
    theme_links.use(None)
    assert not linked(copy(material_asset(), tmp_path / "plain"), entry)  # no build running: MkDocs copies


def test_an_entry_changed_in_place_is_not_linked_and_a_secret_in_it_is_found(
    stored: tuple[Path, Path], tmp_path: Path
) -> None:
    _shelf, entry = stored
    os.chmod(entry, 0o644)
    with entry.open("r+b") as file:  # root ignores 0444: the inode every site shares, written in place
        file.write(f"/*{SECRET}*/".encode())
    os.chmod(entry, 0o444)
    made = copy(material_asset(), tmp_path / "site")
    assert not linked(made, entry)  # the link made was checked, refused and removed: MkDocs copied instead
    assert made.read_bytes() == material_asset().read_bytes()
    made.unlink()
    os.link(entry, made)  # had it been linked, the scan reads it: no longer the content vouched for
    assert secrets_scan.scan_site(tmp_path / "site", {"a secret": SECRET}) == [(SCRIPT, "a secret")]


def test_a_build_writing_into_a_linked_file_is_stopped(stored: tuple[Path, Path], tmp_path: Path) -> None:
    _, entry = stored
    destination = copy(material_asset(), tmp_path / "site")
    assert linked(destination, entry)
    theme_links.check_unchanged()
    os.chmod(destination, 0o644)
    with destination.open("ab") as file:  # a plugin appending to Material's script in the staging site
        file.write(b"\n// appended\n")
    with pytest.raises(theme_links.ThemeFileChanged, match="written in place"):
        theme_links.check_unchanged()


def test_a_linked_files_twin_is_checked_once_then_linked_without_reading_the_file(
    stored: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shelf, entry = stored
    first = copy(material_asset(), tmp_path / "first-site")
    store.share(tmp_path / "first-site", shelf)  # the twin made (or inflated) and found right: trusted from now on
    reads: list[str] = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or read_bytes(self))
    made = copy(material_asset(), tmp_path / "site")
    assert store.share(tmp_path / "site", shelf).twins == 1
    assert reads == []  # neither the file nor its twin read again
    assert Path(f"{made}.gz").stat().st_ino == Path(f"{first}.gz").stat().st_ino
    # Negative: the stored twin written in place (root ignores 0444) is inflated again, refused and replaced.
    twin = Path(f"{entry}.gz")
    os.chmod(twin, 0o644)
    with twin.open("r+b") as file:
        file.write(gzip.compress(b"<script>planted</script>"))
        file.truncate()
    os.chmod(twin, 0o444)
    again = copy(material_asset(), tmp_path / "again")
    store.share(tmp_path / "again", shelf)
    assert "bundle.js" in reads
    assert gzip.decompress(Path(f"{again}.gz").read_bytes()) == material_asset().read_bytes()
