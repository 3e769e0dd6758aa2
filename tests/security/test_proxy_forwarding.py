"""What the recording proxy forwards with the real key: the requests the guide's examples make, nothing else.

The key opens a tenant's whole account. An example (hostile code) asks the proxy for what the guide never does:
deleting a fine-tuned model, listing the organisation's keys, starting a batch, listing files. Each is answered
403 with one line naming the method and path, and never reaches the platform (a loopback server recording what
arrives). The negative: the same requests, listed by the brand (`api.example_requests`), do reach it, with the
real key. A run is given only a base path the proxy knows, and its key stops working when its example is over.

Through `branddocs check` too: a hostile example against a real platform, with and without the brand's listing.
Error-table rows pass the SDK request fields only, never its options (`extra_headers` would send an
`Authorization: Basic` header upstream, `extra_query` a query string: the negative calls the SDK with them), and
a 3 MiB row fails its own table alone, while the next table, tried by the same clients, passes.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator

import httpx
import openai
import pytest

from branddocs.endpoint.server import EndpointServer, running_endpoint
from branddocs.examples.proxy.allowed import Allowed
from branddocs.examples.proxy.recording import PathRefused, RecordingProxy
from branddocs.site import Project

from ..support.checks import check, write_page
from ..support.platform import REAL_KEY
from ..support.project import scratch_project

ATTACKS = {
    "delete a fine-tuned model": ("DELETE", "/models/ft-victim"),
    "list the organisation's keys": ("GET", "/organization/api_keys"),
    "start a batch": ("POST", "/batches"),
    "list files": ("GET", "/files"),
    "another method on a listed path": ("PUT", "/chat/completions"),
    "below a listed path": ("GET", "/models/gpt-x/../../files/x"),
}


@contextlib.contextmanager
def proxying(server: EndpointServer, extra: tuple[str, ...] = ()) -> Iterator[tuple[RecordingProxy, str]]:
    proxy = RecordingProxy(f"{server.url}/v1", REAL_KEY, timeout=10, allowed=Allowed(extra))
    with running_endpoint(proxy.app) as front:
        yield proxy, front.url


def _send(proxy: RecordingProxy, url: str, method: str, path: str) -> httpx.Response:
    token = proxy.new_token()
    return httpx.request(method, f"{url}/_x/{token}{path}", headers={"Authorization": f"Bearer {proxy.run_key(token)}"},
                         content=b"{}" if method in ("POST", "PUT") else None, timeout=10)  # fmt: skip


@pytest.mark.parametrize(("method", "path"), ATTACKS.values(), ids=ATTACKS.keys())
def test_a_request_the_guide_never_makes_is_refused_in_one_line(platform, method: str, path: str) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server) as (proxy, url):
        refused = _send(proxy, url, method, path)
    assert refused.status_code == 403
    lines = refused.text.strip().splitlines()
    assert len(lines) == 1, refused.text
    assert "not forwarded" in lines[0]
    if ".." not in path:
        assert f"{method} {path}" in lines[0]
    assert found.seen[before:] == [], "it reached the platform"


@pytest.mark.parametrize(("method", "path"), [a for a in ATTACKS.values() if ".." not in a[1]])
def test_the_negative_a_brand_that_lists_a_request_has_it_forwarded_with_the_real_key(
    platform, method: str, path: str
) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server, (f"{method} {path}",)) as (proxy, url):
        forwarded = _send(proxy, url, method, path)
    assert forwarded.status_code == 200, forwarded.text
    assert [(s["method"], s["path"], s["authorization"]) for s in found.seen[before:]] == [
        (method, f"/v1{path}", f"Bearer {REAL_KEY}")
    ]


def test_what_the_guide_does_is_forwarded(platform) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server) as (proxy, url):
        assert _send(proxy, url, "GET", "/models").status_code == 200
        assert _send(proxy, url, "POST", "/chat/completions").status_code == 200
    assert [(s["method"], s["path"]) for s in found.seen[before:]] == [("GET", "/v1/models"),
                                                                       ("POST", "/v1/chat/completions")]  # fmt: skip


def test_a_run_is_given_only_a_base_path_the_proxy_knows(platform) -> None:
    """The checks' process (repository code runs there) asks for runs: it cannot point one elsewhere."""
    _, server = platform
    proxy = RecordingProxy(f"{server.url}/v1", REAL_KEY, timeout=10, prefixes=frozenset({"/brands/acme/v1"}))
    assert proxy.new_token("/brands/acme/v1")
    for elsewhere in ("", "/organization", "/brands/nebula/v1", "/brands/acme/v1/../../admin"):
        with pytest.raises(PathRefused, match="no run under"):
            proxy.new_token(elsewhere)


def test_a_runs_key_stops_working_when_its_example_is_over(platform) -> None:
    found, server = platform
    with proxying(server) as (proxy, url):
        token = proxy.new_token()
        headers = {"Authorization": f"Bearer {proxy.run_key(token)}"}
        assert httpx.get(f"{url}/_x/{token}/models", headers=headers).status_code == 200  # the negative: it works
        assert len(proxy.exchanges(token, wait=0, close=True)) == 1
        before = len(found.seen)
        late = httpx.get(f"{url}/_x/{token}/models", headers=headers)
    assert late.status_code == 404
    assert "unknown run" in late.text
    assert found.seen[before:] == []


# Through `branddocs check`, against a real platform.

