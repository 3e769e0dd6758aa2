"""Figures from BENCHMARKS.md (written by `make bench`, bench/report.py), never typed into the manual.

A section is found by the benchmark that printed it (`bench/scale.py` opens the "Build at scale" section), so a
renamed title does not break a page; a section or a figure that is not there stops the build, naming both.
"""

from __future__ import annotations

import re
from pathlib import Path

from manual_macros.markdown import fenced

__all__ = ["BENCHMARKS", "bench_cell", "bench_figure", "bench_section", "section"]

BENCHMARKS = Path(__file__).resolve().parents[2] / "BENCHMARKS.md"


def section(bench: str, path: Path = BENCHMARKS) -> tuple[str, str]:
    """The heading line and the body of the section `bench/<bench>.py` wrote; `<bench>-user`: the one it wrote when
    an ordinary user ran it (its heading ends "as an ordinary user")."""
    text = path.read_text(encoding="utf-8")
    script, by_user = bench.removesuffix("-user"), bench.endswith("-user")
    for part in re.split(r"^(?=## )", text, flags=re.MULTILINE)[1:]:
        heading, _, body = part.partition("\n")
        mine = heading.rstrip().endswith("as an ordinary user") == by_user
        if mine and re.match(rf"`bench/{re.escape(script)}\.py[ `]", body.lstrip()):
            return heading.removeprefix("## ").strip(), body.strip()
    raise KeyError(f"{path.name} has no section written by bench/{bench}.py (run `make bench BENCHES={bench}`)")


def bench_section(bench: str) -> str:
    """The section as BENCHMARKS.md has it: the line naming the commit, date, load and goal, then the figures."""
    title, body = section(bench)
    intro, _, rest = body.partition("```text\n")
    figures = rest.rpartition("```")[0]
    return f'!!! info "From BENCHMARKS.md: {title}"\n\n' + _indent(f"{intro.strip()}\n\n{fenced(figures)}")


def bench_figure(bench: str, pattern: str, group: int = 1) -> str:
    """One figure of a section: the `group` of the first match of `pattern` (a regular expression)."""
    _, body = section(bench)
    match = re.search(pattern, body, flags=re.MULTILINE)
    if not match:
        raise KeyError(f"BENCHMARKS.md, section of bench/{bench}.py: nothing matches {pattern!r}")
    return match.group(group)


def bench_cell(bench: str, row: str, column: int) -> str:
    """Field `column` (1 is the row's own first field) of the first line of figures whose first field is `row`."""
    _, body = section(bench)
    for line in body.splitlines():
        words = line.split()
        if words and words[0] == row:
            if column > len(words):
                raise KeyError(f"BENCHMARKS.md, bench/{bench}.py's row {row!r} has {len(words)} fields, not {column}")
            return words[column - 1]
    raise KeyError(f"BENCHMARKS.md, section of bench/{bench}.py: no line starts with {row!r}")


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())
