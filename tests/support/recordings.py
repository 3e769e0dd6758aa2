"""Real servers' wire recordings (tests/fixtures/wire-recordings/), read as the checks read an exchange."""

from __future__ import annotations

import json
from pathlib import Path

from branddocs.examples.collection.collect import collect_examples
from branddocs.examples.proxy.recording import Exchange
from branddocs.site import Project

from .project import ROOT

MODEL = "meta-llama-3-8b-instruct"
"""The model the recordings were made with."""


RECORDINGS = ROOT / "tests" / "fixtures" / "wire-recordings"


SERVERS = {"vllm": "vllm-0.32.0", "litellm": "litellm-1.106.12-vllm-0.32.0", "transformers": "transformers-5.25.0"}


def recordings(server: str) -> list[Path]:
    found = sorted((RECORDINGS / SERVERS[server]).glob("*.json"))
    assert len(found) == 14, f"expected the 14 recorded exchanges of {server}, found {len(found)}"
    return found


def load(path: Path) -> tuple[dict, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["request"], data["response"]


def as_exchange(request: dict, response: dict) -> Exchange:
    body = request["body"]
    raw = b"" if body is None else (body if isinstance(body, str) else json.dumps(body)).encode()
    return Exchange(request["method"], request["path"], raw, response["status"], response["content_type"],
                    response["body"].encode())  # fmt: skip


def guide_sample(lang: str) -> str:
    project = Project(ROOT)
    found = [e for e in collect_examples(project, project.brand("acme"), ["serverless-endpoints.md"]) if e.lang == lang]
    assert found, f"the guide has no {lang} sample"
    return found[0].code.replace('"model": "' + project.brand("acme").default_model, '"model": "' + MODEL)


def drifted(server: str, name: str, how: str) -> Exchange:
    """A real recording broken one way, as a drifting platform would send it."""
    request, response = load(RECORDINGS / SERVERS[server] / f"{name}.json")
    body = response["body"]
    if how == "no-done":
        body = body.replace("data: [DONE]", "")
    elif how == "no-usage":
        body = "\n\n".join(e for e in body.split("\n\n") if '"usage"' not in e)
    elif how == "event-lines":
        body = body.replace("data: {", "event: message\ndata: {")
    elif how == "rename-content":
        body = body.replace('"content":', '"text":')
    elif how == "envelope":
        body = json.dumps({"code": 0, "msg": "ok", "data": json.loads(body)})
    return as_exchange(request, {**response, "body": body})
