"""One example's verdict: static checks, lint, the run (each in a process of its own), outputs and samples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_examples import CodeExample, EvalExample
from pytest_examples.config import ExamplesConfig
from pytest_examples.run_code import Arg, InsertPrintStatements, PrintStatement

from branddocs.examples.collect import Example
from branddocs.examples.features import feature_problems
from branddocs.examples.responses import sample_problems
from branddocs.examples.runners import (
    ExampleFailure,
    Run,
    Target,
    check_run,
    lint_bash,
    run_bash,
    run_javascript,
    run_python,
    static_problems,
    traffic_and_output_problems,
)
from branddocs.examples.update import record_python_update, record_sample_update

__all__ = ["Checker", "output_line_mismatches"]


@dataclass
class Checker:
    """Checks examples inside one pytest test, with that test's fixtures."""

    target: Target
    eval_example: EvalExample
    tmp_path: Path
    project_root: Path
    update: bool = False
    """`--update-examples`: record new outputs and samples for the templates instead of comparing."""

    def problems(self, example: Example) -> list[str]:
        """Every reason `example` is wrong; empty when it is right."""
        if found := feature_problems(example):
            return [*found, "(not run)"]
        if example.kind == "sample":
            return self._sample(example)
        found = static_problems(example) + self._lint(example)
        if found:
            return [*found, "(not run)"]
        if example.lang == "python":
            return self._python(example)
        try:
            run, found = self._run_block(example)
        except ExampleFailure as exc:
            return [str(exc)]
        if example.output and self.update and self.target.exact:
            record_sample_update(example, None, stdout=run.stdout)
        return found

    def _sample(self, example: Example) -> list[str]:
        actual, found = None, []
        if example.request is not None:
            # The request's own static problems (a foreign URL above all) mean it is never run, here either.
            blocked = static_problems(example.request)
            try:
                run, request_problems = (None, blocked) if blocked else self._run_block(example.request)
            except ExampleFailure as exc:
                run, request_problems = None, [str(exc)]
            found += [f"its request at line {example.request.line} failed: {p}" for p in request_problems]
            chats = [x for x in (run.exchanges if run else []) if x.path.endswith("/chat/completions")]
            actual = chats[-1] if chats else None
            if actual is not None and self.update:
                record_sample_update(example, actual)
                return []
        if found:  # a broken response is no yardstick: the sample is judged on its own
            actual = None
        return found + sample_problems(example.lang, example.code, actual, self.target.exact, self.target.conformance)

    def _lint(self, example: Example) -> list[str]:
        """ruff (through pytest-examples) for Python, shellcheck for bash; `lint="skip"` turns it off."""
        if example.settings.get("lint") == "skip":
            return []
        if example.lang == "bash":
            return lint_bash(example, self.tmp_path)
        if example.lang == "python":
            self.eval_example.set_config(target_version="py311", line_length=120, ruff_ignore=["E501"])
            code = CodeExample.create(example.code, path=self.tmp_path / "lint.py", start_line=example.line)
            try:
                self.eval_example.lint_ruff(code)
            except pytest.fail.Exception as exc:
                return [f"ruff: {exc}"]
        return []

    def _run_block(self, example: Example) -> tuple[Run, list[str]]:
        if example.lang == "bash":
            run = run_bash(example, self.target, self.tmp_path)
        else:
            run = run_javascript(example, self.target, self.project_root, self.tmp_path)
        # Under --update-examples the Output block is what gets rewritten, not what the run must match.
        expected = example.output.code if example.output and not self.update else None
        return run, check_run(example, run, self.target, expected)

    def _python(self, example: Example) -> list[str]:
        """Run in an interpreter of its own; against the reference endpoint, prints are compared with `#>`."""
        exact, has_output_lines = self.target.exact, "#>" in example.code
        try:
            run, result = run_python(example, self.target, self.tmp_path, "check" if exact else "plain")
        except ExampleFailure as exc:
            return [str(exc)]
        found = []
        if result["error"]:
            error, line = result["error"], result["error"]["line"]
            where = f"{example.shown}:{example.line + line}" if line else example.where
            found.append(f"raised {error['type']} at {where}: {error['message']}")
        if exact:
            run.stdout, updated = _printed_and_updated(self.tmp_path / "example.py", run.code, result["prints"])
            if result["error"]:
                updated = None
            if updated is not None and self.update:
                record_python_update(example, updated)
            elif updated is not None and has_output_lines:
                found += output_line_mismatches(example, run.code, updated)
        found += traffic_and_output_problems(run, self.target)
        if exact and not has_output_lines and not self.update:
            found.append("has no `#>` output lines: print the reply and write what it prints below the print() call")
        return found


def _printed_and_updated(path: Path, source: str, prints: list[dict]) -> tuple[str, str]:
    """What the example printed, and its source with the `#>` lines those prints give, as pytest-examples writes
    them (the example's process recorded the prints; pytest-examples, loaded here already, lays them out)."""
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
