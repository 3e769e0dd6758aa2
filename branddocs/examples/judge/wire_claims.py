"""What the guide's prose says about the wire, checked on the platform: each claim names the line that makes it.

A writer ends a line of prose that states how the platform's replies look with a comment naming the claims it
makes, `... `data: [DONE]` ends the stream. <!-- branddocs: claims stream-done stream-usage -->` (markup.WIRE_CLAIMS
lists them); the build removes the comment, collection/marks.py carries its template line through rendering (a
brand whose page leaves the line out makes no claim). `branddocs check` sends the few requests the line's claims
need through the recording proxy, as the error tables' rows go, and fails the line where the platform sends
otherwise, saying what it sent.

These are claims of the page, not rules of the examples: a stream without `data: [DONE]` is read to its end by
both SDKs (responses/departures.py), so no runnable example fails for it; a page that says `[DONE]` ends the
stream is wrong on that platform, and this says so at that line.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import httpx

from branddocs.examples.example import Example
from branddocs.examples.languages.base import Context
from branddocs.examples.proxy.body import UNKNOWN_MODEL
from branddocs.examples.proxy.process import plain_http
from branddocs.examples.proxy.recording import Exchange
from branddocs.examples.responses.summary import error_summary
from branddocs.markup import WIRE_CLAIMS

__all__ = ["Probe", "claim_problems", "claims_problems", "probes"]


@dataclass(frozen=True)
class Probe:
    """One request a line's claims need: a stream, a plain reply, an error."""

    label: str
    body: dict
    wrong_key: bool = False


def probes(names: list[str], model: str) -> list[Probe]:
    """The requests that show whether the platform does what `names` claim (each sent once)."""
    hi = [{"role": "user", "content": "hi"}]
    found: dict[str, Probe] = {}
    if {"stream-done", "stream-events", "stream-usage"} & set(names):
        body = {"model": model, "messages": hi, "max_tokens": 3, "stream": True,
                "stream_options": {"include_usage": True}}  # fmt: skip
        found["stream"] = Probe("stream", body)
    if "usage-sum" in names:
        found["reply"] = Probe("reply", {"model": model, "messages": hi, "max_tokens": 3})
    if "error-body" in names:  # two of the commonest mistakes: whichever the platform refuses shows its errors
        found["unknown model"] = Probe("unknown model", {"model": UNKNOWN_MODEL, "messages": hi, "max_tokens": 3})
        found["wrong key"] = Probe("wrong key", {"model": model, "messages": hi, "max_tokens": 3}, wrong_key=True)
    return list(found.values())


def _sent(exchange: Exchange) -> str:
    text = exchange.body.decode("utf-8", "replace")
    return " ".join(text.split())[:160] or "an empty body"


def _stream_problems(names: list[str], exchange: Exchange) -> list[tuple[str, str]]:
    if not 200 <= exchange.status < 300:
        said = error_summary(exchange.status, exchange.body, exchange.content_type)
        return [(n, f"a stream request got no stream: {said}") for n in names]
    text = exchange.body.decode("utf-8", "replace")
    events = [line for line in text.splitlines() if line.strip() and not line.startswith(":")]
    from branddocs.examples.responses.sse import parse_sse  # openai's types: on first use, not at collection

    chunks, _ = parse_sse(text)
    found = []
    if "stream-done" in names and (not events or events[-1].strip() != "data: [DONE]"):
        last = events[-1][:100] if events else "nothing"
        found.append(("stream-done", f"the platform's stream ends without it; its last line: {last!r}"))
    if "stream-events" in names:
        others = [line for line in events if not line.startswith("data:")]
        if others:
            found.append(("stream-events", f"the platform's stream has other lines: {others[0][:80]!r}"))
    if "stream-usage" in names:
        usage = [c for c in chunks if isinstance(c, dict) and isinstance(c.get("usage"), dict)]
        if not usage:
            found.append(("stream-usage", "the platform sent no chunk with `usage` although the request asked"))
    return found


def _usage_problems(exchange: Exchange) -> list[tuple[str, str]]:
    try:
        usage = json.loads(exchange.body).get("usage")
    except (ValueError, AttributeError):
        usage = None
    if not 200 <= exchange.status < 300:
        said = error_summary(exchange.status, exchange.body, exchange.content_type)
        return [("usage-sum", f"a plain request got no reply: {said}")]
    if not isinstance(usage, dict):
        return [("usage-sum", f"a plain request got no usage to add up: {_sent(exchange)}")]
    prompt, completion, total = (usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens"))
    if not all(isinstance(n, int) for n in (prompt, completion, total)) or prompt + completion != total:
        return [("usage-sum", f"the platform's usage: {json.dumps(usage)[:160]}")]
    return []


def _error_problems(exchanges: list[Exchange]) -> list[tuple[str, str]]:
    errors = [x for x in exchanges if x.status >= 400]
    if not errors:  # nothing refused: the error table's rows say so; no error body to judge here
        return []
    for exchange in errors:
        try:
            body = json.loads(exchange.body)
        except ValueError:
            body = None
        if not (isinstance(body, dict) and body.get("error")):
            kind = exchange.content_type or "no content type"
            said = f"the platform answered {exchange.status} with {_sent(exchange)} ({kind})"
            return [("error-body", f"{said}: the SDKs then raise without its words")]
    return []


def claim_problems(where: str, names: list[str], answers: dict[str, Exchange]) -> list[str]:
    """Each claim of the line `where` (`docs/page.md:275`) that the platform's `answers` (by probe label) belie."""
    found: list[tuple[str, str]] = []
    streamed = [n for n in names if n.startswith("stream-")]
    if streamed and "stream" in answers:
        found += _stream_problems(streamed, answers["stream"])
    if "usage-sum" in names and "reply" in answers:
        found += _usage_problems(answers["reply"])
    if "error-body" in names:
        found += _error_problems([answers[k] for k in ("unknown model", "wrong key") if k in answers])
    return [f"{where}: the guide says {WIRE_CLAIMS[name]}; but {what}" for name, what in found]


def claims_problems(example: Example, context: Context) -> list[str]:
    """The claims of the line `example` stands for (its code: their names) that the brand's platform belies."""
    names = example.code.split()
    target, brand = context.target, example.brand
    token = target.new_token(brand)
    base, key = f"{target.proxy_url}/_x/{token}", target.proxy.run_key(token)
    answers = {}
    # In the sandbox the checks run in the harness, whose network has no route to the proxy's port: they reach it
    # through its socket, as the examples' relay does (pytest_plugin/target.py).
    transport = httpx.HTTPTransport(uds=target.sandbox_socket or None, verify=plain_http())  # plain HTTP, to the proxy
    with httpx.Client(timeout=target.limit_for(brand)[0], trust_env=False, transport=transport) as client:
        for probe in probes(names, brand.default_model):
            # A wrong key is one made up here: the proxy forwards it as it is (as for the error tables' rows).
            sent = "sk-wrong-" + secrets.token_hex(12) if probe.wrong_key else key
            try:
                response = client.post(f"{base}/chat/completions", json=probe.body,
                                       headers={"Authorization": f"Bearer {sent}"})  # fmt: skip
            except httpx.HTTPError as exc:
                return [f"{example.where}: its claims could not be tried: {type(exc).__name__}: {exc}"]
            answers[probe.label] = Exchange("POST", "/chat/completions", json.dumps(probe.body).encode(),
                                            response.status_code, response.headers.get("content-type", ""),
                                            response.content)  # fmt: skip
    return claim_problems(example.where, names, answers)
