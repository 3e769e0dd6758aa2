"""CI least privilege: every workflow's token is read-only unless a job says why, and no checkout leaves it on disk.

A pull request's code runs in CI; with a write token in `.git/config` (actions/checkout's default) that code
could push. Each workflow declares `permissions: contents: read` at the top (a job may widen its own) and each
`actions/checkout` step sets `persist-credentials: false`. Negatives: workflows without them fail the check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def _triggers(workflow: dict[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def workflow_problems(text: str) -> list[str]:
    """Why a workflow's token is more than it needs to be, or left behind; empty when it is not."""
    workflow = yaml.safe_load(text) or {}
    problems = []
    if workflow.get("permissions") != {"contents": "read"}:
        problems.append(f"expected top-level `permissions: contents: read`, found {workflow.get('permissions')!r}")
    triggers = _triggers(workflow)
    if "pull_request_target" in (triggers if isinstance(triggers, (dict, list)) else [triggers]):
        problems.append("expected no pull_request_target trigger (it runs a fork's code with the base's secrets)")
    if "secrets." in text:
        problems.append("expected no secret passed to a job: a pull request's code would read it")
    for job_id, job in (workflow.get("jobs") or {}).items():
        for step in job.get("steps") or []:
            checkout = str(step.get("uses", "")).startswith("actions/checkout@")
            if checkout and (step.get("with") or {}).get("persist-credentials") is not False:
                problems.append(f"job {job_id}: expected `persist-credentials: false` on actions/checkout")
    return problems


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_has_a_read_only_token_left_nowhere(workflow: Path) -> None:
    assert workflow_problems(workflow.read_text(encoding="utf-8")) == []


def test_there_are_workflows_to_check() -> None:
    assert len(WORKFLOWS) >= 5


LAX = """
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""


def test_a_workflow_without_permissions_or_persist_credentials_fails() -> None:
    assert workflow_problems(LAX) == [
        "expected top-level `permissions: contents: read`, found None",
        "job build: expected `persist-credentials: false` on actions/checkout",
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("on: [push, pull_request]", "on: [pull_request_target]"), "no pull_request_target"),
        (("      - run: make test", "      - run: make test\n        env: {T: '${{ secrets.KEY }}'}"), "no secret"),
        (("jobs:", "permissions: write-all\njobs:"), "found 'write-all'"),
        (("jobs:", "permissions:\n  contents: write\njobs:"), "found {'contents': 'write'}"),
        (("persist-credentials: false", "persist-credentials: true"), "persist-credentials"),
    ],
)
def test_each_widening_fails(change: tuple[str, str], problem: str) -> None:
    fixed = "permissions:\n  contents: read\n" + LAX.replace(
        "- uses: actions/checkout@v4", "- uses: actions/checkout@v4\n        with: {persist-credentials: false}"
    )
    assert workflow_problems(fixed) == []
    broken = fixed.replace(*change, 1) if change[0] != "jobs:" else LAX.replace(*change, 1)
    assert any(problem in p for p in workflow_problems(broken)), workflow_problems(broken)
