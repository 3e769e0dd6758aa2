"""What the built manual must hold, each check returning what is missing (an empty list: nothing).

The lists of what must be there come from the project as a user meets it, independently of how the manual
generates its pages: each command's `--help` as the installed `branddocs` prints it, the fields of
`branddocs schema`, the variables of `branddocs env`, the `EXIT_*` constants of branddocs.errors, and the
numbers in BENCHMARKS.md.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "HELP_ENV",
    "article",
    "cli_helps",
    "code_spans",
    "figures_not_in",
    "missing_codes",
    "missing_fields",
    "missing_helps",
    "missing_names",
    "pre_blocks",
    "schema_fields",
    "stale_uses",
    "uses",
]

HELP_ENV = {"COLUMNS": "100", "NO_COLOR": "1", "PYTHON_COLORS": "0"}
"""The width and colour `--help` is printed with, as the manual prints it (manual/manual_macros/entry.py)."""
# argparse lists a parser's sub-commands as `{a,b,c}` on a line of its own (under "positional arguments:", or
# a title of the CLI's choosing); a positional argument with choices looks the same, and is told apart by its
# `--help`, which is then not a command's.
_SUBCOMMANDS = re.compile(r"^\s+\{([\w,-]+)\}\s*$", re.MULTILINE)
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")
_FENCE = re.compile(r"^[ ]*(`{3,})(\w*)[^\n]*\n(.*?)^[ ]*\1[ ]*$", re.MULTILINE | re.DOTALL)
_SHELLS = {"", "sh", "bash", "console", "shell"}
# A command line: optional VAR=value words, a path to branddocs or not, then the command's words and options.
_USE = re.compile(r"^(?:\$ )?(?:[A-Z_][A-Z0-9_]*=\S* )*(?:\S*/)?branddocs (?P<rest>[a-z].*)$")
# A measured figure: a number with a unit of time, size, ratio or rate. Counts (brands, requests) and
# settings written as code (`1 GiB`, `60 s`) are not figures.
_FIGURE = re.compile(r"(?<![\w.,/-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?(?:ms|s|min|h|[KMGT]i?B|x|%|req/s|streams/s)"
                     r"(?![\w/])")  # fmt: skip


def cli_helps(branddocs: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`branddocs ... --help` for the top level and every command under it, keyed by the command line."""
    env = {**(os.environ if env is None else env), **HELP_ENV}
    helps: dict[str, str] = {}
    pending: list[tuple[str, ...]] = [()]
    while pending:
        words = pending.pop(0)
        name = " ".join(("branddocs", *words))
        done = subprocess.run([str(branddocs), *words, "--help"], env=env, capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
        if words and not done.stdout.startswith(f"usage: {name}"):
            continue  # a positional argument's choice, not a command
        assert done.returncode == 0, f"{name} --help: exit {done.returncode}\n{done.stderr}"
        helps[name] = done.stdout
        listed = dict.fromkeys(n for found in _SUBCOMMANDS.findall(done.stdout) for n in found.split(","))
        pending += [(*words, n) for n in listed if (*words, n) not in pending]
    return helps


def article(page: Path) -> str:
    """The HTML of a built page's article (navigation, header and footer left out)."""
    text = page.read_text(encoding="utf-8")
    start, end = text.find("<article"), text.find("</article>")
    assert start >= 0, f"{page}: no <article>"
    assert end > start, f"{page}: no </article>"
    return text[start:end]


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def pre_blocks(page: Path) -> list[str]:
    """The text of every code block of a built page, as a reader copies it."""
    return [_text(block).strip("\n") for block in re.findall(r"<pre[^>]*>(.*?)</pre>", article(page), re.DOTALL)]


def code_spans(page: Path) -> set[str]:
    """The text of every inline code span of a built page."""
    prose = re.sub(r"<pre[^>]*>.*?</pre>", "", article(page), flags=re.DOTALL)
    return {_text(span) for span in re.findall(r"<code[^>]*>(.*?)</code>", prose, re.DOTALL)}


def missing_helps(helps: Mapping[str, str], blocks: Iterable[str]) -> list[str]:
    """Each command whose `--help` is not a code block of the page exactly, naming the options the page lacks."""
    blocks = list(blocks)
    page = "\n".join(blocks)
    missing = []
    for command, text in helps.items():
        if text.strip("\n") not in blocks:
            absent = sorted({o for o in _OPTION.findall(text) if o not in page})
            missing.append(f"{command}: its --help is not in the manual as it prints" +
                           (f"; options missing: {', '.join(absent)}" if absent else ""))  # fmt: skip
    return missing


def schema_fields(schema: Mapping[str, Any], prefix: str = "", defs: Mapping[str, Any] | None = None) -> list[str]:
    """Every field of a brand file, dotted (`api.base_url`), from the JSON Schema `branddocs schema` prints."""
    defs = schema.get("$defs", {}) if defs is None else defs
    found = []
    for name, node in schema.get("properties", {}).items():
        found.append(f"{prefix}{name}")
        target = defs[node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node
        found += schema_fields(target, f"{prefix}{name}.", defs)
    return found


def missing_fields(schema: Mapping[str, Any], spans: set[str]) -> list[str]:
    """The schema's fields that are no code span of the page."""
    return [f for f in schema_fields(schema) if f not in spans]


def missing_names(names: Iterable[str], spans: set[str]) -> list[str]:
    """The names (environment variables, exit codes' constants) that are no code span of the page."""
    return [name for name in names if name not in spans]


def missing_codes(codes: Mapping[str, int], page: Path) -> list[str]:
    """Each `EXIT_*` constant whose name and value are not in one row of the page's table."""
    rows = [_text(row) for row in re.findall(r"<tr>(.*?)</tr>", article(page), re.DOTALL)]
    return [f"{name} = {code}" for name, code in codes.items()
            if not any(name in row and re.search(rf"(?<!\d){code}(?!\d)", row) for row in rows)]  # fmt: skip


def figures_not_in(pages: Iterable[Path], benchmarks: str) -> list[str]:
    """Each figure in the pages' prose (outside code) whose number BENCHMARKS.md does not have."""
    known = {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", benchmarks)}
    found = []
    for page in pages:
        prose = re.sub(r"<(pre|code)[^>]*>.*?</\1>", " ", article(page), flags=re.DOTALL)
        text = " ".join(_text(re.sub(r"<[^>]+>", " ", prose)).split())
        for match in _FIGURE.finditer(text):
            if match[1].replace(",", "") not in known:
                found.append(f"{page}: {match[0]!r} in '...{text[max(0, match.start() - 60) : match.end() + 20]}...'")
    return found


def uses(docs: Path) -> list[tuple[str, str]]:
    """(page, command line) for each `branddocs ...` line of a shell block or code span in the manual's sources."""
    found = []
    for page in sorted(docs.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        lines = [line for _, lang, body in _FENCE.findall(text) if lang in _SHELLS for line in body.splitlines()]
        lines += re.findall(r"(?<!`)`([^`\n]+)`(?!`)", _FENCE.sub("", text))
        for line in lines:
            match = _USE.match(line.split("  #")[0].strip())
            if match:
                found.append((str(page.relative_to(docs)), match["rest"]))
    return found


def stale_uses(found: Iterable[tuple[str, str]], helps: Mapping[str, str]) -> list[str]:
    """Each use naming a command `branddocs` does not have, or an option its command's `--help` does not list."""
    stale = []
    for page, rest in found:
        words, command = rest.split(" -- ")[0].split(), "branddocs"  # after --: pytest's options
        while words and f"{command} {words[0]}" in helps:
            command = f"{command} {words.pop(0)}"
        if command == "branddocs":
            stale.append(f"{page}: `branddocs {rest}`: no such command")
            continue
        absent = [o for w in words for o in _OPTION.findall(w.split("=")[0]) if o not in helps[command]]
        if absent:
            stale.append(f"{page}: `branddocs {rest}`: {command} has no {', '.join(absent)}")
    return stale
