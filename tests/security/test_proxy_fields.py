"""What a forwarded body's fields may hold (branddocs/examples/proxy/fields.py): chat messages of text alone, each
kind's own fields, and no field spelled in another case.

Red team round 6, F5: 688 `image_url` parts with `detail: high` and `max_tokens: 1` fit in the 64 KiB body bound,
each billed as hundreds of input tokens the body does not hold; `input_audio` and `file` parts and part types the
platform adds later were not read either. F10: on a brand's own request paths (`api.example_requests`) a field the
rule does not read (`"quality": "hd"`) and a case variant (`"Model"`, `"N"`, which a Go platform reads as the
model and the count) were forwarded. Each is answered 403 with one line and never reaches the platform; what the
guide sends is forwarded. The negatives: the same proxy with the mechanism off (no message rule; no spelling rule
and no field list but chat's, as before) forwards each with the real key.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import httpx
import pytest

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.proxy import body as body_rule
from branddocs.examples.proxy.allowed import Allowed
from branddocs.examples.proxy.body import BODY_BYTES, Bodies
from branddocs.examples.proxy.fields import CHAT_FIELDS
from branddocs.examples.proxy.recording import RecordingProxy

from ..support.platform import REAL_KEY

MODEL, IMAGES = "acme-chat", "acme-image"
RULE = Bodies({"acme": [MODEL, IMAGES]}, max_tokens=1024)
LISTED = ("POST /images/generations", "POST /embeddings", "POST /rerank", "POST /completions")
IMAGE = {"type": "image_url", "image_url": {"url": "https://img.x.example/4k.png", "detail": "high"}}


def _chat(*content: object, **fields: object) -> dict:
    return {"model": MODEL, "max_tokens": 1, "messages": [{"role": "user", "content": list(content)}], **fields}


def _most_images() -> dict:
    """The red team's body: as many high-detail image parts as fit in BODY_BYTES."""
    parts: list[dict] = []
    while len(json.dumps(_chat(*parts, IMAGE))) < BODY_BYTES:
        parts.append(IMAGE)
    return _chat(*parts)


