"""Brand values are text everywhere; no secret, local path or machine access reaches a built site."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import sync_playwright

from branddocs.brand import load_brand
from branddocs.site import Project
from branddocs.site.browser import CHROMIUM, CHROMIUM_ARGS, serve_site
from branddocs.site.secrets_scan import forbidden, scan_site

from .support.markup import COPYRIGHT, NAME, PORTAL, MarkupText, markup_problems
from .support.project import BIN, run_branddocs, scratch_project, tree_digest

pytestmark = pytest.mark.slow

BRACES = "{{ 7*7 }}"


def test_markup_check_can_fail() -> None:
    raw = f"<title>{NAME}</title><p>{PORTAL}</p>"
    assert markup_problems(raw + f"<footer>{COPYRIGHT}</footer>") == [
        "<labs> element", "<b> element", "img onerror=", "<script> running alert()"
    ]  # fmt: skip
    assert markup_problems('<a href="javascript:alert(3)">x</a>') == ["<a {'href': 'javascript:alert(3)'}>"]
    assert markup_problems("<p>Kestrel &lt;script&gt;alert(1)&lt;/script&gt;</p>") == []


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A brand whose every free-text field is hostile, built with `branddocs build`; its site folder."""
    project = scratch_project(tmp_path_factory.mktemp("hostile"))
    acme = load_brand(project.brands_dir / "acme.yml")
    fields = {"user_name": NAME, "portal_name": PORTAL, "copyright": COPYRIGHT, "resource_dir_name": "kestrel",
              "api": {"base_url": "https://api.kestrel.example/v1"}, "models": ["kestrel-1"]}  # fmt: skip
    (project.brands_dir / "kestrel.yml").write_text(yaml.safe_dump(fields, allow_unicode=True), encoding="utf-8")
    (project.docs_dir / "images" / "kestrel").mkdir()
    (project.docs_dir / "images" / "kestrel" / "endpoint.png").write_bytes(
        (acme.image_dir(project.docs_dir) / "endpoint.png").read_bytes()
    )
    with (project.docs_dir / "index.md").open("a", encoding="utf-8") as page:
        page.write(f'\nBraces from a writer\'s expression: {{{{ "{BRACES}" }}}}.\n')
    site = project.root / "site"
    built = run_branddocs("build", "--brand", "kestrel", "--site-dir", str(site), cwd=project.root)
    assert built.returncode == 0, built.stdout + built.stderr
    return site / "kestrel"


def test_no_brand_value_becomes_markup_in_any_file(hostile: Path) -> None:
    pages = sorted(hostile.rglob("*.html"))
    assert [str(p.relative_to(hostile)) for p in pages] == ["404.html", "index.html", "serverless-endpoints/index.html"]
    for page in pages:
        assert markup_problems(page.read_text(encoding="utf-8")) == [], page
    for doc in json.loads((hostile / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]:
        assert markup_problems(doc["title"] + doc["text"]) == [], doc["location"]
    everything = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in hostile.rglob("*") if p.is_file())
    for raw in ("<script>alert", "<Labs>", "<img src=x", "<b>bold"):
        assert raw not in everything


def test_title_header_and_meta_show_the_name(hostile: Path) -> None:
    site_name = f"{NAME} Learning Guide"
    for page, title in (("index.html", site_name), ("404.html", site_name),
                        ("serverless-endpoints/index.html", f"Serverless endpoints - {site_name}")):  # fmt: skip
        doc = MarkupText((hostile / page).read_text(encoding="utf-8"))
        assert doc.text_of("title") == [title], page
        assert site_name in doc.text_of("span", "md-ellipsis"), page  # the header
        logo = [a for t, a in doc.tags if t == "a" and "md-logo" in a.get("class", "")]
        assert {a["title"] for a in logo} == {a["aria-label"] for a in logo} == {site_name}, page
        description = [a["content"] for t, a in doc.tags if t == "meta" and a.get("name") == "description"]
        assert description == [f"How to call {NAME}'s serverless LLM endpoints"], page


