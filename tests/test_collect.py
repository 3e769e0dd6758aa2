"""Collecting a brand's examples cheaply: what it skips of the build's config must change no example.

`collect_examples` runs only the on_config of the plugins that render a page (branddocs, mkdocs-macros),
loads the config once per brand (its pages and their translations' sources) and runs mkdocs-macros' `git`
processes once per process. The slow path it replaced is kept here as the reference: a fresh config for
each render, every plugin's on_config, git asked each time.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from pathlib import Path

import pytest
from mkdocs_macros import context

from branddocs.examples.collection import collect
from branddocs.examples.collection.collect import collect_examples
from branddocs.examples.collection.drift import Render
from branddocs.examples.collection.marks import marked, unmarked
from branddocs.examples.example import Example
from branddocs.plugin import render as plugin_render
from branddocs.site import Project, build_cache


def _reference_renderer(project: Project, brand_id: str) -> Render:
    """The renderer as it was: each call loads the config and runs every plugin's on_config."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page
    from mkdocs.utils.meta import get_data

    def render(sources: dict[str, str]) -> dict[str, tuple[str, list[int]]]:
        with plugin_render.brand_env(brand_id):
            logging.getLogger("mkdocs").setLevel(logging.ERROR)
            config = load_config(str(project.config_file))
            config = config.plugins.on_config(config)
            macros = config.plugins["macros"]
            docs = Path(config.docs_dir)
            files = Files([File.generated(config, u, abs_src_path=str(docs / s)) for u, s in sources.items()])
            out = {}
            for file, source in zip(files, sources.values(), strict=True):
                page = Page(None, file, config)
                page.read_source(config)
                text = (docs / source).read_text(encoding="utf-8-sig")
                text, _ = get_data(marked(text, str(docs / source)))
                out[source] = unmarked(macros.on_page_markdown(text, page=page, config=config, files=files))
            return out

    return render


def _reference_examples(project: Project, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Example]]:
    with monkeypatch.context() as patched:
        patched.setattr(collect, "_render", _reference_renderer)
        patched.setattr(context, "get_git_info", inspect.unwrap(context.get_git_info))  # uncached, if cached
        return {i: collect_examples(project, project.brand(i)) for i in project.brand_ids()}


def _differences(found: dict[str, list[Example]], expected: dict[str, list[Example]]) -> list[str]:
    """Each way the examples differ, field by field (ids, code, settings, lines, output blocks, tables)."""
    if list(found) != list(expected):
        return [f"brands {list(found)} != {list(expected)}"]
    problems = []
    for brand_id, examples in found.items():
        ids, expected_ids = [e.id for e in examples], [e.id for e in expected[brand_id]]
        if ids != expected_ids:
            problems.append(f"{brand_id}: ids {ids} != {expected_ids}")
            continue
        for ours, theirs in zip(examples, expected[brand_id], strict=True):
            for name in (f.name for f in dataclasses.fields(Example)):
                mine, reference = getattr(ours, name), getattr(theirs, name)
                if name == "request":  # the example itself, compared on its own
                    mine, reference = mine and mine.id, reference and reference.id
                if mine != reference:
                    problems.append(f"{ours.id}: {name} {mine!r} != {reference!r}")
    return problems


