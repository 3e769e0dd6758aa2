"""The example checks can fail: each kind of wrong example, endpoint and sample is caught, and says why."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from branddocs.endpoint.server import running_endpoint
from branddocs.errors import EXIT_REFUSED, EXIT_UNREACHABLE
from branddocs.examples.collection.collect import collect_examples
from branddocs.site import Project

from .support.checks import SEED, check, fence_line, outcome, write_page
from .support.endpoint import endpoint_command

pytestmark = pytest.mark.slow


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
    assert "the sample: wraps the reply in an envelope {code, msg, data}" in sample
    stream = outcome(results, page, "event:messages", "sse")
    assert "event lines 1, 4, 7: `event:` lines are not part of OpenAI's stream format" in stream
    assert "the stream does not end with `data: [DONE]`" in stream
    assert "chunk 3: usage says 1 completion tokens after 2 pieces of text" in stream

    # With the address and the key variable fixed, what only running shows.
    curl = outcome(results, fixed, "curl --location", "bash")
    assert "uses the model" not in curl
    # Caught before running: vLLM and LiteLLM would ignore the misspelled fields and answer 200.
    assert "sends the field 'maxTokens': the chat-completions API calls it 'max_tokens'" in curl
    assert "sends the field 'topP': the chat-completions API calls it 'top_p'" in curl
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
    print_line = next(i for i, t in enumerate(page.read_text().splitlines(), 1) if "marker-wrong-output" in t)
    # The template's line and text, not the rendered page's: `{{ api_key_env }}` stays as written.
    assert (
        f"negative.md:{print_line}: `print(reply.choices[0].message.content)  # marker-wrong-output` printed:" in wrong
    )
    assert "Hi! It's nice to meet you" in wrong
    assert "but the `#>` lines below it say:\n      Goodbye!" in wrong
    assert "Traceback" not in wrong
    unknown = outcome(results, page, "marker-unknown-field", "bash")
    assert "sends the field 'maxTokens': the chat-completions API calls it 'max_tokens'" in unknown
    assert "printed 'undefined' where a reader expects the model's reply" in outcome(
        results, page, "marker-undefined", "javascript"
    )
    assert "made no request to the endpoint" in outcome(results, page, "marker-no-request", "bash")
    output_block = outcome(results, page, "marker-output-block", "javascript")
    assert "printed something else than its Output block (" in output_block
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
    assert code == 4
    assert f"bad.md:3: {expected}" in output
    assert "Traceback" not in output
    assert "collect" not in output.lower()  # one message, no pytest collection report around it


@pytest.mark.parametrize(
    ("template", "expected"),
    [("{{ no_such_value }}", "UndefinedError: 'no_such_value' is undefined"),
     ("{{ user_name ", "TemplateSyntaxError on line ")],
)  # fmt: skip
def test_a_page_whose_macros_fail_is_named_with_the_error(scratch: Project, template: str, expected: str) -> None:
    """mkdocs-macros exits on a page's error (`on_error_fail`) and logs why, which a check's collection did not show:
    pytest said `INTERNALERROR ... SystemExit` and nothing of the page. Now one failure names the page and the error.
    The negative: the same page renders into an example check once the mistake is gone."""
    write_page(scratch, "bad.md", f"# Bad\n\n{template}\n\n```bash\necho hi\n```\n")
    code, _, output = check(scratch, "--brand", "acme", "bad.md")
    assert code != 0, output
    assert "docs/bad.md: its macros failed: " in output, output
    assert expected in output, output
    assert "INTERNALERROR" not in output, output
    assert "SystemExit" not in output, output
    write_page(scratch, "bad.md", "# Bad\n\n{{ user_name }}\n\n```bash\necho hi\n```\n")
    code, _, output = check(scratch, "--brand", "acme", "bad.md")
    assert "its macros failed" not in output, output


def test_update_examples_rewrites_the_template(scratch: Project) -> None:
    page = write_page(scratch, "stale.md", NEGATIVE.split("```bash\ncurl")[0].replace("#> Goodbye!", "#> Old."))
    template_before = page.read_text(encoding="utf-8")
    assert "{{ base_url }}" in template_before
    code, _, output = check(scratch, "--brand", "acme", "stale.md", "--update-examples")
    after = page.read_text(encoding="utf-8")
    assert "#> Hi! It's nice to meet you." in after, output
    assert "#> Old." not in after
    assert after.count("{{ base_url }}") == template_before.count("{{ base_url }}"), "rendered values leaked in"
    assert code == 1, output  # the silent example prints nothing: no output to write down, so it still fails
    assert "printed 'nothing' where a reader expects the model's reply" in output
    code, results, _ = check(scratch, "--brand", "acme", "stale.md")
    assert code == 1  # the silent example still fails: there is no output to write down
    assert outcome(results, page, "marker-wrong-output", "python") == "passed"


# Endpoints that are not the reference endpoint, or not right.


@contextmanager
def endpoint(project: Project, tmp_path: Path, *args: str) -> Iterator[str]:
    with endpoint_command(tmp_path, *args, cwd=project.root) as (url, _):
        yield url


GUIDE = "serverless-endpoints.md"


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        ("guide", {  # what the original guide's samples claimed
            # Both SDKs read `event:` lines and a stream without `data: [DONE]` (test_sdk_tolerance.py): the
            # streaming example passes; the prose that says otherwise fails at its line, and so does the sample.
            ("stream = client.chat.completions.create(", "python"): [],
            ("console.log(completion.choices[0].message.content)", "javascript"): [
                "wraps the reply in an envelope {code, msg, data}", "TypeError: Cannot read properties of undefined"],
            ("`data: [DONE]` ends the stream", "claims"): [
                "the guide says `data: [DONE]` ends a stream; but the platform's stream ends without it",
                "the guide says a stream is `data:` lines, each one JSON chunk; but the platform's stream has other "
                "lines: 'event:messages'"],
            ('"choices":[],"usage"', "sse"): [
                "the guide shows the stream ending with `data: [DONE]`; the endpoint's stream ends without it"],
        }),
        ("no-usage", {
            ("--no-buffer", "bash"): [],  # curl prints what it gets; no SDK checks for the usage chunk
            ('"choices":[],"usage"', "sse"): ["the guide shows a usage chunk; the endpoint sent none"],
            ("`data: [DONE]` ends the stream", "claims"): [
                "the guide says with `stream_options.include_usage`, one more chunk carries the usage; but the "
                "platform sent no chunk with `usage` although the request asked"],
        }),
        ("rename-content", {
            ("console.log(completion.choices[0].message.content)", "javascript"): [
                "printed 'undefined' where a reader expects the model's reply"],
            ('"object": "chat.completion"', "json"): [
                "failed: POST /chat/completions: choices[0].message has no `content`"],
        }),
    ],
)  # fmt: skip
def test_drifted_platform_fails_naming_example_line_and_difference(
    scratch: Project, tmp_path: Path, drift: str, expected: dict
) -> None:
    with endpoint(scratch, tmp_path, "--drift", drift, "--api-key", "sk-drift", "--brand", "acme") as url:
        env = {"BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": "sk-drift"}
        code, results, output = check(scratch, "--brand", "acme", GUIDE, env=env)
    assert code == 1, output
    page = scratch.docs_dir / GUIDE
    for (marker, lang), messages in expected.items():
        if lang == "claims":  # a line of prose, not a block
            line = next(i for i, text in enumerate(page.read_text().splitlines(), 1) if marker in text)
            found = results[f"acme::{GUIDE}:{line}::claims"]
            assert f"docs/{GUIDE}:{line}: the prose's claims about the wire are wrong" in found
        else:
            found = outcome(results, page, marker, lang)
            if not messages:  # what no reader's client minds passes
                assert found == "passed", found
                continue
            assert f"docs/{GUIDE}:{fence_line(page, marker)}: the {lang} example is wrong" in found  # as typed
        for message in messages:
            assert message in found, found


@pytest.mark.parametrize("dialect", ["vllm", "litellm", "openai"])
def test_every_dialect_passes_the_guide(scratch: Project, tmp_path: Path, dialect: str) -> None:
    with endpoint(scratch, tmp_path, "--dialect", dialect, "--api-key", "sk-right", "--brand", "acme") as url:
        env = {"BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": "sk-right"}
        code, results, output = check(scratch, "--brand", "acme", GUIDE, env=env)
    # LiteLLM sends no system_fingerprint in a stream: the guide shows it as optional, so that passes too.
    # The error table states vLLM's answers (the demo brands declare no others): LiteLLM and OpenAI answer some rows
    # otherwise, and those rows fail, named (tests/test_error_tables.py tries every row against every dialect).
    errors = [k for k in results if k.endswith("::errors")]
    assert len(errors) == 1, results
    if dialect == "vllm":
        assert code == 0, output
    else:
        assert code == 1
        differ = {"litellm": "A wrong API key", "openai": "A misspelled field"}[dialect]
        assert f"the error table's row '{differ}" in results[errors[0]], results[errors[0]]
        results = {k: v for k, v in results.items() if k not in errors}
    assert all(r == "passed" or r.startswith("skipped") for r in results.values()), output
    assert "passed" in results.values()


@pytest.mark.parametrize(
    ("dialect", "said"),
    [
        ("vllm", "the endpoint answered 401: Unauthorized"),
        ("litellm", "the endpoint answered 400: No connected db. (no_db_connection)"),
        ("openai", "the endpoint answered 401: Incorrect API key provided. (invalid_api_key)"),
    ],
)
def test_a_wrong_key_stops_the_run_in_one_line(scratch: Project, tmp_path: Path, dialect: str, said: str) -> None:
    with endpoint(scratch, tmp_path, "--dialect", dialect, "--api-key", "sk-right", "--brand", "acme") as url:
        wrong = {"BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": "sk-wrong"}
        code, results, output = check(scratch, "--brand", "acme", GUIDE, env=wrong)
    assert code == EXIT_REFUSED
    assert results == {}
    assert output.strip().splitlines() == [
        f"branddocs: BRANDDOCS_ENDPOINT={url}/v1: GET /models: {said} (is $BRANDDOCS_API_KEY the key for it?); "
        "no example was run"
    ]


def test_unserved_model_fails_every_example_that_uses_it(scratch: Project, tmp_path: Path) -> None:
    with endpoint(scratch, tmp_path, "--api-key", "sk-right", "--brand", "nebula") as url:
        right = {"BRANDDOCS_ENDPOINT": f"{url}/api/v1/ai", "BRANDDOCS_API_KEY": "sk-right"}
        # acme's examples against nebula's server (a real-key check is one brand's: --brand acme alone).
        code, results, output = check(scratch, "--brand", "acme", env=right)
    assert code == 1
    assert all(k.startswith("acme") for k in results), sorted(results)
    acme = [r for k, r in results.items() if k.startswith("acme") and r.startswith("failure")]
    # Every example that sends a request (curl, Python and Node.js, the JSON and event-stream samples: seven), the
    # error table (its misspelled-field row uses the model) and the two lines of prose whose claims about replies
    # need a reply (the stream's, and usage adding up); the error-body claim holds.
    assert len(acme) == 10, sorted(k for k, r in results.items() if k.startswith("acme") and r.startswith("failure"))
    assert all("the endpoint answered 404: The model `meta-llama-3-8b-instruct` does not exist" in r for r in acme)
    assert "Traceback" not in output


def test_unreachable_endpoint_is_reported_once(scratch: Project) -> None:
    with socket.socket() as s:  # a port nobody listens on: bind one, then let it go
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"BRANDDOCS_ENDPOINT": f"http://127.0.0.1:{port}/v1", "BRANDDOCS_API_KEY": "sk-x"}
    code, results, output = check(scratch, "--brand", "acme", env=env)
    assert code == EXIT_UNREACHABLE
    assert output.count("is unreachable") == 1
    assert "no example was run" in output
    assert results == {}


def _stalling_app(seconds: float) -> Starlette:
    """Answers /models at once and every chat request only after `seconds`: a platform that went quiet."""

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": []})

    async def chat(request: Request) -> JSONResponse:
        await asyncio.sleep(seconds)
        return JSONResponse({"error": "too late"}, 500)

    return Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"])])


QUIET = """
# A platform that went quiet

