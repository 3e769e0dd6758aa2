"""The endpoint's one route table: the paths it serves, and the per-brand prefix the example checks send runs to."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from branddocs.brand import Brand
from branddocs.endpoint.app import create_app
from branddocs.endpoint.routes import base_path, brand_prefix
from branddocs.endpoint.server import EndpointServer, app_for_brands, running_endpoint
from branddocs.examples.proxy.recording import RecordingProxy
from branddocs.examples.run.process import Target
from branddocs.site import Project

from .conftest import scratch_project

KEY = "sk-test-routes"
MODEL = "meta-llama-3-8b-instruct"
HI = [{"role": "user", "content": "hi"}]
AUTH = {"Authorization": f"Bearer {KEY}"}


def test_the_route_table_is_every_path_served() -> None:
    """/health, then chat and models under each base path, however the base path was spelt; nothing else."""
    app = create_app({"/v1": [MODEL], "api/v2/": [MODEL], "/": [MODEL]}, [KEY], dialect="openai")
    served = ["/health", "/v1/chat/completions", "/v1/models", "/api/v2/chat/completions", "/api/v2/models",
              "/chat/completions", "/models"]  # fmt: skip
    assert [route.path for route in app.routes] == served
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        for base in ("/v1", "/api/v2", ""):
            assert client.get(f"{base}/models", headers=AUTH).json()["data"][0]["id"] == MODEL
            chat = client.post(f"{base}/chat/completions", headers=AUTH, json={"model": MODEL, "messages": HI})
            assert chat.status_code == 200, base
            wrong = client.get(f"{base}/chat/completions", headers=AUTH)
            assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")
        # Off the table: a 404 in OpenAI's shape, never a redirect to a spelling that is on it.
        for path in ("/api/v2/models/", "/api/v2//models", "/v2/models", "/v1/completions"):
            missing = client.get(path, headers=AUTH, follow_redirects=False)
            assert missing.status_code == 404, path
            assert missing.json()["error"]["code"] == "not_found", path


@pytest.mark.parametrize(
    ("spelt", "expected"), [("/v1", "/v1"), ("v1/", "/v1"), ("/api/v1/ai/", "/api/v1/ai"), ("/", ""), ("", "")]
)
def test_a_base_path_has_one_spelling(spelt: str, expected: str) -> None:
    assert base_path(spelt) == expected


@pytest.fixture(scope="module")
def test_brands(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return scratch_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def checks_proxy(test_brands: Project) -> Iterator[tuple[RecordingProxy, EndpointServer]]:
    """The example checks' set-up against the reference endpoint: the recording proxy in front of it."""
    app, _, _ = app_for_brands(test_brands, None, [KEY])
    with running_endpoint(app) as endpoint:
        proxy = RecordingProxy(endpoint.url, KEY, timeout=10)
        with running_endpoint(proxy.app) as server:
            yield proxy, server


def _models_for(proxy: RecordingProxy, server: EndpointServer, token: str) -> httpx.Response:
    return httpx.get(f"{server.url}/_x/{token}/models", headers={"Authorization": f"Bearer {proxy.run_key(token)}"})


def test_a_brands_runs_reach_its_own_prefix_and_see_its_models_only(
    test_brands: Project, checks_proxy: tuple[RecordingProxy, EndpointServer]
) -> None:
    """The checks (Target.new_token) and the endpoint (app_for_brands) meet at brand_prefix, for every brand."""
    proxy, server = checks_proxy
    brands = [test_brands.brand(i) for i in test_brands.brand_ids()]
    assert len({brand_prefix(b) for b in brands}) == len(brands) > 1
    target = Target(proxy, server.url, exact=True, per_brand=True)
    for brand in brands:
        assert brand_prefix(brand).startswith(f"/brands/{brand.id}/"), brand.id
        listed = _models_for(proxy, server, target.new_token(brand))
        assert listed.status_code == 200, brand.id
        assert [m["id"] for m in listed.json()["data"]] == list(brand.models), brand.id


def test_without_the_brand_prefix_a_run_misses_the_brands_paths(
    test_brands: Project, checks_proxy: tuple[RecordingProxy, EndpointServer]
) -> None:
    """The prefix is what routes a run: without it (per_brand off) the same request finds no route."""
    proxy, server = checks_proxy
    brand = test_brands.brand(test_brands.brand_ids()[0])
    unprefixed = Target(proxy, server.url, exact=True, per_brand=False).new_token(brand)
    missing = _models_for(proxy, server, unprefixed)
    assert missing.status_code == 404
    assert "Invalid URL (GET /models)" in missing.text


@pytest.mark.parametrize(
    ("base_url", "prefix"),
    [("https://x.example/v1", "/brands/x/v1"), ("https://x.example/v1/", "/brands/x/v1"),
     ("https://x.example", "/brands/x"), ("http://x.example:8080/api/v1/ai", "/brands/x/api/v1/ai")],
)  # fmt: skip
def test_a_brand_prefix_is_one_spelling_of_its_base_url_path(base_url: str, prefix: str) -> None:
    brand = Brand(id="x", user_name="X", resource_dir_name="x", api={"base_url": base_url}, models=[MODEL])
    assert brand_prefix(brand) == prefix


def test_no_key_in_any_handlers_repr() -> None:
    """The handlers are bound to the app's state: a traceback or log that shows one never shows a key."""
    app = create_app([MODEL], [KEY, "sk-second-route-key"])
    shown = " ".join(repr(route.endpoint) for route in app.routes) + repr(app.exception_handlers)
    assert "_Endpoint(" in shown  # the state is shown: the check below reads it
    assert KEY not in shown
    assert "sk-second-route-key" not in shown