def test_body_and_footer_show_the_values(hostile: Path) -> None:
    doc = MarkupText((hostile / "index.html").read_text(encoding="utf-8"))
    assert doc.text_of("h1")[0].startswith(f"{NAME} Learning Guide")
    body = doc.text_of("article")[0]
    assert f"Call {NAME}'s hosted Large Language Models" in body
    assert f"{PORTAL} > Settings > API Token" in body
    assert f"Braces from a writer's expression: {BRACES}." in body  # printed, not run: no 49
    for page in ("index.html", "404.html"):
        footer = MarkupText((hostile / page).read_text(encoding="utf-8"))
        assert footer.text_of("div", "md-copyright__highlight") == [COPYRIGHT], page
        assert f"{NAME} {PORTAL}" in footer.text_of("div", "md-copyright")[0], page


def test_search_index_shows_the_values(hostile: Path) -> None:
    docs = json.loads((hostile / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    home = MarkupText(f"<h1>{docs[0]['title']}</h1><div>{docs[0]['text']}</div>")
    assert home.text_of("h1") == [f"{NAME} Learning Guide"]
    assert f"Call {NAME}'s hosted" in home.text_of("div")[0]


def test_the_script_does_not_run_in_a_browser(hostile: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does, as root)", pytrace=False)
    with sync_playwright() as playwright, serve_site(hostile) as url:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            for path in ("", "serverless-endpoints/", "no-such-page/"):
                page.goto(url.rstrip("/") + "/" + path)
                page.wait_for_load_state("networkidle")
            page.goto(url)
            assert page.title() == f"{NAME} Learning Guide"
            assert page.locator(".md-header__topic .md-ellipsis").first.inner_text() == f"{NAME} Learning Guide"
            assert page.locator("article h1").inner_text().startswith(f"{NAME} Learning Guide")
            assert page.locator(".md-copyright__highlight").inner_text() == COPYRIGHT
            # The same check sees a script that does run: the proof it can fail.
            page.evaluate("alert('control')")
        finally:
            browser.close()
    assert dialogs == ["control"]


# --- secrets, local paths and what templates can reach -----------------------------------------------

SECRET = "sk-branddocs-hunter2-0123456789"


def _append(project: Project, page: str, text: str) -> None:
    with (project.docs_dir / page).open("a", encoding="utf-8") as file:
        file.write(text)


def _build(project: Project, site: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_branddocs("build", "--brand", "acme", "--site-dir", str(site), cwd=project.root, env=env)


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "GH_TOKEN", "DB_PASSWORD",
                                  "GOOGLE_CREDENTIALS", "other tenant's key"])  # fmt: skip
def test_any_secret_in_a_page_fails_the_build_without_printing_it(scratch: Project, tmp_path: Path, name: str) -> None:
    if name == "other tenant's key":
        name = load_brand(scratch.brands_dir / "nebula.yml").key_env
    _append(scratch, "index.md", f"\nThe key: {SECRET}\n")
    built = _build(scratch, tmp_path, {name: SECRET})
    assert built.returncode == 1
    assert f"index.md: the value of ${name} (" in built.stderr
    assert SECRET not in built.stdout + built.stderr
    assert not (tmp_path / "acme").exists()


def test_a_split_key_is_found_whole_in_the_search_index(scratch: Project, tmp_path: Path) -> None:
    half = len(SECRET) // 2
    _append(scratch, "index.md", f'\nThe key: {{{{ "{SECRET[:half]}" }}}}<span></span>{{{{ "{SECRET[half:]}" }}}}\n')
    clean = _build(scratch, tmp_path / "clean", {"OPENAI_API_KEY": "sk-some-other-value-42"})
    assert clean.returncode == 0, clean.stderr  # the page itself never holds the key whole
    built = _build(scratch, tmp_path / "site", {"OPENAI_API_KEY": SECRET})
    assert built.returncode == 1
    assert "search/search_index.json: the value of $OPENAI_API_KEY (an API key) appears in this file" in built.stderr
    assert SECRET not in built.stdout + built.stderr
    assert not (tmp_path / "site" / "acme").exists()


@pytest.mark.parametrize(
    ("where", "published"),
    [("overrides/404.html", "404.html"), ("docs/stylesheets/branddocs.css", "stylesheets/branddocs.css")],
)
def test_a_key_in_a_template_or_asset_fails_the_build(
    scratch: Project, tmp_path: Path, where: str, published: str
) -> None:
    path = scratch.root / where
    if where.endswith(".html"):
        path.write_text('{% extends "main.html" %}{% block content %}Key: ' + SECRET + "{% endblock %}\n")
    else:
        path.write_text(path.read_text(encoding="utf-8") + f"\n/* {SECRET} */\n", encoding="utf-8")
    built = _build(scratch, tmp_path, {"ACME_CLOUD_API_KEY": SECRET})
    assert built.returncode == 1
    assert f"{published}: the value of $ACME_CLOUD_API_KEY (an API key) appears in this file" in built.stderr
    assert SECRET not in built.stdout + built.stderr


def test_plain_mkdocs_deletes_the_files_that_hold_a_secret(scratch: Project) -> None:
    (scratch.root / "overrides" / "404.html").write_text(
        '{% extends "main.html" %}{% block content %}Key: ' + SECRET + "{% endblock %}\n"
    )
    done = subprocess.run(
        [str(BIN / "mkdocs"), "build"], cwd=scratch.root, capture_output=True, text=True, check=False,
        env={**os.environ, "BRAND": "acme", "NO_MKDOCS_2_WARNING": "1", "GH_TOKEN": SECRET},
    )  # fmt: skip
    assert done.returncode != 0
    assert "404.html: the value of $GH_TOKEN (a secret) appears in this file" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert not (scratch.site_dir / "acme" / "404.html").exists()
    assert (scratch.site_dir / "acme" / "index.html").is_file()


def test_what_counts_as_a_secret(scratch: Project, tmp_path: Path) -> None:
    env = {"MY_API_KEY": "12345678", "SHORT_TOKEN": "1234567", "HOME_DIR": "/home/somebody", "db_password": "hunter2!!"}
    found = forbidden(scratch.root, env)
    assert sorted(k for k in found if "$" in k) == [
        "the value of $MY_API_KEY (an API key)", "the value of $db_password (a secret)"
    ]  # fmt: skip
    (tmp_path / "sitemap.xml.gz").write_bytes(gzip.compress(b"<url>12345678</url>"))
    (tmp_path / "a.txt").write_text("hunter2!! and 1234567")
    (tmp_path / "b.json").write_text(json.dumps({"k": str(scratch.root)}))
    assert scan_site(tmp_path, found) == [
        ("a.txt", "the value of $db_password (a secret)"),
        ("b.json", f"the project's local path ({scratch.root})"),
        ("sitemap.xml.gz", "the value of $MY_API_KEY (an API key)"),
    ]


@pytest.mark.parametrize(
    "expression",
    ["cycler.__init__.__globals__.os.popen('id').read()", "lipsum.__globals__['os'].environ",
     "config.plugins", "page.file.abs_src_path", "environment", "git", "context()", "macros_info()"],
)  # fmt: skip
def test_templates_cannot_reach_python_the_machine_or_config(scratch: Project, tmp_path: Path, expression: str) -> None:
    _append(scratch, "index.md", f"\nReached: {{{{ {expression} }}}}\n")
    built = _build(scratch, tmp_path)
    assert built.returncode == 1
    assert "index.md" in built.stdout + built.stderr
    assert not (tmp_path / "acme").exists()
    assert "uid=" not in built.stdout + built.stderr


def test_config_in_a_page_publishes_no_local_path(scratch: Project, tmp_path: Path) -> None:
    _append(scratch, "index.md", "\nConfig: {{ config }} Page: {{ page }} Extra: {{ extra }}\n")
    built = _build(scratch, tmp_path)
    assert built.returncode == 0, built.stderr
    assert "Acme Cloud Learning Guide" in (tmp_path / "acme" / "index.html").read_text(encoding="utf-8")
    assert scan_site(tmp_path / "acme", forbidden(scratch.root, {})) == []
    # And a local path written into a page is caught: the check can fail.
    _append(scratch, "index.md", f"\nBuilt in {scratch.root}\n")
    leaked = _build(scratch, tmp_path / "again")
    assert leaked.returncode == 1
    assert f"index.md: the project's local path ({scratch.root}) appears in the page" in leaked.stderr


# --- plain MkDocs never destroys published sites -----------------------------------------------------


def _published(project: Project) -> dict[str, str]:
    """Two other brands' sites and a stamp, as `branddocs build` left them."""
    for brand_id in ("nebula", "brightline"):
        (project.site_dir / brand_id).mkdir(parents=True)
        (project.site_dir / brand_id / "index.html").write_text(f"{brand_id}'s site")
    (project.site_dir / ".branddocs").mkdir()
    (project.site_dir / ".branddocs" / "nebula.json").write_text("{}")
    return {name: tree_digest(project.site_dir / name) for name in ("nebula", "brightline", ".branddocs")}


def _mkdocs(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "mkdocs"), *args], cwd=project.root, capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "BRAND": "acme", "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip


@pytest.mark.parametrize("args", [(), ("-d", "site"), ("-d", "site/acme")])
def test_plain_mkdocs_build_writes_only_its_brand_folder(scratch: Project, args: tuple[str, ...]) -> None:
    before = _published(scratch)
    done = _mkdocs(scratch, "build", *args)
    assert done.returncode == 0, done.stderr
    assert (scratch.site_dir / "acme" / "index.html").is_file()
    assert {name: tree_digest(scratch.site_dir / name) for name in before} == before
    assert sorted(p.name for p in scratch.site_dir.iterdir()) == [".branddocs", "acme", "brightline", "nebula"]


@pytest.mark.parametrize("target", ["site/nebula", "site/nebula/sub", "."])
def test_plain_mkdocs_refuses_another_brands_folder(scratch: Project, target: str) -> None:
    before = _published(scratch)
    done = _mkdocs(scratch, "build", "-d", target)
    assert done.returncode != 0
    if target != ".":  # MkDocs itself refuses a site_dir that holds docs_dir
        assert "would delete other brands' sites" in done.stderr
        assert "Traceback" not in done.stderr
    assert {name: tree_digest(scratch.site_dir / name) for name in before} == before


def test_plain_mkdocs_refusal_can_fail(scratch: Project, tmp_path: Path) -> None:
    done = _mkdocs(scratch, "build", "-d", str(tmp_path / "elsewhere"))  # outside site/: allowed
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "elsewhere" / "index.html").is_file()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/")
    except OSError:
        return False


