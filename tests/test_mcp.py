"""`branddocs mcp`: each built brand's guide for AI assistants, proven with the MCP SDK's own client.

The server runs as a user runs it (`branddocs mcp`, in a folder with no project), over the sites a fresh
`branddocs build` made; the client is the SDK's `mcp.Client` over Streamable HTTP (both protocol eras: the
2026 one without a handshake and the handshake one today's assistants speak) and over stdio.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from branddocs.brand import Brand
from branddocs.endpoint.server import running_endpoint
from branddocs.mcp import search as search_module
from branddocs.mcp.app import McpApp
from branddocs.mcp.pages import PageNotFound, site_address
from branddocs.mcp.search import SearchIndex
from branddocs.mcp.sites import BrandSite, Sites
from branddocs.site import Project
from branddocs.site.platform_file import FILE as PLATFORM_FILE
from branddocs.site.platform_file import platform_record

from .support.project import run_branddocs
from .support.readers import search_words

BIN = Path(sys.executable).parent
_LISTENING = re.compile(r"each at (?P<url>http://\S+?)/<id>/mcp")


@pytest.fixture(scope="module")
def site_root(built_sites: dict[str, Path]) -> Path:
    return next(iter(built_sites.values())).parent


@pytest.fixture(scope="module")
def mcp_url(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`branddocs mcp` over the fresh build, started in an empty folder (no project, no sources), on a free port."""
    folder = tmp_path_factory.mktemp("elsewhere")
    log = folder / "stderr.txt"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [str(BIN / "branddocs"), "mcp", "--site-dir", str(site_root), "--listen", "127.0.0.1:0"],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (match := _LISTENING.search(log.read_text())):
            _still_starting(server, deadline, log)
        url = match["url"]
        while True:  # the line comes just before uvicorn starts answering
            try:
                httpx.get(url + "/", timeout=5)
                break
            except httpx.TransportError:
                _still_starting(server, deadline, log)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _still_starting(server: subprocess.Popen, deadline: float, log: Path) -> None:
    assert server.poll() is None, log.read_text()
    assert time.monotonic() < deadline, log.read_text()
    time.sleep(0.05)


def _ask(url: str, calls: list[tuple[str, dict]], mode: str = "auto") -> list:
    """Each (tool, arguments) called in turn by the SDK's client over one connection; the results."""

    async def session() -> list:
        async with Client(url, mode=mode) as client:
            return [await client.call_tool(name, arguments) for name, arguments in calls]

    try:
        return anyio.run(session)
    except BaseExceptionGroup as group:  # the client's task groups wrap what went wrong: the one error, unwrapped
        while isinstance(group, BaseExceptionGroup) and len(group.exceptions) == 1:
            group = group.exceptions[0]
        raise group from None


def _site_url(brand: Brand) -> str | None:
    """The brand's site_url as the build publishes it (one trailing slash); None: addresses are relative."""
    return brand.site_url.rstrip("/") + "/" if brand.site_url else None


def _text(result) -> str:
    return "\n".join(part.text for part in result.content if hasattr(part, "text"))


def _leaks(answers: str, brand: Brand, all_brands: list[Brand]) -> dict[str, str]:
    """Other tenants' names, URLs and key variables (those this brand does not share) found in `answers`."""
    own = {brand.user_name, brand.base_url, brand.site_url, brand.key_env}
    return {value: other.id for other in all_brands if other.id != brand.id
            for value in (other.user_name, other.base_url, other.site_url, other.key_env)
            if value and value not in own and value in answers}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_each_brand_is_found_by_its_own_words_and_sees_no_other_tenant(
    brand_id: str, mode: str, mcp_url: str, built_sites: dict[str, Path], brands: list[Brand], all_brands: list[Brand]
) -> None:
    brand = next(b for b in brands if b.id == brand_id)
    site_url = _site_url(brand)
    words = search_words(built_sites[brand_id], brand.language)
    assert words, f"{brand_id}: no words of its own guide to search for"
    calls = [("search", {"query": word}) for word, _ in words]
    calls += [("get_page", {"url": site_address(site_url, page)}) for _, page in words]
    calls += [("platform", {}), ("get_page", {"url": "serverless-endpoints/"})]
    results = _ask(f"{mcp_url}/{brand_id}/mcp", calls, mode)
    assert not any(r.is_error for r in results), [_text(r) for r in results if r.is_error]

    for (word, page), result in zip(words, results, strict=False):
        urls = [hit["url"] for hit in result.structured_content["results"]]
        assert all(u.startswith(site_url or "") for u in urls), (word, urls)
        pages = {u.split("#")[0] for u in urls}
        assert site_address(site_url, page) in pages, f"{brand_id}: {word!r} (from {page!r}) -> {urls}"
    for (_, page), result in zip(words, results[len(words) :], strict=False):
        twin = built_sites[brand_id] / ((page.rstrip("/") or "index") + ".md")
        assert _text(result) == twin.read_text(encoding="utf-8"), f"get_page({page!r}) is not the page's twin"
    platform, guide = results[-2].structured_content, _text(results[-1])
    assert brand.base_url in guide
    assert f"${brand.key_env}" in guide
    assert (platform["name"], platform["base_url"], platform["api_key_env"]) == (
        brand.user_name, brand.base_url, brand.key_env)  # fmt: skip
    assert platform["models"] == list(brand.models)
    assert platform["sdks"]["python"]["install"].startswith("pip install")

    answers = json.dumps([r.model_dump(mode="json") for r in results], ensure_ascii=False)
    assert not _leaks(answers, brand, all_brands), f"{brand_id}'s MCP answers name other tenants' values"


