"""Every example of every brand, run as a reader would copy it, against the endpoint under test.

Ids read `<brand>::<page>.md:<line>::<language>`; failures name the template file and line.
The checks themselves live in branddocs/examples/ (check.py, runners.py, responses.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_examples import EvalExample

from branddocs.examples.check import Checker
from branddocs.examples.collect import Example
from branddocs.examples.pytest_plugin import collected_examples
from branddocs.examples.runners import Target
from branddocs.site import Project


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "example" in metafunc.fixturenames:
        examples = collected_examples(metafunc.config, Project.find())
        metafunc.parametrize("example", examples, ids=[e.id for e in examples])


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
    checker = Checker(endpoint_target, eval_example, monkeypatch, capsys, tmp_path, Project.find().root,
                      update=bool(request.config.getoption("update_examples")))  # fmt: skip
    problems = checker.problems(example)
    if problems:
        listed = "\n".join(f"  - {p}" for p in problems)
        pytest.fail(f"{example.where}: the {example.lang} example is wrong:\n{listed}", pytrace=False)
