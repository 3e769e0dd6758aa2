"""Free text on llms.txt's own lines (its `#` title and `>` description), which readers read raw as often as
rendered: escaped with backslashes (`text.markdown_line`), never character references.

Mechanism: the same allow-list of inert characters as `markdown_text` (what may start Markdown syntax is escaped),
with a backslash instead of a reference, where nothing but Markdown reads the line. Property (hypothesis): for any
value, in a heading and in a block quote, CommonMark makes no structure of it and renders it back as the value;
and the raw line shows no character reference for a printable character. The negative: `markdown_text` (the
printer before) shows `&#39;` for `'` in the raw line, and printing the value as it is makes structure.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from branddocs import text

from ..support.project import run_branddocs, scratch_project

_MD = MarkdownIt("commonmark").enable("table")
META = ["#", "##", "- ", "+ ", "* ", "1. ", "2) ", "> ", "=== ", "!!! ", "? ", ": ", "```", "~~~", "|", "---",
        "`", "*", "_", "__", "[", "]", "(", ")", "!", "<", ">", "&", "&amp;", "&#39;", "&copy;", "\\", "    ", "{",
        "}", "~", "^", "'", '"', "<https://phish.example/>", "[x](https://phish.example/)", "a_b", "_a_"]  # fmt: skip
_CHARS = st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"])  # what free text may hold (grammar.free_text)
VALUES = st.one_of(
    st.text(_CHARS, max_size=24),
    st.lists(st.one_of(st.sampled_from(META), st.text(_CHARS, max_size=3)), max_size=6).map("".join),
)
LINES = {"title": "# {} Learning Guide\n", "description": "# Title\n\n> {}\n\n## Pages\n"}


def _tokens(markdown: str) -> list[str]:
    return [t.type for token in _MD.parse(markdown) for t in (token, *(token.children or []))]


def _rendered_text(markdown: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", _MD.render(markdown)))


@settings(max_examples=300, deadline=None)
@given(value=VALUES.filter(lambda v: v.strip() == v and v), where=st.sampled_from(sorted(LINES)))
def test_a_value_on_a_line_of_llms_txt_makes_no_structure_and_reads_as_written(value: str, where: str) -> None:
    line = LINES[where]
    printed = line.format(text.markdown_line(value))
    assert _tokens(printed) == _tokens(line.format("plaintext")), printed
    assert _rendered_text(printed) == _rendered_text(line.format("plaintext")).replace("plaintext", value), printed
    # Raw, a printable character is itself, behind a backslash at most: no reference for a reader to decode.
    if all(c.isprintable() for c in value):
        assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text.markdown_line(value)) == value


def test_the_negative_references_show_raw_and_an_unescaped_value_makes_structure() -> None:
    assert text.markdown_text("Acme's") == "Acme&#39;s"  # correct Markdown, but a raw reader sees the reference
    assert text.markdown_line("Acme's") == "Acme's"
    assert text.markdown_line("Brightline & Co. *x* [a](b) &amp;") == "Brightline & Co. \\*x\\* \\[a\\](b) \\&amp;"
    for value in ("[x](https://phish.example/)", "*a*", "<b>x</b>", "`c`"):
        assert _tokens(f"> {value}\n") != _tokens("> plaintext\n"), value


@pytest.mark.slow
def test_llms_txt_says_the_description_as_written(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    done = run_branddocs("build", "--brand", "acme", "--site-dir", str(tmp_path / "site"), cwd=project.root)
    assert done.returncode == 0, done.stdout + done.stderr
    llms = (tmp_path / "site" / "acme" / "llms.txt").read_text(encoding="utf-8")
    assert "\n> How to call Acme Cloud's serverless LLM endpoints\n" in llms, llms[:300]
    assert "&#" not in llms
