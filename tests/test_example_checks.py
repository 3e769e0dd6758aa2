"""The example checks can fail: each kind of wrong example, endpoint and sample is caught, and says why."""

from __future__ import annotations

import re
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from branddocs.site import Project

from .conftest import ROOT, run_branddocs
from .test_endpoint import endpoint_command

pytestmark = pytest.mark.slow
SEED = ROOT.parent / "shared" / "seed" / "serverless-endpoints.md"


def check(project: Project, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """Run `branddocs check ARGS`; returns its exit code, {example id: outcome or failure text}, its output."""
    junit = project.root / "junit.xml"
    junit.unlink(missing_ok=True)
    env = {"BRANDDOCS_ENDPOINT": "", "BRANDDOCS_API_KEY": "", **(env or {})}
    done = run_branddocs("check", *args, "--", f"--junitxml={junit}", cwd=project.root, env=env)
    results = {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - our own JUnit file
            name = re.sub(r"^test_example\[(.*)\]$", r"\1", case.get("name", ""))
            outcome = "passed"
            for tag in ("failure", "error", "skipped"):
                node = case.find(tag)
                if node is not None:
                    outcome = f"{tag}: {node.get('message', '')}\n{node.text or ''}"
                    break
            results[name] = outcome
    return done.returncode, results, done.stdout + done.stderr


def fence_line(page: Path, marker: str) -> int:
    """The 1-based line of the fence opening the block that contains `marker`."""
    lines = page.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if marker in line)
    return next(i for i in range(at, -1, -1) if lines[i].lstrip().startswith("```")) + 1


def outcome(results: dict[str, str], page: Path, marker: str, lang: str, brand: str = "acme") -> str:
    key = f"{brand}::{page.name}:{fence_line(page, marker)}::{lang}"
    assert key in results, f"{key} not among {sorted(results)}"
    return results[key]


def write_page(project: Project, name: str, text: str) -> Path:
    page = project.docs_dir / name
    page.write_text(text, encoding="utf-8")
    return page


# The original guide's defects, each caught with a message a writer understands.

SEED_FIXES = {  # the address and key defects fixed, so the run-time defects show up too
    "http://192.168.10.202:18081/api/v1/ai": "{{ base_url }}",
    "'Authorization: Bearer ${TOKEN}'": '"Authorization: Bearer ${{ api_key_env }}"',
    'os.getenv(" {{ user_name }} _API_KEY")': 'os.getenv("{{ api_key_env }}")',
    "process.env. {{ user_name }} _API_KEY": "process.env.{{ api_key_env }}",
}


def test_original_guide_defects_are_caught(scratch: Project) -> None:
    page = write_page(scratch, "seed.md", SEED.read_text(encoding="utf-8"))
    fixed_text = SEED.read_text(encoding="utf-8")
    for old, new in SEED_FIXES.items():
        assert old in fixed_text
        fixed_text = fixed_text.replace(old, new)
    fixed = write_page(scratch, "seed-fixed.md", fixed_text)
    code, results, output = check(scratch, "--brand", "acme", "seed.md", "seed-fixed.md")
    assert code == 1, output

    url_block = outcome(results, page, "http://192.168.10.202:18081/api/v1/ai/chat/completions", "bash")
    assert (
        "calls http://192.168.10.202:18081/api/v1/ai/chat/completions, which is not Acme Cloud's base URL" in url_block
    )

    curl = outcome(results, page, "curl --location", "bash")
    assert "${TOKEN} is inside single quotes ('Authorization: Bearer ${TOKEN}'): the shell never expands it" in curl
    assert "reads the environment variable 'TOKEN'" in curl
    assert "which is not Acme Cloud's base URL https://api.acme.example/v1" in curl  # defect 8

    python = outcome(results, page, "import requests", "python")
    assert "reads the environment variable ' Acme Cloud _API_KEY'" in python  # defect 2
    assert "uses the model '$model', which Acme Cloud does not serve" in python  # defect 3
    node = outcome(results, page, "import OpenAI from 'openai'", "javascript")
    assert "reads the environment variable 'Acme Cloud _API_KEY'" in node  # defect 2
    assert "sets dangerouslyAllowBrowser" in node  # defect 5
    assert "uses the model '$model'" in node  # defect 3

    sample = outcome(results, page, '"msg": "Operation successful"', "json")  # defect 7
    assert "the sample is not an OpenAI chat completion: (root): 'choices' is a required property" in sample
    stream = outcome(results, page, "event:messages", "sse")
    assert "`event:` lines are not part of OpenAI's stream format" in stream
    assert "the stream does not end with `data: [DONE]`" in stream
    assert "chunk 3: usage says 1 completion tokens after 2 pieces of text" in stream

    # With the address and the key variable fixed, what only running shows.
    curl = outcome(results, fixed, "curl --location", "bash")
    assert "uses the model" not in curl
    assert "the endpoint answered 400 (unknown_parameter: Unrecognized request argument supplied: maxTokens)" in curl
    python = outcome(results, fixed, "import requests", "python")
    assert "F401" in python  # defect 4: it imports requests, and uses the openai package
    assert "`requests` imported but unused" in python
    node = outcome(results, fixed, "import OpenAI from 'openai'", "javascript")
    assert "sets dangerouslyAllowBrowser" in node


NEGATIVE = """
# Wrong examples

```python
import os

from openai import OpenAI

client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "marker-silent"}])
```

```python
import os

from openai import OpenAI

client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)  # marker-wrong-output
#> Goodbye!
```

```bash
curl -sS {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "maxTokens": 5}'
# marker-unknown-field
```

```javascript
import OpenAI from 'openai';

// marker-undefined
const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}',
  messages: [{ role: 'user', content: 'hi' }],
});
console.log(completion.choice);
```

```bash
# marker-no-request
test -n "${{ api_key_env }}" && echo "key is set"
```

```javascript
import OpenAI from 'openai';

// marker-output-block
const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}',
  messages: [{ role: 'user', content: 'hi' }],
});
console.log(completion.choices[0].message.content);
```

```text title="Output"
Hello from a page that was never checked.
```

```bash
# marker-shellcheck
key=${{ api_key_env }}
curl -sS {{ base_url }}/models -H "Authorization: Bearer $key" -H X-Copy:$key
```

```bash test="xfail" reason="marker-xfail: shows an expected failure"
curl -sS --fail-with-body {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}"
```

```bash test="skip" reason="marker-skip: needs the reader's own account"
curl {{ base_url }}/models -H "Authorization: Bearer ${{ api_key_env }}"
```
"""


def test_wrong_examples_fail_and_say_why(scratch: Project) -> None:
    page = write_page(scratch, "negative.md", NEGATIVE)
    code, results, output = check(scratch, "--brand", "acme", "negative.md")
    assert code == 1, output
    assert "has no `#>` output lines" in outcome(results, page, "marker-silent", "python")
    wrong = outcome(results, page, "marker-wrong-output", "python")
    assert "Print output changed code" in wrong
    assert "-#> Goodbye!" in wrong
    assert "Hi! It's nice to meet you" in wrong
    unknown = outcome(results, page, "marker-unknown-field", "bash")
    assert "answered 400 (unknown_parameter: Unrecognized request argument supplied: maxTokens)" in unknown
    assert "printed 'undefined' where a reader expects the model's reply" in outcome(
        results, page, "marker-undefined", "javascript"
    )
    assert "made no request to the endpoint" in outcome(results, page, "marker-no-request", "bash")
    output_block = outcome(results, page, "marker-output-block", "javascript")
    assert "printed something else than its Output block says" in output_block
    assert "Hello from a page that was never checked." in output_block
    shellcheck = outcome(results, page, "marker-shellcheck", "bash")
    line = fence_line(page, "marker-shellcheck") + 3
    assert f"negative.md:{line}: shellcheck: note: Double quote to prevent globbing" in shellcheck
    assert "[SC2086]" in shellcheck
    assert outcome(results, page, "marker-xfail", "bash").startswith("skipped")  # junit's word for xfailed
    assert "marker-skip: needs the reader's own account" in outcome(results, page, "marker-skip", "bash")
    assert "examples: 0 passed, 7 failed, 1 skipped, 1 xfailed" in output


@pytest.mark.parametrize(
    ("fence", "expected"),
    [
        ('```python test="skip"', 'test="skip" needs a reason'),
        ('```python tset="skip" reason="typo"', "unknown fence setting 'tset'"),
        ('```python test="maybe" reason="x"', "test='maybe'; expected one of skip, xfail, no"),
    ],
)
def test_fence_mistakes_stop_collection(scratch: Project, fence: str, expected: str) -> None:
    write_page(scratch, "bad.md", f"# Bad\n\n{fence}\nprint(1)\n```\n")
    code, _, output = check(scratch, "--brand", "acme", "bad.md")
    assert code != 0
    assert f"bad.md:3: {expected}" in output


def test_update_examples_rewrites_the_template(scratch: Project) -> None:
    page = write_page(scratch, "stale.md", NEGATIVE.split("```bash\ncurl")[0].replace("#> Goodbye!", "#> Old."))
    template_before = page.read_text(encoding="utf-8")
    assert "{{ base_url }}" in template_before
    code, _, output = check(scratch, "--brand", "acme", "stale.md", "--update-examples")
    after = page.read_text(encoding="utf-8")
    assert "#> Hi! It's nice to meet you." in after, output
    assert "#> Old." not in after
    assert after.count("{{ base_url }}") == template_before.count("{{ base_url }}"), "rendered values leaked in"
    assert code == 0, output
    code, results, _ = check(scratch, "--brand", "acme", "stale.md")
    assert code == 1  # the silent example still fails: there is no output to write down
    assert outcome(results, page, "marker-wrong-output", "python") == "passed"


# Endpoints that are not the reference endpoint, or not right.


@contextmanager
def endpoint(tmp_path: Path, *args: str) -> Iterator[str]:
    with endpoint_command(tmp_path, *args) as (url, _):
        yield url


def test_drifted_platform_fails_the_sdk_examples_and_samples(scratch: Project, tmp_path: Path) -> None:
    with endpoint(tmp_path, "--drift", "--api-key", "sk-drift", "--brand", "acme") as url:
        env = {"BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": "sk-drift"}
        code, results, output = check(scratch, "--brand", "acme", "serverless-endpoints.md", env=env)
    assert code == 1, output
    page = scratch.docs_dir / "serverless-endpoints.md"
    python = outcome(results, page, "stream = client.chat.completions.create(", "python")
    assert "`event:` lines are not part of OpenAI's stream format" in python
    assert "does not end with `data: [DONE]`" in python
    node = outcome(results, page, "console.log(completion.choices[0].message.content)", "javascript")
    assert "TypeError: Cannot read properties of undefined" in node
    assert "not OpenAI-shaped (CreateChatCompletionResponse): (root): 'choices' is a required property" in node
    sample = outcome(results, page, '"object": "chat.completion"', "json")
    assert "differs from the response: .choices: in the sample, not in the response" in sample


def test_wrong_key_and_unserved_model_fail(scratch: Project, tmp_path: Path) -> None:
    with endpoint(tmp_path, "--api-key", "sk-right", "--brand", "nebula") as url:
        wrong = {"BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": "sk-wrong"}
        code, results, _ = check(scratch, "--brand", "nebula", "serverless-endpoints.md", env=wrong)
        assert code == 1
        failures = [r for r in results.values() if r.startswith("failure")]
        assert len(failures) == 6
        assert all("answered 401 (invalid_api_key: Incorrect API key provided.)" in r for r in failures)
        right = {"BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": "sk-right"}
        code, results, output = check(scratch, "--brand", "nebula", "--brand", "acme", env=right)
    assert code == 1
    assert all(r in ("passed",) or r.startswith("skipped") for k, r in results.items() if k.startswith("nebula")), (
        output
    )
    acme = [r for k, r in results.items() if k.startswith("acme") and r.startswith("failure")]
    assert len(acme) == 6
    assert all("model_not_found" in r for r in acme)


def test_unreachable_endpoint_is_reported_once(scratch: Project) -> None:
    with socket.socket() as s:  # a port nobody listens on: bind one, then let it go
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"BRANDDOCS_ENDPOINT": f"http://127.0.0.1:{port}/v1", "BRANDDOCS_API_KEY": "sk-x"}
    code, results, output = check(scratch, "--brand", "acme", env=env)
    assert code == 3
    assert output.count("is unreachable") == 1
    assert "no example was run" in output
    assert results == {}


STALE_SAMPLES = """
# Stale samples

```bash group="chat"
curl -sS --fail-with-body {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}'
```

```json group="chat"
{"id": "x", "object": "chat.completion", "created": 1, "model": "{{ default_model }}", "choices": []}
```

```javascript
import OpenAI from 'openai';

const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
});
console.log(completion.choices[0].message.content);
```

```text title="Output"
Something stale.
```
"""


def test_update_examples_rewrites_samples_and_output_blocks(scratch: Project) -> None:
    page = write_page(scratch, "samples.md", STALE_SAMPLES)
    code, results, output = check(scratch, "--brand", "acme", "samples.md")
    assert code == 1
    assert "differs from the response" in outcome(results, page, '"choices": []', "json")
    code, _, output = check(scratch, "--brand", "acme", "samples.md", "--update-examples")
    assert code == 0, output
    after = page.read_text(encoding="utf-8")
    assert "Something stale." not in after
    assert '```text title="Output"\nHi!\n```' in after
    assert '"model": "{{ default_model }}"' in after, "the sample must stay a template"
    assert '"content": "Hi!"' in after
    assert '"finish_reason": "length"' in after
    code, results, output = check(scratch, "--brand", "acme", "--brand", "nebula", "samples.md")
    assert code == 0, output
