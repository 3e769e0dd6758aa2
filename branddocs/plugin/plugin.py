"""The branddocs MkDocs plugin: one brand's site from the shared guide, with no other brand's files and no secret.

Listed in mkdocs.yml as `plugins: [branddocs, ...]` and found through its `mkdocs.plugins` entry point. The
brand (`brand:` or BRAND) is resolved once, in `on_config`, and kept on the plugin for the build's other
events and for the project's macros (branddocs/plugin/macros.py).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from branddocs import text
from branddocs.brand import Brand, BrandError
from branddocs.brand.folders import IMAGES
from branddocs.brand.links import project_folders
from branddocs.markup import template_leftover
from branddocs.plugin import files as brand_files
from branddocs.plugin.config import BranddocsConfig
from branddocs.settings import TRY_IT_BASE
from branddocs.site import brand_for_build, build_env, llms, search, secrets_scan, store, try_it
from branddocs.site.config_check import config_problems
from branddocs.site.pages import SitePages, kept_out, site_pages, site_title
from branddocs.site.platform_file import write_platform
from branddocs.site.published import published
from branddocs.site.sdk_versions import sdk_variables

__all__ = ["BranddocsPlugin", "brand_of", "plugin_of"]

_STAGING = re.compile(r"^\.staging-(?P<id>[a-z0-9-]+)-")
"""`branddocs build` stages each brand in site/.staging-<id>-<unique>/ (branddocs/builder/build.py)."""
log = logging.getLogger("mkdocs.plugins.branddocs")  # branddocs build reports this logger's INFO lines


class BranddocsPlugin(BasePlugin[BranddocsConfig]):
    """Puts the brand into the site's config, keeps other brands' files out, fails a build that leaks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._brand: Brand | None = None
        self.variables: dict[str, Any] = {}
        """What a page's `{{ name }}` may print: the brand's values and the SDK facts the guide states."""
        self._forbidden: dict[str, str] = {}
        self._pages = SitePages()

    @property
    def brand(self) -> Brand:
        """The brand this build is for; resolved in `on_config`."""
        if self._brand is None:
            raise PluginError("branddocs: the brand is read in on_config, which has not run yet")
        return self._brand

    # First, before the search plugin reads the theme's language for its index and before mkdocs-macros
    # asks the project's macros for the brand's values.
    @event_priority(100)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # A build holds only the allow-listed environment (`branddocs build` made it so before loading the config; a
        # plain `mkdocs build` here, before any other plugin's on_config or page), and its config has no tag outside
        # the allow-list (checked before MkDocs' loader by branddocs; here again, from the files, for a plain build).
        build_env.enter()
        problems = config_problems(Path(config.config_file_path))
        if problems:
            raise PluginError("\n".join(problems))
        try:
            brand = self._brand = brand_for_build(config.config_file_path, self.config.brand)
        except BrandError as exc:
            raise PluginError(str(exc)) from None  # MkDocs prints this as one clear line, not a traceback
        root = Path(config.config_file_path).parent
        # What the build reads is the project's own: mkdocs.yml's folders are its docs/ and overrides/ (links.py).
        folders = {"docs_dir": (config.docs_dir, "docs")}
        if config.theme.custom_dir:
            folders["theme.custom_dir"] = (config.theme.custom_dir, "overrides")
        outside = project_folders(root, folders)
        if outside:
            raise PluginError(f"{config.config_file_path}: {outside[0]}")
        brand_files.install(brand_of)  # this build's walk of docs/ skips other brands' folders (plugin/files.py)
        self._pages = site_pages(Path(config.docs_dir), brand)  # once per build: the nav and on_files use it
        # The SDK values come from the project's own lock files, not from a tenant: printed as they are
        # (text.MarkdownSafe), so `pip install "openai==3.*"` reads right inside a code block.
        sdk = {name: text.MarkdownSafe(value) for name, value in sdk_variables(root).items()}
        self.variables = {**sdk, **brand.variables()}
        self._forbidden = secrets_scan.forbidden(root)
        images = f"{IMAGES}/{brand.resource_dir_name}"
        config.site_dir = _site_dir(config, brand.id)
        config.theme["language"] = brand.language
        search.configure_search(config, brand.language)  # before Material's search reads its settings
        if config.nav:
            config.nav = _nav(config, brand, self._pages)
        name, description = site_title(brand)
        # Markup: Material prints these both raw and through `| e`; escaped once here, they read right in both.
        config.site_name = escape(name)
        config.site_description = escape(description)
        if brand.site_url:
            config.site_url = text.url_path(brand.site_url.rstrip("/") + "/")
        config.copyright = escape(brand.copyright) if brand.copyright else Markup("&copy; ") + brand.user_name
        # Percent-encoded as well as restricted to safe characters by the brand model: Material prints both
        # inside attributes without escaping them.
        if brand.theme.logo:
            config.theme["logo"] = text.url_path(f"{images}/{brand.theme.logo}")
        if brand.theme.favicon or brand.theme.logo:
            config.theme["favicon"] = text.url_path(f"{images}/{brand.theme.favicon or brand.theme.logo}")
        config.extra["brand"] = brand.model_dump(mode="json")
        config.extra["brand_css"] = brand.theme.css_variables()
        if brand.features.try_it:  # the panels' script and stylesheet, as files (no inline script), in every page
            config.extra_css.append(try_it.STYLESHEET)
            config.extra_javascript.append(try_it.SCRIPT)
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        # A plain build into site/<id>/ replaces what `branddocs build` published there: its stamp no longer
        # vouches for the folder, so the next `branddocs build` rebuilds the brand.
        site = Path(config.site_dir)
        if site.parent == _site_root(config):
            (site.parent / ".branddocs" / f"{site.name}.json").unlink(missing_ok=True)
        # Its files may be hard links shared with other brands' sites (branddocs/site/store.py), and a
        # `--dirty` build writes into existing files: private copies first, so no other site changes.
        store.detach(site)
        search.index_as_utf8(config)  # Material's search made its index in its on_config

    # Late, after the other plugins have added theirs: the brand's pages only (its translations, its own
    # pages), and no other brand's images.
    @event_priority(-50)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        brand = self.brand
        for file in list(files):
            if kept_out(file.src_uri, brand):  # the brand's own pages and translations come back below, renamed
                files.remove(file)
        docs = Path(config.docs_dir)
        pages = self._pages
        for uri, source in pages.sources.items():
            if uri != source:  # a translation or a page of the brand's own, published under the shared name
                replaced = files.get_file_from_path(uri)
                if replaced is not None:
                    files.remove(replaced)
                files.append(File.generated(config, uri, abs_src_path=str(docs / source)))
        for uri in pages.untranslated:
            file = files.get_file_from_path(uri)
            if file is not None and not file.inclusion.is_excluded():
                log.info(f"{uri} has no {brand.language} translation ({uri.removesuffix('.md')}.{brand.language}.md): "
                         "the English page is published")  # fmt: skip
        if brand.features.try_it:
            for uri, text in try_it.assets().items():
                files.append(File.generated(config, uri, content=text))
        refused = brand_files.refused(files, config, brand)
        if refused:
            raise PluginError("files the site may not publish:\n  " + "\n  ".join(refused))
        return files

    # Late, after mkdocs-macros has rendered the page: settings on fences that macros wrote go too (markup.py).
    # The "Try it" panels first: which examples are runnable is in those settings.
    @event_priority(-50)
    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        # `branddocs serve --try-it` points the panels at the reference endpoint; a build, at the brand's base URL.
        send_to = TRY_IT_BASE.get() or None
        return published(markdown, self.brand, page.file.src_uri, send_to)

    @event_priority(-50)
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        where = page.file.src_uri
        # A page that opts out of macros (the writers' page) shows template syntax on purpose.
        leftover = page.meta.get("render_macros", True) and template_leftover(page.content or "")
        if leftover:
            raise PluginError(f"{where}: template text {leftover!r} left in the rendered page")
        found = secrets_scan.find(output, self._forbidden)
        if found:
            raise PluginError(f"{where}: {found[0]} appears in the page; remove it")
        llms.write_twin(page, config)  # the page's Markdown twin, after its own secret check
        return output

    # Last: every file of the site (search index, sitemap, 404 page, assets too), after every other plugin.
    @event_priority(-100)
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        llms.write_index(config)  # llms.txt and llms-full.txt, before the scan of every file
        site = Path(config.site_dir)
        write_platform(site, self.brand, Path(config.config_file_path).parent)  # what `branddocs mcp` answers
        hits = secrets_scan.scan_site(site, self._forbidden)
        for name in dict.fromkeys(name for name, _ in hits):
            (site / name).unlink()  # never left on disk where it could be served or uploaded
        if hits:
            lines = "\n".join(f"  {name}: {what} appears in this file" for name, what in hits)
            raise PluginError(f"{site}: secrets or local paths in the built site (those files are deleted):\n{lines}")


