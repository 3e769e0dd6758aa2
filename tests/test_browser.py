"""Every brand's published guide in a real browser (Playwright driving Debian's Chromium), on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from branddocs.brand import Brand, load_brand
from branddocs.site import Project

from .browser_checks import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SEARCH_PROBE,
    Visit,
    accessibility_problems,
    copy_button_problems,
    guide_words,
    header_problems,
    image_problems,
    layout_problems,
    linked_tabs_problems,
    palette_problems,
    search_problems,
    serve_site,
    tofu_problems,
)
from .conftest import FIXTURES, ROOT, SCREENSHOTS, run_branddocs, scratch_project

pytestmark = pytest.mark.slow
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 812}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does, as root)", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser: Browser, url: str, viewport: dict[str, int]) -> tuple[Page, Visit]:
    context = browser.new_context(viewport=viewport, reduced_motion="reduce")
    context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=url.split("/", 3)[0] + "//" + url.split("/")[2]
    )
    context.add_init_script(SEARCH_PROBE)  # tells when the site's search has answered (search_answered)
    page = context.new_page()
    visit = Visit(page)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, visit


def guide_problems(browser: Browser, site: Path, brand: Brand, search=search_problems, shots: str = "") -> list[str]:
    """Every check of a brand's guide, its site folder served alone on loopback, on a desktop and a phone:
    header, palette, images, layout, axe, tofu, linked tabs, copy buttons, search (`search`: the engine's)."""
    words = guide_words(brand)
    problems: list[str] = []
    with serve_site(site) as url:
        page, visit = open_page(browser, f"{url}/serverless-endpoints/", DESKTOP)
        problems += header_problems(page, brand) + palette_problems(page, brand) + image_problems(page)
        problems += layout_problems(page) + accessibility_problems(page, AXE) + tofu_problems(page)
        problems += linked_tabs_problems(page, words["python_tab"]) + copy_button_problems(page)
        if shots:
            page.screenshot(path=SCREENSHOTS / f"{shots}-desktop.png", full_page=True)
        problems += search(page, words["search"], "serverless-endpoints/")
        home, home_visit = open_page(browser, f"{url}/", DESKTOP)
        problems += accessibility_problems(home, AXE) + header_problems(home, brand)
        phone, phone_visit = open_page(browser, f"{url}/serverless-endpoints/", PHONE)
        problems += header_problems(phone, brand, logo=False) + layout_problems(phone) + image_problems(phone)
        if shots:
            phone.screenshot(path=SCREENSHOTS / f"{shots}-phone.png", full_page=True)
        for context in {p.context for p in (page, home, phone)}:
            context.close()
    return problems + visit.problems + home_visit.problems + phone_visit.problems


def test_guide_in_a_browser(brand_id: str, built_sites: dict[str, Path], browser: Browser, project: Project) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = guide_problems(browser, built_sites[brand_id], project.brand(brand_id), shots=brand_id)
    assert problems == [], "\n".join(problems)


# Each check can fail.


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test brand acme with a yellow primary colour, tabs unlinked, no copy buttons, and its screenshot missing."""
    folder = scratch_project(tmp_path_factory.mktemp("broken")).root
    brand = folder / "brands" / "acme.yml"
    brand.write_text(brand.read_text(encoding="utf-8").replace('"#1e4fa0"', '"#ffee00"'), encoding="utf-8")
    config = folder / "mkdocs.yml"
    text = (
        config.read_text(encoding="utf-8")
        .replace("    - content.tabs.link\n", "")
        .replace("    - content.code.copy\n", "")
    )
    config.write_text(text, encoding="utf-8")
    result = run_branddocs("build", "--brand", "acme", "--site-dir", str(folder / "site"), cwd=folder)
    assert result.returncode == 0, result.stderr
    (folder / "site" / "acme" / "images" / "acme" / "endpoint.png").unlink()
    return folder / "site" / "acme"


def test_browser_checks_can_fail(broken_site: Path, browser: Browser) -> None:
    acme, nebula = load_brand(FIXTURES / "brands" / "acme.yml"), load_brand(FIXTURES / "brands" / "nebula.yml")
    with serve_site(broken_site) as url:
        page, visit = open_page(browser, f"{url}/serverless-endpoints/", DESKTOP)
        assert (
            "header says 'Acme Cloud Learning Guide', not the brand's name 'Nébula AI'"
            in header_problems(page, nebula)[0]
        )
        assert palette_problems(page, acme) == [
            "the header is rgb(255, 238, 0), not the brand's primary colour rgb(30, 79, 160)"
        ]
        assert image_problems(page) == ["image does not load: ../images/acme/endpoint.png"]
        assert any("HTTP 404" in p and "endpoint.png" in p for p in visit.problems)
        assert any("axe serious: color-contrast" in p for p in accessibility_problems(page, AXE))
        assert "not 'Using Python'" in " ".join(linked_tabs_problems(page))
        assert copy_button_problems(page) == ["no code block on the page has a copy button"]
        assert search_problems(page, "zyzzyva", "serverless-endpoints/")[0].startswith("searching for 'zyzzyva'")
        page.evaluate("console.error('boom')")
        assert "console error: boom" in visit.problems
        phone, _ = open_page(browser, f"{url}/serverless-endpoints/", PHONE)
        phone.evaluate(
            "document.body.append(Object.assign(document.createElement('div'), {style: 'width: 900px; height: 4px'}))"
        )
        assert layout_problems(phone) == ["the page is 900 px wide in a 375 px window"]
