"""Python examples: the `openai` package, linted with ruff, run in an interpreter of their own, `#>` lines compared.

Each example runs in its own process (`python -I run/python_child.py`, or in the sandbox as root a process forked for
it alone by a zygote that imported `openai` once: pool.py), which records what each `print()` printed;
pytest-examples, in the checks' process, lays the prints out as `#>` lines (its convention) to compare with
the template's, or to write into it under `--update-examples`.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from branddocs.examples.example import Example
from branddocs.examples.languages.base import Context, Language
from branddocs.examples.run import sandbox
from branddocs.examples.run.pool import PYTHON_CHILD, PoolError, Zygote
from branddocs.examples.run.process import (
    ExampleFailure,
    Run,
    example_python,
    execute,
    finish,
    prepare,
    traffic_and_output_problems,
    workdir,
)
from branddocs.examples.update import record_python_update

__all__ = ["LANGUAGE", "Python", "output_line_mismatches"]

_WHOLE = {"model_dump", "model_dump_json", "to_dict", "to_json", "json", "dict"}
"""Methods that turn a whole response into output: the example then reads every field."""


class Python(Language):
    name = "python"
    aliases = ("py", "python3")
    env_reads = re.compile(r"""os\.(?:getenv|environ\.get|environ)\s*[\(\[]\s*(?P<q>["'])(?P<qname>.*?)(?P=q)""")
    stream = re.compile(r"\bstream\s*=\s*True\b")

    def request_fields(self, code: str) -> list[str]:
        """The keyword arguments of every `.create(...)` call."""
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return []
        return [
            kw.arg
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "create"
            for kw in node.keywords
            if kw.arg
        ]

    def reads(self, code: str) -> frozenset[str] | None:
        """Every attribute, string subscript, `getattr(x, "name")` and `.get("name")` in the code; None when it
        dumps a whole object (`model_dump_json()`) or cannot be parsed."""
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return None
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                if node.attr in _WHOLE:
                    return None
                names.add(node.attr)
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                names.add(node.slice.value)
            elif isinstance(node, ast.Call) and len(node.args) >= 1:
                getter = isinstance(node.func, ast.Name) and node.func.id == "getattr"
                method = isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                arg = node.args[1 if getter else 0] if len(node.args) > int(getter) else None
                if (getter or method) and isinstance(arg, ast.Constant):
                    names.add(arg.value)
        return frozenset(n for n in names if isinstance(n, str))

    def lint(self, example: Example, context: Context) -> list[str]:
        """ruff, through pytest-examples."""
        import pytest
        from pytest_examples import CodeExample

        assert context.eval_example is not None, "Python examples are linted with pytest-examples' fixture"
        context.eval_example.set_config(target_version="py311", line_length=120, ruff_ignore=["E501"])
        code = CodeExample.create(example.code, path=context.tmp_path / "lint.py", start_line=example.line)
        try:
            context.eval_example.lint_ruff(code)
        except pytest.fail.Exception as exc:
            return [f"ruff: {exc}"]
        return []

    def run(self, example: Example, context: Context) -> Run:
        return self._run(example, context, "plain")[0]

    def _run(self, example: Example, context: Context, mode: str) -> tuple[Run, dict]:
        """Run in its own process (python_child.py); `mode` "check" records prints for `#>`."""
        target, tmp = context.target, context.tmp_path
        python = example_python()
        if target.pool is not None:  # in the sandbox
            return self._forked(example, context, mode, target.pool.zygote(python))
        run = prepare(example, target, workdir(tmp, target))
        script, result = tmp / "example.py", tmp / "result.json"
        script.write_text(run.code, encoding="utf-8")
        result.unlink(missing_ok=True)
        execute([python, "-I", str(PYTHON_CHILD), str(script), str(result), mode], run, target, tmp)
        if not result.exists():
            tail = "\n".join(run.stderr.strip().splitlines()[-8:])
            raise ExampleFailure(f"the Python process ended without a result (status {run.returncode}):\n{tail}")
        return run, json.loads(result.read_text(encoding="utf-8"))

    def _forked(self, example: Example, context: Context, mode: str, zygote: Zygote) -> tuple[Run, dict]:
        """Run as an isolation unit forked for it alone by the sandbox's zygote, which imported `openai` once."""
        target = context.target
        run = prepare(example, target, workdir(context.tmp_path, target))
        (context.tmp_path / "example.py").write_text(run.code, encoding="utf-8")  # kept for the reader
        with zygote.pool.unit() as unit:  # given back once finish() has had the unit's end
            finish(zygote.fork(unit, run.env, run.code, mode), run, target)
        try:
            return run, json.loads(run.result)
        except ValueError:
            tail = "\n".join(run.stderr.strip().splitlines()[-8:])
            raise ExampleFailure(
                f"the Python process ended without a result (status {run.returncode}):\n{tail}"
            ) from None

    def verdict(self, example: Example, context: Context) -> list[str]:
        """Run in an interpreter of its own; against the reference endpoint, prints are compared with `#>`."""
        exact, has_output_lines = context.target.exact, "#>" in example.code
        try:
            run, result = self._run(example, context, "check" if exact else "plain")
        except (ExampleFailure, PoolError, sandbox.StartError) as exc:  # a start-up failure says what failed
            return [str(exc)]
        run.reads = self.reads(example.code)
        found = []
        if result["error"]:
            error, line = result["error"], result["error"]["line"]
            where = f"{example.shown}:{example.line + line}" if line else example.where
            found.append(f"raised {error['type']} at {where}: {error['message']}")
        if exact:
            run.stdout, updated = _printed_and_updated(context.tmp_path / "example.py", run.code, result["prints"])
            if result["error"]:
                updated = None
            if updated is not None and context.update:
                record_python_update(example, updated)
            elif updated is not None and has_output_lines:
                found += output_line_mismatches(example, run.code, updated)
        found += traffic_and_output_problems(run, context.target)
        if exact and not has_output_lines and not context.update:
            found.append("has no `#>` output lines: print the reply and write what it prints below the print() call")
        return found


def _printed_and_updated(path: Path, source: str, prints: list[dict]) -> tuple[str, str]:
    """What the example printed, and its source with the `#>` lines those prints give, as pytest-examples writes
    them (the example's process recorded the prints; pytest-examples, loaded here already, lays them out)."""
    # pytest-examples (and black, which it imports) only under pytest: `branddocs check` loads the languages to
    # check fences before anything runs, and pays for neither.
    from pytest_examples import CodeExample
    from pytest_examples.config import ExamplesConfig
    from pytest_examples.run_code import Arg, InsertPrintStatements, PrintStatement

    statements = []
    for call in prints:
        args = []
        for text, is_str in call["args"]:
            arg = Arg.__new__(Arg)  # Arg(value) would re-render the value; the child sent it as text
            arg.data, arg.is_str = text, is_str
            args.append(arg)
        statements.append(PrintStatement(call["line"], call["sep"], args))
    recorder = InsertPrintStatements(path, ExamplesConfig(line_length=120, target_version="py311"), True, None, None)
    recorder.print_func.statements = statements
    printed = "".join(str(s) + "\n" for s in statements)
    return printed, recorder.updated_print_statements(CodeExample.create(source, path=path)) or source


def _output_lines(source: str) -> tuple[int, dict[int, list[str]]]:
    """How many code lines `source` has, and {code line index: the `#>` lines below it}."""
    count, outputs = 0, {}
    for line in source.splitlines():
        if line.lstrip().startswith("#>"):
            outputs.setdefault(count - 1, []).append(line.strip().removeprefix("#>").strip())
        else:
            count += 1
    return count, outputs


def output_line_mismatches(example: Example, run_code: str, updated: str) -> list[str]:
    """Each print whose output differs from its `#>` lines, at its template line, in template text."""
    _, expected = _output_lines(run_code)
    _, printed = _output_lines(updated)
    lines = example.template_code.splitlines()
    template = [(offset, text) for offset, text in enumerate(lines) if not text.lstrip().startswith("#>")]
    problems = []
    for index in sorted(set(expected) | set(printed)):
        if expected.get(index) == printed.get(index):
            continue
        offset, text = template[index] if 0 <= index < len(template) else (-1, "")
        said = "\n      ".join(expected.get(index, [])) or "(nothing: no #> lines)"
        got = "\n      ".join(printed.get(index, [])) or "(nothing)"
        problems.append(
            f"{example.shown}:{example.line + 1 + offset}: `{text.strip()}` printed:\n      {got}\n"
            f"    but the `#>` lines below it say:\n      {said}\n"
            "    (fix the #> lines, or run `branddocs check --update-examples` against the reference endpoint)"
        )
    return problems


LANGUAGE = Python()
