"""One example's verdict: static checks, lint, the run (Python in-process through pytest-examples), outputs."""

from __future__ import annotations

import gc
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
from pytest_examples import CodeExample, EvalExample

from branddocs.examples.collect import Example
from branddocs.examples.responses import sample_problems
from branddocs.examples.runners import (
    ExampleFailure,
    Run,
    Target,
    check_run,
    lint_bash,
    prepare,
    run_bash,
    run_javascript,
    static_problems,
    traffic_and_output_problems,
)
from branddocs.examples.update import record_python_update, record_sample_update

__all__ = ["Checker"]


@dataclass
class Checker:
    """Checks examples inside one pytest test, with that test's fixtures."""

    target: Target
    eval_example: EvalExample
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    tmp_path: Path
    project_root: Path
    update: bool = False
    """`--update-examples`: record new outputs and samples for the templates instead of comparing."""

    def problems(self, example: Example) -> list[str]:
        """Every reason `example` is wrong; empty when it is right."""
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
            try:
                run, request_problems = self._run_block(example.request)
            except ExampleFailure as exc:
                run, request_problems = None, [str(exc)]
            found += [f"its request at line {example.request.line} failed: {p}" for p in request_problems]
            chats = [x for x in (run.exchanges if run else []) if x.path.endswith("/chat/completions")]
            actual = chats[-1] if chats else None
            if actual is not None and self.update:
                record_sample_update(example, actual)
                return []
        return found + sample_problems(example.lang, example.code, actual, self.target.exact)

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
            run = run_javascript(example, self.target, self.project_root)
        # Under --update-examples the Output block is what gets rewritten, not what the run must match.
        expected = example.output.code if example.output and not self.update else None
        return run, check_run(example, run, self.target, expected)

    def _python(self, example: Example) -> list[str]:
        """Run in this interpreter (no new process), prints captured and compared with the `#>` lines."""
        run, exact = prepare(example, self.target), self.target.exact
        for name, value in run.env.items():
            self.monkeypatch.setenv(name, value)
        # pytest-examples rewrites `path` itself under --update-examples: point it at a scratch copy of the
        # rendered block, never at the template (update.py grafts the new `#>` lines into the template).
        scratch = self.tmp_path / "rendered-example.py"
        scratch.write_text(run.code, encoding="utf-8")
        code = CodeExample.create(run.code, path=scratch, start_line=example.line, prefix="python")
        has_output_lines = "#>" in run.code
        found, module = [], {}
        try:
            if self.update and exact:
                module = self.eval_example.run_print_update(code)
                record_python_update(example, code.source)
            elif exact and has_output_lines:
                module = self.eval_example.run_print_check(code)
            else:
                module = self.eval_example.run(code)
                run.stdout = self.capsys.readouterr().out
        except pytest.fail.Exception as exc:  # pytest-examples' own "print output changed" report
            found.append(str(exc))
        except Exception as exc:
            found.append(f"raised {type(exc).__name__}: {exc}")
        _close_clients(module, code.module_name)
        run.exchanges = self.target.proxy.exchanges(run.token)
        if exact:
            # pytest-examples held the prints back: the `#>` comparison above has judged the output.
            run.stdout = "(compared with the #> lines)"
        found += traffic_and_output_problems(run)
        if exact and not has_output_lines and not self.update:
            found.append("has no `#>` output lines: print the reply and write what it prints below the print() call")
        return found


def _close_clients(module: dict, module_name: str) -> None:
    # Readers' code leaves its OpenAI client open for the process's life; close it here rather than meet
    # it as an "unclosed socket" warning at the end of the session.
    for value in module.values():
        if isinstance(value, openai.OpenAI):
            value.close()
    sys.modules.pop(module_name, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
