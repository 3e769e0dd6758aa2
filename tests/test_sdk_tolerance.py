"""What the readers' SDKs really do with a reply that departs from OpenAI's format: the yardstick of the verdict.

A real server's recorded reply (vLLM's), served as it was and with one departure made in it (departures.py), is
read by the pinned `openai` Python package and the pinned `openai` npm package, each running a reader's code
like the guide's (join a stream's deltas and print them; print a reply's content). A departure breaks an SDK
when the reader then sees something else than with the untouched reply: another exit status or another printed
text, or, for an error, the server's own words missing from what the SDK raises. The table in departures.py
must say exactly that, both ways; the verdict fails a runnable example only on what breaks a reader.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.responses.departures import DEPARTURES, breaks_a_reader

from .conftest import FIXTURES, ROOT

VLLM = FIXTURES / "wire-recordings" / "vllm-0.32.0"
SERVER_WORDS = "Server is pinned to meta-llama-3-8b-instruct"


def _recorded(name: str) -> tuple[int, str, str]:
    response = json.loads((VLLM / f"{name}.json").read_text(encoding="utf-8"))["response"]
    return response["status"], response["content_type"], response["body"]


def _events(body: str) -> list[str]:
    return [e for e in body.split("\n\n") if e.strip()]


def _join(events: list[str]) -> str:
    return "".join(e + "\n\n" for e in events)


def departed(name: str) -> dict[str, tuple[int, str, str]]:
    """{"stream": reply, "chat": reply}, each (status, content type, body), with the departure `name` made in them;
    "untouched": the replies as recorded."""
    s_status, s_type, stream = _recorded("chat-stream-usage-length")
    c_status, c_type, chat = _recorded("chat")
    events = _events(stream)
    if name == "no-done":
        stream = _join([e for e in events if e.strip() != "data: [DONE]"])
    elif name == "event-lines":
        stream = _join([e if "[DONE]" in e else "event: message\n" + e for e in events])
    elif name == "no-usage":
        stream = _join([e for e in events if '"usage"' not in e])
    elif name == "usage-sum":
        stream = re.sub(r'"total_tokens":\s*\d+', '"total_tokens":1000', stream)
    elif name == "not-json":
        stream = _join([events[0], "data: {not json", *events[1:]])
    elif name == "rename-content":
        stream, chat = stream.replace('"content":', '"text":'), chat.replace('"content":', '"text":')
    elif name == "envelope":
        chat = json.dumps({"code": 0, "msg": "ok", "data": json.loads(chat)})
    elif name == "detail-error":
        detail = json.dumps({"detail": SERVER_WORDS})
        return {"stream": (400, "application/json", detail), "chat": (400, "application/json", detail)}
    elif name == "openai-error":  # the baseline for errors: OpenAI's own shape
        error = json.dumps({"error": {"message": SERVER_WORDS, "type": "invalid_request_error", "param": "model",
                                      "code": None}})  # fmt: skip
        return {"stream": (400, "application/json", error), "chat": (400, "application/json", error)}
    else:
        assert name == "untouched", name
    return {"stream": (s_status, s_type, stream), "chat": (c_status, c_type, chat)}


CASES = ["untouched", "openai-error", *DEPARTURES]


def _app() -> Starlette:
    async def chat(request: Request) -> Response:
        body = json.loads(await request.body())
        status, content_type, text = departed(request.path_params["case"])["stream" if body.get("stream") else "chat"]
        return Response(text, status, media_type=content_type.split(";")[0])

    return Starlette(routes=[Route("/case/{case}/v1/chat/completions", chat, methods=["POST"])])


PYTHON_READER = """
import sys
from openai import OpenAI

for base in sys.argv[1:]:
    client = OpenAI(base_url=base, api_key="sk-test", max_retries=0)
    for stream in (True, False):
        try:
            if stream:
                reply = ""
                for chunk in client.chat.completions.create(
                    model="meta-llama-3-8b-instruct", messages=[{"role": "user", "content": "hi"}], max_tokens=3,
                    stream=True, stream_options={"include_usage": True},
                ):
                    if chunk.choices and chunk.choices[0].delta.content:
                        reply += chunk.choices[0].delta.content
                shown = reply
            else:
                completion = client.chat.completions.create(
                    model="meta-llama-3-8b-instruct", messages=[{"role": "user", "content": "hi"}], max_tokens=16)
                shown = completion.choices[0].message.content
            print(repr(("ok", str(shown))))
        except Exception as exc:
            print(repr(("raised", f"{type(exc).__name__}: {exc}")))
"""

NODE_READER = """
import OpenAI from 'openai';

