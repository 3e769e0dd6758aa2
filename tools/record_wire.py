# Copied from ../shared/wire-recordings/record_wire.py (the script that recorded the vLLM and LiteLLM exchanges in
# tests/fixtures/wire-recordings/), reformatted for ruff; the requests are unchanged, so every server's recording
# answers the same 14 requests. It recorded tests/fixtures/wire-recordings/transformers-5.25.0/ too.
# Usage (any python with httpx): python tools/record_wire.py BASE_URL KEY MODEL OUT_DIR
"""Record what a real OpenAI-compatible server sends for a fixed set of requests.

usage: python record_wire.py BASE_URL KEY MODEL OUT_DIR
Each exchange becomes OUT_DIR/<name>.json: the request (Authorization redacted) and the raw response.
"""

import json
import sys
from pathlib import Path

import httpx

BASE, KEY, MODEL, OUT = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], Path(sys.argv[4])
OUT.mkdir(parents=True, exist_ok=True)
HI = [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "hi"}]

CASES = [
    ("models", "GET", "/models", None, KEY),
    (
        "chat",
        "POST",
        "/chat/completions",
        {"messages": HI, "model": MODEL, "stream": False, "max_tokens": 16, "temperature": 0.5, "top_p": 0.9},
        KEY,
    ),
    (
        "chat-stream",
        "POST",
        "/chat/completions",
        {"messages": [{"role": "user", "content": "say hello"}], "model": MODEL, "stream": True, "max_tokens": 8},
        KEY,
    ),
    (
        "chat-stream-usage-length",
        "POST",
        "/chat/completions",
        {
            "messages": [{"role": "user", "content": "hi"}],
            "model": MODEL,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": 3,
        },
        KEY,
    ),
    (
        "chat-n2",
        "POST",
        "/chat/completions",
        {"messages": [{"role": "user", "content": "hi"}], "model": MODEL, "n": 2, "max_tokens": 5},
        KEY,
    ),
    (
        "chat-stop",
        "POST",
        "/chat/completions",
        {"messages": [{"role": "user", "content": "hi"}], "model": MODEL, "stop": ["e"], "max_tokens": 32},
        KEY,
    ),
    ("error-wrong-key", "POST", "/chat/completions", {"messages": HI, "model": MODEL}, "sk-wrong"),
    ("error-no-key", "POST", "/chat/completions", {"messages": HI, "model": MODEL}, None),
    ("error-models-wrong-key", "GET", "/models", None, "sk-wrong"),
    ("error-unknown-model", "POST", "/chat/completions", {"messages": HI, "model": "no-such-model"}, KEY),
    (
        "unknown-field-maxTokens",
        "POST",
        "/chat/completions",
        {"messages": HI, "model": MODEL, "maxTokens": 8, "max_tokens": 8},
        KEY,
    ),
    (
        "error-temperature-5",
        "POST",
        "/chat/completions",
        {"messages": HI, "model": MODEL, "temperature": 5, "max_tokens": 8},
        KEY,
    ),
    ("error-malformed-json", "POST", "/chat/completions", "{not json", KEY),
    ("error-no-messages", "POST", "/chat/completions", {"model": MODEL}, KEY),
]

with httpx.Client(timeout=300, trust_env=False) as client:
    for name, method, path, body, key in CASES:
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        content = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
        response = client.request(method, BASE + path, headers=headers, content=content)
        record = {
            "request": {
                "method": method,
                "path": path,
                "authorization": None if key is None else ("the right key" if key == KEY else "a wrong key"),
                "body": body,
            },
            "response": {
                "status": response.status_code,
                "content_type": response.headers.get("content-type"),
                "body": response.text,
            },
        }
        (OUT / f"{name}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        print(name, response.status_code, len(response.text))