PARTS = {  # on POST /chat/completions
    "688 image parts": _most_images(),
    "an image part": _chat({"type": "text", "text": "what is this?"}, IMAGE),
    "an input_audio part": _chat({"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}),
    "a file part": _chat({"type": "file", "file": {"file_id": "file-abc123"}}),
    "a part type added later": _chat({"type": "video_url", "video_url": {"url": "https://v.x.example/a.mp4"}}),
    "a text part with an image in it": _chat({"type": "text", "text": "hi", "image_url": IMAGE["image_url"]}),
    "a text part whose type is spelled otherwise": _chat({"type": "text", "Type": "image_url", "text": "hi"}),
    "a content spelled otherwise": {"model": MODEL, "messages": [{"role": "user", "content": "", "Content": [IMAGE]}]},
    "an assistant's stored audio": {"model": MODEL, "messages": [{"role": "assistant", "audio": {"id": "audio_1"}}]},
    "content that is an object": {"model": MODEL, "messages": [{"role": "user", "content": IMAGE}]},
    "messages that are an object": {"model": MODEL, "messages": {"0": {"role": "user", "content": [IMAGE]}}},
}
FIELDS = {  # (path, body) on a brand's own request paths, and chat's
    "Model beside model": ("/images/generations", {"model": IMAGES, "Model": "dall-e-3", "prompt": "a cat"}),
    "N for n": ("/images/generations", {"model": IMAGES, "N": 10, "prompt": "a cat"}),
    "quality: hd": ("/images/generations", {"model": IMAGES, "prompt": "a cat", "quality": "hd"}),
    "size": ("/images/generations", {"model": IMAGES, "prompt": "a cat", "size": "1792x1024"}),
    "a field embeddings do not take": ("/embeddings", {"model": MODEL, "input": "hi", "quality": "hd"}),
    "N on a kind the rule does not know": ("/rerank", {"model": MODEL, "query": "q", "N": 100}),
    "MAX_TOKENS on a kind the rule does not know": ("/rerank", {"model": MODEL, "MAX_TOKENS": 100000}),
    "max_tokens with a KELVIN SIGN": ("/rerank", {"model": MODEL, "max_to\u212aens": 100000}),
    "two keys equal without case": ("/rerank", {"model": MODEL, "query": "q", "Query": "r"}),
    "Model on chat": ("/chat/completions", {"model": MODEL, "Model": "gpt-4-32k", "messages": []}),
    # Red team 7, R7-2: a list where one item is billed per reply.
    "1,000 prompts": ("/completions", {"model": MODEL, "prompt": ["x"] * 1000, "max_tokens": 1024}),
    "prompts as token lists": ("/completions", {"model": MODEL, "prompt": [[1, 2], [3]], "max_tokens": 8}),
    "a list of suffixes": ("/completions", {"model": MODEL, "prompt": "x", "suffix": ["a", "b"]}),
    "image prompts": ("/images/generations", {"model": IMAGES, "prompt": ["a cat", "a dog"]}),
}
GUIDE = {  # forwarded: what the guide's examples send, and what a reader's text-only conversation sends
    "the guide's messages": ("/chat/completions", {"model": MODEL, "messages": [
        {"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "hi"}]}),
    "text parts": ("/chat/completions", _chat({"type": "text", "text": "hi"}, {"type": "text", "text": "again"})),
    "a conversation continued": ("/chat/completions", {"model": MODEL, "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "refusal": None, "annotations": [], "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "42"}]}]}),
    "the error table's misspelled field": ("/chat/completions", {"model": MODEL, "messages": [], "maxTokens": 8}),
    "an image, as the platform's default": ("/images/generations", {"model": IMAGES, "prompt": "a cat", "n": 1}),
    "one prompt": ("/completions", {"model": MODEL, "prompt": "Say hi", "max_tokens": 8}),
    "one prompt as token ids": ("/completions", {"model": MODEL, "prompt": [1, 2, 3], "max_tokens": 8}),
    "an embedding": ("/embeddings", {"model": MODEL, "input": ["hi"], "encoding_format": "float"}),
    "a kind the rule does not know, spelled right": ("/rerank", {"model": MODEL, "query": "q", "documents": ["a"]}),
}  # fmt: skip


@contextlib.contextmanager
def proxying(server, bodies: Bodies | None) -> Iterator[tuple[RecordingProxy, str]]:
    proxy = RecordingProxy(f"{server.url}/v1", REAL_KEY, timeout=10, allowed=Allowed(LISTED), bodies=bodies)
    with running_endpoint(proxy.app) as front:
        yield proxy, front.url


def _post(proxy: RecordingProxy, url: str, path: str, body: dict) -> httpx.Response:
    token = proxy.new_token("", "acme")
    return httpx.post(f"{url}/_x/{token}{path}", content=json.dumps(body).encode(), timeout=10,
                      headers={"Authorization": f"Bearer {proxy.run_key(token)}"})  # fmt: skip


HOSTILE = {**{k: ("/chat/completions", b) for k, b in PARTS.items()}, **FIELDS}


def test_the_red_teams_body_is_688_image_parts_within_the_bound() -> None:
    body = json.dumps(PARTS["688 image parts"]).encode()
    assert len(body) <= BODY_BYTES
    assert len(PARTS["688 image parts"]["messages"][0]["content"]) == 688


@pytest.mark.parametrize(("path", "body"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_body_that_bills_more_than_it_holds_is_refused_in_one_line(platform, path: str, body: dict) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server, RULE) as (proxy, url):
        refused = _post(proxy, url, path, body)
    assert refused.status_code == 403, refused.text
    lines = refused.text.strip().splitlines()
    assert len(lines) == 1, refused.text
    assert lines[0].startswith(f"branddocs proxy: not forwarded: POST {path}: "), lines[0]
    assert len(lines[0]) < 600, lines[0]
    assert found.seen[before:] == [], "it reached the platform"


@pytest.mark.parametrize(("path", "body"), GUIDE.values(), ids=GUIDE.keys())
def test_text_and_each_kinds_own_fields_are_forwarded(platform, path: str, body: dict) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server, RULE) as (proxy, url):
        answer = _post(proxy, url, path, body)
    assert answer.status_code == 200, answer.text
    assert [(s["path"], s["authorization"]) for s in found.seen[before:]] == [(f"/v1{path}", f"Bearer {REAL_KEY}")]


@pytest.mark.parametrize(("path", "body"), HOSTILE.values(), ids=HOSTILE.keys())
def test_the_negative_with_the_mechanism_off_each_reaches_the_platform(
    platform, monkeypatch, path: str, body: dict
) -> None:
    """The rule before: no message rule, no spelling rule, a field list for chat alone; the rest as it is now."""
    monkeypatch.setattr(body_rule, "message_problem", lambda messages: None)
    monkeypatch.setattr(body_rule, "spelling", lambda keys: None)
    monkeypatch.setattr(body_rule, "one_form", lambda path, data: None)
    monkeypatch.setattr(body_rule, "FIELDS", {"/chat/completions": CHAT_FIELDS})
    found, server = platform
    before = len(found.seen)
    with proxying(server, RULE) as (proxy, url):
        forwarded = _post(proxy, url, path, body)
    if path == "/chat/completions" and "Model" in body:
        assert forwarded.status_code == 403  # chat's field list refused it before too: F10 was the other paths
        return
    assert forwarded.status_code == 200, forwarded.text
    assert [s["authorization"] for s in found.seen[before:]] == [f"Bearer {REAL_KEY}"]