def _with_other_plugins(project: Project) -> None:
    """mkdocs.yml listing plugins that have nothing to do with a page's Markdown, as a project may."""
    config = project.config_file
    text = config.read_text(encoding="utf-8")
    assert "  - search\n" in text
    config.write_text(text.replace("  - search\n", "  - search\n  - tags\n  - material/meta\n"), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("plugins", ["as-is", "others-listed"])
def test_collected_examples_are_those_of_the_full_config(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plugins: str
) -> None:
    if plugins == "others-listed":
        project = project.copy_to(tmp_path)
        _with_other_plugins(project)
    monkeypatch.chdir(project.root)
    found = {i: collect_examples(project, project.brand(i)) for i in project.brand_ids()}
    expected = _reference_examples(project, monkeypatch)
    assert sum(map(len, found.values())) > 20
    assert any(e.output for es in found.values() for e in es), "no Output block to compare"
    assert any(e.kind == "errors" for es in found.values() for e in es), "no error table to compare"
    assert any(e.page.endswith(".zh-TW.md") for es in found.values() for e in es), "no translation to compare"
    assert _differences(found, expected) == []


def test_only_the_plugins_that_render_a_page_are_configured(project: Project, tmp_path: Path) -> None:
    from mkdocs.config import load_config

    copy = project.copy_to(tmp_path)
    _with_other_plugins(copy)
    with plugin_render.brand_env(copy.brand_ids()[0]):
        config = load_config(str(copy.config_file))
        assert len(config.plugins.events["config"]) > 2  # search, tags and meta have one too
        config = plugin_render._configured(config)
    ran = [type(method.__self__).__name__ for method in config.plugins.events["config"]]
    assert ran == ["BranddocsPlugin", "MacrosPlugin"]  # by priority: branddocs (100) first
    assert config.plugins["macros"].variables["user_name"]  # both ran: the brand's values are mkdocs-macros'


def test_the_comparison_sees_each_kind_of_difference(project: Project) -> None:
    brand_id = "yushan" if "yushan" in project.brand_ids() else project.brand_ids()[0]
    examples = collect_examples(project, project.brand(brand_id))
    assert _differences({brand_id: examples}, {brand_id: examples}) == []
    run = next(e for e in examples if e.output is not None)
    table = next(e for e in examples if e.kind == "errors")
    changes = [
        (run, "code", run.code + "\n"),
        (run, "output_template_line", run.output_template_line + 1),  # type: ignore[operator]
        (run, "settings", {**run.settings, "test": "skip"}),
        (run, "output", dataclasses.replace(run.output, code="other")),  # type: ignore[arg-type]
        (table, "code", table.code.replace("|", "| ", 1)),
    ]
    for example, name, value in changes:
        changed = [dataclasses.replace(e, **{name: value}) if e is example else e for e in examples]
        assert _differences({brand_id: changed}, {brand_id: examples}) == [
            f"{example.id}: {name} {value!r} != {getattr(example, name)!r}"
        ]
    moved = [dataclasses.replace(run, line=run.line + 1) if e is run else e for e in examples]
    assert _differences({brand_id: moved}, {brand_id: examples})[0].startswith(f"{brand_id}: ids ")
    assert _differences({brand_id: examples[1:]}, {brand_id: examples})[0].startswith(f"{brand_id}: ids ")


def test_a_page_rendered_differently_fails_the_comparison(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the equality test would say if a skipped on_config mattered: a value the pages print differs."""
    found = {i: collect_examples(project, project.brand(i)) for i in project.brand_ids()}

    def shouting(project: Project, brand_id: str) -> Render:
        render = _reference_renderer(project, brand_id)
        return lambda sources: {
            s: (text.replace("client", "CLIENT"), lines) for s, (text, lines) in render(sources).items()
        }

    monkeypatch.setattr(collect, "_render", shouting)
    expected = {i: collect_examples(project, project.brand(i)) for i in project.brand_ids()}
    assert any(": code " in line for line in _differences(found, expected))


def test_git_info_is_asked_once_per_folder_and_given_as_a_fresh_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = []

    def git_info() -> dict:
        asked.append(Path.cwd())
        return {"status": True, "tags": ["v1"]}

    # A new cache over the counting function, as cache_git_info installs over mkdocs-macros' own.
    monkeypatch.setattr(context, "get_git_info", git_info)
    monkeypatch.setattr(build_cache, "_git_cached", False)
    build_cache.cache_git_info()
    here = Path.cwd()
    assert inspect.unwrap(context.get_git_info) is git_info
    first = context.get_git_info()
    first["tags"].append("changed by a macro")
    assert context.get_git_info() == {"status": True, "tags": ["v1"]}
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    context.get_git_info()
    assert asked == [here, tmp_path / "other"]
