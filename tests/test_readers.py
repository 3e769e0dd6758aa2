"""What each brand's readers get beyond the pages: search in their language, every glyph drawn, pages for AI assistants.

Per brand (parametrised over brands/): three words of its own built guide found by its site's search;
llms.txt lists exactly its pages with links that resolve; the Markdown twins' code blocks are the HTML's;
the Copy page button copies the twin. Negative tests build a Chinese brand of their own in a scratch project.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from playwright.sync_api import Browser, Playwright

from branddocs.site import Project
from branddocs.site.llms import FULL, INDEX
from branddocs.site.pages import site_pages, site_title

from .support.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, open_page, serve_site, tofu_problems
from .support.once import once
from .support.project import ROOT, run_branddocs, scratch_project
from .support.readers import page_texts, search_hits, search_words

pytestmark = pytest.mark.slow
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[^\n]*\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$", re.M | re.S
)
_HTML_CODE = re.compile(r"<pre\b[^>]*>(?:<span></span>)?<code\b[^>]*>(?P<code>.*?)</code></pre>", re.S)
_LINK = re.compile(r"^- \[(?P<title>[^\]]+)\]\((?P<url>[^)\s]+)\)", re.M)


def search_problems(browser: Browser, site: Path, words: list[tuple[str, str]]) -> list[str]:
    """Each word typed into the site's search lists the page it comes from."""
    problems = []
    with serve_site(site) as url:
        for word, path in words:
            page, _ = open_page(browser, f"{url}/", DESKTOP)
            hits = {h.split("#")[0].split("?")[0] for h in search_hits(page, word)}  # ?h=: search.highlight
            if f"{url}/{path}" not in hits:
                problems.append(f"searching for {word!r} does not list /{path} (it lists {sorted(hits) or 'nothing'})")
            page.context.close()
    return problems


def test_search_finds_words_of_the_brands_own_guide(
    brand_id: str, built_sites: dict[str, Path], browser: Browser, project: Project
) -> None:
    brand = project.brand(brand_id)
    words = search_words(built_sites[brand_id], brand.language)
    assert len(words) == 3, f"fewer than three words in {brand_id}'s pages: {words}"
    if brand.language.startswith("zh"):
        assert all(re.search(r"[\u4e00-\u9fff]", w) for w, _ in words), words
    assert search_problems(browser, built_sites[brand_id], words) == []