def plugin_of(config: MkDocsConfig, caller: str = "branddocs") -> BranddocsPlugin:
    """The build's branddocs plugin; a PluginError, saying that `caller` needs it, when mkdocs.yml lists none."""
    for plugin in config.plugins.values():
        if isinstance(plugin, BranddocsPlugin):
            return plugin
    raise PluginError(
        f"{config.config_file_path}: {caller} calls branddocs, but `branddocs` is not listed under plugins: add "
        "`- branddocs` to plugins"
    )


def brand_of(config: MkDocsConfig) -> Brand | None:
    """The brand the branddocs plugin of this build resolved; None without the plugin or before its on_config."""
    plugin = next((p for p in config.plugins.values() if isinstance(p, BranddocsPlugin)), None)
    return plugin._brand if plugin is not None else None


def _site_root(config: MkDocsConfig) -> Path:
    return Path(os.path.realpath(Path(config.config_file_path).parent / "site"))


def _site_dir(config: MkDocsConfig, brand_id: str) -> str:
    """Where this build may write: MkDocs empties site_dir first, so never site/ or another brand's folder."""
    root, site = _site_root(config), Path(os.path.realpath(config.site_dir))
    if site == root:
        return str(root / brand_id)  # plain `BRAND=x mkdocs build`: site/x/, beside the other brands
    staging = _STAGING.match(site.name)
    if root.is_relative_to(site) or (
        site.is_relative_to(root) and site != root / brand_id and not (staging and staging["id"] == brand_id)
    ):
        raise PluginError(
            f"site_dir {config.site_dir}: building brand {brand_id!r} there would delete other brands' sites "
            f"in {root}; leave site_dir unset (it becomes {root / brand_id}) or pass -d {root / brand_id}"
        )
    return config.site_dir


def _nav(config: MkDocsConfig, brand: Brand, pages: SitePages) -> list:
    """mkdocs.yml's navigation, then the brand's own new pages; titles from the pages when not in English."""
    nav = list(config.nav or [])
    if brand.language != "en":  # mkdocs.yml's titles are English: a translated page's own heading names it
        nav = [next(iter(item.values())) if isinstance(item, dict) and len(item) == 1 else item for item in nav]
    return nav + pages.own
