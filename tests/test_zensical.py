"""`branddocs build --engine zensical`: the same content as MkDocs + Material, page by page, with the same guarantees.

Both engines build every brand of the project once per session (`sites`); each page's content is read back
from disk into its headings, tables, admonitions and code blocks (`Content`) and compared. What the engines do
from .support.browser import DESKTOP, guide_problems, open_page, serve_site
from .support.project import run_branddocs, scratch_project, tree_digest
from .support.sites import BREAKAGES, broken_links, leaks
differently on purpose is listed in README (Choosing an engine) and asserted in `test_what_differs`.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from branddocs.brand import Brand
from branddocs.builder.engines import DEFAULT
from branddocs.examples.collection.collect import collect_examples
from branddocs.markup import parse_fences
from branddocs.site import Project
from branddocs.site.pages import site_title

from .support.browser import DESKTOP, guide_problems, open_page, serve_site, zensical_search_problems
from .support.project import run_branddocs, scratch_project, tree_digest
from .support.sites import BREAKAGES, broken_links, leaks

pytestmark = pytest.mark.slow

ENGINES = ("mkdocs", "zensical")


@dataclass
class Content:
    """What a reader gets from a page's article, whatever the theme's markup around it."""

    headings: list[tuple[int, str, str]] = field(default_factory=list)
    """(level, id, text) of each heading, permalink sign removed."""
    tables: list[list[list[str]]] = field(default_factory=list)
    admonitions: list[tuple[str, str]] = field(default_factory=list)
    """(kind, title) of each admonition or details block."""
    code: list[str] = field(default_factory=list)
    """The text of each code block, as a reader copies it."""
    images: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    """Reads the page's `<article>`: headings, tables, admonitions, code blocks, images and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.content = Content()
        self._article = 0
        self._heading: list | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._code: list[str] | None = None
        self._code_depth = 0
        self._title: list[str] | None = None
        self._skip = 0  # permalink anchors and line-number anchors

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "article":
            self._article += 1
        if not self._article:
            return
        if self._skip:
            self._skip += 1 if tag == "a" else 0
            return
        if tag == "a" and ("headerlink" in classes or a.get("id", "").startswith("__codelineno")):
            self._skip = 1
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [int(tag[1]), a.get("id", ""), []]
        elif tag == "table":
            self.content.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "pre":
            self._code, self._code_depth = [], 1
        elif self._code is not None:
            self._code_depth += 1 if tag not in ("br",) else 0
        elif (tag == "div" and "admonition" in classes) or tag == "details":
            kind = next((c for c in classes if c not in ("admonition", "open")), "")
            self.content.admonitions.append((kind, ""))
        elif tag in ("p", "summary") and ("admonition-title" in classes or tag == "summary"):
            self._title = []
        elif tag == "img":
            self.content.images.append(a.get("src", ""))
        elif tag == "a" and a.get("href"):
            self.content.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if not self._article:
            return
        if self._skip:
            self._skip -= 1 if tag == "a" else 0
            return
        if tag == "article":
            self._article -= 1
        elif self._heading and tag == f"h{self._heading[0]}":
            level, ident, text = self._heading
            self.content.headings.append((level, ident, " ".join("".join(text).split())))
            self._heading = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.content.tables:
            self.content.tables[-1].append(self._row)
            self._row = None
        elif self._code is not None:
            self._code_depth -= 1
            if tag == "pre":
                self.content.code.append("".join(self._code))
                self._code = None
        elif tag in ("p", "summary") and self._title is not None:
            kind, _ = self.content.admonitions[-1]
            self.content.admonitions[-1] = (kind, " ".join("".join(self._title).split()))
            self._title = None

    def handle_data(self, data: str) -> None:
        if not self._article or self._skip:
            return
        for part in (self._heading[2] if self._heading else None, self._cell, self._code, self._title):
            if part is not None:
                part.append(data)


def content(page: Path) -> Content:
    reader = _Reader()
    reader.feed(page.read_text(encoding="utf-8"))
    return reader.content


def pages(site: Path) -> list[str]:
    """The site's pages and Markdown twins (the theme's assets, search index and sitemaps aside)."""
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*")
        if p.suffix in (".html", ".md", ".txt") and p.relative_to(site).parts[0] != "assets"
    )


