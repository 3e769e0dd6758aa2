"""The guide's markup for the checks: fence settings (```python test="skip" reason="..."), the error-table marker,
and their parsing. The ground floor: it imports nothing of branddocs but the root of its error hierarchy.

What a writer puts on a fence line or above a table is read here, once, by the example checks (collection,
`--update-examples`), `branddocs check`'s fence pre-check and `check-translations`; the build removes it here too
(`strip_fence_settings`), so readers see plain code. Which languages exist is not this module's business: the
language registry checks that a block marked to run is in one (examples/languages/base.py, `check_language`).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

from branddocs.errors import EXIT_FENCE, BranddocsError

__all__ = [
    "ERROR_TABLE_MARKER",
    "FENCE_SETTINGS",
    "SAMPLE_FENCES",
    "SETTINGS",
    "Fence",
    "FenceCheck",
    "FenceError",
    "fenced_lines",
    "parse_fences",
    "run_marks",
    "strip_fence_settings",
]

# Settings branddocs reads; the highlight extension's own (title, linenums, hl_lines) are allowed too.
SETTINGS = {
    "test": ("skip", "xfail", "no"),
    "reason": None,
    "lint": ("skip",),
    "group": None,
}
FENCE_SETTINGS = tuple(SETTINGS)
"""Their names: the build removes them from fence lines, so the published page shows plain code."""
SAMPLE_FENCES = ("json", "sse", "text", "txt", "http", "")
"""Fence names a response sample is written under (JSON; an event stream under the others): never a language's."""
ERROR_TABLE_MARKER = "<!-- branddocs: error-table -->"
"""The line above a table of the guide's claims about errors (examples/judge/claims.py); the build removes it, as
fence settings."""
_HIGHLIGHT = {"title", "linenums", "hl_lines", "anchor_linenums", "line_spans"}
_OPEN = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})[ ]*(?P<lang>[\w+-]*)(?P<rest>.*)$")
_SETTING = re.compile(r'\s*(?P<key>[\w-]+)="(?P<value>[^"]*)"')
# What the build removes: branddocs' settings on any fence line, the marker line at a line's start only.
_FENCE_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<rest>.*)$", re.MULTILINE)
_ERROR_TABLE = re.compile(rf"^{re.escape(ERROR_TABLE_MARKER)}[ ]*\n", re.MULTILINE)
_OURS = re.compile(r'\s+(?:{})="[^"]*"'.format("|".join(FENCE_SETTINGS)))


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


def run_marks(settings: dict[str, str]) -> list[str]:
    """The settings that say a block is an example to run (test="skip" may mark any block: a brand file)."""
    return [f'{key}="{value}"' for key, value in settings.items()
            if key in ("lint", "group") or (key, value) == ("test", "xfail")]  # fmt: skip


FenceCheck = Callable[[Fence, str], None]
"""Called on each block as it is read, with `file:line`; raises FenceError (the language registry's
`check_language`: a block marked to run must be in a registered language)."""


def parse_fences(markdown: str, where: str, check: FenceCheck | None = None) -> list[Fence]:
    """Every fenced block in `markdown`; `where` (a file name) prefixes error messages; `check` each block's own."""
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
        lang, settings = opened["lang"].lower(), _settings(opened["rest"], f"{where}:{i + 1}")
        fence = Fence(
            line=i + 1,
            lang=lang,
            code=textwrap.dedent(body) + "\n" if body else "",
            indent=indent,
            settings=settings,
            end_line=end + 1,
        )
        if check is not None:
            check(fence, f"{where}:{i + 1}")
        fences.append(fence)
        i = end + 1
    return fences


def fenced_lines(lines: list[str], where: str, check: FenceCheck | None = None) -> set[int]:
    """0-based indexes of `lines` inside fenced code blocks (a marker written in a code block is not one)."""
    inside: set[int] = set()
    for fence in parse_fences("\n".join(lines), where, check):
        inside.update(range(fence.line - 1, fence.end_line))
    return inside


def strip_fence_settings(markdown: str) -> str:
    """The page with branddocs' settings removed from its fence lines, and the error-table marker (the checks'
    alone) removed: what readers (and any engine) get."""
    markdown = _FENCE_LINE.sub(lambda m: m["indent"] + m["fence"] + _OURS.sub("", m["rest"]), markdown)
    return _ERROR_TABLE.sub("", markdown)
