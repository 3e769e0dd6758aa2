"""Each brand's guide in Chromium through nginx on its own host name, under the hosting Content-Security-Policy.

The browser resolves every host name to loopback (`--host-resolver-rules`), so it asks nginx for
`http://docs.acme.example:<port>/serverless-endpoints/` as a reader's browser would for the real name; the
policy is the one `branddocs host nginx` writes. Search, linked tabs, the copy button, the palette and the images
must work with no console error (a blocked script or style is one) and no policy violation.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from branddocs.brand import Brand, load_brand
from branddocs.host.addresses import site_address
from branddocs.host.run import free_port, running_nginx
from branddocs.site import Project

from .support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SEARCH_PROBE,
    Visit,
    copy_button_problems,
    guide_words,
    header_problems,
    image_problems,
    linked_tabs_problems,
    palette_problems,
    search_problems,
    zensical_search_problems,
)
from .support.hosting import build, readable_folder
from .support.project import run_branddocs, scratch_project

pytestmark = pytest.mark.slow
# Every policy violation, as the page sees it: on the console as an error, whatever the browser itself prints.
REPORT_VIOLATIONS = """document.addEventListener('securitypolicyviolation', e => console.error(
    `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`))"""


def host_project(project: Project, site: Path, out: Path) -> tuple[int, str]:
    """Write the config for `project`'s brands built in `site`, into `out`; nginx's port, and what was said."""
    port = free_port()
    result = run_branddocs("host", "nginx", "--site-dir", str(site), "--listen", f"127.0.0.1:{port}",
                           "--out", str(out), "--workers", "1", cwd=project.root)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return port, result.stdout


@dataclass
class Served:
    port: int
    brands: dict[str, Brand]
    said: str


@pytest.fixture(scope="module")
def served(project: Project) -> Iterator[Served]:
    """Every brand of this project, built and served by nginx as `branddocs host nginx` configures it."""
    with readable_folder() as folder:
        site = folder / "site"
        build(project, site)
        port, said = host_project(project, site, folder / "out")
        with running_nginx(folder / "out", [("127.0.0.1", port)]):
            brands = {b: load_brand(project.brands_dir / f"{b}.yml") for b in project.brand_ids()}
            yield Served(port, brands, said)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does, as root)", pytrace=False)
    with sync_playwright() as running:
        yield running


@contextmanager
def browser_for(playwright: Playwright, origin: str) -> Iterator[Browser]:
    """Chromium that finds every host name on loopback and treats `origin` as HTTPS would be (a secure context:
    the copy button's clipboard needs one; the real sites are served over TLS)."""
    args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * 127.0.0.1",
            f"--unsafely-treat-insecure-origin-as-secure={origin}"]  # fmt: skip
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    try:
        yield chromium
    finally:
        chromium.close()


def guide_url(brand: Brand, port: int) -> str:
    address = site_address(brand.site_url or "")
    return f"http://{address.host}:{port}{address.path}serverless-endpoints/"


def hosted_guide_problems(playwright: Playwright, url: str, brand: Brand, search=search_problems) -> list[str]:
    """Open the guide at `url` and use it as a reader would; every problem, console errors and violations too."""
    origin = "/".join(url.split("/")[:3])
    with browser_for(playwright, origin) as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        page = context.new_page()
        page.add_init_script(REPORT_VIOLATIONS)
        page.add_init_script(SEARCH_PROBE)  # as every page the browser checks open (support/browser.open_page)
        return _use(page, url, brand, search)


def _use(page: Page, url: str, brand: Brand, search) -> list[str]:
    visit = Visit(page)
    try:
        response = page.goto(url)
        page.wait_for_load_state("networkidle")
        problems = [] if response and response.status == 200 else [f"{url}: {response and response.status}"]
        problems += header_problems(page, brand) + palette_problems(page, brand) + image_problems(page)
        problems += linked_tabs_problems(page, guide_words(brand)["python_tab"]) + copy_button_problems(page)
        problems += search(page, guide_words(brand)["search"], "serverless-endpoints/")
        page.wait_for_load_state("networkidle")
        return problems + visit.problems
    finally:
        page.context.close()


def test_each_hosted_guide_works_under_the_policy(served: Served, playwright: Playwright, brand_id: str) -> None:
    brand = served.brands[brand_id]
    if not brand.site_url:  # nothing to open: it is said to be not hosted, and served nowhere
        assert f"  {brand_id}: not hosted: no site_url in its brand file" in served.said
        return
    assert hosted_guide_problems(playwright, guide_url(brand, served.port), brand) == []


def test_a_guide_built_by_zensical_works_under_the_policy(playwright: Playwright) -> None:
    with readable_folder() as folder:
        scratch = scratch_project(folder / "project")
        result = run_branddocs("build", "--engine", "zensical", "--brand", "acme", "--site-dir",
                               str(folder / "site"), cwd=scratch.root)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        port, _ = host_project(scratch, folder / "site", folder / "out")
        brand = load_brand(scratch.brands_dir / "acme.yml")
        with running_nginx(folder / "out", [("127.0.0.1", port)]):
            problems = hosted_guide_problems(playwright, guide_url(brand, port), brand, zensical_search_problems)
    assert problems == []


def test_the_check_sees_materials_inline_scripts_blocked(playwright: Playwright) -> None:
    """The negative: the same guide built without overrides/partials/javascripts/ (Material's inline scripts
    left in the pages) breaks under the policy, and the check says so."""
    with readable_folder() as folder:
        scratch = scratch_project(folder / "project")
        shutil.rmtree(scratch.root / "overrides" / "partials" / "javascripts")
        build(scratch, folder / "site", "acme")
        port, _ = host_project(scratch, folder / "site", folder / "out")
        brand = load_brand(scratch.brands_dir / "acme.yml")
        with running_nginx(folder / "out", [("127.0.0.1", port)]):
            problems = hosted_guide_problems(playwright, guide_url(brand, port), brand)
    assert any("CSP violation: script-src-elem blocked inline" in p for p in problems), problems