def test_the_leak_check_sees_another_tenants_platform(all_brands: list[Brand], project: Project) -> None:
    """The negative: the check above fires on another tenant's platform() answer."""
    if len(all_brands) < 2:
        pytest.skip("one brand: no other tenant to leak")
    brand, other = all_brands[0], all_brands[1]
    assert _leaks(json.dumps(platform_record(other, project.root), ensure_ascii=False), brand, all_brands)


@pytest.mark.slow
def test_unknown_brand_and_other_paths_are_404(mcp_url: str, site_root: Path) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream"}
    for path in ("/no-such-brand/mcp", "/acme/mcp/", "/acme/mcp/x", "/mcp", "/", "/ACME/mcp", "/%2e%2e/acme/mcp",
                 "/.branddocs/mcp", "/store/mcp"):  # fmt: skip
        response = httpx.post(mcp_url + path, json=body, headers=headers, follow_redirects=False)
        assert response.status_code == 404, (path, response.status_code, response.text)
        assert not any(p.name in response.text for p in site_root.iterdir() if p.is_dir()), response.text
    with pytest.raises(MCPError):
        _ask(f"{mcp_url}/no-such-brand/mcp", [("platform", {})])


@pytest.mark.slow
def test_inputs_are_bounded(mcp_url: str, brands: list[Brand]) -> None:
    url = f"{mcp_url}/{brands[0].id}/mcp"
    start = time.monotonic()
    with pytest.raises(MCPError):  # 200 KB: refused (413) before it is parsed
        _ask(url, [("search", {"query": "token " * 40_000})])
    assert time.monotonic() - start < 10
    calls = [("search", {"query": "x" * 2000}), ("search", {"query": "token", "limit": 1000}),
             ("get_page", {"url": "a" * 5000}), ("get_page", {"url": "../acme/index.md"}),
             ("get_page", {"url": "https://elsewhere.example/"}), ("search", {"query": "token"})]  # fmt: skip
    results = _ask(url, calls)
    assert [r.is_error for r in results] == [True, True, True, True, True, False]
    texts = [_text(r) for r in results]
    assert "at most 500 characters" in texts[0]
    assert "less than or equal to 50" in texts[1]
    assert "no page of this site" in texts[3]
    assert "expected a URL on" in texts[4]


@pytest.mark.slow
def test_host_and_origin_are_checked_per_brand(mcp_url: str, brands: list[Brand], all_brands: list[Brand]) -> None:
    brand = brands[0]
    own = httpx.URL(brand.site_url).host
    other = next((httpx.URL(b.site_url).host for b in all_brands if b.site_url and b.id != brand.id), "x.example")
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}

    def status(**extra: str) -> int:
        return httpx.post(f"{mcp_url}/{brand.id}/mcp", json=body, headers={**headers, **extra}).status_code

    assert status() == 200  # loopback
    assert status(Host=own) == 200  # a proxy passing the brand's own host
    assert status(Origin=f"https://{own}") == 200
    assert status(Origin="http://localhost:6274") == 200  # MCP Inspector, in a local browser
    assert status(Host=other) == 421  # another tenant's host name cannot be made to answer for this one
    assert status(Host="attacker.example") == 421
    assert status(Origin="https://attacker.example") == 403  # a page elsewhere, rebinding its name to loopback
    assert status(Origin="null") == 403


@pytest.mark.slow
def test_stdio_serves_one_brand(site_root: Path, brands: list[Brand], tmp_path: Path) -> None:
    brand = next((b for b in brands if b.language.startswith("zh")), brands[0])
    word, page = search_words(site_root / brand.id, brand.language)[0]

    async def session() -> list:
        args = ["mcp", "--brand", brand.id, "--stdio", "--site-dir", str(site_root)]
        params = StdioServerParameters(command=str(BIN / "branddocs"), args=args, cwd=tmp_path)
        async with Client(params) as client:
            return [await client.call_tool("search", {"query": word}),
                    await client.call_tool("platform", {}),
                    await client.call_tool("search", {"query": "x" * 200_000})]  # fmt: skip

    found, platform, huge = anyio.run(session)
    pages = [hit["url"].split("#")[0] for hit in found.structured_content["results"]]
    assert site_address(_site_url(brand), page) in pages
    assert platform.structured_content["base_url"] == brand.base_url
    assert huge.is_error
    assert "at most 500 characters" in _text(huge)


