"""Building many brands: identical to a plain `mkdocs build`, incremental, sharded, and reported as it goes."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from branddocs.cli.build import _Progress
from branddocs.site import Project
from branddocs.site.precompress import COMPRESSIBLE, MIN_SIZE, is_twin
from branddocs.site.shard import parse_shard, shard_of

from .support.project import BIN, FIRST_BUILD_LOG, run_branddocs

pytestmark = pytest.mark.slow


def files_of(site: Path) -> dict[str, bytes]:
    # sitemap.xml.gz carries the time it was written; everything else must be byte for byte the same. The gzip
    # twins `branddocs build` adds are checked apart (test_each_text_file_has_its_exact_gzip_twin).
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in site.rglob("*")
        if p.is_file() and p.name != "sitemap.xml.gz" and not is_twin(p)
    }


def test_output_is_byte_identical_to_plain_mkdocs(
    built_sites: dict[str, Path], project: Project, tmp_path: Path, brand_id: str
) -> None:
    plain = tmp_path / brand_id
    subprocess.run(
        [str(BIN / "mkdocs"), "build", "-q", "-f", str(project.config_file), "-d", str(plain)],
        env={**os.environ, "BRAND": brand_id, "NO_MKDOCS_2_WARNING": "1"}, check=True, timeout=120,
    )  # fmt: skip
    ours, theirs = files_of(built_sites[brand_id]), files_of(plain)
    assert sorted(ours) == sorted(theirs)
    different = [name for name in ours if ours[name] != theirs[name]]
    assert different == []


def test_each_text_file_has_its_exact_gzip_twin(built_sites: dict[str, Path], brand_id: str) -> None:
    """What `branddocs build` adds to a plain build: `x.gz` beside each text file worth compressing, for servers'
    gzip_static (branddocs/site/precompress.py), inflating to exactly `x`; nothing else."""
    site = built_sites[brand_id]
    files = [p for p in site.rglob("*") if p.is_file()]
    wanted = {p.with_name(p.name + ".gz") for p in files if p.suffix in COMPRESSIBLE and p.stat().st_size >= MIN_SIZE}
    twins = {p for p in files if is_twin(p)}
    assert twins == wanted
    assert [t for t in twins if gzip.decompress(t.read_bytes()) != t.with_name(t.name[:-3]).read_bytes()] == []


def test_identity_check_can_fail(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "index.html").write_text("one")
    (tmp_path / "b" / "index.html").write_text("two")
    assert files_of(tmp_path / "a") != files_of(tmp_path / "b")


def test_one_worker_building_every_brand_in_turn_gives_each_its_plain_build(
    project: Project, brands: list, tmp_path: Path
) -> None:
    """A worker keeps the theme's environment from one brand to the next (site/build_cache.py): one worker
    building every brand in turn, languages mixed, still gives each brand what a plain `mkdocs build` gives it.
    (Negative: with the environment keyed without the theme's language, the Chinese brand built after an English
    one got the English search separator in its search_index.json.)"""
    site = tmp_path / "site"
    ids = [arg for b in brands for arg in ("--brand", b.id)]
    done = run_branddocs("build", "--jobs", "1", *ids, "--site-dir", str(site), cwd=project.root)
    assert done.returncode == 0, done.stdout + done.stderr
    for brand in brands:
        plain = tmp_path / "plain" / brand.id
        subprocess.run(
            [str(BIN / "mkdocs"), "build", "-q", "-f", str(project.config_file), "-d", str(plain)],
            env={**os.environ, "BRAND": brand.id, "NO_MKDOCS_2_WARNING": "1"}, check=True, timeout=120,
        )  # fmt: skip
        ours, theirs = files_of(site / brand.id), files_of(plain)
        assert sorted(ours) == sorted(theirs)
        assert [name for name in ours if ours[name] != theirs[name]] == [], brand.id


def lines_for(output: str, state: str) -> list[str]:
    return sorted(line.split("] ")[1].split(":")[0] for line in output.splitlines() if f": {state} in" in line)


def test_incremental_builds_skip_unchanged_brands(scratch_built) -> None:
    scratch, site_root = scratch_built("mkdocs")  # the first build of every brand, done once for the session
    site, every_brand = ["--site-dir", str(site_root)], scratch.brand_ids()
    first = (site_root.parent / FIRST_BUILD_LOG).read_text(encoding="utf-8")
    assert lines_for(first, "built") == every_brand, first
    again = run_branddocs("build", *site, cwd=scratch.root)
    assert lines_for(again.stdout, "up to date") == every_brand
    assert "0 built, 3 up to date, 0 failed" in again.stdout

    brand = scratch.brands_dir / "nebula.yml"
    brand.write_text(brand.read_text(encoding="utf-8").replace("Nébula Studio", "Nébula Console"), encoding="utf-8")
    (scratch.docs_dir / "images" / "acme" / "endpoint.png").touch()  # same bytes: not a change
    one = run_branddocs("build", *site, cwd=scratch.root)
    assert lines_for(one.stdout, "built") == ["nebula"], one.stdout
    assert "Nébula Console" in (site_root / "nebula" / "index.html").read_text(encoding="utf-8")

    with (scratch.docs_dir / "index.md").open("a", encoding="utf-8") as page:
        page.write("\nOne more line.\n")
    every = run_branddocs("build", *site, cwd=scratch.root)
    assert lines_for(every.stdout, "built") == every_brand
    forced = run_branddocs("build", "--force", "--brand", "acme", *site, cwd=scratch.root)
    assert lines_for(forced.stdout, "built") == ["acme"]


def test_a_deleted_site_is_rebuilt(scratch_built) -> None:
    scratch, site_root = scratch_built("mkdocs")  # every brand built once, as by `branddocs build`
    site = ["--site-dir", str(site_root), "--brand", "acme"]
    shutil.rmtree(site_root / "acme")
    again = run_branddocs("build", *site, cwd=scratch.root)
    assert lines_for(again.stdout, "built") == ["acme"]


def test_shards_split_the_brands() -> None:
    brands = [f"b{i:02d}" for i in range(10)]
    shards = [shard_of(brands, (k, 3)) for k in (1, 2, 3)]
    assert sorted(b for s in shards for b in s) == brands
    assert [len(s) for s in shards] == [4, 3, 3]
    assert shard_of(brands, None) == brands
    for bad in ("0/3", "4/3", "1-3", "", "a/b"):
        with pytest.raises(ValueError, match="expected K/N"):
            parse_shard(bad)


def test_build_and_check_take_the_same_shard(scratch: Project, tmp_path: Path) -> None:
    built = run_branddocs("build", "--shard", "2/3", "--site-dir", str(tmp_path), cwd=scratch.root)
    assert built.returncode == 0
    assert lines_for(built.stdout, "built") == ["brightline"]
    collected = subprocess.run(
        [str(BIN / "pytest"), "tests/test_examples.py", "--collect-only", "-q", "--shard", "2/3"],
        cwd=scratch.root, capture_output=True, text=True, env={**os.environ, "BRANDDOCS_ROOT": str(scratch.root)},
        check=False, timeout=120,
    )  # fmt: skip
    ids = {line.split("[")[1].split("::")[0] for line in collected.stdout.splitlines() if "test_example[" in line}
    assert ids == {"brightline"}, collected.stdout
    bad = run_branddocs("build", "--shard", "4/3", cwd=scratch.root)
    assert bad.returncode == 2
    assert "expected K/N with 1 <= K <= N" in bad.stderr


def test_progress_is_a_bar_on_a_terminal_and_lines_in_logs() -> None:
    class Result:
        brand_id, ok, skipped, seconds = "acme", True, False, 0.25

    for tty in (True, False):
        out = io.StringIO()
        with redirect_stdout(out):
            progress = _Progress(2, tty)
            progress.update(Result())
            progress.update(Result())
            progress.close()
        if tty:
            assert out.getvalue().count("\r[") == 2
            assert "[###############---------------] 1/2 acme: built 0.25 s" in out.getvalue()
        else:
            assert out.getvalue().splitlines() == ["[1/2] acme: built in 0.25 s", "[2/2] acme: built in 0.25 s"]


def test_failures_are_listed_with_their_error_and_the_rest_still_builds(scratch: Project, tmp_path: Path) -> None:
    brand = scratch.brands_dir / "brightline.yml"
    brand.write_text(brand.read_text(encoding="utf-8") + "colour: red\n", encoding="utf-8")
    result = run_branddocs("build", "--site-dir", str(tmp_path), cwd=scratch.root)
    assert result.returncode == 1
    assert lines_for(result.stdout, "built") == ["acme", "nebula"]
    assert "brightline: FAILED; nothing is published for it" in result.stderr  # it had no previous site
    line = len(brand.read_text(encoding="utf-8").splitlines())
    assert f"brightline.yml:{line}: colour: unknown key" in result.stderr
    assert "2 built, 0 up to date, 1 failed" in result.stdout
