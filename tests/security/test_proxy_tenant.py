"""A real key is one tenant's, so a real-key check is one brand's (branddocs/examples/run/first_run.py `one_tenant`).

Each brand's file picks what its own runs may ask for: its `models` and `default_model`, its
`checks.example_timeout` (the proxy's limit), its `api.example_requests`, its pages. Checked with acme's key beside
nebula, nebula's file chose what acme's key paid for (red team round 6, F4: nebula's `default_model: gpt-4-32k`,
14 requests billed to acme). Now a check with $BRANDDOCS_ENDPOINT set that covers more than one brand (every brand,
the default, or several `--brand`) is refused in one line naming `--brand`, before the sandbox's probe, the
proxy's settings or any example; one brand named alone runs as before. The negative: the brand selection before
(every checked brand's models, time limit and requests handed to the proxy with the one key) lets nebula's run
bill `gpt-4-32k` to the key, through the proxy's own body rule.
"""

from __future__ import annotations

import json

import httpx
import pytest

from branddocs.brand import BrandError
from branddocs.endpoint.server import running_endpoint
from branddocs.errors import EXIT_USAGE, UsageError
from branddocs.examples.proxy.allowed import Allowed
from branddocs.examples.proxy.body import Bodies
from branddocs.examples.proxy.recording import RecordingProxy
from branddocs.examples.run import first_run, sandbox
from branddocs.examples.run.first_run import proxy_settings
from branddocs.site import Project

from ..support.checks import check, write_page
from ..support.platform import REAL_KEY
from ..support.project import scratch_project

UPSTREAM = "https://api.acme.example/v1"
DEAR = "gpt-4-32k"
LISTED = ["DELETE /models/*", "GET /files"]


def _nebula_picks(project: Project) -> None:
    """nebula's file (another tenant's) names a dear model as its default, a long time limit and its own requests."""
    brand_file = project.brands_dir / "nebula.yml"
    text = brand_file.read_text(encoding="utf-8")
    text = text.replace("models:\n", f"models:\n  - {DEAR}\n", 1).replace(
        "default_model: llama-3.1-70b-instruct", f"default_model: {DEAR}"
    )
    text = text.replace("api:\n", f"api:\n  example_requests: {json.dumps(LISTED)}\n", 1)
    brand_file.write_text(text + "checks:\n  example_timeout: 3600\n", encoding="utf-8")


@pytest.fixture(scope="module")
def tenants(tmp_path_factory) -> Project:
    project: Project = scratch_project(tmp_path_factory.mktemp("tenants") / "project")
    _nebula_picks(project)
    project.brand("nebula")  # the file is a valid brand file: what it picks is its own to pick
    return project


@pytest.mark.parametrize("brands", [None, ["acme", "nebula"], ["acme", "brightline", "nebula"]])
def test_a_real_key_check_of_several_brands_is_refused_before_the_probe(tenants, monkeypatch, brands) -> None:
    def probe() -> bool:
        raise AssertionError("the sandbox's probe ran before the refusal")

    monkeypatch.setattr(sandbox, "inside", probe)
    with pytest.raises(UsageError) as refused:
        proxy_settings(tenants, UPSTREAM, REAL_KEY, 10, brands)
    line = str(refused.value)
    assert "\n" not in line
    assert "a real key is one tenant's" in line
    assert "--brand ID" in line
    assert REAL_KEY not in line


def test_one_brand_named_alone_is_checked_with_its_own_file(tenants) -> None:
    settings = proxy_settings(tenants, UPSTREAM, REAL_KEY, 10, ["acme"])
    assert list(settings["models"]) == ["acme"]
    assert settings["requests"] == []
    assert settings["timeout"] == 10
    nebula = proxy_settings(tenants, UPSTREAM, REAL_KEY, 10, ["nebula", "nebula"])  # named twice: one brand
    assert list(nebula["models"]) == ["nebula"]  # the key is nebula's: its own file picks its own models
    assert nebula["requests"] == LISTED
    with pytest.raises(BrandError, match="unknown brand"):
        proxy_settings(tenants, UPSTREAM, REAL_KEY, 10, ["kestrel"])
    # The reference endpoint (no upstream): every brand, each run under its own path, no real key at stake.
    assert sorted(proxy_settings(tenants, "", "", 10, None)["models"]) == ["acme", "brightline", "nebula"]


def test_the_negative_the_selection_before_bills_nebulas_model_to_the_key(tenants, monkeypatch, platform) -> None:
    """The brand selection before `one_tenant`: every checked brand's file goes to the proxy with the one key."""
    monkeypatch.setattr(first_run, "one_tenant", lambda project, upstream, brands: brands or project.brand_ids())
    settings = proxy_settings(tenants, UPSTREAM, REAL_KEY, 10, None)
    assert DEAR in settings["models"]["nebula"]
    assert settings["timeout"] == 3600  # nebula's limit, for acme's key's every run
    assert settings["requests"] == LISTED
    found, server = platform
    before = len(found.seen)
    proxy = RecordingProxy(f"{server.url}/v1", REAL_KEY, timeout=10, allowed=Allowed(settings["requests"]),
                           bodies=Bodies(settings["models"]))  # fmt: skip
    with running_endpoint(proxy.app) as front:
        token = proxy.new_token("", "nebula")
        body = {"model": DEAR, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
        answer = httpx.post(f"{front.url}/_x/{token}/chat/completions", json=body, timeout=10,
                            headers={"Authorization": f"Bearer {proxy.run_key(token)}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert [(json.loads(s["body"])["model"], s["authorization"]) for s in found.seen[before:]] == [
        (DEAR, f"Bearer {REAL_KEY}")
    ]


PAGE = """
# One request

```bash lint="skip"
curl -sS --fail-with-body {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}'
```
"""


@pytest.mark.slow
def test_through_branddocs_check_several_brands_are_refused_one_runs(platform, tmp_path_factory) -> None:
    found, server = platform
    project: Project = scratch_project(tmp_path_factory.mktemp("check") / "project")
    _nebula_picks(project)
    write_page(project, "one.md", PAGE)
    env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": REAL_KEY}
    before = len(found.seen)
    for brands in ([], ["--brand", "acme", "--brand", "nebula"], ["--shard", "1/1"]):
        code, results, output = check(project, *brands, "one.md", env=env)
        assert code == EXIT_USAGE, output
        assert results == {}, results
        lines = [line for line in output.splitlines() if line.startswith("branddocs: ")]
        assert lines == [lines[0]], output
        assert "a real key is one tenant's" in lines[0], lines
        assert "--brand ID" in lines[0], lines
    assert found.seen[before:] == [], "a refused check reached the platform"
    # One brand, named alone: its own default model, with the key given for it.
    code, results, output = check(project, "--brand", "acme", "one.md", env=env)
    assert list(results.values()) == ["passed"], output
    models = {json.loads(s["body"])["model"] for s in found.seen[before:] if s["path"] == "/v1/chat/completions"}
    assert models == {"meta-llama-3-8b-instruct"}, models
