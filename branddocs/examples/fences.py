"""Fenced code blocks of a Markdown page, with their fence settings (```python test="skip" reason="...")."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from branddocs.errors import EXIT_FENCE, BranddocsError

__all__ = ["SETTINGS", "Fence", "FenceError", "parse_fences"]

# Settings branddocs reads; the highlight extension's own (title, linenums, hl_lines) are allowed too.
SETTINGS = {
    "test": ("skip", "xfail", "no"),
    "reason": None,
    "lint": ("skip",),
    "group": None,
}
_HIGHLIGHT = {"title", "linenums", "hl_lines", "anchor_linenums", "line_spans"}
_OPEN = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})[ ]*(?P<lang>[\w+-]*)(?P<rest>.*)$")
_SETTING = re.compile(r'\s*(?P<key>[\w-]+)="(?P<value>[^"]*)"')


class FenceError(BranddocsError, ValueError):
    """A fence line a writer got wrong: an unknown setting, a skip without a reason, an unclosed block."""

    exit_code = EXIT_FENCE


@dataclass
class Fence:
    line: int
    """1-based line of the opening fence in the page it was found in."""
    lang: str
    code: str
    """The block's content, its indentation removed, ending in a newline."""
    indent: int
    settings: dict[str, str] = field(default_factory=dict)
    end_line: int = 0
    """1-based line of the closing fence."""


def _settings(rest: str, where: str) -> dict[str, str]:
    rest = rest.strip()
    if rest.startswith("{") and rest.endswith("}"):
        rest = rest[1:-1]
    found, pos = {}, 0
    for match in _SETTING.finditer(rest):
        if rest[pos : match.start()].strip():
            break
        found[match["key"]] = match["value"]
        pos = match.end()
    if rest[pos:].strip():
        raise FenceError(f'{where}: cannot read fence settings {rest[pos:].strip()!r}; write key="value" pairs')
    for key, value in found.items():
        if key in _HIGHLIGHT:
            continue
        if key not in SETTINGS:
            known = ", ".join(sorted([*SETTINGS, *_HIGHLIGHT]))
            raise FenceError(f"{where}: unknown fence setting {key!r}; known settings: {known}")
        allowed = SETTINGS[key]
        if allowed and value not in allowed:
            raise FenceError(f"{where}: {key}={value!r}; expected one of {', '.join(allowed)}")
    if found.get("test") in ("skip", "xfail") and not found.get("reason", "").strip():
        raise FenceError(f'{where}: test="{found["test"]}" needs a reason: add reason="why it cannot run"')
    return found


def parse_fences(markdown: str, where: str) -> list[Fence]:
    """Every fenced block in `markdown`; `where` (a file name) prefixes error messages."""
    lines = markdown.splitlines()
    fences, i = [], 0
    while i < len(lines):
        opened = _OPEN.match(lines[i])
        if not opened:
            i += 1
            continue
        indent, marker = len(opened["indent"]), opened["fence"]
        closing = re.compile(rf"^[ ]{{0,{indent + 3}}}{re.escape(marker[0])}{{{len(marker)},}}[ ]*$")
        end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])), None)
        if end is None:
            raise FenceError(f"{where}:{i + 1}: code block opened here is never closed")
        body = "\n".join(line[indent:] if line[:indent].strip() == "" else line for line in lines[i + 1 : end])
        fences.append(
            Fence(
                line=i + 1,
                lang=opened["lang"].lower(),
                code=textwrap.dedent(body) + "\n" if body else "",
                indent=indent,
                settings=_settings(opened["rest"], f"{where}:{i + 1}"),
                end_line=end + 1,
            )
        )
        i = end + 1
    return fences
