"""`branddocs diff --screenshots`: before/after screenshots of each changed page, the changed blocks outlined.

Both sides' sites are served on loopback and opened in Debian's Chromium with Playwright, as the browser
checks do (branddocs/site/browser.py). A block (heading, paragraph, list item, table cell, code block)
whose text the other side lacks gets an outline: orange on the page before, green after. A brand whose
change is only stylesheets, images or navigation is shown by its home page.
"""

from __future__ import annotations

import re
from pathlib import Path

from branddocs.review.diff import DiffReport
from branddocs.site.browser import CHROMIUM, CHROMIUM_ARGS, serve_site

__all__ = ["screenshots"]

_BLOCKS = "article h1, article h2, article h3, article h4, article p, article li, article td, article th, article pre"
_TEXTS = f"() => [...document.querySelectorAll({_BLOCKS!r})].map(e => e.innerText.trim())"
_MARK = f"""([others, colour]) => {{
    const seen = new Set(others);
    let marked = 0;
    for (const e of document.querySelectorAll({_BLOCKS!r})) {{
        if (!seen.has(e.innerText.trim()) && !e.querySelector('p, li, td, pre')) {{
            e.style.outline = `3px solid ${{colour}}`;
            e.style.outlineOffset = '2px';
            marked++;
        }}
    }}
    return marked;
}}"""
_BEFORE, _AFTER = "#e8590c", "#2b8a3e"


def _slug(page: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", page.strip("/")) or "home"


def screenshots(report: DiffReport, before_root: Path, after_root: Path, folder: Path) -> None:
    """Write `<folder>/<brand>/<page>-before.png` and `-after.png`; the paths go to `report.shots`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for change in report.changed:
                if change.status != "changed":
                    continue  # a whole brand added or removed: its pages are listed, not pictured
                addresses = [p.page for p in change.pages if p.status == "changed"] or ["/"]
                out = folder / change.brand_id
                out.mkdir(parents=True, exist_ok=True)
                with serve_site(before_root / change.brand_id) as old, serve_site(after_root / change.brand_id) as new:
                    for address in addresses:
                        page.goto(old + address)
                        before_texts = page.evaluate(_TEXTS)
                        page.goto(new + address)
                        after_texts = page.evaluate(_TEXTS)
                        shots = []
                        for url, others, colour, side in ((old, after_texts, _BEFORE, "before"),
                                                          (new, before_texts, _AFTER, "after")):  # fmt: skip
                            page.goto(url + address)
                            page.evaluate(_MARK, [others, colour])
                            path = out / f"{_slug(address)}-{side}.png"
                            page.screenshot(path=str(path), full_page=True)
                            shots.append(str(path))
                        report.shots.setdefault(change.brand_id, []).extend(shots)
        finally:
            browser.close()
