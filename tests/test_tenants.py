"""Tenants that differ: platform features, pages of a brand's own, and the readers' language."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from branddocs.builder.build import inputs_digest
from branddocs.endpoint.server import app_for_brands
from branddocs.examples.collection.collect import collect_examples
from branddocs.examples.judge.features import feature_problems
from branddocs.markup import FenceError
from branddocs.site import Project
from branddocs.site.pages import site_pages

from .conftest import run_branddocs

KEY = "sk-test-tenants"


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _site_text(site: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(site.rglob("*")) if p.suffix in (".html", ".json", ".xml")
    )


# Over the real brands: each site is its own.


def test_each_brand_site_has_its_language_features_and_pages(
    built_sites: dict[str, Path], project: Project, brand_id: str
) -> None:
    brand, site = project.brand(brand_id), built_sites[brand_id]
    home = (site / "index.html").read_text(encoding="utf-8")
    assert f'<html lang="{brand.language}"' in home
    pages = site_pages(project.docs_dir, brand)
    for name in pages.own:
        assert (site / name.removesuffix(".md") / "index.html").is_file()
        assert f'href="{name.removesuffix(".md")}/"' in home, f"{name} is not in the navigation"
    for other in set(project.brand_ids()) - {brand_id}:
        theirs = set(site_pages(project.docs_dir, project.brand(other)).own) - set(pages.sources)
        for name in theirs:
            assert not (site / name.removesuffix(".md")).exists(), f"{other}'s page {name} is on {brand_id}'s site"
            assert f'"{name.removesuffix(".md")}/' not in (site / "search" / "search_index.json").read_text()
    if not brand.features.streaming:
        text = _site_text(site).lower()
        for word in ("stream", "server-sent", "text/event-stream", "串流"):
            assert word not in text, f"{brand_id} has no streaming, but its site mentions {word!r}"


# Features.


def test_a_streaming_example_fails_on_a_brand_without_streaming(scratch: Project) -> None:
    _append(scratch.brands_dir / "acme.yml", "features:\n  streaming: false\n")
    acme = scratch.brand("acme")
    assert collect_examples(scratch, acme)
    assert not [p for e in collect_examples(scratch, acme) for p in feature_problems(e)]
    guide = scratch.docs_dir / "serverless-endpoints.md"
    guide.write_text(guide.read_text(encoding="utf-8").replace("features.streaming", "true"), encoding="utf-8")
    found = [p for e in collect_examples(scratch, acme) for p in feature_problems(e)]
    assert len(found) == 3, found  # the stream request, its sample, the streaming Python example
    assert all("features.streaming: false" in p and "serverless-endpoints.md:" in p for p in found)
    result = run_branddocs("check", "--brand", "acme", "serverless-endpoints.md", cwd=scratch.root)
    assert result.returncode != 0
    assert "features.streaming: false" in result.stdout


def test_endpoint_refuses_stream_for_a_brand_without_streaming(scratch: Project) -> None:
    _append(scratch.brands_dir / "acme.yml", "features:\n  streaming: false\n")
    app, _, _ = app_for_brands(scratch, ["acme", "nebula"], [KEY])
    client = TestClient(app, headers={"Authorization": f"Bearer {KEY}"})
    body = {"model": "meta-llama-3-8b-instruct", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    refused = client.post("/brands/acme/v1/chat/completions", json=body)
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith("Unsupported value: 'stream' does not support true")
    assert client.post("/brands/acme/v1/chat/completions", json={**body, "stream": False}).status_code == 200
    nebula = {**body, "model": "qwen2.5-7b-instruct"}
    streamed = client.post("/brands/nebula/api/v1/ai/chat/completions", json=nebula)
    assert streamed.status_code == 200
    assert streamed.text.endswith("data: [DONE]\n\n")


# Pages of a brand's own.


def test_a_brand_page_is_on_its_brand_site_only(scratch: Project, tmp_path: Path) -> None:
    own = scratch.docs_dir / "brands" / "acme"
    own.mkdir(parents=True)
    (own / "quotas.md").write_text(
        "# Zebra quotas\n\nAcme's own zebra page for {{ user_name }}.\n\n"
        "```bash\ncurl --silent --fail-with-body {{ base_url }}/models "
        '--header "Authorization: Bearer ${{ api_key_env }}"\n```\n',
        encoding="utf-8",
    )
    (own / "index.md").write_text("# {{ user_name }}: a home of its own\n\nSee [the guide](serverless-endpoints.md).\n")
    before = {b: inputs_digest(scratch, b) for b in ("acme", "nebula")}
    site = tmp_path / "site"
    result = run_branddocs("build", "--brand", "acme", "--brand", "nebula", "--site-dir", str(site), cwd=scratch.root)
    assert result.returncode == 0, result.stdout + result.stderr
    acme, nebula = site / "acme", site / "nebula"
    assert "Zebra quotas" in (acme / "quotas" / "index.html").read_text(encoding="utf-8")
    assert 'href="quotas/"' in (acme / "index.html").read_text(encoding="utf-8")  # in the navigation
    assert '"quotas/"' in (acme / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "quotas/" in (acme / "sitemap.xml").read_text(encoding="utf-8")
    assert "a home of its own" in (acme / "index.html").read_text(encoding="utf-8")
    assert not (nebula / "quotas").exists()
    assert not (nebula / "brands").exists()
    assert not (acme / "brands").exists()
    assert "zebra" not in _site_text(nebula).lower()
    assert "a home of its own" not in _site_text(nebula)
    assert [e.page for e in collect_examples(scratch, scratch.brand("acme")) if e.page.startswith("brands/")] == [
        "brands/acme/quotas.md"
    ]
    assert not [e for e in collect_examples(scratch, scratch.brand("nebula")) if e.page.startswith("brands/")]
    _append(own / "quotas.md", "More.\n")
    assert inputs_digest(scratch, "acme") != before["acme"]
    assert inputs_digest(scratch, "nebula") == before["nebula"]


# The readers' language and translations.


def test_language_translation_and_fallback_notice(scratch: Project, tmp_path: Path) -> None:
    for brand in ("acme", "brightline"):
        _append(scratch.brands_dir / f"{brand}.yml", "language: de\n")
    (scratch.docs_dir / "index.de.md").write_text("# {{ user_name }}: Leitfaden\n\nWillkommen.\n", encoding="utf-8")
    before = inputs_digest(scratch, "nebula")
    site = tmp_path / "site"
    ids = ("--brand", "acme", "--brand", "brightline", "--brand", "nebula")
    result = run_branddocs("build", *ids, "--site-dir", str(site), cwd=scratch.root)
    assert result.returncode == 0, result.stdout + result.stderr
    acme = (site / "acme" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="de"' in acme
    assert "Leitfaden" in acme
    assert 'placeholder="Suche"' in acme
    nebula = (site / "nebula" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en"' in nebula
    assert "Leitfaden" not in nebula
    assert "Step 1: Authentication" in (site / "acme" / "serverless-endpoints" / "index.html").read_text()
    notice = "serverless-endpoints.md has no de translation (serverless-endpoints.de.md): the English page is published"
    assert result.stderr.count(notice) == 1, result.stderr  # once per page and language, for two brands
    assert "index.md has no de" not in result.stderr
    assert inputs_digest(scratch, "nebula") == before  # a German page is no input of an English site


def test_a_translation_whose_code_drifted_is_reported(scratch: Project) -> None:
    _append(scratch.brands_dir / "acme.yml", "language: de\n")
    source = scratch.docs_dir / "serverless-endpoints.md"
    translation = scratch.docs_dir / "serverless-endpoints.de.md"
    translation.write_text(source.read_text(encoding="utf-8").replace("# Serverless Endpoints", "# Endpunkte"))
    pages = {e.page for e in collect_examples(scratch, scratch.brand("acme"))}
    assert "serverless-endpoints.de.md" in pages
    assert "serverless-endpoints.md" not in pages
    assert run_branddocs("check-translations", cwd=scratch.root).returncode == 0
    os.utime(source)  # the English page changes after its translation
    listed = run_branddocs("check-translations", cwd=scratch.root)
    assert "docs/serverless-endpoints.de.md: translation older than docs/serverless-endpoints.md" in listed.stdout
    translation.write_text(translation.read_text(encoding="utf-8").replace("max_tokens=128", "max_tokens=64"))
    with pytest.raises(FenceError, match=r"serverless-endpoints\.de\.md:\d+: the code block differs from its source"):
        collect_examples(scratch, scratch.brand("acme"))
    drifted = run_branddocs("check-translations", cwd=scratch.root)
    assert drifted.returncode == 1
    assert "code block differs from docs/serverless-endpoints.md" in drifted.stdout


def test_brand_language_is_validated(scratch: Project) -> None:
    _append(scratch.brands_dir / "acme.yml", "language: zh-tw\n")
    result = run_branddocs("check-brands", cwd=scratch.root)
    assert result.returncode != 0
    assert "language: expected a Material for MkDocs language code" in result.stdout + result.stderr
    assert "zh-TW" in result.stdout + result.stderr
    assert json.loads(run_branddocs("schema", cwd=scratch.root).stdout)["properties"]["features"]
