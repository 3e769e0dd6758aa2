"""What a reader meets in a browser, checked with Playwright on Debian's Chromium; each check returns problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from branddocs.brand import Brand
from branddocs.site.browser import CHROMIUM, CHROMIUM_ARGS, serve_site
from branddocs.site.pages import site_title

from .project import ROOT, SCREENSHOTS

__all__ = [
    "AXE",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "DESKTOP",
    "GUIDE_WORDS",
    "PHONE",
    "SEARCH_PROBE",
    "Visit",
    "accessibility_problems",
    "copy_button_problems",
    "guide_problems",
    "guide_words",
    "header_problems",
    "image_problems",
    "layout_problems",
    "linked_tabs_problems",
    "open_page",
    "palette_problems",
    "search_answered",
    "search_problems",
    "serve_site",
    "tofu_problems",
    "type_search",
    "zensical_search_problems",
]


GUIDE_WORDS = {
    "en": {"python_tab": "Using Python", "search": "authentication"},
    "zh-TW": {"python_tab": "使用 Python", "search": "金鑰"},
}
"""Words of the guide in each language it is written in: a tab's label, a word search must find."""


def guide_words(brand: Brand) -> dict[str, str]:
    """The guide's words in the brand's language; English where the guide falls back to English."""
    return GUIDE_WORDS.get(brand.language, GUIDE_WORDS["en"])


@dataclass
class Visit:
    """Console errors and failed requests seen while a page is open."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console error: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def _failed(self, request) -> None:
        # ERR_ABORTED is the browser cancelling a request itself, as a reload does to a favicon still loading:
        # nothing a reader misses. A missing file is an HTTP error (above); a broken server, another net:: error.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} ({request.failure})")


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def header_problems(page: Page, brand: Brand, logo: bool = True) -> list[str]:
    problems = []
    title = page.locator(".md-header__topic").first.inner_text().strip()
    if site_title(brand)[0] not in title:
        problems.append(f"the header says {title!r}, not the brand's name {brand.user_name!r}")
    lang = page.evaluate("document.documentElement.lang")
    if lang != brand.language:
        problems.append(f"the page's language (<html lang>) is {lang!r}, not the brand's {brand.language!r}")
    if logo and brand.theme.logo:
        img = page.locator(".md-header__button.md-logo img")
        if not img.count():
            problems.append("the header shows no logo image")
        else:
            src = img.first.get_attribute("src") or ""
            loaded = img.first.evaluate("i => i.complete && i.naturalWidth > 0")
            if not src.endswith(f"images/{brand.resource_dir_name}/{brand.theme.logo}") or not loaded:
                problems.append(f"the header logo {src!r} is not the brand's {brand.theme.logo} (loaded: {loaded})")
    return problems


def palette_problems(page: Page, brand: Brand) -> list[str]:
    colour = page.locator(".md-header").first.evaluate("h => getComputedStyle(h).backgroundColor")
    expected = _rgb(brand.theme.primary)
    return [] if colour == expected else [f"the header is {colour}, not the brand's primary colour {expected}"]


def _checked_labels(page: Page) -> list[str]:
    """The label of the selected tab in each tab group on the page."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.tabbed-set')].map(set => {
            const input = set.querySelector(':scope > input:checked');
            const label = input && set.querySelector(`label[for="${input.id}"]`);
            return label ? label.innerText.trim() : '';
        })"""
    )


def linked_tabs_problems(page: Page, label: str = "Using Python") -> list[str]:
    """Choosing `label` in one group selects it in every group that has it, and survives a reload."""
    groups = page.evaluate(
        """label => [...document.querySelectorAll('.tabbed-set')].map(set =>
            [...set.querySelectorAll(':scope > .tabbed-labels > label')].some(l => l.innerText.trim() === label))""",
        label,
    )
    if sum(groups) < 2:
        return [f"fewer than two tab groups offer {label!r}: nothing to link"]
    page.locator(".tabbed-labels > label", has_text=label).first.click()
    problems = []
    for when in ("after the click", "after a reload"):
        selected = _checked_labels(page)
        wrong = [i for i, has in enumerate(groups) if has and selected[i] != label]
        if wrong:
            problems.append(f"{when}, tab groups {wrong} show {[selected[i] for i in wrong]}, not {label!r}")
        if when == "after the click":
            page.reload()
            page.wait_for_load_state("networkidle")
    return problems


def copy_button_problems(page: Page) -> list[str]:
    """The copy button of the first visible code block puts exactly its code on the clipboard."""
    button = "button[data-md-type='copy'], button.md-clipboard"  # Material 9.8, and before it
    blocks = page.locator(".highlight:visible").filter(has=page.locator(button))
    if not blocks.count():
        return ["no code block on the page has a copy button"]
    block = blocks.first
    shown = block.locator("code").first.inner_text()
    block.hover()
    block.locator(button).first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    if copied.rstrip("\n") != shown.rstrip("\n"):
        return [f"the copy button copied {copied[:80]!r}..., the block shows {shown[:80]!r}..."]
    return []


SEARCH_PROBE = """(() => {
    // Material's and Zensical's search both run in a web worker that answers each query message (type 2) with
    // one result message (type 3), in order: counting both tells when the search has answered its last query.
    const probe = window.__branddocsSearch = {asked: [], answered: 0};
    const Base = window.Worker;
    window.Worker = class extends Base {
        constructor(...args) {
            super(...args);
            this.addEventListener("message", e => { if (e.data && e.data.type === 3) probe.answered += 1; });
        }
        postMessage(message, ...rest) {
            if (message && message.type === 2) probe.asked.push(JSON.stringify(message.data));
            return super.postMessage(message, ...rest);
        }
    };
})()"""
"""An init script for every page the checks open (test_browser.open_page), before the page's own scripts."""

