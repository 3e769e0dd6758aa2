"""Files outside the project: what a build reads resolves inside the project; brand files are read capped.

Mechanism: the top-level docs/, overrides/, brands/ and macros/ and mkdocs.yml's docs_dir and custom_dir must
resolve (realpath) inside the project, links below them inside docs/ or overrides/ and the brand's own folders
(branddocs/brand/links.py); a brand file is opened with O_NOFOLLOW | O_NONBLOCK, must be a regular file and
is read to a byte cap (branddocs/brand/loader.py). Negatives: the old walk-only link check, and `st_size`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from branddocs.brand import MAX_BRAND_BYTES, BrandError, load_brand, unsafe_links
from branddocs.brand import links as brand_links
from branddocs.site import Project

from ..support.project import BIN, run_branddocs

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


# Readers of their own in mkdocs.yml: Markdown extensions and plugins that open files the build's rule never sees.

READERS = {
    "snippets from a folder outside": ("markdown_extensions", "  - pymdownx.snippets:\n      base_path: [{outside}]\n"),
    "snippets appending another brand's file": ("markdown_extensions",
                                                "  - pymdownx.snippets:\n      auto_append: [brands/nebula.yml]\n"),
    "b64 from the root": ("markdown_extensions", "  - pymdownx.b64:\n      base_path: /\n"),
    "icons from a folder outside": ("markdown_extensions", "  - pymdownx.emoji:\n"
                                    "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
                                    "      emoji_generator: !!python/name:material.extensions.emoji.to_svg\n"
                                    "      options:\n        custom_icons: [{outside}]\n"),
    "a plugin that builds other projects": ("plugins", "  - material/projects:\n      projects_dir: {outside}\n"),
    "macros' YAML from outside": ("plugins", "  - macros:\n      include_yaml: [{outside}/notes.yml]\n"),
    "search's dictionary from outside": ("plugins", "  - search:\n      jieba_dict: {outside}/notes.md\n"),
    "search's user dictionary from the project": ("plugins", "  - search:\n      jieba_dict_user: .git/config\n"),
    "tags writing outside": ("plugins", "  - tags:\n      export_file: {outside}/owned.json\n"),
    "tags writing into another site": ("plugins", "  - tags:\n      export_file: ../nebula/tags.json\n"),
}  # fmt: skip


def _with_reader(scratch: Project, tmp_path: Path, case: str) -> Path:
    """mkdocs.yml with the reader of `case` added, and a page that asks it for the secret (snippets, icons)."""
    outside = tmp_path.parent / f"{tmp_path.name}-readers"
    (outside / "steal").mkdir(parents=True, exist_ok=True)
    (outside / "notes.md").write_text(SECRET, encoding="utf-8")
    (outside / "notes.yml").write_text(f"stolen: {SECRET}\n", encoding="utf-8")
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><path id="{SECRET}" d="M0 0"/></svg>'
    (outside / "steal" / "notes.svg").write_text(svg, encoding="utf-8")
    section, entry = READERS[case]
    config = scratch.config_file.read_text(encoding="utf-8")
    if section == "plugins" and entry.startswith("  - macros:"):
        config = config.replace("      module_name: macros\n", f"      module_name: macros\n      include_yaml: "
                                f"[{outside}/notes.yml]\n")  # fmt: skip
    elif entry.startswith("  - search:"):
        config = config.replace("  - search\n", entry.format(outside=outside), 1)
    else:
        config = config.replace(f"{section}:\n", f"{section}:\n" + entry.format(outside=outside), 1)
    scratch.config_file.write_text(config, encoding="utf-8")
    with (scratch.docs_dir / "index.md").open("a", encoding="utf-8") as page:
        page.write('\n--8<-- "notes.md"\n\n:steal-notes:\n')
    return outside


@pytest.mark.parametrize("case", READERS)
def test_a_reader_of_its_own_in_mkdocs_yml_is_refused_at_its_line(scratch: Project, tmp_path: Path, case: str) -> None:
    from branddocs.site.config_check import config_problems

    _with_reader(scratch, tmp_path, case)
    problems = config_problems(scratch.config_file)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{scratch.config_file}:"), problems
    assert READERS[case][0] in problems[0]


@pytest.mark.parametrize("case", ["snippets from a folder outside", "snippets appending another brand's file",
                                  "icons from a folder outside"])  # fmt: skip
def test_the_negative_without_the_allow_list_the_build_publishes_what_the_reader_read(
    scratch: Project, tmp_path: Path, case: str, monkeypatch
) -> None:
    from branddocs.site import config_check

    _with_reader(scratch, tmp_path, case)
    site = tmp_path / "site"
    refused = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert refused.returncode == 1
    assert "expected" in refused.stdout + refused.stderr
    assert not any(SECRET in p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())
    # The negative: the same build with the allow-list off (the tags' check alone) publishes the secret or the
    # other brand's values; MkDocs, in this process, reads the file as it builds.
    monkeypatch.setattr(config_check, "reader_problems", lambda *args: [])
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    monkeypatch.setenv("BRAND", "acme")
    build(load_config(str(scratch.config_file), site_dir=str(site)))
    published = "".join(p.read_text(errors="replace") for p in site.rglob("*.html"))
    assert SECRET in published or "Nébula Studio" in published


def test_the_projects_configs_use_only_allowed_readers() -> None:
    from branddocs.site.config_check import config_problems

    from ..support.project import ROOT

    for config in (ROOT / "mkdocs.yml", ROOT / "manual" / "mkdocs.yml",
                   ROOT / "branddocs" / "scaffold" / "project" / "mkdocs.yml"):  # fmt: skip
        assert config_problems(config) == [], config


def test_searchs_dictionaries_inside_overrides_pass(scratch: Project) -> None:
    from branddocs.site.config_check import config_problems

    (scratch.root / "overrides" / "words.txt").write_text("云端 5 n\n", encoding="utf-8")
    entry = "  - search:\n      jieba_dict_user: overrides/words.txt\n"
    scratch.config_file.write_text(scratch.config_file.read_text(encoding="utf-8").replace("  - search\n", entry, 1))
    assert config_problems(scratch.config_file) == []


def test_the_negative_jieba_reads_any_file_it_is_given_and_prints_its_line(tmp_path: Path) -> None:
    """What Material's search does with `jieba_dict` (red team 8, R8-2): the file's first line in the error."""
    notes = tmp_path / "notes.md"
    notes.write_text(f"{SECRET} is no dictionary line\n", encoding="utf-8")
    script = (
        f"import jieba; t = jieba.Tokenizer(dictionary={str(notes)!r}); t.tmp_dir = {str(tmp_path)!r}; t.initialize()"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert f"invalid dictionary entry in {notes} at Line 1: {SECRET}" in done.stderr


def test_icons_inside_overrides_pass(scratch: Project) -> None:
    from branddocs.site.config_check import config_problems

    config = scratch.config_file.read_text(encoding="utf-8").replace(
        "markdown_extensions:\n",
        "markdown_extensions:\n  - pymdownx.emoji:\n      options:\n        custom_icons: [overrides/.icons]\n",
        1,
    )
    scratch.config_file.write_text(config, encoding="utf-8")
    assert config_problems(scratch.config_file) == []


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_page_that_is_no_file_stops_its_brand_before_anything_reads_it(scratch: Project, kind: str) -> None:
    """The build's warm-up read every page before the walk that refuses links and special files (red team 7, R7-8):
    a committed FIFO hung the build, a link to /dev/zero grew it until memory ran out. Now the brand fails, at once."""
    page = scratch.docs_dir / "notes.md"
    if kind == "fifo":
        os.mkfifo(page)
    else:
        page.symlink_to("/dev/zero")
    started = time.monotonic()
    done = run_branddocs("build", "--brand", "acme", cwd=scratch.root)
    assert time.monotonic() - started < 120
    assert done.returncode == 1, done.stdout + done.stderr
    assert "notes.md" in done.stdout + done.stderr
    assert brand_links.read_regular(page, 10) is None
    if kind == "dev-zero":  # the negative: the warm-up's read as it was takes whatever the link gives
        with open(page, "rb") as file:
            assert file.read(10) == bytes(10)


@pytest.mark.parametrize("target", ["/dev/zero", "outside"])
def test_a_manifest_that_is_no_regular_file_of_the_project_stops_the_brand_naming_it(
    scratch: Project, tmp_path: Path, target: str
) -> None:
    """package.json (and the lock files) feed the guide's versions (red team 8, R8-8: `package.json -> /dev/zero` was
    read until memory ran out). Mechanism: `sdk_versions.read_manifest`, a regular file opened without following a
    link, capped. The negative: Python's plain read follows the link."""
    outside = tmp_path / "their-package.json"
    outside.write_text('{"dependencies": {"openai": "^99.0.0"}, "engines": {"node": ">=99"}}', encoding="utf-8")
    manifest = scratch.root / "package.json"
    manifest.unlink()
    manifest.symlink_to(outside if target == "outside" else target)
    done = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{manifest}: expected a regular file" in done.stdout + done.stderr
    if target == "outside":
        assert "^99.0.0" in manifest.read_text(encoding="utf-8")  # the negative


