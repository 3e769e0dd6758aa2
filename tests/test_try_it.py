""" "Try it": the panel under each runnable request example, built from the example's own request, in a browser.

The browser tests build test brands whose base URL is the reference endpoint on loopback (it stands in for the
platform), serve the site with the Content-Security-Policy the hosting gives (scripts from the site only,
`connect-src` the site and the brand's base URL only), and drive Chromium as a reader: type a key, press Send.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.testclient import TestClient

from branddocs.brand import Brand
from branddocs.endpoint.server import app_for_brands, running_endpoint
from branddocs.examples.collection.collect import collect_examples, render_pages
from branddocs.examples.example import Example
from branddocs.examples.languages.base import Context, for_fence
from branddocs.examples.run.process import Target
from branddocs.markup import parse_fences
from branddocs.site import Project
from branddocs.site.try_it import LABELS, add_panels, requests_in, strip_panels

from .support.browser import CHROMIUM, CHROMIUM_ARGS, accessibility_problems
from .support.hosting import served_with_csp
from .support.project import ROOT, run_branddocs, scratch_project
from .support.readers import import_jieba

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BIN = Path(sys.executable).parent
KEY = "sk-try-it-" + "7" * 24
_PANEL = re.compile(r'<div class="bd-try"[^>]*>')


def _data(panel: str, name: str) -> str:
    return html.unescape(re.search(rf'data-bd-{name}="([^"]*)"', panel)[1])


# The panels in the built pages: where they are, what they send, and that a brand can turn them off.


def test_every_runnable_request_example_gets_its_own_request(built_sites: dict[str, Path], project: Project) -> None:
    """A content check of the demo guide: its two runnable curl requests (Step 3's, and the stream's where the
    platform streams) each have their panel, with the example's URL and body, after the tab set."""
    for brand_id, site in built_sites.items():
        brand = project.brand(brand_id)
        page = (site / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
        panels = _PANEL.findall(page)
        assert len(panels) == (2 if brand.features.streaming else 1), brand_id  # Step 3's, and the stream's
        for panel in panels:
            assert _data(panel, "url") == brand.base_url + "/chat/completions"
            assert _data(panel, "base") == brand.base_url
            body = json.loads(_data(panel, "body"))
            assert body["model"] == brand.default_model
            assert ('data-bd-stream="true"' in panel) == (body.get("stream") is True)  # said only when it streams
        # The panel follows the tab set it belongs to: after the Node.js tab, before Step 4.
        first = page.index('class="bd-try"')
        assert page.rindex('class="tabbed-set', 0, first) > page.index('id="step-3')
        assert page.index('id="step-4-handling-the-response"') > first
        twin = (site / "serverless-endpoints.md").read_text(encoding="utf-8")
        assert "bd-try" not in twin  # the Markdown twin is the page without its panels


def _page(code: str, settings: str = "") -> str:
    fence = f"```bash {settings}".rstrip()
    return f"# A page\n\n{fence}\n{code}\n```\n\nAfter.\n"


def test_which_examples_get_a_panel(project: Project) -> None:
    brand = project.brand(project.brand_ids()[0])
    url = brand.base_url + "/chat/completions"
    body = '{"model": "m", "messages": []}'
    sends = f"curl {url} \\\n  -H 'Content-Type: application/json' \\\n  -d '{body}'"
    assert [r.url for r in requests_in(_page(sends), brand, "p.md")] == [url]
    assert json.loads(requests_in(_page(sends), brand, "p.md")[0].body) == json.loads(body)
    none = [
        _page(sends, 'test="skip" reason="on the reader\'s machine"'),  # not run by the checks: no panel
        _page(sends, 'test="xfail" reason="fails on purpose"'),
        _page(sends.replace(brand.base_url, "https://elsewhere.example/v1")),  # not the brand's base URL
        _page(sends.replace(body, "not json")),
        _page(sends.replace(body, "[1, 2]")),
        _page(f"echo {url}"),
    ]
    for markdown in none:
        assert requests_in(markdown, brand, "p.md") == [], markdown
    with_panel = add_panels(_page(sends), brand, "p.md")
    assert with_panel.count('class="bd-try"') == 1
    assert with_panel.index('class="bd-try"') < with_panel.index("After.")
    assert strip_panels(with_panel) == _page(sends)  # the twin: the page as it was


def test_a_brand_can_turn_try_it_off(scratch: Project, tmp_path: Path) -> None:
    brand_file = scratch.brands_dir / "acme.yml"
    brand_file.write_text(brand_file.read_text(encoding="utf-8") + "features:\n  try_it: false\n", encoding="utf-8")
    result = run_branddocs(
        "build", "--brand", "acme", "--brand", "nebula", "--site-dir", str(tmp_path), cwd=scratch.root
    )
    assert result.returncode == 0, result.stderr
    assert "bd-try" not in (tmp_path / "acme" / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
    assert "bd-try" in (tmp_path / "nebula" / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")


# The panel's body is the example's: what the Python and Node.js tabs beside the cURL send, as the example checks'
# recording proxy records it (the `endpoint_target` fixture: the checks' own proxy, sandbox and pool).


def panel_mismatches(rendered: dict[str, str], examples: list[Example], brand: Brand, target: Target,
                     folder: Path, root: Path) -> tuple[int, list[str]]:  # fmt: skip
    """How many tab examples were run beside a panel's cURL, and each one whose request is not the panel's body."""
    by_code = {(e.lang, e.code): e for e in examples if e.kind == "run"}
    compared, problems = 0, []
    for source, markdown in rendered.items():
        fences = parse_fences(markdown, source)
        for request in requests_in(markdown, brand, source):
            for fence in fences:
                language = for_fence(fence.lang)
                inside = request.first_line <= fence.line <= request.after_line
                if not inside or language is None or language.name == "bash" or "test" in fence.settings:
                    continue
                example = by_code[(language.name, fence.code)]
                scratch = folder / str(compared)
                scratch.mkdir(parents=True)
                run = language.run(example, Context(target, None, scratch, root))
                sent = [json.loads(x.request_body) for x in run.exchanges if x.path.endswith("/chat/completions")]
                compared += 1
                if sent != [json.loads(request.body)]:
                    problems.append(f"{example.where}: sends {sent}, but the Try it panel beside it sends "
                                    f"{json.loads(request.body)} (the cURL tab's request)")  # fmt: skip
    return compared, problems


@pytest.mark.slow
def test_each_panel_sends_what_its_python_and_nodejs_tabs_send(
    brand_id: str, project: Project, endpoint_target: Target, tmp_path: Path
) -> None:
    brand = project.brand(brand_id)
    import_jieba()  # rendering in this process loads Material's search, which imports jieba
    rendered = render_pages(project, brand_id)
    examples = collect_examples(project, brand)
    compared, problems = panel_mismatches(rendered, examples, brand, endpoint_target, tmp_path, project.root)
    assert problems == []
    assert compared >= 2, f"{brand_id}: no Python and Node.js tab beside a Try it panel was run"
    # The negative: the Node.js tab asking for other max_tokens than its cURL is found, and named.
    node = next(e for e in examples if e.lang == "javascript" and re.search(r"max_tokens: \d+,", e.code))
    asked = re.search(r"max_tokens: \d+,", node.code)[0]  # JavaScript's spelling: its tab alone has it
    changed = node.code.replace(asked, "max_tokens: 1000,")
    rendered = {s: text.replace(asked, "max_tokens: 1000,") for s, text in rendered.items()}
    examples = [dataclasses.replace(e, code=changed) if e is node else e for e in examples]
    _, problems = panel_mismatches(rendered, examples, brand, endpoint_target, tmp_path / "negative", project.root)
    assert len(problems) == 1
    assert problems[0].startswith(node.where)
    assert "'max_tokens': 1000" in problems[0]


# The reference endpoint answers CORS, so a served guide's panels reach it.


def test_the_reference_endpoint_answers_cors(project: Project) -> None:
    brand = project.brand(project.brand_ids()[0])
    app, _, _ = app_for_brands(project, [brand.id], [KEY])
    site = f"{urlsplit(brand.site_url).scheme}://{urlsplit(brand.site_url).netloc}" if brand.site_url else None
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    path = f"{urlsplit(brand.base_url).path}/chat/completions"
    with TestClient(app) as client:
        for origin in ["http://127.0.0.1:8000", "http://localhost:41234", *([site] if site else [])]:
            answer = client.options(path, headers={"Origin": origin, **preflight})
            assert answer.status_code == 200, origin
            assert answer.headers["access-control-allow-origin"] == origin
            assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        for origin in ["https://attacker.example", "http://127.0.0.1.attacker.example", "null"]:
            answer = client.options(path, headers={"Origin": origin, **preflight})
            assert answer.status_code == 400, origin
            assert "access-control-allow-origin" not in answer.headers
        body = {"model": brand.default_model, "messages": [{"role": "user", "content": "hi"}]}
        reply = client.post(
            path, json=body, headers={"Origin": "http://127.0.0.1:8000", "Authorization": f"Bearer {KEY}"}
        )
        assert reply.status_code == 200
        assert reply.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
        assert "access-control-allow-credentials" not in reply.headers  # the panels send no cookie; none is allowed
        assert client.options(path).status_code == 405  # a plain OPTIONS is no preflight: the endpoint's own answer


# In Chromium, as a reader.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does, as root)", pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _Recorder:
    """An ASGI wrapper that keeps each request the endpoint gets; `hold` keeps a stream's rest until released."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen: list[tuple[str, str, str, bytes]] = []
        self.hold = threading.Event()
        self.hold.set()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        body = bytearray()

        async def recorded_receive():
            message = await receive()
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                self.seen.append((scope["method"], scope["path"], headers.get("authorization", ""), bytes(body)))
            return message

        async def held_send(message) -> None:
            if message["type"] == "http.response.body" and b"\n\n" in message.get("body", b"")[:-2]:
                first, rest = message["body"].split(b"\n\n", 1)
                await send({"type": "http.response.body", "body": first + b"\n\n", "more_body": True})
                while not self.hold.is_set():  # the reader must see the first event before the rest is sent
                    await anyio.sleep(0.02)
                message = {**message, "body": rest}
            await send(message)

        await self.app(scope, recorded_receive if scope["method"] != "OPTIONS" else receive, held_send)
        if scope["method"] == "OPTIONS":
            self.seen.append(("OPTIONS", scope["path"], headers.get("authorization", ""), b""))


@pytest.fixture(scope="module")
def loopback_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, str, _Recorder]]:
    """A scratch project whose brands' base URL is the reference endpoint on a loopback port: acme (English,
    streaming) and brightline in Traditional Chinese; the endpoint running there, every request recorded."""
    project = scratch_project(tmp_path_factory.mktemp("try-it"))
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    for brand_id, extra in (("acme", ""), ("brightline", "language: zh-TW\n")):
        path = project.brands_dir / f"{brand_id}.yml"
        text = re.sub(r"base_url: \S+", f"base_url: {origin}/{brand_id}/v1", path.read_text(encoding="utf-8"))
        path.write_text(text + extra, encoding="utf-8")
    app, _, _ = app_for_brands(project, ["acme", "brightline"], [KEY])
    recorder = _Recorder(app)
    with running_endpoint(recorder, port=port):
        yield project, origin, recorder


def key_storage_problems(page: Page, key: str) -> list[str]:
    """Where the key is found in storage that outlives the tab: localStorage, cookies, IndexedDB, URL, history."""
    found = page.evaluate(
        """async key => {
            const where = []
            for (let i = 0; i < localStorage.length; i++)
                if ((localStorage.getItem(localStorage.key(i)) || '').includes(key)) where.push('localStorage')
            if (document.cookie.includes(key)) where.push('document.cookie')
            if ((await indexedDB.databases()).length) where.push('IndexedDB')
            if (location.href.includes(key) || location.href.includes(encodeURIComponent(key))) where.push('the URL')
            for (const entry of performance.getEntriesByType('navigation'))
                if (entry.name.includes(key)) where.push('history')
            if ((history.state && JSON.stringify(history.state) || '').includes(key)) where.push('history.state')
            return where
        }""",
        key,
    )
    cookies = [c["name"] for c in page.context.cookies() if key in c["value"]]
    return found + [f"cookie {name}" for name in cookies]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["mkdocs", "zensical"])
@pytest.mark.parametrize(("tenant", "language"), [("acme", "en"), ("brightline", "zh-TW")])
def test_send_with_a_key_in_chromium(
    loopback_platform: tuple[Project, str, _Recorder], browser: Browser, tmp_path: Path,
    tenant: str, language: str, engine: str,
) -> None:  # fmt: skip
    project, origin, recorder = loopback_platform
    built = run_branddocs("build", "--brand", tenant, "--engine", engine, "--site-dir", str(tmp_path),
                          cwd=project.root)  # fmt: skip
    assert built.returncode == 0, built.stderr
    words = LABELS[language]
    with served_with_csp(tmp_path / tenant, origin) as site:
        context = browser.new_context()
        page = context.new_page()
        elsewhere: list[str] = []
        page.on("request", lambda r: urlsplit(r.url).netloc not in (urlsplit(site).netloc, urlsplit(origin).netloc)
                and elsewhere.append(r.url))  # fmt: skip
        violations: list[str] = []
        page.on("console", lambda m: "try-it" in m.text and violations.append(m.text))
        page.goto(f"{site}/serverless-endpoints/")
        panel = page.locator(".bd-try").first
        panel.locator("summary").click()
        recorder.seen.clear()
        panel.get_by_label(words["key"]).fill(KEY)
        panel.get_by_role("button", name=words["send"]).click()
        status = panel.locator(".bd-try__status")
        status.filter(has_text="HTTP 200").wait_for(timeout=15_000)
        reply = json.loads(panel.locator(".bd-try__reply").inner_text())
        assert reply["choices"][0]["message"]["content"]

        posts = [s for s in recorder.seen if s[0] == "POST"]
        assert len(posts) == 1, recorder.seen  # exactly one request, to the brand's base URL, with the key
        _, path, authorization, body = posts[0]
        assert path == f"/{tenant}/v1/chat/completions"
        assert authorization == f"Bearer {KEY}"
        assert json.loads(body) == json.loads(panel.get_attribute("data-bd-body"))
        assert [s for s in recorder.seen if s[0] != "POST"] in ([], [("OPTIONS", path, "", b"")])  # the preflight
        assert elsewhere == []
        assert violations == []
        assert key_storage_problems(page, KEY) == []
        assert page.evaluate("key => Object.values(sessionStorage).some(v => v.includes(key))", KEY) is False

        # Kept for the visit: in this tab's sessionStorage, filled in again after a reload; nowhere that lasts.
        panel.get_by_label(words["keep"]).check()
        page.reload()
        assert page.locator(".bd-try__key").first.input_value() == KEY
        assert key_storage_problems(page, KEY) == []
        other_tab = context.new_page()
        other_tab.goto(f"{site}/serverless-endpoints/")
        assert other_tab.locator(".bd-try__key").first.input_value() == ""
        context.close()

    # axe on the panel open, with its reply: injecting axe needs the policy bypassed (it is an inline script).
    with served_with_csp(tmp_path / tenant, origin) as site:
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.goto(f"{site}/serverless-endpoints/")
        panel = page.locator(".bd-try").first
        panel.locator("summary").click()
        panel.locator(".bd-try__key").fill("sk-wrong")
        panel.locator(".bd-try__send").click()
        panel.locator(".bd-try__status").filter(has_text="HTTP 401").wait_for(timeout=15_000)
        assert accessibility_problems(page, AXE, within=".bd-try") == []  # the page's own: test_browser.py
        context.close()


@pytest.mark.slow
def test_a_stream_is_shown_as_it_arrives(loopback_platform: tuple[Project, str, _Recorder], browser: Browser,
                                         tmp_path: Path) -> None:  # fmt: skip
    project, origin, recorder = loopback_platform
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path), cwd=project.root)
    assert built.returncode == 0, built.stderr
    with served_with_csp(tmp_path / "acme", origin) as site:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{site}/serverless-endpoints/")
        panel = page.locator(".bd-try[data-bd-stream='true']")
        panel.locator("summary").click()
        panel.locator(".bd-try__key").fill(KEY)
        recorder.hold.clear()  # the endpoint sends the first event, then waits
        try:
            panel.locator(".bd-try__send").click()
            reply = panel.locator(".bd-try__reply")
            reply.filter(has_text="data: {").wait_for(timeout=15_000)
            assert "[DONE]" not in reply.inner_text()  # the first event is shown before the stream has ended
        finally:
            recorder.hold.set()
        reply.filter(has_text="data: [DONE]").wait_for(timeout=15_000)
        context.close()


@pytest.mark.slow
def test_the_checks_can_fail(loopback_platform: tuple[Project, str, _Recorder], browser: Browser,
                             tmp_path: Path) -> None:  # fmt: skip
    """The negatives: a key written to localStorage or the URL is found; a wrong key shows the platform's error."""
    project, origin, recorder = loopback_platform
    built = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path), cwd=project.root)
    assert built.returncode == 0, built.stderr
    with served_with_csp(tmp_path / "acme", origin) as site:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{site}/serverless-endpoints/")
        page.evaluate("key => { localStorage.setItem('k', key); history.pushState(null, '', '?key=' + key) }", KEY)
        assert key_storage_problems(page, KEY) == ["localStorage", "the URL"]
        panel = page.locator(".bd-try").first
        panel.locator("summary").click()
        panel.locator(".bd-try__key").fill("sk-wrong")
        panel.locator(".bd-try__send").click()
        panel.locator(".bd-try__status").filter(has_text="HTTP 401").wait_for(timeout=15_000)
        assert "Unauthorized" in panel.locator(".bd-try__reply").inner_text()
        context.close()
    # Served without the endpoint's origin in connect-src, the request is refused by the browser and said so.
    with served_with_csp(tmp_path / "acme", "") as site:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{site}/serverless-endpoints/")
        panel = page.locator(".bd-try").first
        panel.locator("summary").click()
        panel.locator(".bd-try__key").fill(KEY)
        recorder.seen.clear()
        panel.locator(".bd-try__send").click()
        panel.locator(".bd-try__status").filter(has_text="CORS").wait_for(timeout=15_000)
        assert recorder.seen == []
        context.close()
    assert httpx.get(f"{origin}/health").status_code == 200


