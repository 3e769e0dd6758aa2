"""The guide's claims about the wire, judged on real servers' recordings: true on vLLM and LiteLLM, and on
transformers serve the `[DONE]` and error-body claims fail, naming their line and what the server sent."""

from __future__ import annotations

import json

import pytest

from branddocs.examples.collection.marks import claim_lines, mark_claims
from branddocs.examples.judge.wire_claims import claim_problems, probes
from branddocs.examples.proxy.recording import Exchange
from branddocs.markup import WIRE_CLAIMS, FenceError, strip_fence_settings

from .conftest import FIXTURES

RECORDINGS = FIXTURES / "wire-recordings"
SERVERS = {"vllm": "vllm-0.32.0", "litellm": "litellm-1.106.12-vllm-0.32.0", "transformers": "transformers-5.25.0"}
# Which recording answers which probe (the recordings' requests are the probes' own, or near enough).
ANSWERS = {"stream": "chat-stream-usage-length", "reply": "chat", "unknown model": "error-unknown-model",
           "wrong key": "error-wrong-key"}  # fmt: skip
EVERY = list(WIRE_CLAIMS)


def answers(server: str, change: dict[str, str] | None = None) -> dict[str, Exchange]:
    found = {}
    for label, name in ANSWERS.items():
        data = json.loads((RECORDINGS / SERVERS[server] / f"{name}.json").read_text(encoding="utf-8"))
        request, response = data["request"], data["response"]
        body = (change or {}).get(label, response["body"])
        found[label] = Exchange(request["method"], request["path"], json.dumps(request["body"]).encode(),
                                response["status"], response["content_type"], body.encode())  # fmt: skip
    return found


@pytest.mark.parametrize("server", ["vllm", "litellm"])
def test_every_claim_holds_on_vllm_and_litellm(server: str) -> None:
    assert claim_problems("docs/page.md:7", EVERY, answers(server)) == []


def test_transformers_serve_belies_the_done_and_error_body_claims() -> None:
    problems = claim_problems("docs/page.md:7", EVERY, answers("transformers"))
    assert len(problems) == 2, problems
    done, error = problems
    assert done.startswith("docs/page.md:7: the guide says `data: [DONE]` ends a stream; but the platform's stream "
                           "ends without it; its last line: 'data: {")  # fmt: skip
    assert error == (
        "docs/page.md:7: the guide says an error comes as JSON whose `error` says what went wrong; but the platform "
        "answered 400 with {\"detail\":\"Server is pinned to 'meta-llama-3-8b-instruct'; requested 'no-such-model'.\"} "
        "(application/json): the SDKs then raise without its words"
    )


def test_each_claim_can_fail() -> None:
    """Negatives on vLLM's own replies: each claim broken one way is named."""
    vllm = answers("vllm")
    stream = vllm["stream"].body.decode()
    broken = {
        "stream-done": {"stream": stream.replace("data: [DONE]\n\n", "")},
        "stream-events": {"stream": stream.replace("data: {", "event: message\ndata: {")},
        "stream-usage": {"stream": "\n\n".join(e for e in stream.split("\n\n") if '"usage"' not in e)},
        "usage-sum": {"reply": vllm["reply"].body.decode().replace('"total_tokens":', '"total_tokens":9')},
        "error-body": {"unknown model": '{"detail": "no"}'},
    }
    for claim, change in broken.items():
        problems = claim_problems("p.md:1", EVERY, answers("vllm", change))
        assert [p.split("; but ")[0] for p in problems] == [f"p.md:1: the guide says {WIRE_CLAIMS[claim]}"], claim


def test_only_the_claims_a_line_makes_are_judged() -> None:
    assert claim_problems("p.md:1", ["usage-sum"], answers("transformers")) == []
    assert [p.label for p in probes(["usage-sum"], "m")] == ["reply"]
    assert [p.label for p in probes(["stream-done", "error-body"], "m")] == ["stream", "unknown model", "wrong key"]


def test_no_error_at_all_leaves_the_error_body_claim_alone() -> None:
    """A platform that refuses nothing has no error body to show: the error table's rows say what it did."""
    served = answers("transformers", {"unknown model": answers("transformers")["reply"].body.decode()})
    served["unknown model"].status = 200
    assert claim_problems("p.md:1", ["error-body"], served) == []


PAGE = """# Page

The stream ends with `data: [DONE]`. <!-- branddocs: claims stream-done stream-usage -->

```text
Not a claim: <!-- branddocs: claims usage-sum -->
```

Errors are JSON. <!-- branddocs: claims error-body -->
"""


def test_claims_are_found_with_their_template_line_and_not_in_code() -> None:
    marked = mark_claims(PAGE, "docs/page.md")
    assert claim_lines(marked) == [(3, ["stream-done", "stream-usage"]), (9, ["error-body"])]
    assert claim_lines(PAGE) == []  # unmarked: rendering alone finds nothing


def test_an_unknown_claim_names_its_line() -> None:
    with pytest.raises(FenceError, match=r"^docs/page.md:2: `<!-- branddocs: claims \.\.\. -->` names stream-end;"):
        mark_claims("# P\nIt ends. <!-- branddocs: claims stream-end -->\n", "docs/page.md")


def test_the_build_removes_the_claims_comments_outside_code_only() -> None:
    published = strip_fence_settings(PAGE)
    assert "The stream ends with `data: [DONE]`.\n" in published
    assert "Errors are JSON.\n" in published
    assert "Not a claim: <!-- branddocs: claims usage-sum -->" in published  # code shows it as written
    assert published.count("branddocs: claims") == 1
    assert PAGE.count("branddocs: claims") == 3  # the negative: there were three to remove
