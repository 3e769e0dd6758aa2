"""A brand's cost does not depend on how many other brands exist: its build never looks into other brands'
folders, and an incremental build reads no file of a brand whose files did not change."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from branddocs.site import Project
from branddocs.site.build_env import build_environment
from branddocs.site.records import seal

from .support.project import BIN, run_branddocs

pytestmark = pytest.mark.slow

# Runs a command (a console script's path and its arguments) under a Python audit hook that refuses, as a
# folder with mode 000 would for an ordinary user, the listed events (os.scandir, os.listdir, open...) on
# anything inside the trapped paths, and logs each refusal (os.walk and pathlib's glob skip a folder they may
# not list, silently: the log is the proof). Forked workers inherit the hook. chmod 000 itself proves nothing
# here: the tests may run as root, which reads such folders anyway. Events on the `counted` paths themselves
# are only logged, as "counted <event> <path>".
TRAP = textwrap.dedent("""
    import atexit, os, runpy, sys
    log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    events, trapped = sys.argv[2].split(","), [p for p in sys.argv[3].split(os.pathsep) if p]
    counted = [p for p in sys.argv[4].split(os.pathsep) if p]

    def hook(event, args):
        if event not in events or not args or isinstance(args[0], int):
            return
        path = os.path.abspath(os.fsdecode(args[0]))
        if path in counted:
            os.write(log, f"counted {event} {path}\\n".encode())
        for place in trapped:
            if path == place or path.startswith(place + os.sep):
                os.write(log, f"{event} {path}\\n".encode())
                raise PermissionError(13, "Permission denied (trapped)", path)

    sys.addaudithook(hook)
    # Written only if this process ends as itself: one that replaced itself (execve) left the hook behind.
    atexit.register(lambda: os.write(log, b"trap held to the end\\n"))
    sys.argv = sys.argv[5:]
    if sys.argv[0] == "-c":
        exec(sys.argv[1])
    else:
        runpy.run_path(sys.argv[0], run_name="__main__")