def test_stdio_needs_a_built_brand(tmp_path: Path) -> None:
    result = subprocess.run([str(BIN / "branddocs"), "mcp", "--brand", "nope", "--stdio", "--site-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"branddocs mcp: no built site of brand 'nope' in {tmp_path} (build it: branddocs build --brand nope)"
    ]
    result = subprocess.run([str(BIN / "branddocs"), "mcp", "--stdio", "--site-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 2
    assert "--brand and --stdio go together" in result.stderr


@pytest.mark.slow
def test_chinese_queries_are_split_against_the_index(built_sites: dict[str, Path], brands: list[Brand],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Two words of the guide typed together, as a Chinese reader types them, find their page; unsplit, they don't."""
    brand = next((b for b in brands if b.language.startswith("zh")), None)
    if brand is None:
        pytest.skip("no Chinese brand selected")
    index = SearchIndex.load(built_sites[brand.id])
    (first, page), (second, _) = search_words(built_sites[brand.id], brand.language, count=2)
    phrase = first + second
    assert page in {h.location.split("#")[0] for h in index.search(phrase)}
    monkeypatch.setattr(search_module, "segment", lambda query, words: [query])  # the negative: no segmentation
    assert page not in {h.location.split("#")[0] for h in index.search(phrase)}


def test_brands_are_read_when_asked_for_and_a_bounded_few_kept(
    built_sites: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 brands, a cache of 4: starting reads none, a call reads its brand alone, at most 4 stay in memory."""
    source = next(iter(built_sites.values()))
    for number in range(40):
        copy = shutil.copytree(source, tmp_path / f"tenant-{number}", symlinks=True)
        record = json.loads((copy / PLATFORM_FILE).read_text(encoding="utf-8"))
        (copy / PLATFORM_FILE).unlink()  # published files are read-only (the store): a new file, not a write
        (copy / PLATFORM_FILE).write_text(json.dumps({**record, "id": copy.name}), encoding="utf-8")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / PLATFORM_FILE).write_text("{not json", encoding="utf-8")
    reads: list[str] = []
    original = BrandSite.read.__func__

    def counted(cls: type[BrandSite], folder: Path) -> BrandSite:
        reads.append(folder.name)
        return original(cls, folder)

    monkeypatch.setattr(BrandSite, "read", classmethod(counted))
    sites = Sites(tmp_path, capacity=4)
    with running_endpoint(McpApp(sites)) as server:
        assert reads == []
        for number in range(12):
            result = _ask(f"{server.url}/tenant-{number}/mcp", [("platform", {})])[0]
            assert result.structured_content["id"] == f"tenant-{number}"
            assert len(sites) <= 4
        assert reads == [f"tenant-{n}" for n in range(12)]
        assert httpx.post(f"{server.url}/broken/mcp", json={}).status_code == 404  # the others are served


def test_a_page_is_found_by_its_url_or_path(built_sites: dict[str, Path], brands: list[Brand]) -> None:
    for brand in brands:
        site = BrandSite.read(built_sites[brand.id])
        pages = site.pages
        base = site.site_url or ""
        twin = "serverless-endpoints.md"
        path = "serverless-endpoints"
        ways = [f"{path}/", f"/{path}/", path, twin, f"/{twin}", f"{path}/index.html", f"{path}/#s", f"{path}/?q=1"]
        if base:
            ways += [f"{base}serverless-endpoints/", f"{base}serverless-endpoints/#step-1", f"{base}{twin}"]
        for way in ways:
            assert pages.find(way).twin == twin, (brand.id, way)
        for home in ("", "/", "./", "index.md", "index.html", *([base] if base else [])):
            assert pages.find(home).twin == "index.md", (brand.id, home)
        assert pages.markdown(pages.find(twin)) == (built_sites[brand.id] / twin).read_text(encoding="utf-8")
        for wrong in ("../acme/index.md", "/etc/passwd", "search/search_index.json", "llms.txt", "platform.json",
                      "https://elsewhere.example/serverless-endpoints/", "nope/"):  # fmt: skip
            with pytest.raises(PageNotFound):
                pages.find(wrong)


@pytest.mark.slow
def test_a_zensical_site_is_served_too(project: Project, brands: list[Brand], tmp_path: Path) -> None:
    """Built by Zensical (`search.json`, Chinese kept whole): the brand is found by words of its own guide."""
    brand = next((b for b in brands if b.language.startswith("zh")), brands[0])
    built = run_branddocs("build", "--engine", "zensical", "--brand", brand.id, "--site-dir", str(tmp_path),
                          cwd=project.root)  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert (tmp_path / brand.id / "search.json").is_file()
    words = search_words(tmp_path / brand.id, brand.language)
    with running_endpoint(McpApp(Sites(tmp_path))) as server:
        results = _ask(f"{server.url}/{brand.id}/mcp", [("search", {"query": w}) for w, _ in words])
        page = _ask(f"{server.url}/{brand.id}/mcp", [("get_page", {"url": "serverless-endpoints/"})])[0]
    for (word, where), result in zip(words, results, strict=True):
        pages = {hit["url"].split("#")[0] for hit in result.structured_content["results"]}
        assert site_address(_site_url(brand), where) in pages, (word, pages)
    assert brand.base_url in _text(page)
