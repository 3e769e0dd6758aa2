"""The branddocs MkDocs plugin: registered and listed by name, its `brand` option, the brand read once per build,
and the project's macros refusing to run without it."""

from __future__ import annotations

import os
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from branddocs.plugin.plugin import BranddocsPlugin
from branddocs.site import Project

from .conftest import BIN, ROOT


def _mkdocs_build(project: Project, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`mkdocs build` in `project`, into site/<id>/."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("BRAND", "BRANDDOCS_ROOT")}
    return subprocess.run([str(BIN / "mkdocs"), "build"], cwd=project.root,
                          env={**inherited, "NO_MKDOCS_2_WARNING": "1", **env}, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip


def _set_plugins(project: Project, plugins: list) -> None:
    text = project.config_file.read_text()
    start = text.index("\nplugins:\n")
    end = text.index("\n\n", start + 1)
    project.config_file.write_text(text[:start] + "\n" + yaml.safe_dump({"plugins": plugins}).rstrip() + text[end:])


def test_the_plugin_is_registered_and_listed_by_name() -> None:
    [entry] = metadata.entry_points(group="mkdocs.plugins", name="branddocs")
    assert entry.load() is BranddocsPlugin
    config = (ROOT / "mkdocs.yml").read_text()
    assert "\nhooks:" not in config
    assert yaml.safe_load(config)["plugins"][0] == "branddocs"


@pytest.mark.slow
def test_the_brand_option_picks_the_brand_without_brand_set(scratch: Project) -> None:
    macros = {"macros": {"module_name": "macros", "on_undefined": "strict", "on_error_fail": True, "verbose": False}}
    # Without the option and without BRAND, the build stops with one line naming the brands.
    done = _mkdocs_build(scratch, {})
    assert done.returncode == 1
    assert "BRAND is not set: run e.g. `BRAND=<id> mkdocs serve`; brands: acme, brightline, nebula" in done.stderr
    _set_plugins(scratch, [{"branddocs": {"brand": "nebula"}}, "search", macros])
    done = _mkdocs_build(scratch, {})
    assert done.returncode == 0, done.stderr
    assert "<title>Nébula AI" in (scratch.site_dir / "nebula" / "index.html").read_text()


@pytest.mark.slow
def test_the_macros_need_the_plugin_and_say_so(scratch: Project) -> None:
    macros = {"macros": {"module_name": "macros", "on_undefined": "strict", "on_error_fail": True, "verbose": False}}
    _set_plugins(scratch, ["search", macros])
    done = _mkdocs_build(scratch, {"BRAND": "acme"})
    assert done.returncode == 1
    assert "the macros module calls branddocs, but `branddocs` is not listed under plugins" in done.stderr


@pytest.mark.slow
def test_the_brand_is_read_once_per_build(scratch: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from branddocs.plugin import plugin

    calls = []
    read = plugin.brand_for_build
    monkeypatch.setattr(plugin, "brand_for_build", lambda *args: calls.append(args) or read(*args))
    monkeypatch.setenv("BRAND", "acme")
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    build(load_config(str(scratch.config_file)))
    pages = list((scratch.site_dir / "acme").rglob("index.html"))
    assert len(pages) >= 2  # several pages, each with its events; one reading of the brand
    assert calls == [(str(scratch.config_file), None)]


@pytest.mark.slow
def test_a_new_projects_pages_render_in_the_sandbox(tmp_path: Path) -> None:
    # `branddocs new` has mkdocs-macros load branddocs.plugin.macros itself (`modules:`), with no macros/ folder.
    from branddocs.scaffold import new

    project = Project(tmp_path / "proj")
    new(project.root)
    assert not (project.root / "macros").exists()
    (project.docs_dir / "probe.md").write_text("# Probe\n\n{{ user_name }} at {{ base_url }}\n")
    done = _mkdocs_build(project, {"BRAND": "mycloud"})
    assert done.returncode == 0, done.stderr
    assert (
        "My Cloud at https://api.mycloud.example/v1"
        in (project.site_dir / "mycloud" / "probe" / "index.html").read_text()
    )
    # The same page reaching for Python's internals stops the build: the sandbox is in place.
    (project.docs_dir / "probe.md").write_text("# Probe\n\n{{ cycler.__init__.__globals__ }}\n")
    done = _mkdocs_build(project, {"BRAND": "mycloud"})
    assert done.returncode != 0
    assert "SecurityError: access to attribute '__init__'" in done.stdout + done.stderr
