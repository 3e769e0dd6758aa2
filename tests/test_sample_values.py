"""Samples show the tenant's platform, not the vendor's backend: no demo site names vLLM or LiteLLM, ids and
timestamps are plainly examples, and a brand that says what its platform sends (`api.system_fingerprint`) gets it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from branddocs.brand import BrandError, load_brand
from branddocs.site import Project

from .support.project import run_branddocs

BACKENDS = re.compile(rb"vllm|litellm", re.IGNORECASE)
_BINARY = {".png", ".jpg", ".ico", ".gz", ".woff", ".woff2", ".ttf", ".zip"}


def backend_names(site: Path) -> list[str]:
    """`file: text around it` for every mention of vLLM or LiteLLM in a built site's text files."""
    found = []
    for path in sorted(p for p in site.rglob("*") if p.is_file() and p.suffix not in _BINARY):
        data = path.read_bytes()
        found += [f"{path.relative_to(site)}: {data[max(m.start() - 30, 0) : m.end() + 30]!r}"
                  for m in BACKENDS.finditer(data)]  # fmt: skip
    return found


def test_no_demo_site_names_the_backend(built_sites: dict[str, Path]) -> None:
    for brand_id, site in built_sites.items():
        assert (site / "index.html").is_file(), brand_id
        assert backend_names(site) == [], brand_id


def fingerprint_brand(project: Project, value: str) -> None:
    path = project.brands_dir / "acme.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  base_url:", f"  system_fingerprint: {value}\n  base_url:", 1), encoding="utf-8")


def test_a_planted_backend_name_is_caught(scratch: Project, tmp_path: Path) -> None:
    """The negative: a brand that shows a vLLM fingerprint is found in its built site, in the samples."""
    fingerprint_brand(scratch, "vllm-0.32.0-b7a9d0c3")
    done = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root)
    assert done.returncode == 0, done.stdout + done.stderr
    found = backend_names(tmp_path / "site" / "acme")
    assert any(f.startswith("serverless-endpoints/index.html:") and "system_fingerprint" in f for f in found), found


def test_a_brand_shows_what_its_platform_sends(scratch: Project, tmp_path: Path) -> None:
    fingerprint_brand(scratch, "acme-inference-2026.11")
    done = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=scratch.root)
    assert done.returncode == 0, done.stdout + done.stderr
    page = (tmp_path / "site" / "acme" / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
    assert page.count("acme-inference-2026.11") == 2  # the JSON sample and the stream's usage chunk
    assert "fp_abc123" not in page


def test_without_a_brand_value_the_samples_show_placeholders(built_sites: dict[str, Path]) -> None:
    for brand_id, site in built_sites.items():
        text = (site / "serverless-endpoints" / "index.html").read_text(encoding="utf-8")
        assert "fp_abc123" in text, brand_id
        assert "chatcmpl-abc123" in text, brand_id


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("'vllm 0.32'", "found ' ' (SPACE) at position 5 in 'vllm 0.32'"),
        ("'-x'", "found '-x'"),
        ("'" + "a" * 65 + "'", "of at most 64 characters, found 65"),
        ("'a/b'", "found '/' (SOLIDUS) at position 2 in 'a/b'"),
    ],
)
def test_a_bad_fingerprint_names_field_pattern_and_value(tmp_path: Path, value: str, found: str) -> None:
    path = tmp_path / "x.yml"
    path.write_text(
        f"user_name: X\nresource_dir_name: x\napi:\n  base_url: https://api.x.example/v1\n"
        f"  system_fingerprint: {value}\nmodels: [m]\n",
        encoding="utf-8",
    )
    with pytest.raises(BrandError) as info:
        load_brand(path)
    message = str(info.value)
    assert f"{path}:5: api.system_fingerprint: expected what the platform sends as system_fingerprint" in message
    assert found in message  # the character and where it is, or the length


NEW_SAMPLES = """
# New samples

```bash group="chat"
curl -sS --fail-with-body {{ base_url }}/chat/completions -H 'Content-Type: application/json' \\
  -H "Authorization: Bearer ${{ api_key_env }}" -d '{"model": "{{ default_model }}", "max_tokens": 2,
    "messages": [{"role": "user", "content": "hi"}]}'
```

```json group="chat"
{"object": "chat.completion", "model": "{{ default_model }}", "choices": []}
```

```bash group="stream"
curl -sS --fail-with-body {{ base_url }}/chat/completions -H 'Content-Type: application/json' \\
  -H "Authorization: Bearer ${{ api_key_env }}" -d '{"model": "{{ default_model }}", "max_tokens": 2,
    "messages": [{"role": "user", "content": "hi"}], "stream": true, "stream_options": {"include_usage": true}}'
```

```text group="stream"
data: {"object":"chat.completion.chunk","model":"{{ default_model }}","choices":[]}

data: [DONE]
```
"""


@pytest.mark.slow
def test_update_examples_writes_placeholders_not_the_backends_values(scratch: Project) -> None:
    """A new sample written from the reference endpoint (vLLM's dialect) shows no `vllm-...` fingerprint and no
    real id or timestamp; the page then passes against the reference endpoint."""
    from .support.checks import check, write_page

    page = write_page(scratch, "new-samples.md", NEW_SAMPLES)
    code, _, output = check(scratch, "--brand", "acme", "new-samples.md", "--update-examples")
    assert code == 0, output
    after = page.read_text(encoding="utf-8")
    assert not BACKENDS.search(after.encode()), after
    assert '"system_fingerprint": "{{ system_fingerprint }}"' in after  # the JSON sample
    assert '"system_fingerprint":"{{ system_fingerprint }}"' in after  # the stream's last chunk
    assert '"id": "chatcmpl-abc123"' in after
    assert '"created": 1700000000' in after
    code, results, output = check(scratch, "--brand", "acme", "new-samples.md")
    assert code == 0, output
    assert sum(r == "passed" for r in results.values()) == 4
