"""A rendered page as readers get it: branddocs' own page_markdown event, one function for every engine.

The "Try it" panels go in first (which examples are runnable is in the fence settings), then the fence settings
and the error-table marker come off (markup.strip_fence_settings). The MkDocs plugin's on_page_markdown and the
Zensical staging (builder/engines/zensical.py, through plugin/render.py) both call it.
"""

from __future__ import annotations

from branddocs.brand import Brand
from branddocs.markup import strip_fence_settings
from branddocs.site import try_it

__all__ = ["published"]


def published(markdown: str, brand: Brand, where: str, send_to: str | None = None) -> str:
    """`markdown` (rendered by mkdocs-macros) of the page `where` (its uri under docs/) as it is published.
    `send_to`: where the panels send requests (`branddocs serve --try-it`); None: the brand's base URL."""
    return strip_fence_settings(try_it.add_panels(markdown, brand, where, send_to))
