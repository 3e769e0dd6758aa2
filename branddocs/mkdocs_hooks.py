"""MkDocs hooks: put the brand (BRAND) into the site config, keep other brands' files out, fail on leaks.

Loaded by path from mkdocs.yml (`hooks:`), so it imports branddocs absolutely.
"""

from __future__ import annotations

import os
import re

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

from branddocs.brand import BrandError
from branddocs.site import brand_for_build

__all__ = ["FENCE_SETTINGS", "on_config", "on_files", "on_page_markdown", "on_post_page"]

# Example settings on a fence line (```python test="skip" reason="..."): read by the example checks,
# removed before Markdown sees them so the published page shows plain code.
FENCE_SETTINGS = ("test", "lint", "group", "reason", "output", "request", "xfail")
_FENCE_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<rest>.*)$", re.MULTILINE)
_SETTING = re.compile(r'\s+(?:{})="[^"]*"'.format("|".join(FENCE_SETTINGS)))
_TEMPLATE_LEFTOVER = re.compile(r"\{\{|\{%|\{#")


def _brand(config):
    try:
        return brand_for_build(config.config_file_path)
    except BrandError as exc:
        raise PluginError(str(exc)) from None


def on_config(config):
    brand = _brand(config)
    images = f"images/{brand.resource_dir_name}"
    config.site_name = f"{brand.user_name} Learning Guide"
    config.site_description = f"How to call {brand.user_name}'s serverless LLM endpoints"
    if brand.site_url:
        config.site_url = brand.site_url.rstrip("/") + "/"
    config.copyright = brand.copyright or f"© {brand.user_name}"
    if brand.theme.logo:
        config.theme["logo"] = f"{images}/{brand.theme.logo}"
    if brand.theme.favicon or brand.theme.logo:
        config.theme["favicon"] = f"{images}/{brand.theme.favicon or brand.theme.logo}"
    config.extra["brand"] = brand.model_dump(mode="json")
    config.extra["brand_css"] = brand.theme.css_variables()
    return config


def on_files(files: Files, config) -> Files:
    """Keep every other brand's screenshots and logos out of this brand's site."""
    own = f"images/{_brand(config).resource_dir_name}/"
    for file in list(files):
        parts = file.src_uri.split("/")
        if parts[0] == "images" and len(parts) > 2 and not file.src_uri.startswith(own):
            files.remove(file)
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    return _FENCE_LINE.sub(lambda m: m["indent"] + m["fence"] + _SETTING.sub("", m["rest"]), markdown)


def on_post_page(output: str, page, config) -> str:
    where = page.file.src_uri
    # A page that opts out of macros (the writers' page) shows template syntax on purpose.
    leftover = page.meta.get("render_macros", True) and _TEMPLATE_LEFTOVER.search(page.content or "")
    if leftover:
        raise PluginError(f"{where}: template text {leftover.group()!r} left in the rendered page")
    brand = _brand(config)
    for name in dict.fromkeys((brand.key_env, "BRANDDOCS_API_KEY")):
        secret = os.environ.get(name, "")
        if len(secret) >= 8 and secret in output:
            raise PluginError(f"{where}: the value of ${name} (an API key) appears in the page; remove it")
    return output
