"""Below `site/` and `.cache/` the engine follows no link, and reads back no cache the checkout could bring (red team
round 7: R7-3, R7-5).

- A committed `site/.branddocs/store/tmp -> <folder>` had an ordinary `branddocs build` delete every file in it, a
  `site/.branddocs/store -> <folder>` every file with one name in each of its folders, and a `site/.branddocs/lock`
  link made a file where it pointed. Mechanism: every folder the engine writes in below them is reached one name at a
  time (`engine_folders.own_folder`: a real folder of the caller's, else the command stops naming it), every file it
  opens there with `O_NOFOLLOW` (`open_own`).
- A committed `.cache/jinja-bytecode/__jinja2_<key>.cache` ran its pickle in every build worker (Jinja unpickles the
  checksum of each entry). Mechanism: the caches a build reads back are kept in the caller's own cache folder
  (`engine_folders.user_cache`: `$XDG_CACHE_HOME/branddocs`, 0700), never in the project.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
from pathlib import Path

import jinja2
import pytest

from branddocs.site import Project, store
from branddocs.site.engine_folders import user_cache

from ..support.project import run_branddocs

SECRET = "root-only secret 0123"


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim"
    (victim / "ssh").mkdir(parents=True)
    (victim / "ssh" / "id_ed25519").write_text(SECRET)
    (victim / "ssh" / "id_ed25519").chmod(0o600)
    (victim / "toplevel.txt").write_text(SECRET)
    return victim


def _files(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(folder)): (stat.S_IMODE(p.lstat().st_mode), p.read_bytes())
            for p in folder.rglob("*") if p.is_file()}  # fmt: skip


LINKS = {
    "site/.branddocs": "victim",
    "site/.branddocs/store": "victim",
    "site/.branddocs/store/tmp": "victim/ssh",
    "site/.branddocs/store/ab": "victim",
    "site/.branddocs/store/00": "victim/ssh",
    "site/.branddocs/lock": "victim/nologin",
    "site/.branddocs/journal": "victim/toplevel.txt",
    "site/.branddocs/acme.json": "victim/toplevel.txt",
}


@pytest.mark.parametrize("name", LINKS)
def test_a_link_below_site_stops_the_build_and_changes_nothing(scratch: Project, tmp_path: Path, name: str) -> None:
    victim = _victim(tmp_path)
    before = _files(victim)
    link = scratch.root / name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(tmp_path / LINKS[name])
    done = run_branddocs("build", "--brand", "acme", cwd=scratch.root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{link}: a link; the f" in done.stderr, done.stderr
    assert "remove it" in done.stderr
    assert "Traceback" not in done.stderr
    assert _files(victim) == before
    assert not (victim / "nologin").exists()


def test_the_collect_would_delete_through_a_link_without_the_folder_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The negative: `collect` with `own_folder` made a plain join (what it did before) deletes the victim's files."""
    victim = _victim(tmp_path)
    folder = tmp_path / "site" / ".branddocs" / "store"
    folder.mkdir(parents=True)
    (folder / "tmp").symlink_to(victim / "ssh")
    with pytest.raises(Exception, match="a link; the folders branddocs writes in below"):
        store.collect(folder, [])
    assert (victim / "ssh" / "id_ed25519").exists()
    monkeypatch.setattr(store, "own_folder", lambda top, *names, mode=0o755: top.joinpath(*names))
    store.collect(folder, [])
    assert not (victim / "ssh" / "id_ed25519").exists()


def test_a_committed_bytecode_cache_entry_is_never_read(scratch: Project, tmp_path: Path) -> None:
    """The pickle is named as Jinja names the entry of Material's main.html overridden in the project's overrides/
    (`sha1("main.html|<its path>")`), so a build reading `.cache/jinja-bytecode/` would run it."""
    ran = tmp_path / "pickle-ran"

    class Payload:
        def __reduce__(self) -> tuple:
            return (os.system, (f"id > {ran}",))

    entry_name = f"main.html|{os.path.realpath(scratch.root / 'overrides' / 'main.html')}"
    folder = scratch.root / ".cache" / "jinja-bytecode"
    folder.mkdir(parents=True)
    entry = folder / f"__jinja2_{hashlib.sha1(entry_name.encode()).hexdigest()}.cache"  # noqa: S324 (Jinja's name)
    entry.write_bytes(jinja2.bccache.bc_magic + pickle.dumps(Payload(), 2))
    cache = tmp_path / "cache"
    done = run_branddocs("build", "--brand", "acme", cwd=scratch.root, env={"XDG_CACHE_HOME": str(cache)})
    assert done.returncode == 0, done.stderr
    assert not ran.exists()
    assert any((cache / "branddocs" / "jinja-bytecode").iterdir())  # the caller's own, used instead
    assert any((cache / "branddocs" / "theme-listings").iterdir())  # the theme's listing too (site/theme_listing.py)
    assert not (scratch.root / ".cache" / "theme-listings").exists()
    # The negative: Jinja's cache on the project's folder, as the build had it, runs the pickle on its first read.
    key = hashlib.sha1(entry_name.encode()).hexdigest()  # noqa: S324
    bucket = jinja2.bccache.Bucket(jinja2.Environment(autoescape=True), key, "x")
    jinja2.FileSystemBytecodeCache(str(folder)).load_bytecode(bucket)
    assert ran.exists()


def test_the_users_cache_folder_is_the_users_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    made = user_cache("jinja-bytecode")
    assert made == tmp_path / "xdg" / "branddocs" / "jinja-bytecode"
    assert stat.S_IMODE(os.stat(tmp_path / "xdg" / "branddocs").st_mode) == 0o700
    # A link where the branddocs folder belongs (or another user's folder): no cache, rather than another's.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "branddocs").symlink_to(tmp_path / "xdg" / "branddocs")
    assert user_cache("jinja-bytecode") is None
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    monkeypatch.setenv("HOME", "relative")
    assert user_cache("jinja-bytecode") is None
