"""The exit-code reference: each `EXIT_*` constant of branddocs/errors.py, its value and its docstring."""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass

from manual_macros.markdown import cell, inline_code

__all__ = ["ExitCode", "exit_code_list", "exit_codes"]


@dataclass(frozen=True)
class ExitCode:
    """One exit code the command line gives."""

    code: int
    name: str
    meaning: str


def exit_code_list() -> list[ExitCode]:
    """Every `EXIT_NAME = N` of branddocs.errors with the docstring under it (a constant without one is an error)."""
    module = importlib.import_module("branddocs.errors")
    body = ast.parse(inspect.getsource(module)).body
    found = []
    for statement, after in zip(body, [*body[1:], None], strict=True):
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            continue
        target = statement.targets[0]
        if not (isinstance(target, ast.Name) and target.id.startswith("EXIT_")):
            continue
        doc = after.value.value if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) else None
        if not isinstance(doc, str):
            raise ValueError(f"{module.__file__}:{statement.lineno}: {target.id} has no docstring under it")
        found.append(ExitCode(getattr(module, target.id), target.id, " ".join(doc.split())))
    return sorted(found, key=lambda e: e.code)


def exit_codes() -> str:
    """One table row per exit code, 0 first."""
    rows = ["| Code | Name in branddocs/errors.py | Meaning |", "|---|---|---|"]
    rows.append("| 0 | | Everything asked for was done. |")
    rows += [f"| {e.code} | {inline_code(e.name)} | {cell(e.meaning)} |" for e in exit_code_list()]
    return "\n".join(rows) + "\n"