def test_mkdocs_serve_leaves_published_sites_alone(scratch: Project) -> None:
    before = _published(scratch)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    lines = []
    with subprocess.Popen(
        [str(BIN / "mkdocs"), "serve", "--no-livereload", "-a", f"127.0.0.1:{port}"], cwd=scratch.root,
        env={**os.environ, "BRAND": "acme", "NO_MKDOCS_2_WARNING": "1"}, stderr=subprocess.PIPE, text=True,
    ) as serve:  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and serve.stderr:
                lines.append(serve.stderr.readline())
                if "Serving on" in lines[-1] or serve.poll() is not None:
                    break
            # Stopped only once it answers: `mkdocs serve` told to stop before its server's loop runs never ends
            # (site/serve.py), which a loaded machine made this test meet.
            while time.monotonic() < deadline and serve.poll() is None and not _answers(port):
                time.sleep(0.2)
        finally:
            serve.send_signal(signal.SIGINT)
            try:
                serve.wait(timeout=30)
            except subprocess.TimeoutExpired:  # fails the test, leaving no server behind (`with` would wait forever)
                serve.kill()
                serve.wait()
                raise
    assert any("Serving on" in line for line in lines), "".join(lines)
    assert {name: tree_digest(scratch.site_dir / name) for name in before} == before
    assert not (scratch.site_dir / "acme").exists()
    assert not re.search(r"Traceback", "".join(lines))
