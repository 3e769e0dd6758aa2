"""The environment-variable reference: every variable `branddocs env` lists, what it is for, its default."""

from __future__ import annotations

import re
from dataclasses import dataclass

from manual_macros.entry import run
from manual_macros.markdown import cell, inline_code

__all__ = ["Variable", "environment_variables", "variables"]

_LINE = re.compile(r"(?P<name>[A-Z][A-Z0-9_]*)\s+(?:set|unset)\s+(?P<rest>.*)")


@dataclass(frozen=True)
class Variable:
    """One line of `branddocs env`, less whether it is set where the manual was built."""

    name: str
    help: str
    default: str


def variables() -> list[Variable]:
    """Every variable `branddocs env` prints, in its order."""
    found = []
    for number, line in enumerate(run("env").splitlines(), 1):
        match = _LINE.fullmatch(line.strip())
        if not match:
            expected = "'NAME  set|unset  what it is for'"
            raise ValueError(f"`branddocs env`, line {number}: expected {expected}, found {line!r}")
        help_text, _, default = match["rest"].partition(" (default: ")
        found.append(Variable(match["name"], help_text, default.removesuffix(")")))
    return found


def environment_variables() -> str:
    """One table row per variable: its name (with an anchor), what it is for, its default."""
    rows = ["| Variable | What it is for | When unset |", "|---|---|---|"]
    for v in variables():
        rows.append(f'| <span id="{v.name}"></span>{inline_code(v.name)} | {cell(v.help)} | {cell(v.default)} |')
    return "\n".join(rows) + "\n"
