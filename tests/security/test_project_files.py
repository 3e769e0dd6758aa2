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

from ..support.project import run_branddocs

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
    # No link below it: only the folder rule, or the rule of each file's real path, can see it.
    assert not [p for p in link.rglob("*") if p.is_symlink()]
    monkeypatch.setattr(brand_links, "TOP_FOLDERS", ())
    each_file = unsafe_links(scratch.root, acme.id, acme.resource_dir_name)
    assert f"{link / 'main.html'} -> {target / 'main.html'}: expected a file inside {link}" in each_file


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


# --- F4, F6, F7: one rule for every file a site reads (branddocs/brand/links.py: source_problem) ---------------


@pytest.mark.parametrize("folder", ["overrides", "brands", "docs"])
def test_a_top_level_folder_linked_inside_the_project_is_refused(scratch: Project, tmp_path: Path, folder: str) -> None:
    # `ln -s .git overrides`: the link stays inside the project, and published the whole git database.
    hidden = scratch.root / ".hidden"
    os.rename(scratch.root / folder, hidden)
    (hidden / "secret.html").write_text(SECRET, encoding="utf-8")
    (scratch.root / folder).symlink_to(".hidden")
    assert os.path.realpath(scratch.root / folder).startswith(os.path.realpath(scratch.root))  # inside: old rule ok
    site = tmp_path / "site"
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert built.returncode == 1
    assert f"{folder}/ {scratch.root / folder} (a symbolic link) -> {hidden}: expected a folder" in (
        built.stdout + built.stderr
    )
    assert not any(SECRET in p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())


def test_the_top_level_folders_themselves_pass(scratch: Project) -> None:
    # The negative: the project's own folders are what the rule allows.
    acme = load_brand(scratch.brands_dir / "acme.yml")
    assert unsafe_links(scratch.root, acme.id, acme.resource_dir_name) == []


def test_a_custom_dir_other_than_overrides_is_refused(scratch: Project, tmp_path: Path) -> None:
    other = scratch.root / ".git-like"
    import shutil

    shutil.copytree(scratch.root / "overrides", other)
    (other / "secret.html").write_text(SECRET, encoding="utf-8")
    config = scratch.config_file.read_text(encoding="utf-8").replace("custom_dir: overrides", "custom_dir: .git-like")
    scratch.config_file.write_text(config, encoding="utf-8")
    site = tmp_path / "site"
    for engine in ("mkdocs", "zensical"):
        built = run_branddocs("build", "--brand", "acme", "--engine", engine, "--site-dir", str(site),
                              cwd=scratch.root)  # fmt: skip
        assert built.returncode == 1, engine
        assert f"theme.custom_dir {other} -> {other}: expected a folder inside the project" in (
            built.stdout + built.stderr
        ), engine
        assert not any(SECRET in p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())


def test_an_include_through_include_dir_outside_is_refused(scratch: Project, tmp_path: Path) -> None:
    from branddocs.plugin.macros import include_problem

    outside = tmp_path.parent / f"{tmp_path.name}-includes"
    outside.mkdir()
    (outside / "notes.md").write_text(SECRET, encoding="utf-8")
    config = scratch.config_file.read_text(encoding="utf-8")
    config = config.replace("      module_name: macros\n", f"      module_name: macros\n      include_dir: {outside}\n")
    scratch.config_file.write_text(config, encoding="utf-8")
    with (scratch.docs_dir / "index.md").open("a", encoding="utf-8") as page:
        page.write('\n{% include "notes.md" %}\n')
    # The negative: the name as written passes the name check; the file the loader finds is what is refused.
    assert include_problem("notes.md", "acme", "acme") is None
    site = tmp_path / "site"
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert built.returncode == 1
    assert f"include of 'notes.md' refused: {outside / 'notes.md'} -> {outside / 'notes.md'}: expected a file inside" \
        in built.stdout + built.stderr  # fmt: skip
    assert not any(SECRET in p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())


def test_a_hard_link_to_a_file_outside_is_refused(scratch: Project, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-hard.txt"
    outside.write_text(SECRET, encoding="utf-8")
    link = scratch.docs_dir / "images" / "acme" / "notes.txt"
    os.link(outside, link)
    # The negative: its real path is inside docs/; only the link count tells it from a file of the project.
    assert os.path.realpath(link) == str(link)
    checked = run_branddocs("check-brands", cwd=scratch.root)
    assert checked.returncode == 1
    assert f"{link}: expected a file with one name, found a hard link (2 names)" in checked.stderr
    site = tmp_path / "site"
    for engine in ("mkdocs", "zensical"):
        built = run_branddocs("build", "--brand", "acme", "--engine", engine, "--site-dir", str(site),
                              cwd=scratch.root)  # fmt: skip
        assert built.returncode == 1, engine
        assert "found a hard link" in built.stdout + built.stderr
    assert not any(SECRET in p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())


def test_every_reader_asks_the_one_rule(scratch: Project, tmp_path: Path) -> None:
    # MkDocs' file list, the macros' loader and Zensical's copier each refuse a file the rule refuses, even
    # when the walk (check-brands) did not run first.
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files

    from branddocs.builder.engine import BuildFailed
    from branddocs.builder.engines import zensical
    from branddocs.plugin.files import refused

    outside = tmp_path.parent / f"{tmp_path.name}-hard.txt"
    outside.write_text(SECRET, encoding="utf-8")
    link = scratch.docs_dir / "images" / "acme" / "notes.txt"
    os.link(outside, link)
    acme = load_brand(scratch.brands_dir / "acme.yml")
    config = load_config(str(scratch.config_file), site_dir=str(tmp_path / "site"))
    files = Files([File("images/acme/notes.txt", str(scratch.docs_dir), str(tmp_path / "site"), True),
                   File("index.md", str(scratch.docs_dir), str(tmp_path / "site"), True)])  # fmt: skip
    assert refused(files, config, acme) == [f"images/acme/notes.txt: {link}: expected a file with one name, found a "
                                            "hard link (2 names)"]  # fmt: skip
    with pytest.raises(BuildFailed, match="found a hard link"):
        zensical._copy(scratch, acme, link, tmp_path / "copy.txt")
    assert not (tmp_path / "copy.txt").exists()
    os.unlink(link)
    (scratch.docs_dir / "images" / "acme" / "notes.txt").write_text("own", encoding="utf-8")
    assert refused(files, config, acme) == []  # the negative: the same file, with one name, passes