@pytest.fixture(scope="session")
def sites(
    tmp_path_factory: pytest.TempPathFactory, project: Project, brands: list[Brand], built_sites: dict[str, Path]
) -> dict[str, Path]:
    """{engine: site root}: every selected brand built by each engine with `branddocs build --engine`; MkDocs' (the
    default engine's) is the session's `built_sites`, read by the other modules too."""
    ids = [arg for b in brands for arg in ("--brand", b.id)]
    roots = {"mkdocs": next(iter(built_sites.values())).parent}
    assert ENGINES[0] == "mkdocs" == DEFAULT
    for engine in ENGINES[1:]:
        roots[engine] = tmp_path_factory.mktemp(f"site-{engine}")
        done = run_branddocs("build", "--engine", engine, *ids, "--site-dir", str(roots[engine]), cwd=project.root)
        assert done.returncode == 0, done.stdout + done.stderr
    return roots


def test_same_pages(sites: dict[str, Path], brand_id: str) -> None:
    mkdocs, zensical = (sites[e] / brand_id for e in ENGINES)
    assert pages(zensical) == pages(mkdocs)
    for name in ("llms.txt", "llms-full.txt", *[p for p in pages(mkdocs) if p.endswith(".md")]):
        assert (zensical / name).read_bytes() == (mkdocs / name).read_bytes(), name  # the Markdown twins too


def test_same_content_page_by_page(sites: dict[str, Path], brand_id: str) -> None:
    mkdocs, zensical = (sites[e] / brand_id for e in ENGINES)
    for page in (p for p in pages(mkdocs) if p.endswith(".html")):
        ours, theirs = content(mkdocs / page), content(zensical / page)
        assert theirs.headings == ours.headings, page
        assert theirs.tables == ours.tables, page
        assert theirs.admonitions == ours.admonitions, page
        assert theirs.code == ours.code, page
        assert theirs.images == ours.images, page
        assert theirs.links == ours.links, page
    guide = content(mkdocs / "serverless-endpoints" / "index.html")
    assert guide.code, "no code block read: the reader is broken"
    assert guide.headings, "the reader missed the headings"
    assert guide.tables, "the reader missed the tables"
    assert guide.admonitions, "the reader missed the admonitions"


def test_comparison_can_fail(tmp_path: Path) -> None:
    """The reader sees a changed heading, cell, admonition and code line: a comparison with it can fail."""
    page = (
        '<article><h2 id="a">Step 1<a class="headerlink" href="#a">¶</a></h2>'
        '<div class="admonition tip"><p class="admonition-title">Tip</p><p>x</p></div>'
        "<table><tr><th>Model</th></tr><tr><td><code>m-1</code></td></tr></table>"
        '<pre><code><a id="__codelineno-0-1" href="#x"></a>curl https://api.acme.example/v1\n</code></pre></article>'
    )
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    read = content(tmp_path / "a.html")
    assert read.headings == [(2, "a", "Step 1")]
    assert read.admonitions == [("tip", "Tip")]
    assert read.tables == [[["Model"], ["m-1"]]]
    assert read.code == ["curl https://api.acme.example/v1\n"]
    (tmp_path / "b.html").write_text(page.replace("m-1", "m-2").replace("acme", "nebula"), encoding="utf-8")
    other = content(tmp_path / "b.html")
    assert other.tables != read.tables
    assert other.code != read.code


