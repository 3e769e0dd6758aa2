"""A brand's pages rendered as its build renders them: the one renderer, for every engine and the example checks.

1. `brand_config`: mkdocs.yml loaded for the brand, which is given to branddocs' plugin as an argument (never
   through $BRAND: that is `mkdocs build`'s interface, read once, in settings.py). The MkDocs engine builds
   this config; the renderer also runs every plugin's on_config on it, search's aside (it changes nothing a
   page is made from, and compiling its language templates was a third of collecting's time).
2. `BrandRenderer.pages`: each page read as MkDocs reads it, then rendered by mkdocs-macros' page_markdown event,
   as in MkDocs' build (other plugins' page events lean on the whole build's earlier events, and change no text
   a page is made of: the test below holds the build's Markdown to the renderer's). The fence settings the
   example checks read are still on it.
3. `published` (site/published.py): branddocs' own page_markdown event, the Try it panels added, the fence
   settings and the error-table marker removed:
   the Markdown readers get, from MkDocs (each page's Markdown twin) and from Zensical (its staged pages).

tests/test_render.py holds the three to the same Markdown for every page of every brand.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from branddocs.errors import UsageError
from branddocs.site import Project, build_cache
from branddocs.site.config_check import config_problems
from branddocs.site.published import published  # the plugin's page_markdown event, for the other engines

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

__all__ = ["SKIPPED_ON_CONFIG", "BrandRenderer", "ConfigProblem", "RenderedPage", "brand_config", "published"]

SKIPPED_ON_CONFIG = ("search", "material/search")
"""Plugins whose on_config the renderer does not run: they change nothing a page's Markdown is made from."""


class ConfigProblem(UsageError):
    """mkdocs.yml (or a file it INHERITs) holds what MkDocs may not load: each problem names its file and line."""


class MacroProblem(UsageError):
    """A page's template failed to render (`{{ no_such_value }}`, a syntax error): the page and what went wrong."""


class _Said(logging.Handler):
    """What mkdocs-macros logs while a page renders: its error's one line (`_UndefinedError_: ...`) before it exits."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for line in (line.strip() for line in message.splitlines()):
            syntax = re.match(r"_Line ([0-9]+) in Markdown file:_ \*\*(.*)\*\*$", line)
            if syntax:  # below the page's front matter
                self.lines.append(f"TemplateSyntaxError on line {syntax[1]} of its Markdown: {syntax[2]}")
            elif re.match(r"_[A-Za-z]+_: ", line) and not line.startswith("_File_"):
                self.lines.append(line.strip("_ ").replace("_: ", ": ", 1))


def _render_macros(config: MkDocsConfig, text: str, page: Any, files: Any, shown: str) -> str:
    """The macros plugin's page event: its exit on an error (`on_error_fail`) as a MacroProblem naming the page."""
    said, log = _Said(), logging.getLogger("mkdocs.plugins.mkdocs_macros")
    level, propagate = log.level, log.propagate
    log.addHandler(said)
    log.setLevel(logging.WARNING)  # whatever the run's logging says: the error is said once, in the MacroProblem
    log.propagate = False
    try:
        return config.plugins["macros"].on_page_markdown(text, page=page, config=config, files=files)
    except SystemExit:
        raise MacroProblem(f"{shown}: its macros failed: {'; '.join(said.lines) or 'no reason given'}") from None
    finally:
        log.removeHandler(said)
        log.setLevel(level)
        log.propagate = propagate


def brand_config(project: Project, brand_id: str, site_dir: Path | None = None) -> MkDocsConfig:
    """The project's mkdocs.yml for `brand_id`: its branddocs plugin given the brand (a BrandError names a
    config without the plugin); `site_dir` overrides the config's."""
    # Here, not at the top: the example checks import this module in every pytest process, MkDocs only to render.
    from mkdocs.config import load_config

    from branddocs.plugin.plugin import plugin_of

    # Before MkDocs' loader, which runs the file's Python tags as it reads them (site/config_check.py).
    problems = config_problems(project.config_file, project.root)
    if problems:
        raise ConfigProblem("\n".join(problems))
    config = load_config(str(project.config_file), **({"site_dir": str(site_dir)} if site_dir is not None else {}))
    plugin_of(config).config["brand"] = brand_id
    return config


@dataclass
class RenderedPage:
    """One page of a brand's site, rendered."""

    uri: str
    """Where it is published, under the site (`serverless-endpoints.md`)."""
    source: str
    """The file under docs/ it is made from (a translation, a brand's own page, or `uri` itself)."""
    markdown: str
    """Rendered by mkdocs-macros: fence settings still on it (`published`: off, as the build takes them off)."""
    meta: dict[str, Any] = field(default_factory=dict)
    """Its front matter."""


class BrandRenderer:
    """Renders a brand's pages; the config is loaded and configured once, for all its calls."""

    def __init__(self, project: Project, brand_id: str, site_dir: Path | None = None) -> None:
        build_cache.cache_git_info()  # the same for every brand: mkdocs-macros' dozen `git` processes once
        config = brand_config(project, brand_id, site_dir)
        events, plugins = config.plugins.events, config.plugins  # this config is the renderer's own
        skipped = [plugins[name].on_config for name in SKIPPED_ON_CONFIG if name in plugins]
        events["config"] = [m for m in events["config"] if m not in skipped]
        self.config = config.plugins.on_config(config)
        """The config after the on_config events: what the brand's site is called, its navigation and theme."""

    def pages(self, sources: dict[str, str], before: Callable[[str, str], str] | None = None) -> list[RenderedPage]:
        """The pages `sources` ({published uri: source under docs/}) rendered, in order. `before(text, path)`: what
        a page's source becomes before rendering (the checks mark its lines)."""
        from mkdocs.structure.files import File, Files
        from mkdocs.structure.pages import Page
        from mkdocs.utils.meta import get_data

        config, docs = self.config, Path(self.config.docs_dir)
        files = Files([File.generated(config, uri, abs_src_path=str(docs / src)) for uri, src in sources.items()])
        rendered = []
        for file, (uri, source) in zip(files, sources.items(), strict=True):
            page = Page(None, file, config)
            page.read_source(config)
            text = page.markdown or ""
            if before is not None:
                text = get_data(before((docs / source).read_text(encoding="utf-8-sig"), str(docs / source)))[0]
            text = _render_macros(config, text, page, files, f"docs/{source}")
            rendered.append(RenderedPage(uri, source, text, dict(page.meta)))
        return rendered
