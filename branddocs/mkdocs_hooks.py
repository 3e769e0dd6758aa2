"""MkDocs hooks: put the brand (BRAND) into the site config, keep other brands' files out, fail on leaks.

Loaded by path from mkdocs.yml (`hooks:`), so it imports branddocs absolutely.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup, escape
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from branddocs.brand import BrandError
from branddocs.site import brand_for_build, llms, search, secrets_scan
from branddocs.site.pages import is_other_content, site_pages, site_title

__all__ = [
    "FENCE_SETTINGS",
    "on_config",
    "on_files",
    "on_page_markdown",
    "on_post_build",
    "on_post_page",
    "on_pre_build",
]

# Example settings on a fence line (```python test="skip" reason="..."): read by the example checks,
# removed before Markdown sees them so the published page shows plain code.
FENCE_SETTINGS = ("test", "lint", "group", "reason", "output", "request", "xfail")
_FENCE_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<rest>.*)$", re.MULTILINE)
_SETTING = re.compile(r'\s+(?:{})="[^"]*"'.format("|".join(FENCE_SETTINGS)))
_TEMPLATE_LEFTOVER = re.compile(r"\{\{|\{%|\{#")
_STAGING = re.compile(r"^\.staging-(?P<id>[a-z0-9-]+)-")
"""`branddocs build` stages each brand in site/.staging-<id>-<unique>/ (branddocs/site/build.py)."""
log = logging.getLogger("mkdocs.plugins.branddocs")


def _brand(config):
    try:
        return brand_for_build(config.config_file_path)
    except BrandError as exc:
        raise PluginError(str(exc)) from None


def _site_root(config) -> Path:
    return Path(os.path.realpath(Path(config.config_file_path).parent / "site"))


def _site_dir(config, brand_id: str) -> str:
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


def _nav(config, brand) -> list:
    """mkdocs.yml's navigation, then the brand's own new pages; titles from the pages when not in English."""
    nav = list(config.nav or [])
    if brand.language != "en":  # mkdocs.yml's titles are English: a translated page's own heading names it
        nav = [next(iter(item.values())) if isinstance(item, dict) and len(item) == 1 else item for item in nav]
    own = site_pages(Path(config.docs_dir), brand).own
    return nav + own


# First, before the search plugin reads the theme's language for its index.
@event_priority(100)
def on_config(config):
    brand = _brand(config)
    images = f"images/{brand.resource_dir_name}"
    config.site_dir = _site_dir(config, brand.id)
    config.theme["language"] = brand.language
    search.configure_search(config, brand.language)
    if config.nav:
        config.nav = _nav(config, brand)
    name, description = site_title(brand)
    # Markup: Material prints these both raw and through `| e`; escaped once here, they read right in both.
    config.site_name = escape(name)
    config.site_description = escape(description)
    if brand.site_url:
        config.site_url = quote(brand.site_url.rstrip("/") + "/", safe=":/?#[]@!$&'()*+,;=%~")
    config.copyright = escape(brand.copyright) if brand.copyright else Markup("&copy; ") + brand.user_name
    # Percent-encoded as well as restricted to safe characters by the brand model: Material prints both
    # inside attributes without escaping them.
    if brand.theme.logo:
        config.theme["logo"] = quote(f"{images}/{brand.theme.logo}")
    if brand.theme.favicon or brand.theme.logo:
        config.theme["favicon"] = quote(f"{images}/{brand.theme.favicon or brand.theme.logo}")
    config.extra["brand"] = brand.model_dump(mode="json")
    config.extra["brand_css"] = brand.theme.css_variables()
    return config


def on_pre_build(config) -> None:
    # A plain build into site/<id>/ replaces what `branddocs build` published there: its stamp no longer
    # vouches for the folder, so the next `branddocs build` rebuilds the brand.
    site = Path(config.site_dir)
    if site.parent == _site_root(config):
        (site.parent / ".branddocs" / f"{site.name}.json").unlink(missing_ok=True)


def on_files(files: Files, config) -> Files:
    """The brand's pages only (its translations, its own pages), and no other brand's images."""
    brand = _brand(config)
    own = f"images/{brand.resource_dir_name}/"
    for file in list(files):
        parts = file.src_uri.split("/")
        other_images = parts[0] == "images" and len(parts) > 2 and not file.src_uri.startswith(own)
        if other_images or is_other_content(file.src_uri, brand):
            files.remove(file)
    docs = Path(config.docs_dir)
    pages = site_pages(docs, brand)
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
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    return _FENCE_LINE.sub(lambda m: m["indent"] + m["fence"] + _SETTING.sub("", m["rest"]), markdown)


def _forbidden(config) -> dict[str, str]:
    return secrets_scan.forbidden(Path(config.config_file_path).parent)


def on_post_page(output: str, page, config) -> str:
    where = page.file.src_uri
    # A page that opts out of macros (the writers' page) shows template syntax on purpose.
    leftover = page.meta.get("render_macros", True) and _TEMPLATE_LEFTOVER.search(page.content or "")
    if leftover:
        raise PluginError(f"{where}: template text {leftover.group()!r} left in the rendered page")
    found = secrets_scan.find(output, _forbidden(config))
    if found:
        raise PluginError(f"{where}: {found[0]} appears in the page; remove it")
    llms.write_twin(page, config)
    return output


def on_post_build(config) -> None:
    """Every file of the site (search index, sitemap, 404 page, assets too), after every other plugin."""
    llms.write_index(config)
    site = Path(config.site_dir)
    hits = secrets_scan.scan_site(site, _forbidden(config))
    for name in dict.fromkeys(name for name, _ in hits):
        (site / name).unlink()  # never left on disk where it could be served or uploaded
    if hits:
        lines = "\n".join(f"  {name}: {what} appears in this file" for name, what in hits)
        raise PluginError(f"{site}: secrets or local paths in the built site (those files are deleted):\n{lines}")
