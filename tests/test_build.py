"""Built sites, read back from disk: each carries its brand and nothing of the others; failures publish nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from branddocs.brand import Brand, load_brand
from branddocs.site import Project
from branddocs.site.pages import site_title

from .support.brands import MINIMAL, write
from .support.project import BIN, run_branddocs, tree_digest
from .support.sites import BREAKAGES, TEXT_SUFFIXES, broken_links, html_pages, leaks

pytestmark = pytest.mark.slow


def text_of(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(site.rglob("*")) if p.suffix in TEXT_SUFFIXES)


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


@pytest.mark.content
def test_guide_keeps_every_section_of_the_original(
    built_sites: dict[str, Path], project: Project, brand_id: str
) -> None:
    """A content test: the demo guide's sections, tabs and closing words, as the original had them."""
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


BRAND_BREAKAGES = ("bad field", "unknown key", "missing screenshot")


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_failing_build_names_the_problem_and_keeps_the_previous_site(scratch_built, breakage: str) -> None:
    scratch, site_root = scratch_built("mkdocs")  # a first build of every brand, done once for these tests
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