""")
LISTING = "os.scandir,os.listdir,glob.glob,open"


def trapped(
    command: list[str],
    places: list[Path],
    events: str,
    cwd: Path,
    log: Path,
    env: dict[str, str] | None = None,
    counted: list[Path] = (),
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run `command` with `places` trapped; its result and the refusals it met (and the `counted` events).

    The command gets a build's environment (site/build_env.py), so `branddocs build` has no cause to start itself
    again, which would leave the audit hook behind and trap nothing; the log says whether the hook held."""
    log.write_text("")
    inherited = {k: v for k, v in build_environment(os.environ).items() if k != "BRANDDOCS_ROOT"}
    result = subprocess.run(
        [sys.executable, "-c", TRAP, str(log), events, os.pathsep.join(map(str, places)),
         os.pathsep.join(map(str, counted)), *command],
        cwd=cwd, env={**inherited, "NO_MKDOCS_2_WARNING": "1", **(env or {})}, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    lines = log.read_text().splitlines()
    assert "trap held to the end" in lines, f"the audit hook did not see {command} through: {result.stderr[-2000:]}"
    return result, [line for line in lines if line != "trap held to the end"]


def _with_other_brands(scratch: Project) -> list[Path]:
    """acme's own page; the folders of every other brand (with a page of nebula's own): what acme must not see."""
    (scratch.docs_dir / "brands" / "acme").mkdir(parents=True)
    (scratch.docs_dir / "brands" / "acme" / "extra.md").write_text("# Zebra page of acme\n", encoding="utf-8")
    (scratch.docs_dir / "brands" / "nebula").mkdir(parents=True)
    (scratch.docs_dir / "brands" / "nebula" / "extra.md").write_text("# Nebula's own page\n", encoding="utf-8")
    images = scratch.docs_dir / "images"
    return [images / "brightline", images / "nebula-ai", scratch.docs_dir / "brands" / "nebula"]


def test_a_brands_build_never_lists_or_reads_other_brands_folders(scratch: Project, tmp_path: Path) -> None:
    others = _with_other_brands(scratch)
    site = tmp_path / "site"
    build = [str(BIN / "branddocs"), "build", "--brand", "acme", "--jobs", "1", "--site-dir", str(site)]
    result, refused = trapped(build, others, LISTING, scratch.root, tmp_path / "log")
    assert result.returncode == 0, result.stdout + result.stderr
    assert refused == []
    assert "Zebra page of acme" in (site / "acme" / "extra" / "index.html").read_text(encoding="utf-8")
    # Plain MkDocs goes through the same plugin: the same walk.
    plain = [str(BIN / "mkdocs"), "build", "-q", "-d", str(tmp_path / "plain")]
    result, refused = trapped(plain, others, LISTING, scratch.root, tmp_path / "log", env={"BRAND": "acme"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert refused == []
    again = run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=scratch.root)
    assert "acme: up to date" in again.stdout  # the trapped build's stamp holds for an untrapped run


@pytest.mark.parametrize(
    "walk",
    [
        "from mkdocs.config import load_config\nfrom mkdocs.structure.files import get_files\n"
        "get_files(load_config('mkdocs.yml'))",  # MkDocs' own walk of docs_dir, as the plugin leaves it
        "from pathlib import Path\nsorted(Path('docs').rglob('*'))",  # the walk site_pages and the digest made
    ],
    ids=["mkdocs-get-files", "rglob"],
)
def test_the_trap_catches_a_walk_of_the_whole_docs_folder(scratch: Project, tmp_path: Path, walk: str) -> None:
    others = _with_other_brands(scratch)
    # os.walk and pathlib pass over a folder they may not list, as they would one with mode 000: the log shows it.
    result, refused = trapped(["-c", walk], others, LISTING, scratch.root, tmp_path / "log", env={"BRAND": "acme"})
    assert result.returncode == 0, result.stderr
    assert {line.split()[1] for line in refused} == {str(p) for p in others}


def _one_changed_among(scratch: Project, tmp_path: Path, copies: int) -> tuple[list[str], Path]:
    """`copies` more brands (acme's copies), all built; then nebula's brand file changed. The brands, the site."""
    acme = scratch.brands_dir / "acme.yml"
    for k in range(copies):
        text = acme.read_text(encoding="utf-8").replace("resource_dir_name: acme", f"resource_dir_name: acme-{k}")
        (scratch.brands_dir / f"acme-{k}.yml").write_text(text.replace("Acme", f"Acme {k}"), encoding="utf-8")
        shutil.copytree(scratch.docs_dir / "images" / "acme", scratch.docs_dir / "images" / f"acme-{k}")
    hour_ago = time.time() - 3600  # older than the window within which a hash is never reused
    for path in [*scratch.brands_dir.glob("*.yml"), *(scratch.docs_dir / "images").rglob("*")]:
        os.utime(path, (hour_ago, hour_ago))
    site = tmp_path / "site"
    first = run_branddocs("build", "--site-dir", str(site), cwd=scratch.root)
    assert first.returncode == 0, first.stdout + first.stderr
    nebula = scratch.brands_dir / "nebula.yml"
    nebula.write_text(nebula.read_text(encoding="utf-8").replace("Nébula Studio", "Nébula Console"), encoding="utf-8")
    return scratch.brand_ids(), site


def _unchanged_files(scratch: Project, brand_ids: list[str]) -> list[Path]:
    unchanged = [b for b in brand_ids if b != "nebula"]
    images = {b: scratch.brand(b).resource_dir_name for b in unchanged}
    brand_files = [scratch.brands_dir / f"{b}.yml" for b in unchanged]
    return brand_files + [scratch.docs_dir / "images" / images[b] for b in unchanged]


def test_one_changed_brand_is_the_only_one_rebuilt_and_no_other_brands_file_is_read(
    scratch: Project, tmp_path: Path
) -> None:
    brand_ids, site = _one_changed_among(scratch, tmp_path, copies=3)
    build = [str(BIN / "branddocs"), "build", "--jobs", "1", "--site-dir", str(site)]
    result, refused = trapped(build, _unchanged_files(scratch, brand_ids), "open", scratch.root, tmp_path / "log")
    assert result.returncode == 0, result.stdout + result.stderr
    assert refused == []
    built = sorted(line.split("] ")[1].split(":")[0] for line in result.stdout.splitlines() if ": built in" in line)
    assert built == ["nebula"], result.stdout
    assert f"1 built, {len(brand_ids) - 1} up to date, 0 failed" in result.stdout
    assert "Nébula Console" in (site / "nebula" / "index.html").read_text(encoding="utf-8")


def test_without_the_stamps_records_every_brands_files_are_read_again(scratch: Project, tmp_path: Path) -> None:
    brand_ids, site = _one_changed_among(scratch, tmp_path, copies=1)
    for stamp in (site / ".branddocs").glob("*.json"):  # as a stamp of the previous release: no file records
        recorded = json.loads(stamp.read_text())
        stamp.write_bytes(seal({"inputs": recorded["inputs"], "files": recorded["files"]}))  # sealed: this user's
    build = [str(BIN / "branddocs"), "build", "--jobs", "1", "--site-dir", str(site)]
    result, refused = trapped(build, _unchanged_files(scratch, brand_ids), "open", scratch.root, tmp_path / "log")
    assert any(line.endswith("acme.yml") for line in refused), refused
    assert result.returncode != 0  # the trapped files are needed: the brands read them again and fail


def test_the_folders_of_all_brands_are_listed_once_per_process_not_once_per_brand(
    scratch: Project, tmp_path: Path
) -> None:
    for k in range(4):
        shutil.copytree(scratch.docs_dir / "images" / "acme", scratch.docs_dir / "images" / f"acme-{k}")
        text = (scratch.brands_dir / "acme.yml").read_text(encoding="utf-8")
        (scratch.brands_dir / f"acme-{k}.yml").write_text(
            text.replace("resource_dir_name: acme", f"resource_dir_name: acme-{k}")
        )
    images = scratch.docs_dir / "images"
    hour_ago = time.time() - 3600  # a listing is kept only for a folder not changed in the last moments
    os.utime(images, (hour_ago, hour_ago))
    build = [str(BIN / "branddocs"), "build", "--jobs", "1", "--site-dir", str(tmp_path / "site")]
    result, log = trapped(build, [], "os.scandir,os.listdir", scratch.root, tmp_path / "log", counted=[images])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 built" in result.stdout
    # The build lists docs/images/ once, and its forked worker inherits the listing: not once per brand.
    assert 1 <= len(log) <= 2, log
    # The control: a folder whose time is not in the past (changed a moment ago, or a clock ahead) is listed
    # afresh by each walk, as every walk listed it before: the count catches a listing per brand.
    hour_ahead = time.time() + 3600
    os.utime(images, (hour_ahead, hour_ahead))
    result, log = trapped(
        [*build, "--force"], [], "os.scandir,os.listdir", scratch.root, tmp_path / "log", counted=[images]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(log) >= 7 * 3, log  # the page map, the file collection and the link check of each brand


def test_a_touched_file_is_read_once_then_only_stated(
    scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from branddocs.builder import stamps

    hour_ago = time.time() - 3600
    image = scratch.docs_dir / "images" / "acme" / "endpoint.png"
    for path in (scratch.brands_dir / "acme.yml", image, *image.parent.iterdir()):
        os.utime(path, (hour_ago, hour_ago))
    site = tmp_path / "site"
    (site / "acme").mkdir(parents=True)
    (site / "acme" / "index.html").write_text("a site")
    stamps.write_stamp(site / ".branddocs" / "acme.json", stamps.Inputs(scratch).digest("acme"), site / "acme")
    read: list[str] = []
    hash_file = stamps._hash_file
    monkeypatch.setattr(stamps, "_hash_file", lambda path: read.append(path.name) or hash_file(path))
    assert stamps.check(stamps.Inputs(scratch), "acme", site)[1]
    assert read == []  # nothing changed: every own file only stat'ed
    os.utime(image, (hour_ago + 1, hour_ago + 1))  # touched: same bytes
    assert stamps.check(stamps.Inputs(scratch), "acme", site)[1]
    assert read == ["endpoint.png"]  # read once, to find it the same; the stamp now records its new times
    assert stamps.check(stamps.Inputs(scratch), "acme", site)[1]
    assert read == ["endpoint.png"]
    image.write_bytes(image.read_bytes() + b"\0")  # changed, a moment ago
    assert not stamps.check(stamps.Inputs(scratch), "acme", site)[1]
    assert read == ["endpoint.png", "endpoint.png"]