@pytest.mark.slow
def test_serve_try_it_points_the_panels_at_the_reference_endpoint(project: Project, tmp_path: Path) -> None:
    """`branddocs serve --try-it`: the preview's panels send to the reference endpoint beside it, which answers them
    (CORS preflight included) with the key it printed; the code shown keeps the brand's base URL."""
    brand = project.brand(project.brand_ids()[0])
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as stderr:
        command = [str(BIN / "branddocs"), "serve", "--brand", brand.id, "--try-it", "--dev-addr", f"127.0.0.1:{port}"]
        server = subprocess.Popen(command, cwd=project.root, stdout=stderr, stderr=stderr)
    try:
        deadline = time.monotonic() + 120
        said = re.compile(r"reference endpoint at (?P<url>http://\S+); API key for this run: (?P<key>\S+)")
        while not (found := said.search(log.read_text())):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        page = None
        while page is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/serverless-endpoints/", timeout=10)
                page = answer.text if answer.status_code == 200 else None
            except httpx.TransportError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        panel = _PANEL.search(page)[0]
        url, body = _data(panel, "url"), _data(panel, "body")
        assert url.startswith(f"{found['url']}/brands/{brand.id}/"), url
        assert brand.base_url in page  # the code shown is the brand's
        origin = {"Origin": f"http://127.0.0.1:{port}"}
        asks = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
        preflight = httpx.options(url, headers={**origin, **asks})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == origin["Origin"]
        reply = httpx.post(url, content=body, headers={**origin, "Content-Type": "application/json",
                                                      "Authorization": f"Bearer {found['key']}"})  # fmt: skip
        assert reply.status_code == 200, reply.text
        assert reply.json()["choices"][0]["message"]["content"]
    finally:
        server.terminate()
        server.wait(timeout=30)