_ANSWERED = """word => {
    const probe = window.__branddocsSearch;
    const last = probe && probe.asked[probe.asked.length - 1];
    return !!last && last.includes(JSON.stringify(word).slice(1, -1)) && probe.answered === probe.asked.length;
}"""
_RENDERED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def search_answered(page: Page, word: str, timeout_ms: int = 30_000) -> str | None:
    """Wait until the page's search has answered its query for `word` and shown the answer; None, or what failed.

    The search's own state, not a time: the worker has answered every query the page asked, the last of them
    holds all of `word` (queries for the first letters, asked as the reader typed, are answered before it), and
    two animation frames have passed for the page to draw the answer. `timeout_ms` only bounds a search that
    never answers, which is a failure of its own."""
    try:
        page.wait_for_function(_ANSWERED, arg=word, timeout=timeout_ms)
    except PlaywrightTimeout:
        asked = page.evaluate("() => window.__branddocsSearch && window.__branddocsSearch.asked")
        return f"the search never answered a query for {word!r} (queries asked: {asked})"
    page.evaluate(_RENDERED)
    return None


def type_search(page: Page, field_selector: str, word: str) -> None:
    """Type `word` into the search field as a reader does: key by key (the searches run on key and input events)."""
    field = page.locator(field_selector)
    field.click()
    field.press_sequentially(word, delay=20)
    # Characters no key makes (Chinese, typed through an input method) send no key event: the reader's
    # last key, committing the input, does.
    field.press("End")


def search_problems(page: Page, word: str, expected_path: str) -> list[str]:
    """Searching for `word` in Material's search lists the page at `expected_path`."""
    opener = page.locator("label.md-header__button[for='__search']").first
    if opener.is_visible():  # narrow screens open search from an icon; wide ones show the field
        opener.click()
    type_search(page, "input.md-search__input", word)
    failed = search_answered(page, word)
    if failed:
        return [failed]
    if not page.locator(f".md-search-result__item a[href*='{expected_path}']").count():
        meta = page.locator(".md-search-result__meta")
        found = meta.first.inner_text() if meta.count() else "no results"
        return [f"searching for {word!r} does not find {expected_path} ({found})"]
    return []


def image_problems(page: Page) -> list[str]:
    broken = page.evaluate(
        """() => [...document.querySelectorAll('article img')]
            .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'))"""
    )
    return [f"image does not load: {src}" for src in broken]


