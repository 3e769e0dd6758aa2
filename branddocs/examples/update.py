"""`--update-examples`: rewrite expected outputs and response samples in the template sources."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs.markup import parse_fences

if TYPE_CHECKING:
    from branddocs.examples.example import Example
    from branddocs.examples.proxy.recording import Exchange

__all__ = ["apply_updates", "record_python_update", "record_sample_update"]

_lock = threading.Lock()
# (template, fence line) -> new block content, dedented; the first brand to report a block wins.
_pending: dict[tuple[Path, int], str] = {}


def _record(template: Path, line: int, content: str) -> None:
    with _lock:
        _pending.setdefault((template, line), content)


def record_python_update(example: Example, new_source: str) -> None:
    """Keep the template's code, with the `#>` lines of `new_source` (the example as run) grafted in."""
    template = [ln for ln in example.template_code.splitlines() if not ln.lstrip().startswith("#>")]
    new = new_source.splitlines()
    outputs: dict[int, list[str]] = {}
    code_index = -1
    for line in new:
        if line.lstrip().startswith("#>"):
            outputs.setdefault(code_index, []).append(line)
        else:
            code_index += 1
    if code_index + 1 != len(template):
        raise ValueError(f"{example.where}: cannot map output lines back onto the template")
    merged = [*outputs.get(-1, [])]
    for i, line in enumerate(template):
        merged += [line, *outputs.get(i, [])]
    _record(example.template, example.line, "\n".join(merged) + "\n")


_VOLATILE = ("id", "created", "system_fingerprint")
_PLACEHOLDERS = {"id": "chatcmpl-abc123", "created": 1700000000}
"""A new sample's id and timestamp: plainly examples, true of no platform in particular."""


def _old_values(example: Example) -> dict[str, object]:
    """The sample's current id, timestamp and fingerprint: kept, so a correct sample is rewritten unchanged."""
    text = example.code
    if example.lang == "sse":
        text = next((ln[5:].strip() for ln in text.splitlines() if ln.startswith("data:") and "[DONE]" not in ln), "")
    try:
        old = json.loads(text)
    except ValueError:
        return {}
    return {k: old[k] for k in _VOLATILE if isinstance(old, dict) and k in old}


def _templated(chunk: object, example: Example, old: dict[str, object]) -> object:
    if not isinstance(chunk, dict):
        return chunk
    kept = {k: old[k] for k in _VOLATILE if k in chunk and k in old and type(old[k]) is type(chunk[k])}
    chunk = {k: kept.get(k, v) for k, v in chunk.items()}
    if chunk.get("model") == example.brand.default_model:
        chunk["model"] = "{{ default_model }}"
    # Never the reference endpoint's own values: a sample shows the tenant's platform, not the vendor's backend.
    for key, placeholder in _PLACEHOLDERS.items():
        if key in chunk and key not in kept:
            chunk[key] = placeholder
    if "system_fingerprint" in chunk:
        chunk["system_fingerprint"] = "{{ system_fingerprint }}"
    return chunk


def record_sample_update(example: Example, actual: Exchange | None, stdout: str | None = None) -> None:
    """Rewrite a JSON or SSE sample from the endpoint's real response, or an Output block from stdout."""
    if stdout is not None:
        assert example.output_template_line is not None
        _record(example.template, example.output_template_line, stdout)
        return
    assert actual is not None
    old = _old_values(example)
    if example.lang == "json":
        body = _templated(json.loads(actual.body), example, old)
        _record(example.template, example.line, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    events = []
    for line in actual.body.decode().splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            chunk = _templated(json.loads(line[6:]), example, old)
            line = "data: " + json.dumps(chunk, separators=(",", ":"), ensure_ascii=False)
        if line.strip():
            events.append(line)
    _record(example.template, example.line, "\n\n".join(events) + "\n")


def apply_updates() -> list[str]:
    """Write every recorded update into its template; returns `file:line` of each block changed."""
    with _lock:
        pending, changed = dict(_pending), []
        _pending.clear()
    by_file: dict[Path, list[tuple[int, str]]] = {}
    for (template, line), content in pending.items():
        by_file.setdefault(template, []).append((line, content))
    for template, updates in by_file.items():
        lines = template.read_text(encoding="utf-8").splitlines(keepends=True)
        fences = {f.line: f for f in parse_fences("".join(lines), str(template))}
        # Bottom-up, so an earlier block's new length does not shift the later blocks' line numbers.
        for line, content in sorted(updates, reverse=True):
            fence = fences[line]
            pad = " " * fence.indent
            new = [(pad + ln if ln.strip() else "") + "\n" for ln in content.splitlines()]
            if lines[line : fence.end_line - 1] != new:
                lines[line : fence.end_line - 1] = new
                changed.append(f"{template}:{line}")
        template.write_text("".join(lines), encoding="utf-8")
    return changed
