"""Every example of every brand, run as a reader would copy it, against the endpoint under test.

Ids read `<brand>::<page>.md:<line>::<language>`; failures name the template file and line.
"""

from __future__ import annotations

import gc
import sys
import warnings
from pathlib import Path

import openai
import pytest
from pytest_examples import CodeExample, EvalExample

from branddocs.examples.collect import Example
from branddocs.examples.pytest_plugin import collected_examples
from branddocs.examples.responses import exchange_problems, sample_problems
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
)
from branddocs.examples.update import record_python_update, record_sample_update
from branddocs.site import Project


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "example" in metafunc.fixturenames:
        examples = collected_examples(metafunc.config, Project.find())
        metafunc.parametrize("example", examples, ids=[e.id for e in examples])


def _fail(example: Example, problems: list[str]) -> None:
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        pytest.fail(f"{example.where}: the {example.lang} example is wrong:\n{listed}", pytrace=False)


def _python(example: Example, target: Target, eval_example: EvalExample, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str], tmp_path: Path) -> list[str]:  # fmt: skip
    run = prepare(example, target)
    for name, value in run.env.items():
        monkeypatch.setenv(name, value)
    # pytest-examples rewrites `path` itself under --update-examples: point it at a scratch copy of the rendered
    # block, never at the template (branddocs grafts the new `#>` lines into the template itself).
    scratch = tmp_path / "rendered-example.py"
    scratch.write_text(run.code, encoding="utf-8")
    code = CodeExample.create(run.code, path=scratch, start_line=example.line, prefix="python")
    problems = []
    has_output_lines = "#>" in run.code
    module: dict = {}
    try:
        if eval_example.update_examples and target.exact:
            module = eval_example.run_print_update(code)
            record_python_update(example, code.source)
        elif target.exact and has_output_lines:
            module = eval_example.run_print_check(code)
        else:
            module = eval_example.run(code)
            run.stdout = capsys.readouterr().out
    except pytest.fail.Exception as exc:  # pytest-examples' own "print output changed" report
        problems.append(str(exc))
    except Exception as exc:
        problems.append(f"raised {type(exc).__name__}: {exc}")
    # Readers' code leaves its OpenAI client open for the process's life; close it here rather than
    # meet it as an "unclosed socket" warning at the end of the session.
    for value in module.values():
        if isinstance(value, openai.OpenAI):
            value.close()
    sys.modules.pop(code.module_name, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    run.exchanges = target.proxy.exchanges(run.token)
    if not run.exchanges:
        problems.append("made no request to the endpoint")
    for exchange in run.exchanges:
        problems += exchange_problems(exchange)
    if target.exact and not has_output_lines and not eval_example.update_examples:
        problems.append("has no `#>` output lines: print the reply and write what it prints below the print() call")
    elif not target.exact and run.stdout.strip() in ("", "None"):
        problems.append(f"printed {run.stdout.strip() or 'nothing'!r} where a reader expects the model's reply")
    return problems


def _lint(example: Example, eval_example: EvalExample, tmp_path: Path) -> list[str]:
    """ruff (through pytest-examples) for Python, shellcheck for bash; `lint="skip"` turns it off."""
    if example.settings.get("lint") == "skip":
        return []
    if example.lang == "bash":
        return lint_bash(example, tmp_path)
    if example.lang == "python":
        eval_example.set_config(target_version="py311", line_length=120, ruff_ignore=["E501"])
        code = CodeExample.create(example.code, path=tmp_path / "lint.py", start_line=example.line, prefix="python")
        try:
            eval_example.lint_ruff(code)
        except pytest.fail.Exception as exc:
            return [f"ruff: {exc}"]
    return []


def _run_block(example: Example, target: Target, tmp_path: Path) -> tuple[Run, list[str]]:
    if example.lang == "bash":
        run = run_bash(example, target, tmp_path)
    else:
        run = run_javascript(example, target, Project.find().root)
    expected = example.output.code if example.output else None
    return run, check_run(example, run, target, expected)


@pytest.mark.timeout(180)
@pytest.mark.filterwarnings("ignore::ResourceWarning")  # readers' examples never close their clients
def test_example(
    example: Example,
    endpoint_target: Target,
    tmp_path: Path,
    eval_example: EvalExample,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    request.node.user_properties += [("brand", example.brand.id), ("language", example.lang)]
    mode = example.settings.get("test")
    if mode == "skip":
        pytest.skip(f"{example.where}: {example.settings['reason']}")
    if mode == "xfail":
        request.applymarker(pytest.mark.xfail(reason=example.settings["reason"], strict=True))
    target = endpoint_target

    if example.kind == "sample":
        actual, problems = None, []
        if example.request is not None:
            try:
                run, request_problems = _run_block(example.request, target, tmp_path)
            except ExampleFailure as exc:
                run, request_problems = None, [str(exc)]
            problems += [f"its request at line {example.request.line} failed: {p}" for p in request_problems]
            chats = [x for x in (run.exchanges if run else []) if x.path.endswith("/chat/completions")]
            actual = chats[-1] if chats else None
            if actual is not None and example.request is not None and request.config.getoption("update_examples"):
                record_sample_update(example, actual)
                return
        problems += sample_problems(example.lang, example.code, actual, target.exact)
        _fail(example, problems)
        return

    problems = static_problems(example) + _lint(example, eval_example, tmp_path)
    if problems:
        _fail(example, [*problems, "(not run)"])
    if example.lang == "python":
        _fail(example, _python(example, target, eval_example, monkeypatch, capsys, tmp_path))
        return
    try:
        run, problems = _run_block(example, target, tmp_path)
    except ExampleFailure as exc:
        problems = [str(exc)]
    else:
        if example.output and request.config.getoption("update_examples") and target.exact:
            record_sample_update(example, None, stdout=run.stdout)
    _fail(example, problems)
