"""Files outside the project: what a build reads resolves inside the project; brand files are read capped.

Mechanism: the top-level docs/, overrides/, brands/ and macros/ and mkdocs.yml's docs_dir and custom_dir must
resolve (realpath) inside the project, links below them inside docs/ or overrides/ and the brand's own folders
(branddocs/brand/links.py); a brand file is opened with O_NOFOLLOW | O_NONBLOCK, must be a regular file and
is read to a byte cap (branddocs/brand/loader.py). Negatives: the old walk-only link check, and `st_size`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from branddocs.brand import MAX_BRAND_BYTES, BrandError, load_brand, unsafe_links
from branddocs.brand import links as brand_links
from branddocs.site import Project

from ..conftest import run_branddocs

SECRET = "TOP-SECRET-OUTSIDE-THE-PROJECT"


def _outside(tmp_path: Path, like: Path) -> Path:
    """A copy of a project folder outside the project, with a secret file planted in it."""
    import shutil

    target = tmp_path.parent / f"{tmp_path.name}-outside" / like.name  # the scratch project is tmp_path itself
    shutil.copytree(like, target, symlinks=True)
    (target / "secret.html").write_text(SECRET, encoding="utf-8")
    return target


@pytest.mark.parametrize("folder", ["overrides", "docs", "macros", "brands"])
def test_a_top_level_folder_linked_outside_is_refused(scratch: Project, tmp_path: Path, folder: str) -> None:
    link = scratch.root / folder
    target = _outside(tmp_path, link)
    os.rename(link, target.parent / f"moved-{folder}")
    link.symlink_to(target)
    checked = run_branddocs("check-brands", cwd=scratch.root)
    assert checked.returncode == 1
    assert f"{folder}/ {link} (a symbolic link) -> {target}: expected a folder inside the project" in checked.stderr
    site = tmp_path / "site"
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert built.returncode == 1
    assert f"{link} (a symbolic link) -> {target}" in built.stdout + built.stderr
    published = [p.read_text(errors="replace") for p in site.rglob("*") if p.is_file()] if site.exists() else []
    assert not any(SECRET in text for text in published)


def test_the_walk_alone_misses_a_linked_top_folder(scratch: Project, tmp_path: Path, monkeypatch) -> None:
    # The negative: the check of links *below* the folders (all the old one did) finds nothing wrong.
    link = scratch.root / "overrides"
    target = _outside(tmp_path, link)
    os.rename(link, target.parent / "moved")
    link.symlink_to(target)
    acme = load_brand(scratch.brands_dir / "acme.yml")
    assert unsafe_links(scratch.root, acme.id, acme.resource_dir_name)
    monkeypatch.setattr(brand_links, "TOP_FOLDERS", ())
    assert unsafe_links(scratch.root, acme.id, acme.resource_dir_name) == []


def test_a_docs_dir_outside_the_project_is_refused(scratch: Project, tmp_path: Path) -> None:
    target = _outside(tmp_path, scratch.docs_dir)
    config = scratch.config_file.read_text(encoding="utf-8").replace("docs_dir: docs", f"docs_dir: {target}")
    scratch.config_file.write_text(config, encoding="utf-8")
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root)
    assert built.returncode == 1
    assert f"docs_dir {target} -> {target}: expected a folder inside the project" in built.stdout + built.stderr


def test_a_brand_file_linked_to_dev_zero_is_refused_at_once(scratch: Project) -> None:
    (scratch.brands_dir / "zero.yml").symlink_to("/dev/zero")
    start = time.perf_counter()
    done = run_branddocs("check-brands", "brands/zero.yml", cwd=scratch.root)
    assert time.perf_counter() - start < 30
    assert done.returncode == 1
    assert "zero.yml: expected a brand file that is a regular file, found a symbolic link" in done.stderr


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)
    with pytest.raises(BrandError, match=r"fifo.yml: expected a brand file that is a regular file, found a FIFO"):
        load_brand(fifo)


def test_a_file_that_grows_past_the_cap_is_read_no_further(tmp_path: Path, monkeypatch) -> None:
    # A file whose size says small but which holds more (a file growing while read, a /proc file): the cap
    # holds because the reader counts bytes, not because stat said so.
    path = tmp_path / "grows.yml"
    path.write_text("user_name: x\n" + "# padding\n" * (MAX_BRAND_BYTES // 5), encoding="utf-8")
    real_fstat = os.fstat

    def small(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        return os.stat_result((info.st_mode, *info[1:6], 10, *info[7:]))

    monkeypatch.setattr(os, "fstat", small)
    with pytest.raises(
        BrandError, match=rf"grows.yml: expected a brand file of at most {MAX_BRAND_BYTES} bytes, found more"
    ):
        load_brand(path)


def test_st_size_cannot_be_the_cap() -> None:
    # The negative: /dev/zero says it is empty and never ends; the old loader believed the size and read to
    # MemoryError.
    assert os.stat("/dev/zero").st_size == 0
    with open("/dev/zero", "rb") as zero:
        assert len(zero.read(MAX_BRAND_BYTES + 1)) > MAX_BRAND_BYTES
