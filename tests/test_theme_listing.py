"""The theme's file listing kept between runs (site/theme_listing.py): what Jinja lists, read back only while every
folder of the theme stats the same; a file added, removed or renamed, a folder added, or the theme installed again
(new folders with the old times) gives the new listing. The negative: with the folders' check off, the stale
listing comes back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import jinja2
import pytest
from mkdocs.structure.files import Files

from branddocs.site import theme_listing

STATIC = ["404.html", "sitemap.xml"]


class _Config:
    """What MkDocs' filter reads of a config: the theme's static templates."""

    class theme:
        static_templates = STATIC


def _mkdocs_filter() -> Any:
    """MkDocs' own filter (`Files.add_files_from_theme`'s), as MkDocs hands it to `list_templates`."""
    caught: list[Any] = []

    class Env:
        def list_templates(self, filter_func: Any = None, extensions: Any = None) -> list[str]:
            caught.append(filter_func)
            return []

    Files([]).add_files_from_theme(Env(), _Config())  # type: ignore[arg-type]
    return caught[0]


def _theme(root: Path) -> list[str]:
    theme, overrides = root / "theme", root / "overrides"
    for path in ("main.html", "assets/app.js", "assets/app.css", ".icons/a.svg", "locales/en.yml", "404.html"):
        (theme / path).parent.mkdir(parents=True, exist_ok=True)
        (theme / path).write_text(path)
    (overrides / "assets").mkdir(parents=True)
    (overrides / "assets" / "extra.css").write_text("x")
    return [str(overrides), str(theme)]


def _listed(dirs: list[str], folder: Path | None, extensions: Any = None, use_filter: bool = True) -> list[str]:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), autoescape=True)
    filter_func = _mkdocs_filter() if use_filter else None

    def compute() -> list[str]:
        return env.list_templates(extensions=extensions, filter_func=filter_func)

    return theme_listing.listing(env.loader, extensions, filter_func, STATIC, compute, folder)


def _jinjas(dirs: list[str], extensions: Any = None, use_filter: bool = True) -> list[str]:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), autoescape=True)
    return env.list_templates(extensions=extensions, filter_func=_mkdocs_filter() if use_filter else None)


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Path]:
    """A theme and a cache folder; folders made a moment ago are kept (the clock-tick guard has its own test)."""
    monkeypatch.setattr(theme_listing, "RECENT_S", 0.0)
    folder = tmp_path / "cache"
    folder.mkdir()
    return _theme(tmp_path), folder


def _no_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(self: Any) -> list[str]:
        raise AssertionError("listed again")

    monkeypatch.setattr(jinja2.FileSystemLoader, "list_templates", refused)


def test_the_kept_listing_is_jinjas_and_read_back(
    kept: tuple[list[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    dirs, folder = kept
    for extensions, use_filter in ((None, True), (None, False), (["css", "js"], False)):
        expected = _jinjas(dirs, extensions, use_filter)
        assert _listed(dirs, folder, extensions, use_filter) == expected
    assert _jinjas(dirs) == ["assets/app.css", "assets/app.js", "assets/extra.css"]
    assert len(list(folder.glob("*.json"))) == 6  # each search path, each filter
    _no_walk(monkeypatch)
    assert _listed(dirs, folder) == ["assets/app.css", "assets/app.js", "assets/extra.css"]


@pytest.mark.parametrize("change", ["add", "remove", "rename", "folder", "reinstall"])
def test_a_changed_theme_gives_the_new_listing(kept: tuple[list[str], Path], change: str) -> None:
    dirs, folder = kept
    theme = Path(dirs[1])
    before = _listed(dirs, folder)
    assert before == _jinjas(dirs)
    if change == "add":
        (theme / "assets" / "new.js").write_text("x")
    elif change == "remove":
        (theme / "assets" / "app.js").unlink()
    elif change == "rename":
        (theme / "assets" / "app.css").rename(theme / "assets" / "app2.css")
    elif change == "folder":
        (theme / "assets" / "fonts").mkdir()
        (theme / "assets" / "fonts" / "f.woff2").write_text("x")
    else:  # another version installed: new folders and files, with the old folders' times (pip keeps a wheel's)
        times = {p: os.stat(p) for p in (theme, theme / "assets")}
        shutil.rmtree(theme)
        (theme / "assets").mkdir(parents=True)
        (theme / "assets" / "bundle.2.js").write_text("x")
        for path, status in times.items():
            os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert _listed(dirs, folder) == _jinjas(dirs) != before


def test_without_the_folders_check_a_stale_listing_comes_back(
    kept: tuple[list[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The negative: the same steps with `_unchanged` always true list a file that is gone."""
    dirs, folder = kept
    _listed(dirs, folder)
    (Path(dirs[1]) / "assets" / "app.js").unlink()
    monkeypatch.setattr(theme_listing, "_unchanged", lambda state: True)
    assert "assets/app.js" in _listed(dirs, folder)
    assert "assets/app.js" not in _jinjas(dirs)


def test_what_is_not_kept(tmp_path: Path, kept: tuple[list[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    dirs, folder = kept
    # No cache folder, or a filter that is not MkDocs': Jinja's listing, nothing written.
    assert _listed(dirs, None) == _jinjas(dirs)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), autoescape=True)

    def other_filter(name: str) -> bool:
        return name.endswith(".js")

    def compute() -> list[str]:
        return env.list_templates(filter_func=other_filter)

    assert theme_listing.listing(env.loader, None, other_filter, STATIC, compute, folder) == ["assets/app.js"]
    assert not list(folder.iterdir())
    # A folder changed within the guard's seconds is listed, not kept: its times could change again in the same tick.
    monkeypatch.setattr(theme_listing, "RECENT_S", 3600.0)
    assert _listed(dirs, folder) == _jinjas(dirs)
    assert not list(folder.iterdir())


def test_an_entry_that_is_not_as_written_is_listed_again(kept: tuple[list[str], Path]) -> None:
    dirs, folder = kept
    _listed(dirs, folder)
    for entry in folder.glob("*.json"):
        entry.write_text('{"key": "other", "folders": [], "names": ["forged.js"]}')
    assert _listed(dirs, folder) == _jinjas(dirs)
    for entry in folder.glob("*.json"):
        entry.write_text("not json")
    assert _listed(dirs, folder) == _jinjas(dirs)
