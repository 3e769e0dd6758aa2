"""What a body forwarded with the real key may ask for (branddocs/examples/proxy/body.py): the run's own brand's
models, one reply, a bounded `max_tokens`, the guide's fields.

A hostile example on an allowed path (`POST /chat/completions`) asks for what the tenant pays for: a dear model,
another tenant's model, `n: 64`, `max_tokens: 1000000`, no `max_tokens` at all, a field the guide never sends
(`service_tier`, `best_of`), and the same smuggled past a lenient reader (a key twice, `NaN`, a body that is not
JSON). Each is answered 403 with one line and never reaches the platform. The negative: the same proxy without
the body rule forwards each with the real key. What the guide sends (its examples, error table and wire claims)
is forwarded. A real-key check is one brand's (tests/security/test_proxy_tenant.py); the proxy's runs are each one
brand's too, and never name another's models.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import httpx
import pytest

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.proxy.body import Bodies
from branddocs.examples.proxy.recording import PathRefused, RecordingProxy

from ..support.platform import REAL_KEY

ACME, NEBULA = ["meta-llama-3-8b-instruct", "mistral-7b-instruct-v0.3"], ["llama-3.1-70b-instruct"]
HI = [{"role": "user", "content": "hi"}]
PLAIN = {"model": ACME[0], "messages": HI, "max_tokens": 8}
HOSTILE = {
    "a dear model": json.dumps({**PLAIN, "model": "gpt-4-32k"}),
    "another tenant's model": json.dumps({**PLAIN, "model": NEBULA[0]}),
    "no model": json.dumps({"messages": HI, "max_tokens": 8}),
    "many replies": json.dumps({**PLAIN, "n": 64}),
    "n as a string": json.dumps({**PLAIN, "n": "1"}),
    "a long reply": json.dumps({**PLAIN, "max_tokens": 1_000_000}),
    "a long reply as a float": json.dumps({**PLAIN, "max_tokens": 1e6}),
    "max_completion_tokens": json.dumps({**PLAIN, "max_completion_tokens": 100_000}),
    "service_tier": json.dumps({**PLAIN, "service_tier": "priority"}),
    "best_of": json.dumps({**PLAIN, "best_of": 64}),
    "a key twice": '{"model": "meta-llama-3-8b-instruct", "model": "gpt-4-32k", "messages": [], "max_tokens": 8}',
    "a key twice, escaped": '{"model": "meta-llama-3-8b-instruct", "mod\\u0065l": "gpt-4-32k", "max_tokens": 8}',
    "NaN": '{"model": "meta-llama-3-8b-instruct", "messages": [], "max_tokens": 8, "temperature": NaN}',
    "not JSON": "model=gpt-4-32k&max_tokens=100000",
    "a JSON array": json.dumps([PLAIN, PLAIN]),
    "UTF-16": json.dumps({**PLAIN, "model": "gpt-4-32k"}).encode("utf-16").decode("latin-1"),
    "a long prompt": json.dumps({**PLAIN, "messages": [{"role": "user", "content": "x" * (1 << 20)}]}),
}
GUIDE = {  # what the guide's examples, error table and wire claims send (a check of every brand, recorded)
    "a plain request": json.dumps({**PLAIN, "max_tokens": 128, "temperature": 0.5, "top_p": 0.9}),
    "a stream": json.dumps({**PLAIN, "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 3}),
    "the other model": json.dumps({**PLAIN, "model": ACME[1]}),
    "an unknown model": json.dumps({**PLAIN, "model": "no-such-model"}),
    "a misspelled field": json.dumps({**PLAIN, "maxTokens": 8}),
    "out of range": json.dumps({**PLAIN, "temperature": 5}),
    "one reply": json.dumps({**PLAIN, "n": 1}),
    "no max_tokens, as OpenAI's quickstart": json.dumps({"model": ACME[0], "messages": HI}),
    "a tool": json.dumps({**PLAIN, "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}),
}


@contextlib.contextmanager
def proxying(server, bodies: Bodies | None) -> Iterator[tuple[RecordingProxy, str]]:
    proxy = RecordingProxy(f"{server.url}/v1", REAL_KEY, timeout=10, bodies=bodies)
    with running_endpoint(proxy.app) as front:
        yield proxy, front.url


def _post(proxy: RecordingProxy, url: str, body: str, brand: str = "acme", key: str = "") -> httpx.Response:
    token = proxy.new_token("", brand)
    headers = {"Authorization": f"Bearer {key or proxy.run_key(token)}", "Content-Type": "application/json"}
    return httpx.post(f"{url}/_x/{token}/chat/completions", headers=headers, content=body.encode("latin-1")
                      if body.startswith("\xff") else body.encode(), timeout=10)  # fmt: skip


RULE = Bodies({"acme": ACME, "nebula": NEBULA}, max_tokens=1024)


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_body_that_asks_for_more_than_the_guide_is_refused_in_one_line(platform, body: str) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server, RULE) as (proxy, url):
        refused = _post(proxy, url, body)
    assert refused.status_code == 403, refused.text
    lines = refused.text.strip().splitlines()
    assert len(lines) == 1, refused.text
    assert lines[0].startswith("branddocs proxy: not forwarded: POST /chat/completions: "), lines[0]
    assert found.seen[before:] == [], "it reached the platform"


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_negative_without_the_body_rule_each_reaches_the_platform_with_the_real_key(
    platform,
    body: str,
) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server, None) as (proxy, url):
        forwarded = _post(proxy, url, body)
    assert forwarded.status_code == 200, forwarded.text
    assert [s["authorization"] for s in found.seen[before:]] == [f"Bearer {REAL_KEY}"]


@pytest.mark.parametrize("body", GUIDE.values(), ids=GUIDE.keys())
def test_what_the_guide_sends_is_forwarded(platform, body: str) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server, RULE) as (proxy, url):
        assert _post(proxy, url, body).status_code == 200
    assert [(s["path"], s["authorization"]) for s in found.seen[before:]] == [("/v1/chat/completions",
                                                                                f"Bearer {REAL_KEY}")]  # fmt: skip


def test_each_run_asks_for_its_own_brands_models_and_no_other(platform) -> None:
    """Checked together, acme's runs may not name nebula's model, nor nebula's acme's: never the union."""
    _, server = platform
    with proxying(server, RULE) as (proxy, url):
        nebula = json.dumps({**PLAIN, "model": NEBULA[0]})
        assert _post(proxy, url, nebula, brand="nebula").status_code == 200
        assert _post(proxy, url, nebula, brand="acme").status_code == 403
        assert _post(proxy, url, json.dumps(PLAIN), brand="nebula").status_code == 403
        with pytest.raises(PathRefused, match="no run for brand 'kestrel'"):
            proxy.new_token("", "kestrel")
    # The negative: the union of the checked brands' models lets acme's run name nebula's.
    union = Bodies({"acme": ACME + NEBULA, "nebula": ACME + NEBULA})
    with proxying(server, union) as (proxy, url):
        assert _post(proxy, url, nebula, brand="acme").status_code == 200


def test_a_key_other_than_the_runs_goes_as_sent(platform) -> None:
    """The rule bounds what the real key pays for: a wrong key (the error table's row) is the platform's to refuse."""
    found, server = platform
    before = len(found.seen)
    with proxying(server, RULE) as (proxy, url):
        assert _post(proxy, url, HOSTILE["a dear model"], key="sk-wrong").status_code == 200
    assert [s["authorization"] for s in found.seen[before:]] == ["Bearer sk-wrong"]
