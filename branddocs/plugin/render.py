"""A brand's pages rendered as the MkDocs build renders them: the config's on_config, then mkdocs-macros."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs.settings import BRAND
from branddocs.site import Project, build_cache

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

__all__ = ["Renderer", "brand_env", "renderer"]


@contextmanager
def brand_env(brand_id: str) -> Iterator[None]:
    """$BRAND set to `brand_id` for the block: the build's config and macros read the brand from it (settings.py),
    as `mkdocs build` does."""
    old = os.environ.get(BRAND.name)
    os.environ[BRAND.name] = brand_id
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(BRAND.name, None)
        else:
            os.environ[BRAND.name] = old


# What renders a page: the branddocs plugin's on_config (the brand's values) and mkdocs-macros' (its Jinja
# environment and the project's macros). Search and any other plugin have nothing to do with a page's Markdown,
# and Material search's on_config alone (compiling its language templates) cost a third of collecting. A
# plugin whose on_config changed what a page prints (`extra`, a filter given to mkdocs-macros) would belong
# here: tests/test_collect.py holds collection to the full config's examples.
def _rendering_plugins() -> tuple[type, ...]:
    # Here, not at the top: the example checks import this module in every pytest process, MkDocs only to render.
    from mkdocs_macros.plugin import MacrosPlugin

    from branddocs.plugin.plugin import BranddocsPlugin

    return BranddocsPlugin, MacrosPlugin


def _configured(config: MkDocsConfig) -> MkDocsConfig:
    """`config` after the on_config events of the plugins that render a page, run by MkDocs as always (by
    priority, then as listed): this config is collection's own, its other plugins' events are dropped."""
    rendering = _rendering_plugins()
    events = config.plugins.events
    events["config"] = [m for m in events["config"] if isinstance(getattr(m, "__self__", None), rendering)]
    return config.plugins.on_config(config)


Renderer = Callable[[dict[str, str]], dict[str, str]]
"""{source under docs/: rendered Markdown} for {published uri: source under docs/}."""


def renderer(project: Project, brand_id: str, before: Callable[[str, str], str] | None = None) -> Renderer:
    """A function rendering pages for the brand, by the build's own mkdocs-macros; the config is loaded once for all
    its calls. `before(text, path)`: what a page's source becomes before rendering (the checks mark its lines)."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File, Files
    from mkdocs.structure.pages import Page
    from mkdocs.utils.meta import get_data

    build_cache.cache_git_info()  # the same for every brand: mkdocs-macros' dozen `git` processes once
    with brand_env(brand_id):
        logging.getLogger("mkdocs").setLevel(logging.ERROR)
        config = _configured(load_config(str(project.config_file)))
    macros = config.plugins["macros"]
    docs = Path(config.docs_dir)

    def render(sources: dict[str, str]) -> dict[str, str]:
        files = Files([File.generated(config, uri, abs_src_path=str(docs / src)) for uri, src in sources.items()])
        out = {}
        with brand_env(brand_id):
            for file, source in zip(files, sources.values(), strict=True):
                page = Page(None, file, config)
                page.read_source(config)
                text = (docs / source).read_text(encoding="utf-8-sig")
                text, _ = get_data(before(text, str(docs / source)) if before else text)
                out[source] = macros.on_page_markdown(text, page=page, config=config, files=files)
        return out

    return render