def test_tags_exporting_inside_the_site_passes(scratch: Project) -> None:
    from branddocs.site.config_check import config_problems

    entry = "  - search\n  - tags:\n      export_file: meta/tags.json\n"
    scratch.config_file.write_text(scratch.config_file.read_text(encoding="utf-8").replace("  - search\n", entry, 1))
    assert config_problems(scratch.config_file) == []


def test_the_negative_without_the_allow_list_tags_writes_outside(
    scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Material's tags plugin joins `export_file` to the site's folder and makes the folders (red team 9, R9-3)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from branddocs.site import config_check

    outside = _with_reader(scratch, tmp_path, "tags writing outside")
    monkeypatch.setattr(config_check, "reader_problems", lambda *args: [])
    monkeypatch.setenv("BRAND", "acme")
    build(load_config(str(scratch.config_file), site_dir=str(tmp_path / "site")))
    assert (outside / "owned.json").is_file()


_DIGEST = "from branddocs.builder import stamps; from branddocs.site import Project; print(stamps.inputs_digest(Project.find(), 'acme'))"  # noqa: E501


def _digest_in_a_child(root: Path) -> str:
    """The build's input digest of acme, in a child with a timeout: a walk that follows links fails the test, not
    the suite."""
    done = subprocess.run([sys.executable, "-c", _DIGEST], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_links_to_folders_in_docs_are_not_walked_by_the_input_digest(scratch: Project) -> None:
    """The stamps' input digest walked docs/ following links before the build refused them (red team 9, R9-8): two
    links `docs/a -> .`, `docs/b -> .` made 2^40 folders and hung every build. Mechanism: stamps.py walks with
    lstat / `is_dir(follow_symlinks=False)` and hashes a link as its target's text. Negative: os.walk following links
    (the old walk) goes 40 levels deep through one link alone."""
    started = time.monotonic()
    before = _digest_in_a_child(scratch.root)
    for name in ("a", "b"):
        (scratch.docs_dir / name).symlink_to(".")
        (scratch.docs_dir / "images" / "acme" / name).symlink_to(".")  # in the brand's own folder too
    assert _digest_in_a_child(scratch.root) != before  # the links count, as themselves
    assert time.monotonic() - started < 60
    depth = 0
    for folder, _, _ in os.walk(scratch.docs_dir / "a", followlinks=True):  # the negative: the old walk's way
        depth = max(depth, Path(folder).relative_to(scratch.docs_dir).as_posix().count("/a"))
        if depth >= 5:
            break
    assert depth >= 5


@pytest.mark.parametrize("where", ["docs/zz.md", "docs/images/acme/zz.png", "overrides/zz.html", "macros/zz.py"])
def test_a_link_to_a_file_outside_is_hashed_as_its_text_never_read(
    scratch: Project, tmp_path: Path, where: str
) -> None:
    """A link to a large file was read whole by the digest (R9-8: 1 GB RSS), before the build refused it. Now the
    digest hashes the link's text: what the target holds changes nothing, and it is never opened. The negative:
    the old `_hash_file` (`read_bytes`) returns the outside file's content."""
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"first")
    link = scratch.root / where
    link.symlink_to(outside)
    from branddocs.builder import stamps

    assert stamps._hash_file(link).startswith("link:")
    first = _digest_in_a_child(scratch.root)
    outside.write_bytes(b"second, longer")
    assert _digest_in_a_child(scratch.root) == first  # the target's bytes are no input
    os.mkfifo(tmp_path / "fifo")
    os.rename(tmp_path / "fifo", scratch.root / where.replace("zz", "fifo"))
    assert _digest_in_a_child(scratch.root) == first  # a FIFO is neither read nor waited on (the build refuses it)
    assert stamps._hash_file(scratch.root / where.replace("zz", "fifo")) == "special:prw-r--r--"
    assert link.read_bytes() == b"second, longer"  # the negative: the old read follows the link


def test_the_language_hint_reads_no_brand_file_through_a_link(scratch: Project, tmp_path: Path) -> None:
    """The build's warm-up read each brand file with `read_bytes()` for a language hint, following a link, whole
    (red team 9, R9-7: a link to 1 GB, 1.1 GB RSS). Mechanism: `links.read_regular` (O_NOFOLLOW | O_NONBLOCK, a
    regular file with one name, capped at MAX_BRAND_BYTES); a refused read is no hint ("en"). The negative: the old
    read returns the outside file's text."""
    from branddocs.builder.build import _language_hint

    brand_file = scratch.brands_dir / "acme.yml"
    assert _language_hint(brand_file) == "en"
    outside = tmp_path / "zh.yml"
    outside.write_text(brand_file.read_text(encoding="utf-8") + "language: zh\n", encoding="utf-8")
    regular = scratch.brands_dir / "copy.yml"
    regular.write_bytes(outside.read_bytes())
    assert _language_hint(regular) == "zh"  # a regular brand file still gives its hint
    brand_file.unlink()
    brand_file.symlink_to(outside)
    assert _language_hint(brand_file) == "en"  # not read: the loader refuses the link, naming it
    assert b"language: zh" in brand_file.read_bytes()  # the negative: the old read follows it
    brand_file.unlink()
    brand_file.symlink_to("/dev/zero")
    started = time.monotonic()
    assert _language_hint(brand_file) == "en"
    assert time.monotonic() - started < 5
    brand_file.unlink()
    os.mkfifo(brand_file)
    assert _language_hint(brand_file) == "en"  # not waited on


def test_links_that_lead_back_up_are_not_walked_and_the_build_ends(scratch: Project, tmp_path: Path) -> None:
    """`docs/a -> .` and `docs/b -> .` had every build walk 2^40 folders, silently (red team 9, R9-8): the walks of
    docs/ (`brand/folders.walk_docs`) leave out a link that leads to a folder it is in. Negative: os.walk following
    links goes down through them."""
    for name in ("a", "b"):
        (scratch.docs_dir / name).symlink_to(".")
    done = subprocess.run([str(BIN / "branddocs"), "build", "--brand", "acme", "--site-dir", str(tmp_path / "site")],
                          cwd=scratch.root, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "acme" / "index.html").is_file()
    assert not (tmp_path / "site" / "acme" / "a").exists()
    deepest = 0
    for root, _, _ in os.walk(scratch.docs_dir, followlinks=True):  # the negative
        deepest = max(deepest, len(Path(root).relative_to(scratch.docs_dir).parts))
        if deepest > 5:
            break
    assert deepest > 5