def layout_problems(page: Page) -> list[str]:
    """Nothing wider than the window: the reader never scrolls the page sideways."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return [] if width <= inner else [f"the page is {width} px wide in a {inner} px window"]


def accessibility_problems(page: Page, axe_js: Path, within: str = "") -> list[str]:
    """axe-core's serious and critical violations (colour contrast among them), in the page or the elements `within`
    selects."""
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate(
        "async within => await axe.run(within ? {include: [[within]]} : document, {resultTypes: ['violations']})",
        within,
    )
    problems = []
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            where = ", ".join(" ".join(n["target"]) for n in violation["nodes"][:3])
            summary = re.sub(r"\s+", " ", violation["help"])
            problems.append(f"axe {violation['impact']}: {violation['id']}: {summary} ({where})")
    return problems


def tofu_problems(page: Page) -> list[str]:
    """Text drawn without a glyph (tofu): characters measured exactly as a character no font has.

    Chromium draws a character none of the page's fonts nor the system's fallback fonts has as a .notdef
    box; a private-use character of plane 16 has none anywhere, so its advance and ink bounds are the box's.
    """
    bad, font = page.evaluate(
        """() => {
            const style = getComputedStyle(document.body);
            const canvas = document.createElement('canvas').getContext('2d');
            canvas.font = `${style.fontSize} ${style.fontFamily}`;
            const shape = c => {
                const m = canvas.measureText(c);
                return [m.width, m.actualBoundingBoxLeft, m.actualBoundingBoxRight,
                        m.actualBoundingBoxAscent, m.actualBoundingBoxDescent].map(v => v.toFixed(2)).join();
            };
            const missing = shape('\\u{10FFFD}');
            const chars = [...new Set(document.body.innerText)].filter(c => !/[\\s\\p{Cc}\\p{Cf}]/u.test(c));
            return [chars.filter(c => shape(c) === missing).join(''), canvas.font];
        }"""
    )
    if not bad:
        return []
    return [f"{len(bad)} characters have no glyph in {font} or any fallback font (tofu): {bad[:20]}"]


DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 812}
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def open_page(browser: Browser, url: str, viewport: dict[str, int], settled: bool = True) -> tuple[Page, Visit]:
    """`url` in a context of its own, its problems seen from the first request on; `settled`: returned once the page
    has loaded and the network has been idle (else as soon as the navigation is under way: the caller waits for
    `networkidle` itself before reading the page)."""
    context = browser.new_context(viewport=viewport, reduced_motion="reduce")
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=url.split("/", 3)[0] + "//" + url.split("/")[2]
    )
    context.add_init_script(SEARCH_PROBE)  # tells when the site's search has answered (search_answered)
    page = context.new_page()
    visit = Visit(page)
    page.goto(url, wait_until="load" if settled else "commit")
    if settled:
        page.wait_for_load_state("networkidle")
    return page, visit


def guide_problems(browser: Browser, site: Path, brand: Brand, search=search_problems, shots: str = "") -> list[str]:
    """Every check of a brand's guide, its site folder served alone on loopback, on a desktop and a phone:
    header, palette, images, layout, axe, tofu, linked tabs, copy buttons, search (`search`: the engine's)."""
    words = guide_words(brand)
    problems: list[str] = []
    with serve_site(site) as url:
        page, visit = open_page(browser, f"{url}/serverless-endpoints/", DESKTOP)
        # The home page and the phone's load (each in its own context) while the desktop page is checked: each is
        # read only once it has loaded and its network has been idle, as open_page's own wait does.
        home, home_visit = open_page(browser, f"{url}/", DESKTOP, settled=False)
        phone, phone_visit = open_page(browser, f"{url}/serverless-endpoints/", PHONE, settled=False)
        problems += header_problems(page, brand) + palette_problems(page, brand) + image_problems(page)
        problems += layout_problems(page) + accessibility_problems(page, AXE) + tofu_problems(page)
        problems += linked_tabs_problems(page, words["python_tab"]) + copy_button_problems(page)
        if shots:
            page.screenshot(path=SCREENSHOTS / f"{shots}-desktop.png", full_page=True)
        problems += search(page, words["search"], "serverless-endpoints/")
        for loading in (home, phone):
            loading.wait_for_load_state("load")
            loading.wait_for_load_state("networkidle")
        problems += accessibility_problems(home, AXE) + header_problems(home, brand)
        problems += header_problems(phone, brand, logo=False) + layout_problems(phone) + image_problems(phone)
        if shots:
            phone.screenshot(path=SCREENSHOTS / f"{shots}-phone.png", full_page=True)
        for context in {p.context for p in (page, home, phone)}:
            context.close()
    return problems + visit.problems + home_visit.problems + phone_visit.problems


def zensical_search_problems(page, word: str, expected_path: str) -> list[str]:
    """Searching for `word` lists the page at `expected_path`: Zensical's search (a dialog in a shadow root,
    which Playwright's CSS selectors pierce), where Material's is `input.md-search__input` (search_problems)."""
    opener = page.locator("label.md-header__button[for='__search']").first
    (opener if opener.is_visible() else page.locator(".md-search__button").first).click()
    type_search(page, "dialog[aria-modal] input[role='combobox']", word)
    failed = search_answered(page, word)
    if failed:
        return [failed]
    if not page.locator(f"ol[role='listbox'] a[href*='{expected_path}']").count():
        status = page.locator("dialog[aria-modal] [role='status']")
        found = status.first.inner_text() if status.count() else "no results"
        return [f"searching for {word!r} does not find {expected_path} ({found})"]
    return []