@pytest.fixture(scope="module")
def chinese_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test brand acme with `language: zh-TW`: the guide's translations, a Chinese search index (built once a
    run, whichever worker asks first; the tests only read it, or copy it)."""

    def build(into: Path) -> str:
        folder = scratch_project(into).root
        brand = folder / "brands" / "acme.yml"
        brand.write_text(brand.read_text(encoding="utf-8") + "language: zh-TW\n", encoding="utf-8")
        result = run_branddocs("build", "--brand", "acme", "--site-dir", str(folder / "site"), cwd=folder)
        assert result.returncode == 0, result.stderr
        return str(folder / "site" / "acme")

    return Path(once(tmp_path_factory, "chinese-site", build))


def test_search_check_fails_on_the_index_without_chinese_search(
    chinese_site: Path, browser: Browser, tmp_path: Path
) -> None:
    # Before branddocs configured search: lunr's English pipeline, and Chinese text unsegmented (no jieba).
    before = tmp_path / "before"
    shutil.copytree(chinese_site, before)
    index_file = before / "search" / "search_index.json"
    index = json.loads(index_file.read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["zh"]
    assert any("\u200b" in d["text"] for d in index["docs"]), "no zero-width space: Chinese was not segmented"
    index["config"]["lang"] = ["en"]
    for doc in index["docs"]:
        doc["title"], doc["text"] = doc["title"].replace("\u200b", ""), doc["text"].replace("\u200b", "")
    index_file.unlink()  # a copy of a published file is read-only, as the store keeps it: a new file, not a write
    index_file.write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    # Words that only segmentation finds: a word standing alone between spaces (a table cell's) is a token
    # even to the English pipeline (lunr splits on spaces and hyphens).
    tokens = {t for d in index["docs"] for t in re.split(r"[\s\-]+", f"{d['title']} {d['text']}")}
    words = [(w, page) for w, page in search_words(chinese_site, "zh-TW", count=12) if w not in tokens][:3]
    assert len(words) == 3, words
    assert search_problems(browser, chinese_site, words) == []
    problems = search_problems(browser, before, words)
    assert len(problems) == 3, problems


def test_every_language_gets_a_search_language_lunr_ships() -> None:
    from branddocs.brand import material_languages
    from branddocs.site.search import lunr_languages, search_language

    chosen = {code: search_language(code) for code in material_languages()}
    assert set(chosen.values()) <= lunr_languages()
    assert chosen["zh-TW"] == chosen["zh"] == chosen["zh-Hant"] == "zh"
    assert (chosen["en"], chosen["de"], chosen["ja"], chosen["nb"], chosen["pt-BR"]) == ("en", "de", "ja", "no", "pt")
    assert chosen["sl"] == "en", "Material's partial names sl, which lunr has no file for"
    assert chosen["pl"] == chosen["ko"] == "en"


def test_tofu_check_sees_text_without_a_font(
    chinese_site: Path, browser: Browser, playwright: Playwright, tmp_path: Path
) -> None:
    with serve_site(chinese_site) as url:
        page, _ = open_page(browser, f"{url}/serverless-endpoints/", DESKTOP)
        assert tofu_problems(page) == []
        page.context.close()
    # The same page in a Chromium that sees only DejaVu's fonts (this machine before its CJK font).
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>'
        f"<cachedir>{tmp_path}/cache</cachedir></fontconfig>",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(config)}
    bare = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
    with serve_site(chinese_site) as url:
        page = bare.new_page()
        page.goto(f"{url}/serverless-endpoints/")
        problems = tofu_problems(page)
    bare.close()
    assert len(problems) == 1, problems
    assert "(tofu)" in problems[0]


def test_portal_screenshot_is_drawn_in_the_brands_language(brand_id: str, project: Project, browser: Browser) -> None:
    """tools/make_screenshots.py's page for the brand: its labels in the brand's language, every glyph drawn."""
    spec = importlib.util.spec_from_file_location("make_screenshots", ROOT / "tools" / "make_screenshots.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    brand = project.brand(brand_id)
    page = browser.new_page()
    page.set_content(tool.render(brand))
    text = page.inner_text("body")
    labels = tool.LABELS.get(brand.language, tool.LABELS["en"])
    assert all(label in text for label in labels.values()), text
    assert page.evaluate("document.documentElement.lang") == brand.language
    assert tofu_problems(page) == []
    page.context.close()


# llms.txt, llms-full.txt and the Markdown twins.


def published_pages(site: Path) -> dict[str, Path]:
    """Every page of a built site (`index.html` files but the 404's), by its twin's path."""
    return {("index.md" if p == "" else p.rstrip("/") + ".md"): site / p / "index.html" for p in page_texts(site)}


def _plain(inline) -> str:
    """The text CommonMark makes of an inline token (escapes and entities resolved)."""
    return "".join(child.content for child in inline.children if child.type in ("text", "code_inline"))


def test_llms_txt_lists_exactly_the_brands_pages(
    brand_id: str, built_sites: dict[str, Path], project: Project, all_brands: list
) -> None:
    brand, site = project.brand(brand_id), built_sites[brand_id]
    text = (site / INDEX).read_text(encoding="utf-8")
    name, description = site_title(brand)
    # As an assistant's CommonMark parser reads them: the site's title and description, each character as written.
    tokens = MarkdownIt().parse(text)
    assert [t.type for t in tokens[:3]] == ["heading_open", "inline", "heading_close"], text[:200]
    assert _plain(tokens[1]) == name
    assert tokens[3].type == "blockquote_open"
    assert _plain(tokens[5]) == description
    links = {m["url"]: m["title"] for m in _LINK.finditer(text)}
    base = (brand.site_url or "").rstrip("/") + "/" if brand.site_url else ""
    assert all(url.startswith(base) for url in links), links
    paths = {unquote(urlsplit(url).path if base else url).removeprefix(urlsplit(base).path): url for url in links}
    assert set(paths) == set(published_pages(site)) | {FULL}
    for path in paths:
        assert (site / path).is_file(), f"{INDEX} links {path}, which the site lacks"
    for other in (b for b in all_brands if b.id != brand_id):
        own = set(site_pages(project.docs_dir, other).own) - set(site_pages(project.docs_dir, brand).own)
        assert not own & set(paths), f"{other.id}'s own pages listed in {brand_id}'s {INDEX}"
    full = (site / FULL).read_text(encoding="utf-8")
    for path in published_pages(site):
        assert (site / path).read_text(encoding="utf-8").strip() in full


def test_twins_are_the_pages_in_the_brands_language(
    brand_id: str, built_sites: dict[str, Path], project: Project
) -> None:
    brand, site = project.brand(brand_id), built_sites[brand_id]
    for twin, page in published_pages(site).items():
        markup = page.read_text(encoding="utf-8")
        h1 = html.unescape(re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", markup, re.S)[1]))
        h1 = h1.removesuffix("¶").strip()  # the heading's permalink
        first = (site / twin).read_text(encoding="utf-8").splitlines()[0]
        assert html.unescape(re.sub(r"\s*\{[^}]*\}\s*$", "", first.removeprefix("# "))) == h1, twin
        source = site_pages(project.docs_dir, brand).sources.get(twin, twin)
        if brand.language != "en" and source != twin and not source.startswith("brands/"):
            assert re.search(r"[^\x00-\x7f]", first), f"{twin}: expected the {brand.language} translation's heading"
        assert '<link rel="alternate" type="text/markdown" href="' in markup


def test_twins_code_blocks_are_the_pages_code_blocks(brand_id: str, built_sites: dict[str, Path]) -> None:
    site = built_sites[brand_id]
    for twin, page in published_pages(site).items():
        markdown = (site / twin).read_text(encoding="utf-8")
        fenced = [
            "\n".join(line.removeprefix(m["indent"]) for line in m["body"].splitlines())
            for m in _FENCE.finditer(markdown)
        ]
        published = [
            html.unescape(re.sub(r"<[^>]+>", "", m["code"])).rstrip("\n")
            for m in _HTML_CODE.finditer(page.read_text(encoding="utf-8"))
        ]
        assert fenced == published, f"{twin}: its code blocks differ from {page.relative_to(site)}'s"
        assert not re.search(r'^\s*(`{3,}|~{3,}).*\b(test|lint|group|reason|output|request|xfail)="', markdown, re.M)


def test_copy_page_button_copies_the_twin(brand_id: str, built_sites: dict[str, Path], browser: Browser) -> None:
    site = built_sites[brand_id]
    with serve_site(site) as url:
        page, visit = open_page(browser, f"{url}/serverless-endpoints/", DESKTOP)
        button = page.locator("button.branddocs-copy-page")
        assert button.is_visible()
        assert button.get_attribute("aria-label")
        button.click()
        page.wait_for_timeout(300)
        copied = page.evaluate("navigator.clipboard.readText()")
        page.context.close()
    assert copied == (site / "serverless-endpoints.md").read_text(encoding="utf-8")
    assert visit.problems == []


def test_a_key_in_a_twin_alone_fails_the_build(scratch: Project, tmp_path: Path) -> None:
    """The secret scan reads every output file: a key only the Markdown carries (an unused link reference)."""
    secret = "sk-branddocs-twin-secret-5678"
    with (scratch.docs_dir / "serverless-endpoints.md").open("a", encoding="utf-8") as page:
        page.write(f"\n[unused]: https://keys.example/{secret}\n")
    result = run_branddocs(
        "build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root,
        env={"ACME_CLOUD_API_KEY": secret},
    )  # fmt: skip
    assert result.returncode == 1
    assert "appears in the page" not in result.stderr, "the HTML carries it: this test proves nothing"
    assert (
        "serverless-endpoints.md: the value of $ACME_CLOUD_API_KEY (an API key) appears in this file" in result.stderr
    )
    assert f"{FULL}: the value of $ACME_CLOUD_API_KEY" in result.stderr
    assert secret not in result.stdout + result.stderr


def test_jieba_keeps_its_cache_in_the_users_cache_folder(scratch: Project, tmp_path: Path) -> None:
    """Not /tmp/jieba.cache, which another user's build may own (jieba then logs a traceback every build), nor the
    project's .cache/, which a checkout can fill (jieba unmarshals it): the caller's own ($XDG_CACHE_HOME/branddocs).
    Material segments Chinese text with jieba on any site once jieba is installed, so an English brand too."""
    text = (scratch.brands_dir / "acme.yml").read_text(encoding="utf-8")
    (scratch.brands_dir / "nebula.yml").write_text(
        (scratch.brands_dir / "nebula.yml").read_text(encoding="utf-8") + "language: zh-TW\n", encoding="utf-8"
    )
    (scratch.docs_dir / "index.md").write_text(
        (scratch.docs_dir / "index.md").read_text(encoding="utf-8") + "\n金鑰與端點。\n", encoding="utf-8"
    )
    assert "language:" not in text  # acme stays English
    for brand_id in ("acme", "nebula"):
        cache = tmp_path / f"cache-{brand_id}"
        done = run_branddocs("build", "--brand", brand_id, "--site-dir", str(scratch.root / "out"), cwd=scratch.root,
                             env={"XDG_CACHE_HOME": str(cache)})  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert (cache / "branddocs" / "jieba" / "jieba.cache").is_file(), brand_id
        assert oct(os.stat(cache / "branddocs").st_mode & 0o777) == "0o700"
        assert not (scratch.root / ".cache" / "jieba.cache").exists()
        assert "Traceback" not in done.stderr