```bash
curl -sS {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}'
```

```python
import os

from openai import OpenAI

client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(
    model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}], max_tokens=8
)
print(reply.choices[0].message.content)
```

```javascript
import OpenAI from 'openai';

const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8,
});
console.log(completion.choices[0].message.content);
```
"""


def test_a_quiet_endpoint_times_out_at_the_users_limit(scratch: Project) -> None:
    # Each example bounds its reply: with a key of its own, the platform bills it (proxy/body.py).
    page = write_page(scratch, "quiet.md", QUIET)
    with running_endpoint(_stalling_app(6)) as quiet:  # answers only after the 4 s limit
        env = {"BRANDDOCS_ENDPOINT": f"{quiet.url}/v1", "BRANDDOCS_API_KEY": "sk-x"}
        code, results, output = check(scratch, "--brand", "acme", "quiet.md", "--example-timeout", "4", env=env)
    assert code == 1
    for marker, lang in [("curl -sS", "bash"), ("from openai import OpenAI", "python"), ("console.log(", "javascript")]:
        found = outcome(results, page, marker, lang)
        assert "timed out after 4 s waiting for the endpoint (a request was still open" in found, found
    assert "TimeoutExpired" not in output
    assert "[DONE]" not in output
    assert "Traceback" not in output


def test_check_works_in_a_project_without_tests(scratch: Project) -> None:
    (scratch.root / "tests").unlink()  # a user's project: brands, docs, mkdocs.yml, no test folder
    code, results, output = check(scratch, "--brand", "acme", GUIDE)
    assert code == 0, output
    collected = collect_examples(scratch, scratch.brand("acme"), [GUIDE])
    runnable = [e for e in collected if e.settings.get("test") != "skip"]
    assert runnable, "the guide has no example to run"
    assert sum(r == "passed" for r in results.values()) == len(runnable)


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


@pytest.mark.longest
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
    # Idempotent: a second run over correct samples keeps their ids and timestamps, and changes nothing.
    code, _, output = check(scratch, "--brand", "acme", "samples.md", "--update-examples")
    assert code == 0, output
    assert page.read_text(encoding="utf-8") == after