def test_each_brand_has_its_values_and_no_other_brands(
    sites: dict[str, Path], project: Project, all_brands: list[Brand], brand_id: str
) -> None:
    brand, site = project.brand(brand_id), sites["zensical"] / brand_id
    guide = (site / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
    for value in (brand.base_url, brand.key_env, brand.default_model, brand.portal_name, *brand.models):
        assert value in guide, (brand.id, value)
    assert site_title(brand)[0] in html.unescape(guide)
    assert f"--md-primary-fg-color: {brand.theme.primary};" in guide
    assert f"--md-accent-fg-color: {brand.theme.accent};" in guide
    assert f'data-brand="{brand.id}"' in guide  # the brand's footer (overrides/partials/copyright.html)
    assert f'lang="{brand.language}"' in guide
    if brand.theme.logo:
        assert f"images/{brand.resource_dir_name}/{brand.theme.logo}" in guide
        assert (site / "images" / brand.resource_dir_name / brand.theme.logo).is_file()
    assert leaks(site, brand, all_brands) == []
    base_path = re.sub(r"^https?://[^/]+", "", brand.site_url or "http://x/")
    assert broken_links(site, base_path) == []


def test_zensical_search_check_can_fail(sites: dict[str, Path], brands: list[Brand], browser) -> None:
    """The negative of the search check the guide test runs per brand: one brand is enough (the check is one), the
    first of those built (`make test BRAND=yushan` builds no acme: its folder would be a 404, with no search)."""
    with serve_site(sites["zensical"] / brands[0].id) as url:
        page, _ = open_page(browser, f"{url}/serverless-endpoints/", DESKTOP)
        assert zensical_search_problems(page, "zyzzyva", "serverless-endpoints/")[0].startswith(
            "searching for 'zyzzyva' does not find serverless-endpoints/"
        )
        page.context.close()


def test_zensical_guide_in_a_browser(sites: dict[str, Path], browser, project: Project, brand_id: str) -> None:
    """tests/test_browser.py's checks (axe included) on the Zensical site: header, palette, logo, images, layout,
    linked tabs, copy buttons, search in the brand's language, on a desktop and a phone."""
    site, brand = sites["zensical"] / brand_id, project.brand(brand_id)
    problems = guide_problems(browser, site, brand, search=zensical_search_problems)
    assert problems == [], "\n".join(problems)


def test_examples_are_the_same_whatever_the_engine(sites: dict[str, Path], project: Project, brand_id: str) -> None:
    """`branddocs check` collects examples from the rendered Markdown, which both engines publish as the page's
    twin: every example's code is a code block of both sites' pages, in the same order."""
    brand = project.brand(brand_id)
    examples = collect_examples(project, brand)
    assert examples, f"{brand_id}: no example collected"
    for engine in ENGINES:
        site = sites[engine] / brand_id
        published = {}
        for twin in (p for p in pages(site) if p.endswith(".md")):
            published[twin] = [f.code for f in parse_fences((site / twin).read_text(encoding="utf-8"), twin)]
        # An error table is compared page by page above; a prose claim (judge/wire_claims.py) has no code block.
        for example in (e for e in examples if e.kind not in ("errors", "claims")):
            uri = next(u for u in published if example.page in (u, f"brands/{brand_id}/{u}") or
                       example.page.startswith(u.removesuffix(".md") + "."))  # fmt: skip
            assert example.code in published[uri], (engine, example.id)
            html_page = site / ("index.html" if uri == "index.md" else uri.removesuffix(".md") + "/index.html")
            assert example.code.rstrip("\n") in [c.rstrip("\n") for c in content(html_page).code], (engine, example.id)


@pytest.mark.parametrize("breakage", ["undefined variable", "macro error", "template text left over", "broken link",
                                      "missing image", "missing screenshot"])  # fmt: skip
def test_a_failing_brand_publishes_nothing_on_either_engine(scratch_built, breakage: str) -> None:
    expected = {
        "undefined variable": ["serverless-endpoints.md", "'user_nmae' is undefined"],
        "macro error": ["serverless-endpoints.md", "No filter named 'no_such_filter'"],
        "template text left over": ["serverless-endpoints.md", "template text '{{' left in the rendered page"],
        "broken link": ["serverless-endpoints.md", "faq.md", "page does not exist"],  # Zensical's words
        "missing image": ["serverless-endpoints.md", "images/acme/chart.png", "not found"],
        "missing screenshot": ["brand 'acme': missing image file:", "images/acme/endpoint.png"],
    }[breakage]
    scratch, site_root = scratch_built("zensical")  # a first build of every brand, done once for these tests
    before = {b: tree_digest(site_root / b) for b in scratch.brand_ids()}
    BREAKAGES[breakage][0](scratch)
    for engine in ENGINES:  # the same breakage fails the brand on both engines
        second = run_branddocs("build", "--engine", engine, "--force", "--site-dir", str(site_root), cwd=scratch.root)
        assert second.returncode == 1, (engine, second.stdout, second.stderr)
        if engine == "zensical":
            for text in expected:
                assert text in second.stderr, f"{text!r} not in:\n{second.stderr}"
        assert "acme: FAILED; its previous site is left as it was" in second.stderr, engine
        assert tree_digest(site_root / "acme") == before["acme"], f"{engine}: acme's previous site changed"
    assert sorted(p.name for p in site_root.iterdir()) == [".branddocs", *scratch.brand_ids()], "staging left"


def test_incremental_stamp_names_the_engine_and_shard(scratch: Project, tmp_path: Path) -> None:
    site_root = tmp_path / "site"
    build = ("build", "--site-dir", str(site_root))
    first = run_branddocs(*build, "--engine", "zensical", "--shard", "1/3", cwd=scratch.root)
    assert first.returncode == 0, first.stderr
    assert sorted(p.name for p in site_root.iterdir() if not p.name.startswith(".")) == ["acme"]  # shard 1 of 3
    again = run_branddocs(*build, "--engine", "zensical", "--shard", "1/3", cwd=scratch.root)
    assert "0 built, 1 up to date" in again.stdout, again.stdout
    other = run_branddocs(*build, "--engine", "mkdocs", "--shard", "1/3", cwd=scratch.root)
    assert "1 built, 0 up to date" in other.stdout, "a site another engine built was taken as up to date"
    assert (site_root / "acme" / "search" / "search_index.json").is_file()  # MkDocs' search index: rebuilt
    back = run_branddocs(*build, "--engine", "zensical", "--shard", "1/3", cwd=scratch.root)
    assert "1 built, 0 up to date" in back.stdout, back.stdout
    assert (site_root / "acme" / "search.json").is_file()


def test_a_secret_fails_the_brand(scratch: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret scan runs over every file of a Zensical site too (here: a key in an example's output)."""
    key = "sk-zensical-test-0123456789abcdef"
    with (scratch.docs_dir / "serverless-endpoints.md").open("a", encoding="utf-8") as page:
        page.write(f"\nKey: `{key}`\n")
    site_root = tmp_path / "site"
    done = run_branddocs("build", "--engine", "zensical", "--brand", "acme", "--site-dir", str(site_root),
                         cwd=scratch.root, env={"ACME_CLOUD_API_KEY": key})  # fmt: skip
    assert done.returncode == 1, done.stdout
    assert "secrets or local paths in the built site" in done.stderr, done.stderr
    assert not (site_root / "acme").exists()
    assert not any(key in p.read_text(errors="replace") for p in site_root.rglob("*") if p.is_file())


def test_what_differs(sites: dict[str, Path], brand_id: str) -> None:
    """README (Choosing an engine) lists these differences: each is asserted here, so the list stays true."""
    mkdocs, zensical = (sites[e] / brand_id for e in ENGINES)
    # Search: Material's lunr index and dialog, or Zensical's own index and dialog (a shadow root).
    assert (mkdocs / "search" / "search_index.json").is_file()
    assert not (mkdocs / "search.json").exists()
    assert (zensical / "search.json").is_file()
    assert not (zensical / "search").exists()
    # Sitemap: both write sitemap.xml; only MkDocs also writes its gzip copy.
    assert (mkdocs / "sitemap.xml.gz").is_file()
    assert (zensical / "sitemap.xml").is_file()
    assert not (zensical / "sitemap.xml.gz").exists()
    guide = (zensical / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
    assert '<meta name="generator" content="zensical-0.0.73">' in guide
    assert "mkdocs-material" in (mkdocs / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
    # The home page's <title>: Material gives the site's name alone, Zensical prefixes the page's title.
    titles = {e: re.search(r"<title>(.*?)</title>", (sites[e] / brand_id / "index.html").read_text("utf-8"))[1]
              for e in ENGINES}  # fmt: skip
    assert titles["zensical"].endswith(" - " + titles["mkdocs"]), titles
    # The theme's own files: Zensical's are a fraction of Material's (no lunr language packs).
    size = {
        e: sum(p.stat().st_size for p in (sites[e] / brand_id / "assets").rglob("*") if p.is_file()) for e in ENGINES
    }
    assert size["zensical"] < size["mkdocs"] / 2, size


def test_hostile_brand_values_stay_text(tmp_path: Path) -> None:
    """tests/test_security.py's hostile brand, built by Zensical: every value shows as its text (not escaped
    twice: the name reads right in the title, header and footer), none becomes markup in any file."""
    from .support.markup import COPYRIGHT, NAME, PORTAL, MarkupText, markup_problems

    project = scratch_project(tmp_path / "project")
    fields = {"user_name": NAME, "portal_name": PORTAL, "copyright": COPYRIGHT, "resource_dir_name": "acme",
              "api": {"base_url": "https://api.kestrel.example/v1"}, "models": ["kestrel-1"]}  # fmt: skip
    (project.brands_dir / "acme.yml").write_text(yaml.safe_dump(fields, allow_unicode=True), encoding="utf-8")
    site = tmp_path / "site"
    built = run_branddocs("build", "--engine", "zensical", "--brand", "acme", "--site-dir", str(site), cwd=project.root)
    assert built.returncode == 0, built.stdout + built.stderr
    for page in sorted((site / "acme").rglob("*.html")):
        assert markup_problems(page.read_text(encoding="utf-8")) == [], page
    for item in json.loads((site / "acme" / "search.json").read_text(encoding="utf-8"))["items"]:
        assert markup_problems(item["title"] + item["text"]) == [], item["location"]
    everything = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*") if p.is_file())
    for raw in ("<script>alert", "<Labs>", "<img src=x", "<b>bold"):
        assert raw not in everything
    doc = MarkupText((site / "acme" / "index.html").read_text(encoding="utf-8"))
    assert doc.text_of("title") == [f"Home - {NAME} Learning Guide"]  # Material: the name alone (test_what_differs)
    assert f"{NAME} Learning Guide" in doc.text_of("span", "md-ellipsis")
    assert doc.text_of("div", "md-copyright__highlight") == [COPYRIGHT]
    assert doc.text_of("h1")[0].startswith(f"{NAME} Learning Guide")