HOSTILE = """
# Hostile requests

```bash lint="skip"
for request in "DELETE models/ft-victim" "GET organization/api_keys" "POST batches" "GET files"; do
  set -- $request
  curl -s -o /dev/null -w "$1 $2 %{http_code}\\n" -X "$1" "{{ base_url }}/$2" \\
    -H "Authorization: Bearer ${{ api_key_env }}"
done
curl -sS --fail-with-body {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}'
```
"""


def _check_hostile(platform, tmp_path_factory, listed: list[str]) -> list[dict]:
    found, server = platform
    project: Project = scratch_project(tmp_path_factory.mktemp("forwarding"))
    if listed:
        brand_file = project.brands_dir / "acme.yml"
        text = brand_file.read_text(encoding="utf-8").replace(
            "api:\n", f"api:\n  example_requests: {json.dumps(listed)}\n", 1
        )
        brand_file.write_text(text, encoding="utf-8")
    write_page(project, "hostile.md", HOSTILE)
    before = len(found.seen)
    env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": REAL_KEY}
    _, results, output = check(project, "--brand", "acme", "hostile.md", env=env)
    assert results, output
    return found.seen[before:]


@pytest.mark.slow
def test_a_hostile_example_reaches_only_what_the_guide_uses(platform, tmp_path_factory) -> None:
    seen = _check_hostile(platform, tmp_path_factory, [])
    assert {(s["method"], s["path"]) for s in seen} == {("GET", "/v1/models"), ("POST", "/v1/chat/completions")}
    # The negative: the brand lists them, and the same example's requests reach the platform with the real key.
    listed = ["DELETE /models/*", "GET /organization/api_keys", "POST /batches", "GET /files"]
    seen = _check_hostile(platform, tmp_path_factory, listed)
    assert {("DELETE", "/v1/models/ft-victim"), ("GET", "/v1/files")} <= {(s["method"], s["path"]) for s in seen}
    assert all(s["authorization"] == f"Bearer {REAL_KEY}" for s in seen)


# Error tables.

TABLES = """
# Tables

<!-- branddocs: error-table -->

| You send | Status | Python | Node.js |
|---|---|---|---|
| options (`"extra_headers": {"Authorization": "Basic x"}, "extra_query": {"leak": "1"}`) | `200` | \
`ChatCompletion` | `ChatCompletion` |

Big:

<!-- branddocs: error-table -->

| You send | Status | Python | Node.js |
|---|---|---|---|
| huge (`"user": "BIG"`) | `200` | `ChatCompletion` | `ChatCompletion` |

Then:

<!-- branddocs: error-table -->

| You send | Status | Python | Node.js |
|---|---|---|---|
| a plain request (`"max_tokens": 4`) | `200` | `ChatCompletion` | `ChatCompletion` |
"""


@pytest.fixture(scope="module")
def tables(platform, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], list[dict], str]:
    found, server = platform
    project = scratch_project(tmp_path_factory.mktemp("tables"))
    page = write_page(project, "tables.md", TABLES.replace("BIG", "x" * (3 << 20)))
    before = len(found.seen)
    env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": REAL_KEY}
    _, results, output = check(project, "--brand", "acme", "tables.md", env=env)
    assert results, output
    lines = page.read_text(encoding="utf-8").splitlines()

    def table(row: str) -> str:  # an error table's id names the line of its marker
        at = next(i for i, line in enumerate(lines) if row in line)
        marker = next(i for i in range(at, -1, -1) if "branddocs: error-table" in lines[i]) + 1
        return results[f"acme::{page.name}:{marker}::errors"]

    outcomes = {what: table(row) for what, row in (("options", "extra_headers"), ("big", "huge ("),
                                                     ("plain", "a plain request"))}  # fmt: skip
    return outcomes, found.seen[before:], output


@pytest.mark.slow
def test_a_rows_sdk_options_are_never_sent(tables) -> None:
    outcomes, seen, _ = tables
    assert "an option of the SDK, not a request field" in outcomes["options"], outcomes["options"]
    assert not any("Basic" in s["authorization"] for s in seen), seen
    assert not any("leak" in s["query"] for s in seen), seen


def test_the_negative_the_sdk_itself_sends_a_rows_options(platform) -> None:
    found, server = platform
    before = len(found.seen)
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key=REAL_KEY, max_retries=0)
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}],
                                   extra_headers={"Authorization": "Basic x"}, extra_query={"leak": "1"})  # fmt: skip
    (sent,) = found.seen[before:]
    assert sent["authorization"] == "Basic x"
    assert sent["query"] == "leak=1"


@pytest.mark.slow
def test_a_huge_row_fails_its_own_table_alone(tables) -> None:
    outcomes, _, output = tables
    assert outcomes["plain"] == "passed", outcomes["plain"]  # the same clients, after the huge row: alive
    assert "client for the error tables ended" not in output


def test_the_negative_curl_refuses_a_huge_row_in_its_config(tmp_path) -> None:
    """What made one huge row kill the shared client: curl's config file (where its requests are given, to keep
    the key out of argv) refuses a line that long. The client gives curl each body in a file of its own."""
    body = json.dumps({"user": "x" * (3 << 20)}).replace("\\", "\\\\").replace('"', '\\"')
    config = tmp_path / "config"
    config.write_text(f'url = "http://127.0.0.1:9/v1/chat/completions"\nsilent\ndata = "{body}"\n')
    done = subprocess.run(["curl", "--config", str(config)], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "config" in done.stderr


# A real key is one tenant's, so another tenant's brand file never widens what it is forwarded for: a real-key check
# is one brand's (tests/security/test_proxy_tenant.py).
