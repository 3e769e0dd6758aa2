"""A tenant's own files run no script on a shared origin (host/headers.py `SCRIPTED`, nginx's `$bd_sandbox`).

Tenants may share a host under paths; a browser's boundary is the origin. A brand's image folder is published as it
is: the fourth red team put an SVG logo with `<script href="steal.js"/>`, the script beside it and an HTML page
into one brand's folder, and a reader who followed a link to either, in the tab where another tenant's Try it
panel kept a key, had the key read from sessionStorage. Every file that is no page, script, style or font (and
anything under `images/`) is served with the policy's `sandbox`: opened as a document it runs no script, in an
origin of its own. Proof in Chromium through nginx; the negative: the same config without the sandbox lets the
script read the key.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from branddocs.host.run import free_port, running_nginx

from .support.browser import CHROMIUM, CHROMIUM_ARGS
from .support.hosting import build, readable_folder, scratch_with_site_urls
from .support.project import run_branddocs

pytestmark = pytest.mark.slow

STEAL = """(function () {
  var found = [];
  for (var i = 0; i < sessionStorage.length; i++) { found.push(sessionStorage.getItem(sessionStorage.key(i))); }
  document.title = "STOLEN " + found.join(",");
})();
"""
PLANTED = {
    "logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40"/>'
    '<script href="steal.js"/></svg>',
    "help.html": '<!doctype html><title>help</title><script src="steal.js"></script>',
    "index.html": '<!doctype html><title>index</title><script src="steal.js"></script>',
    "steal.js": STEAL,
}
SECRET = "sk-reader-kept-7f3a"


def _titles(port: int, sandboxed: bool, out: Path) -> dict[str, str]:
    """The title of each planted document, opened in the tab where acme's page kept a secret in sessionStorage."""
    conf = out / "nginx.conf"
    if not sandboxed:  # the negative: the policy as it was, for every file
        conf.write_text(conf.read_text().replace("${bd_sandbox}", ""))
    titles = {}
    with running_nginx(out, [("127.0.0.1", port)]), sync_playwright() as playwright:
        args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * 127.0.0.1"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            page = browser.new_page()
            base = f"http://docs.shared.example:{port}"
            page.goto(f"{base}/acme/")
            page.evaluate(f"sessionStorage.setItem('kept', {SECRET!r})")
            for name in ("logo.svg", "help.html", ""):
                page.goto(f"{base}/zeta/images/nebula-ai/{name}")
                page.wait_for_load_state("load")
                titles[name or "index.html"] = page.evaluate("document.title")
                page.goto(f"{base}/acme/")
        finally:
            browser.close()
    return titles


@pytest.fixture(scope="module")
def hosted(tmp_path_factory: pytest.TempPathFactory):
    with readable_folder() as folder:
        urls = {"acme": "https://docs.shared.example/acme/", "nebula": "https://docs.shared.example/zeta/"}
        project = scratch_with_site_urls(folder / "project", urls)
        zeta = project.docs_dir / "images" / "nebula-ai"  # the brand's own folder (its resource_dir_name)
        for name, text in PLANTED.items():
            (zeta / name).write_text(text, encoding="utf-8")
        site = folder / "site"
        build(project, site, "acme", "nebula")
        port = free_port()
        out = folder / "out"
        said = run_branddocs("host", "nginx", "--site-dir", str(site), "--listen", f"127.0.0.1:{port}",
                             "--out", str(out), "--workers", "1", cwd=project.root)  # fmt: skip
        assert said.returncode == 0, said.stdout + said.stderr
        yield port, out


def test_a_tenants_own_documents_run_no_script(hosted) -> None:
    port, out = hosted
    titles = _titles(port, True, out)
    assert not any(title.startswith("STOLEN") for title in titles.values()), titles
    # The negative: without the sandbox each planted document reads the key another tenant's page kept.
    titles = _titles(port, False, out)
    assert all(SECRET in title for title in titles.values()), titles
