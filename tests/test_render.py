"""One renderer (plugin/render.py): MkDocs' build, Zensical's staging and the example checks get the same Markdown.

For every page of every brand: the Markdown twin the MkDocs build publishes beside the page's HTML, the page
Zensical's staging writes, and the page as the example checks render it (fence settings then removed, as the
build removes them) are one text. And the renderer is not right by luck: one that skipped a plugin's on_config
(as collection once did) renders a page that prints what that on_config set differently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from branddocs.brand import Brand
from branddocs.builder.engines.zensical import prepare
from branddocs.examples.collection.collect import render_pages
from branddocs.plugin import render
from branddocs.plugin.render import BrandRenderer, published
from branddocs.site import Project
from branddocs.site.pages import site_pages
from branddocs.site.try_it import strip_panels

pytestmark = pytest.mark.slow


def _front_matter_off(text: str) -> str:
    return text.split("\n---\n", 1)[1].lstrip("\n") if text.startswith("---\n") else text


def _as_twin(text: str) -> str:
    """As llms.write_twin writes a page: trailing blank lines off, one newline."""
    return text.rstrip() + "\n"


def test_mkdocs_zensical_and_the_checks_render_every_page_alike(
    project: Project, brands: list[Brand], built_sites: dict[str, Path], tmp_path: Path
) -> None:
    compared = 0
    for brand in brands:
        work = tmp_path / brand.id
        prepare(project, brand.id, work)
        staged = {p.relative_to(work / "docs").as_posix(): p for p in (work / "docs").rglob("*.md")}
        twins = {p.relative_to(built_sites[brand.id]).as_posix() for p in built_sites[brand.id].rglob("*.md")}
        assert set(staged) == twins, brand.id  # the same pages: the writers' draft on neither
        checks = render_pages(project, brand.id)
        sources = site_pages(project.docs_dir, brand).sources
        for uri, path in sorted(staged.items()):
            mkdocs = (built_sites[brand.id] / uri).read_text(encoding="utf-8")
            zensical = _as_twin(strip_panels(_front_matter_off(path.read_text(encoding="utf-8"))))
            ours = _as_twin(strip_panels(published(checks[sources[uri]], brand, uri)))
            # (the twins are the pages without their Try it panels: tests/test_try_it.py holds the panels)
            assert zensical == mkdocs, f"{brand.id}: {uri}: Zensical's staging differs from MkDocs' build"
            assert ours == mkdocs, f"{brand.id}: {uri}: the checks' rendering differs from MkDocs' build"
            compared += 1
    assert compared >= 2 * len(brands)


_HOOK = """
def on_config(config):
    config.extra["greeting"] = "Greetings from a hook on_config"
    return config
"""


def test_a_renderer_that_skips_a_plugins_on_config_renders_differently(
    scratch: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The negative: a hook sets what a page prints in its on_config; skip that on_config and the page differs."""
    (scratch.root / "greeting_hook.py").write_text(_HOOK, encoding="utf-8")
    config = scratch.config_file.read_text(encoding="utf-8")
    scratch.config_file.write_text(config + "hooks:\n  - greeting_hook.py\n", encoding="utf-8")
    (scratch.docs_dir / "greeting.md").write_text(
        '# Hello\n\n{{ extra.greeting | default("no greeting") }}\n', encoding="utf-8"
    )
    sources = {"greeting.md": "greeting.md"}
    assert "Greetings from a hook on_config" in BrandRenderer(scratch, "acme").pages(sources)[0].markdown
    monkeypatch.setattr(render, "SKIPPED_ON_CONFIG", (*render.SKIPPED_ON_CONFIG, "greeting_hook.py"))
    assert "no greeting" in BrandRenderer(scratch, "acme").pages(sources)[0].markdown


def test_the_brand_travels_as_an_argument(scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From `branddocs build` to the page without the process environment: a build with BRAND unset builds the
    brand it was given, and leaves BRAND unset (a plain `BRAND=x mkdocs build` reads it: tests/test_plugin.py)."""
    from branddocs.builder.build import build_brand

    monkeypatch.delenv("BRAND", raising=False)
    result = build_brand(scratch, "nebula", tmp_path / "site")
    assert result.ok, result.error
    assert "BRAND" not in os.environ
    assert "Nébula AI" in (tmp_path / "site" / "nebula" / "index.md").read_text(encoding="utf-8")
    assert "Nébula AI" in BrandRenderer(scratch, "nebula").pages({"index.md": "index.md"})[0].markdown
    assert "BRAND" not in os.environ
