"""Built sites, read back from disk: each carries its brand and nothing of the others; failures publish nothing."""

from __future__ import annotations

import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from branddocs.brand import Brand, load_brand
from branddocs.site import Project
from branddocs.site.pages import site_title

from .conftest import BIN, run_branddocs, tree_digest
from .test_brands import MINIMAL, write

pytestmark = pytest.mark.slow

TEXT_SUFFIXES = {".html", ".xml", ".json", ".js", ".css", ".txt", ".svg", ".md"}


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def text_of(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(site.rglob("*")) if p.suffix in TEXT_SUFFIXES)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "src" or (name == "href" and tag in ("a", "link"))):
                self.links.append(value)


def broken_links(site: Path, base_path: str = "/") -> list[str]:
    """Links and images in `site` whose target file is missing; `base_path` is the site URL's path."""
    broken = []
    for page in html_pages(site):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            path = unquote(parts.path)
            if path.startswith("/"):  # 404.html links from the site root, as it can be served at any depth
                path = str(site) + "/" + path.removeprefix(base_path)
            target = (page.parent / path).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {link}")
    return broken


def test_every_brand_carries_its_own_values(built_sites: dict[str, Path], project: Project, brand_id: str) -> None:
    brand, site = project.brand(brand_id), built_sites[brand_id]
    guide = (site / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
    for value in (brand.base_url, brand.key_env, brand.default_model, brand.portal_name, *brand.models):
        assert value in guide, (brand.id, value)
    assert site_title(brand)[0] in guide.replace("&amp;", "&")
    assert f"images/{brand.resource_dir_name}/endpoint.png" in guide
    assert f"--md-primary-fg-color: {brand.theme.primary};" in guide
    assert f"--md-accent-fg-color: {brand.theme.accent};" in guide
    assert f'data-brand="{brand.id}"' in guide  # the brand's footer
    if brand.theme.logo:
        assert f'src="../images/{brand.resource_dir_name}/{brand.theme.logo}"' in guide
        assert (site / "images" / brand.resource_dir_name / brand.theme.logo).is_file()


def own_values(brand: Brand) -> list[str]:
    """What is one tenant's own: its name, portal, URLs and key variable (models and colours may be shared)."""
    values = (brand.user_name, brand.portal_name, brand.base_url, brand.key_env, brand.site_url, brand.support_url)
    return [v for v in values if v]


def leaks(site: Path, brand: Brand, others: list[Brand]) -> list[str]:
    """Other tenants' own values and image folders found in `brand`'s built site."""
    # The theme's assets are the same for every brand; the pages, search index and our CSS are what we render.
    text = "\n".join(
        p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*"))
        if p.suffix in TEXT_SUFFIXES and p.relative_to(site).parts[0] != "assets"
    ).replace("&amp;", "&")
    mine = own_values(brand)
    found = []
    for other in (o for o in others if o.id != brand.id):
        for value in own_values(other):
            # A value this brand shares (`Cloud Portal`, one site_url) or contains is not the other's to leak.
            if not any(value in own for own in mine) and value in text:
                found.append(f"{other.id}'s {value!r} in {brand.id}'s site")
        if (site / "images" / other.resource_dir_name).exists():
            found.append(f"{other.id}'s images/{other.resource_dir_name}/ in {brand.id}'s site")
    return found


def test_no_brand_leaks_into_another(built_sites: dict[str, Path], all_brands: list[Brand], brand_id: str) -> None:
    brand = next(b for b in all_brands if b.id == brand_id)
    assert leaks(built_sites[brand_id], brand, all_brands) == []


def test_leak_check_can_fail(tmp_path: Path) -> None:
    one = load_brand(write(tmp_path, MINIMAL, "one.yml"))
    two = load_brand(
        write(tmp_path, MINIMAL.replace("Example Co", "Other Co").replace("example-co", "other-co"), "two.yml")
    )
    (tmp_path / "images" / "other-co").mkdir(parents=True)
    # Shared by both, so not a leak: the model and the default portal name.
    text = "Example Co, meta-llama-3-8b-instruct, Cloud Portal; Other Co at https://api.other-co.example/api/v1/ai"
    (tmp_path / "index.html").write_text(text + " with $OTHER_CO_API_KEY", encoding="utf-8")
    assert leaks(tmp_path, one, [one, two]) == [
        "two's 'Other Co' in one's site",
        "two's 'https://api.other-co.example/api/v1/ai' in one's site",
        "two's 'OTHER_CO_API_KEY' in one's site",
        "two's images/other-co/ in one's site",
    ]


def test_no_template_text_or_macro_errors(built_sites: dict[str, Path], brand_id: str) -> None:
    site = built_sites[brand_id]
    # Material's own JavaScript has `{{` in it; what we render is HTML, the search index and the sitemap.
    ours = [*html_pages(site), site / "search" / "search_index.json", site / "sitemap.xml"]
    for path in ours:
        text = path.read_text(encoding="utf-8")
        for marker in ("{{", "{%", "Macro Rendering Error", "Macro Syntax Error", "UndefinedError"):
            assert marker not in text, f"{brand_id}: {marker!r} in {path.relative_to(site)}"


def test_images_and_internal_links_resolve(built_sites: dict[str, Path], project: Project, brand_id: str) -> None:
    base_path = urlsplit(project.brand(brand_id).site_url or "http://x/").path
    assert broken_links(built_sites[brand_id], base_path) == []


def test_link_checker_can_fail(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<a href="gone/">x</a><img src="images/none.png">', encoding="utf-8")
    (tmp_path / "404.html").write_text('<link href="/docs/a.css"><a href="/docs/">x</a>', encoding="utf-8")
    assert broken_links(tmp_path, "/docs/") == [
        "404.html: /docs/a.css",
        "index.html: gone/",
        "index.html: images/none.png",
    ]


def test_guide_keeps_every_section_of_the_original(
    built_sites: dict[str, Path], project: Project, brand_id: str
) -> None:
    guide = (built_sites[brand_id] / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
    # By anchor: a translation keeps the English headings' anchors ({ #step-1-authentication }).
    for heading in (
        "step-1-authentication",
        "step-2-finding-endpoint-information",
        "step-3-sending-requests-to-the-endpoint",
        "input-field-explanation",
        "example-in-different-languages",
        "step-4-handling-the-response",
        "response-structure",
        "common-issues-solutions",
        "next-steps",
    ):
        assert f'id="{heading}"' in guide, heading
    if project.brand(brand_id).language != "en":
        return
    for tab in ("Using cURL", "Using Python", "Using Node.js"):
        assert f">{tab}</label>" in guide
    assert guide.count('class="admonition') >= 8
    assert "Happy coding!" in guide


def test_known_defects_of_the_original_are_gone(built_sites: dict[str, Path], project: Project, brand_id: str) -> None:
    guide = (built_sites[brand_id] / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
    for defect in (
        "192.168.",
        "maxTokens</strong>",
        "topP",
        "$model",
        "dangerouslyAllowBrowser",
        "import requests",
        "event:messages",
        '"code": 200',
        "&#39;Authorization: Bearer ${",
    ):
        assert defect not in guide, defect
    assert ("data: [DONE]" in guide) == project.brand(brand_id).features.streaming


def test_api_key_never_appears_in_a_site(scratch: Project, tmp_path: Path) -> None:
    secret = "sk-branddocs-test-secret-1234"
    built = run_branddocs(
        "build",
        "--brand",
        "acme",
        "--site-dir",
        str(tmp_path / "ok"),
        cwd=scratch.root,
        env={"ACME_CLOUD_API_KEY": secret},
    )
    assert built.returncode == 0, built.stderr
    assert secret not in text_of(tmp_path / "ok" / "acme")
    with (scratch.docs_dir / "index.md").open("a", encoding="utf-8") as page:
        page.write(f"\nMy key is {secret}.\n")
    leaked = run_branddocs(
        "build",
        "--brand",
        "acme",
        "--site-dir",
        str(tmp_path / "bad"),
        cwd=scratch.root,
        env={"ACME_CLOUD_API_KEY": secret},
    )
    assert leaked.returncode == 1
    assert "index.md: the value of $ACME_CLOUD_API_KEY (an API key) appears in the page" in leaked.stderr
    assert not (tmp_path / "bad" / "acme").exists()


def test_minimal_brand_builds_with_no_code_change(scratch: Project, tmp_path: Path) -> None:
    (scratch.brands_dir / "example-co.yml").write_text(MINIMAL, encoding="utf-8")
    (scratch.docs_dir / "images" / "example-co").mkdir()
    (scratch.docs_dir / "images" / "example-co" / "endpoint.png").write_bytes(
        (scratch.docs_dir / "images" / "acme" / "endpoint.png").read_bytes()
    )
    result = run_branddocs("build", "--brand", "example-co", "--site-dir", str(tmp_path / "site"), cwd=scratch.root)
    assert result.returncode == 0, result.stderr
    guide = (tmp_path / "site" / "example-co" / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
    assert "https://api.example-co.example/api/v1/ai/chat/completions" in guide
    assert "EXAMPLE_CO_API_KEY" in guide
    assert "Example Co Learning Guide" in guide
    assert "Cloud Portal" in guide


def _break_page(scratch: Project, text: str) -> None:
    with (scratch.docs_dir / "serverless-endpoints.md").open("a", encoding="utf-8") as page:
        page.write(text)


def _replace_in_brand(scratch: Project, old: str, new: str) -> None:
    path = scratch.brands_dir / "acme.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


BREAKAGES = {
    "undefined variable": (
        lambda s: _break_page(s, "\nSee {{ user_nmae }}.\n"),
        ["serverless-endpoints.md", "'user_nmae' is undefined"],
    ),
    "macro error": (
        lambda s: _break_page(s, "\n{{ models | no_such_filter }}\n"),
        ["serverless-endpoints.md", "No filter named 'no_such_filter'"],
    ),
    "template text left over": (
        lambda s: _break_page(s, "\n{% raw %}Dear {{ reader }}{% endraw %}\n"),
        ["serverless-endpoints.md: template text '{{' left in the rendered page"],
    ),
    "broken link": (
        lambda s: _break_page(s, "\nSee [the FAQ](faq.md).\n"),
        ["serverless-endpoints.md", "'faq.md'", "not found"],
    ),
    "missing image": (
        lambda s: _break_page(s, "\n![Chart](images/{{ resource_dir_name }}/chart.png)\n"),
        ["serverless-endpoints.md", "images/acme/chart.png", "not found"],
    ),
    "bad field": (
        lambda s: _replace_in_brand(s, 'primary: "#1e4fa0"', "primary: blue"),
        ["acme.yml:11: theme.primary: String should match pattern"],
    ),
    "unknown key": (
        lambda s: _replace_in_brand(s, "portal_name:", "portal_nmae:"),
        ["acme.yml:4: portal_nmae: unknown key"],
    ),
    "missing screenshot": (
        lambda s: (s.docs_dir / "images" / "acme" / "endpoint.png").unlink(),
        ["brand 'acme': missing image file:", "images/acme/endpoint.png"],
    ),
}


BRAND_BREAKAGES = ("bad field", "unknown key", "missing screenshot")


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_failing_build_names_the_problem_and_keeps_the_previous_site(
    scratch: Project, tmp_path: Path, breakage: str
) -> None:
    site_root = tmp_path / "site"
    first = run_branddocs("build", "--site-dir", str(site_root), cwd=scratch.root)
    assert first.returncode == 0, first.stderr
    before = {b: tree_digest(site_root / b) for b in scratch.brand_ids()}

    breaker, expected = BREAKAGES[breakage]
    breaker(scratch)
    second = run_branddocs("build", "--force", "--site-dir", str(site_root), cwd=scratch.root)

    assert second.returncode == 1
    for text in expected:
        assert text in second.stderr, f"{text!r} not in:\n{second.stderr}"
    # A broken page breaks every brand; a broken brand file or image only its own brand.
    failing = ["acme"] if breakage in BRAND_BREAKAGES else list(before)
    for brand_id, digest in before.items():
        if brand_id in failing:
            assert f"{brand_id}: FAILED" in second.stdout
            assert f"{brand_id}: FAILED; its previous site is left as it was" in second.stderr
            assert tree_digest(site_root / brand_id) == digest, f"{brand_id}'s previous site changed"
        else:
            assert f"{brand_id}: built" in second.stdout, "one brand's failure stopped the others"
    assert sorted(p.name for p in site_root.iterdir()) == [".branddocs", *scratch.brand_ids()], "staging left"


@pytest.mark.parametrize(
    ("brand", "expected"),
    [("", "BRAND is not set: run e.g. `BRAND=<id> mkdocs serve`; brands: acme, brightline, nebula"),
     ("nope", "unknown brand 'nope'"), ("../brands/acme", "unknown brand")],
)  # fmt: skip
def test_plain_mkdocs_needs_a_known_brand(scratch: Project, tmp_path: Path, brand: str, expected: str) -> None:
    done = subprocess.run(
        [str(BIN / "mkdocs"), "build", "-f", str(scratch.config_file), "-d", str(tmp_path / "site")],
        env={**os.environ, "BRAND": brand, "NO_MKDOCS_2_WARNING": "1"}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "site").exists()
