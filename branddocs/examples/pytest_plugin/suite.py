"""The example checks as a pytest test: every example of every selected brand, run as a reader would copy it.

`branddocs check` runs this file; a project's own tests can import `test_example` and `pytest_generate_tests`
from here (this repository's tests/test_examples.py does). Ids read `<brand>::<page>.md:<line>::<language>`;
failures name the template file and line. Options come from branddocs' pytest plugin (this folder).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_examples import EvalExample

from branddocs import text
from branddocs.examples.example import Example
from branddocs.examples.judge.claims import table_problems
from branddocs.examples.judge.verdict import Checker
from branddocs.examples.judge.wire_claims import claims_problems
from branddocs.examples.languages.base import for_fence
from branddocs.examples.pytest_plugin.share import CollectionProblem, collected_examples
from branddocs.examples.run.process import Target
from branddocs.site import Project

__all__ = ["pytest_generate_tests", "test_example"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "example" in metafunc.fixturenames:
        examples = collected_examples(metafunc.config, Project.find())
        metafunc.parametrize("example", examples, ids=[e.id for e in examples])


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_example(
    example: Example,
    endpoint_target: Target,
    tmp_path: Path,
    eval_example: EvalExample,
    request: pytest.FixtureRequest,
) -> None:
    if isinstance(example, CollectionProblem):
        pytest.fail(_terminal(f"branddocs: {example.message}"), pytrace=False)
    request.node.user_properties += [("brand", example.brand.id), ("language", example.lang)]
    mode = example.settings.get("test")
    if mode == "skip":
        pytest.skip(f"{example.where}: {example.settings['reason']}")
    if mode == "xfail":
        request.applymarker(pytest.mark.xfail(reason=example.settings["reason"], strict=True))
    language = for_fence(example.lang) if example.kind == "run" else None
    missing = language.missing(Project.find().root) if language else ""
    if missing:  # said once in the header too; the example is not at fault, but the run is incomplete (exit 14)
        request.node.user_properties.append(("not_run", missing))
        pytest.skip(f"{example.where}: not run: {missing}")
    checker = Checker(endpoint_target, eval_example, tmp_path, Project.find().root,
                      update=bool(request.config.getoption("update_examples")))  # fmt: skip
    if example.kind == "errors":  # the guide's error table: each row tried against the platform
        problems = table_problems(example, checker)
        what = "error table's claims are"
    elif example.kind == "claims":  # a line of prose saying how the wire looks: tried against the platform
        problems = claims_problems(example, checker)
        what = "prose's claims about the wire are"
    else:
        problems = checker.problems(example)
        what = f"{example.lang} example is"
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        pytest.fail(_terminal(f"{example.where}: the {what} wrong:\n{listed}"), pytrace=False)


def _terminal(message: str) -> str:
    """`message` as the terminal and a CI log get it: what an example printed and what the platform answered are
    hostile text (ESC and OSC sequences, `::error` lines), so each line, split at `\n` alone (a `\r` in the
    text starts no line), goes through the terminal printer."""
    return "\n".join(text.terminal_line(line) for line in message.split("\n"))