for (const base of process.argv.slice(2)) {
  const client = new OpenAI({ baseURL: base, apiKey: 'sk-test', maxRetries: 0 });
  for (const stream of [true, false]) {
    try {
      let shown;
      if (stream) {
        let reply = '';
        const events = await client.chat.completions.create({
          model: 'meta-llama-3-8b-instruct', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3,
          stream: true, stream_options: { include_usage: true },
        });
        for await (const chunk of events) {
          const delta = chunk.choices && chunk.choices.length ? chunk.choices[0].delta : {};
          if (delta.content) reply += delta.content;
        }
        shown = reply;
      } else {
        const completion = await client.chat.completions.create({
          model: 'meta-llama-3-8b-instruct', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16,
        });
        shown = completion.choices[0].message.content;
      }
      console.log(JSON.stringify(['ok', String(shown)]));
    } catch (exc) {
      console.log(JSON.stringify(['raised', `${exc.constructor.name}: ${exc.message}`]));
    }
  }
}
"""


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """{sdk: {case: [what the stream's reader saw, what the reply's reader saw]}}, from one run of each SDK."""
    folder = tmp_path_factory.mktemp("readers")
    (folder / "reader.py").write_text(PYTHON_READER, encoding="utf-8")
    (folder / "reader.mjs").write_text(NODE_READER, encoding="utf-8")
    (folder / "node_modules").symlink_to(ROOT / "node_modules")
    with running_endpoint(_app()) as server:
        bases = [f"{server.url}/case/{case}/v1" for case in CASES]
        python = subprocess.run([sys.executable, str(folder / "reader.py"), *bases], capture_output=True, text=True,
                                timeout=120, check=True)  # fmt: skip
        node = subprocess.run(["node", str(folder / "reader.mjs"), *bases], capture_output=True, text=True,
                              timeout=120, check=True, cwd=folder)  # fmt: skip
    python_lines = [ast.literal_eval(line) for line in python.stdout.splitlines()]
    node_lines = [tuple(json.loads(line)) for line in node.stdout.splitlines()]
    result = {}
    for sdk, lines in (("python", python_lines), ("javascript", node_lines)):
        assert len(lines) == 2 * len(CASES), (sdk, lines)
        result[sdk] = {case: lines[2 * i : 2 * i + 2] for i, case in enumerate(CASES)}
    return result


def _breaks(seen_by: dict[str, list[tuple[str, str]]], case: str) -> list[str]:
    """How the departure `case` changed what the reader saw; empty: nothing changed."""
    if case == "detail-error":  # an error either way: do the server's own words reach the reader?
        return [f"{what}: {said!r}" for what, said in seen_by[case] if what != "raised" or SERVER_WORDS not in said]
    pairs = zip(seen_by[case], seen_by["untouched"], strict=True)
    return [f"{got!r} where the untouched reply gives {want!r}" for got, want in pairs if got != want]


def test_the_untouched_reply_reads_fine_with_both_sdks(seen: dict) -> None:
    for sdk in ("python", "javascript"):
        (stream_what, stream_text), (chat_what, chat_text) = seen[sdk]["untouched"]
        assert (stream_what, chat_what) == ("ok", "ok"), seen[sdk]["untouched"]
        assert stream_text
        assert chat_text
        assert "None" not in (stream_text, chat_text)


def test_openais_own_error_body_reaches_the_reader_with_both_sdks(seen: dict) -> None:
    """The yardstick of `detail-error`: with `{"error": {"message": ...}}` both SDKs raise with the server's words."""
    for sdk in ("python", "javascript"):
        for what, said in seen[sdk]["openai-error"]:
            assert what == "raised", (sdk, said)
            assert SERVER_WORDS in said, (sdk, said)


@pytest.mark.parametrize("departure", list(DEPARTURES))
@pytest.mark.parametrize("sdk", ["python", "javascript"])
def test_the_verdicts_table_says_what_the_sdk_does(seen: dict, sdk: str, departure: str) -> None:
    changed = _breaks(seen[sdk], departure)
    says = sdk in DEPARTURES[departure].breaks
    assert bool(changed) == says, (
        f"departures.py says {departure!r} {'breaks' if says else 'does not break'} the {sdk} SDK; "
        f"it {'does not' if not changed else 'does'}: {changed or seen[sdk][departure]}"
    )


def test_no_done_is_read_to_the_end_by_both_sdks(seen: dict) -> None:
    """The issue's false alarm, named: a stream without `data: [DONE]` prints the same reply, no error."""
    assert not breaks_a_reader("no-done")
    for sdk in ("python", "javascript"):
        assert seen[sdk]["no-done"] == seen[sdk]["untouched"], sdk


def test_a_departure_that_breaks_an_sdk_is_seen_as_broken(seen: dict) -> None:
    """The negative of the comparison itself: a reply that loses its text changes what both readers see."""
    for sdk in ("python", "javascript"):
        assert _breaks(seen[sdk], "rename-content"), sdk
        assert _breaks(seen[sdk], "not-json"), sdk


def test_the_departures_are_made(tmp_path: Path) -> None:
    """Each departure changes the reply it is about (a no-op departure would prove nothing)."""
    untouched = departed("untouched")
    for name in DEPARTURES:
        assert departed(name) != untouched, name
