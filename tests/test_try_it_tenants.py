""" "Try it" on a host shared by several tenants: a reader's kept key is bound to where it may be sent.

`branddocs host` serves several tenants on one host under different paths, and sessionStorage belongs to the
origin and the tab. A reader who keeps a key on one tenant's site, then opens another tenant's site in the same tab,
must find that site's panels empty, and its Send must not carry the key: try-it.js keeps the key under its site's
address and the panel's base URL, and fills a panel only from that exact entry.

Here two brands (acme, brightline; each base URL a path of the reference endpoint on loopback) are built once and
served by ONE loopback server under `/acme/` and `/brightline/`, with a copy of acme's site at `/acme/inner/` (the
same base URL, another site on the origin, inside acme's path), under the hosting's Content-Security-Policy
(`connect-src` the endpoint's origin: every base URL is allowed, as each tenant's own is on a real host). The
negative: the same site with the script's binding switched off (the key under its one fixed name, as before) lets
the key into the other sites' panels, and Send sends it to the other tenant's base URL.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from branddocs.endpoint.server import app_for_brands, running_endpoint
from branddocs.host.run import free_port
from branddocs.site.try_it import SCRIPT

from .support.hosting import served_with_csp
from .support.project import run_branddocs, scratch_project

pytestmark = pytest.mark.slow
KEY = "sk-acme-reader-" + "5" * 24
GUIDE = "serverless-endpoints/"
OTHERS = ("brightline", "acme/inner")
"""Sites on the same origin that must not get a key kept on /acme/: another base URL; the same base URL, another
site (inside acme's own path, so a prefix comparison would not tell them apart)."""
UNBOUND = [("`${KEPT} ${JSON.stringify([SITE, base])}`", "KEPT"), ("session()?.removeItem(KEPT)\n", "")]
"""try-it.js with its binding switched off: every panel of the origin reads and writes the one name, as before."""


class _Recorded:
    """An ASGI wrapper that keeps (method, path, authorization) of each request the endpoint gets."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen: list[tuple[str, str, str]] = []

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.seen.append((scope["method"], scope["path"], headers.get("authorization", "")))
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def shared_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, _Recorded]]:
    """(a folder with the sites at acme/, acme/inner/ and brightline/, the endpoint's origin, its record)."""
    project = scratch_project(tmp_path_factory.mktemp("project"))
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    for brand_id in ("acme", "brightline"):
        path = project.brands_dir / f"{brand_id}.yml"
        text = re.sub(r"base_url: \S+", f"base_url: {origin}/{brand_id}/v1", path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")
    built = tmp_path_factory.mktemp("built")
    result = run_branddocs("build", "--brand", "acme", "--brand", "brightline", "--site-dir", str(built),
                           cwd=project.root)  # fmt: skip
    assert result.returncode == 0, result.stderr
    root = tmp_path_factory.mktemp("host")
    shutil.copytree(built / "acme", root / "acme")
    shutil.copytree(built / "acme", root / "acme" / "inner")
    shutil.copytree(built / "brightline", root / "brightline")
    recorded = _Recorded(app_for_brands(project, ["acme", "brightline"], [KEY])[0])
    with running_endpoint(recorded, port=port):
        yield root, origin, recorded


def _open_guide(page: Page, url: str) -> None:
    page.goto(url)
    page.locator(".bd-try:not([hidden])").first.wait_for(timeout=15_000)  # the script has set the panels up


def _press_send(page: Page) -> None:
    """Press the first panel's Send and wait for its answer: the no-key message or an HTTP status."""
    panel = page.locator(".bd-try").first
    panel.locator("summary").click()
    panel.locator(".bd-try__send").click()
    answered = """() => document.querySelector('.bd-try__status').textContent !== ''
                     && !document.querySelector('.bd-try__send').disabled"""  # disabled while it sends
    page.wait_for_function(answered, timeout=15_000)


def kept_key_problems(browser: Browser, site: str, recorded: _Recorded) -> list[str]:
    """A reader keeps KEY on acme's guide, then opens each other site on the origin in the same tab and presses Send
    with what its panel holds; what reached another site's panel or another base URL, and whether acme still has it."""
    problems = []
    context = browser.new_context()
    page = context.new_page()
    _open_guide(page, f"{site}/acme/{GUIDE}")
    panel = page.locator(".bd-try").first
    panel.locator("summary").click()
    panel.locator(".bd-try__key").fill(KEY)
    panel.locator(".bd-try__keep").check()
    recorded.seen.clear()
    for other in OTHERS:
        _open_guide(page, f"{site}/{other}/{GUIDE}")  # the same tab: the same sessionStorage
        filled = page.locator(".bd-try__key").evaluate_all("keys => keys.map(k => k.value)")
        if KEY in filled:
            problems.append(f"{other}'s panels start with the key kept on acme ({filled.count(KEY)} of {len(filled)})")
        if page.locator(".bd-try__keep:checked").count():
            problems.append(f"{other}'s 'keep' starts ticked")
        _press_send(page)
        carried = sorted({path for method, path, auth in recorded.seen if method == "POST" and KEY in auth})
        if carried:
            problems.append(f"{other}'s Send sent the key kept on acme to {carried}")
        recorded.seen.clear()
    _open_guide(page, f"{site}/acme/{GUIDE}")  # acme's own panels still get it: the key was kept, for acme
    if page.locator(".bd-try__key").first.input_value() != KEY:
        problems.append("acme's own panel no longer gets the key kept on acme")
    context.close()
    return problems


def _unbound(root: Path, folder: Path) -> Path:
    """A copy of the sites under `root` whose try-it.js has its binding switched off (UNBOUND)."""
    shutil.copytree(root, folder)
    for site in ("acme", "acme/inner", "brightline"):
        script = folder / site / SCRIPT
        code = script.read_text(encoding="utf-8")
        for old, new in UNBOUND:
            assert old in code, f"try-it.js no longer has {old!r}: update UNBOUND"
            code = code.replace(old, new)
        script.unlink()  # a copy of a site's file may be read-only: replaced, never written in place
        script.write_text(code, encoding="utf-8")
    return folder


def test_a_kept_key_stays_with_its_site_and_base_url(
    shared_host: tuple[Path, str, _Recorded], browser: Browser, tmp_path: Path
) -> None:
    root, origin, recorded = shared_host
    with served_with_csp(root, origin) as site:
        assert kept_key_problems(browser, site, recorded) == []
    # The negative: the script keeping the key under one name for the whole origin (the old try-it.js).
    with served_with_csp(_unbound(root, tmp_path / "host"), origin) as site:
        assert kept_key_problems(browser, site, recorded) == [
            "brightline's panels start with the key kept on acme (2 of 2)",
            "brightline's 'keep' starts ticked",
            "brightline's Send sent the key kept on acme to ['/brightline/v1/chat/completions']",
            "acme/inner's panels start with the key kept on acme (2 of 2)",
            "acme/inner's 'keep' starts ticked",
            "acme/inner's Send sent the key kept on acme to ['/acme/v1/chat/completions']",
        ]
