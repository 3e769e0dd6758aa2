"""Printing the project's own text into the manual's Markdown: table cells and code blocks."""

from __future__ import annotations

import html
import re

__all__ = ["cell", "fenced", "inline_code"]

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def _prose(text: str) -> str:
    # Outside code spans: HTML's and Markdown's active characters print as themselves (`brands/<id>.yml`
    # written without backticks must not become an HTML tag), and a pipe must not end the table cell.
    escaped = html.escape(text, quote=False)
    return re.sub(r"([|*_\[\]\\])", r"\\\1", escaped)


def cell(text: str) -> str:
    """`text` (a help string, a description: Markdown code spans kept) as one Markdown table cell."""
    text = " ".join(text.split())
    parts, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_prose(text[last : match.start()]))
        parts.append(inline_code(match.group(2)))
        last = match.end()
    parts.append(_prose(text[last:]))
    return "".join(parts)


def inline_code(text: str) -> str:
    """`text` as a code span: backticks enough to hold it (Python-Markdown's tables do not split on a pipe in one)."""
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, language: str = "text") -> str:
    """`text` verbatim in a fenced code block, with a fence longer than any backtick run in it."""
    fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"
