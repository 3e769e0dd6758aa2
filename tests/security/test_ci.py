"""CI least privilege: every job's token is read-only unless the allow-list says why, no checkout leaves it on
disk, no `run:` script is built from event data or holds the token, every action is pinned by commit.

A pull request's code runs in CI; with a write token in `.git/config` (actions/checkout's default) that code
could push. Each workflow declares `permissions: contents: read` at the top and each job's effective permissions
(its own block, else the workflow's) must be that or an entry of JOB_PERMISSIONS with its reason. A checkout is
any step that fetches code: `actions/checkout` however it is spelt, a local wrapper action (`./...`), or a `run:`
with `git clone`/`fetch`/`remote`; each must set `persist-credentials: false` (actions) or hold no credential
(scripts). A `run:` script may expand only `matrix.*` and `runner.*` (values the workflow itself holds): event
data, inputs and the token go through `env:` and reach the script as quoted variables. Actions are pinned by a
full commit SHA. Make recipes read the brand from the shell (`"$$BRAND"`), and a workflow checks an input against
the brand-id grammar before make runs. No workflow names a second package index. Negatives: workflows and a
Makefile without each mechanism fail.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def _triggers(workflow: dict[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


READ_ONLY = {"contents": "read"}
JOB_PERMISSIONS: dict[tuple[str, str], tuple[dict[str, str], str]] = {}
"""(workflow file, job id): (its permissions, why it needs them). Empty: every job reads the repository only."""
_ALLOWED_IN_RUN = re.compile(r"\$\{\{\s*(?:matrix|runner)\.[A-Za-z0-9_.-]+\s*\}\}")
_GIT_FETCH = re.compile(r"\bgit\b[^\n]*\b(?:clone|fetch|remote|submodule|pull)\b")
_CREDENTIAL = re.compile(r"github\.token|secrets\.|GITHUB_TOKEN|x-access-token|extraheader|://[^/\s]*@", re.I)
_EXTRA_INDEX = re.compile(r"\b(?:PIP|UV)_(?:EXTRA_)?INDEX_URL\b|--extra-index-url\b|--index-url\b", re.I)
"""A second package index: a name published on both is taken from whichever offers the higher version."""
_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")


def _step_problems(job_id: str, step: dict[Any, Any]) -> list[str]:
    problems = []
    uses, script = str(step.get("uses", "")), str(step.get("run", ""))
    checkout = re.match(r"actions/checkout@", uses, re.I) or uses.startswith("./")
    if checkout and (step.get("with") or {}).get("persist-credentials") is not False:
        problems.append(f"job {job_id}: expected `persist-credentials: false` on the checkout {uses!r}")
    if uses and not uses.startswith("./") and not uses.startswith("docker://") and not _PINNED.match(uses):
        problems.append(f"job {job_id}: expected an action pinned by its full commit SHA, found {uses!r}")
    for expression in re.findall(r"\$\{\{.*?\}\}", script, re.S):
        if not _ALLOWED_IN_RUN.fullmatch(expression):
            problems.append(f"job {job_id}: expected no {expression!r} inside run: (pass it through env:, quoted)")
    if "github.token" in script.replace(" ", ""):
        problems.append(f"job {job_id}: expected no github.token inside run:")
    if _GIT_FETCH.search(script) and _CREDENTIAL.search(script):
        problems.append(f"job {job_id}: expected a git checkout in run: without credentials")
    return problems


def workflow_problems(text: str, name: str = "workflow.yml") -> list[str]:
    """Why a workflow's token is more than it needs to be, left behind or reachable by a script; empty when not."""
    workflow = yaml.safe_load(text) or {}
    problems = []
    top = workflow.get("permissions")
    if top != READ_ONLY:
        problems.append(f"expected top-level `permissions: contents: read`, found {top!r}")
    triggers = _triggers(workflow)
    if "pull_request_target" in (triggers if isinstance(triggers, (dict, list)) else [triggers]):
        problems.append("expected no pull_request_target trigger (it runs a fork's code with the base's secrets)")
    if _EXTRA_INDEX.search(text):
        problems.append("expected packages from the default index alone, found another index named "
                        f"({_EXTRA_INDEX.search(text).group()}): take a package PyPI lacks alone from its own index "
                        "(tools/compat.py's torch)")  # fmt: skip
    if "secrets." in text:
        problems.append("expected no secret passed to a job: a pull request's code would read it")
    for job_id, job in (workflow.get("jobs") or {}).items():
        effective = job.get("permissions", top)
        allowed = JOB_PERMISSIONS.get((name, job_id), (READ_ONLY, ""))[0]
        if effective != allowed:
            problems.append(f"job {job_id}: expected permissions {allowed!r} (JOB_PERMISSIONS), found {effective!r}")
        for step in job.get("steps") or []:
            problems += _step_problems(job_id, step)
    return problems


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_has_a_read_only_token_left_nowhere(workflow: Path) -> None:
    assert workflow_problems(workflow.read_text(encoding="utf-8"), workflow.name) == []


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
SHA = "11d5960a326750d5838078e36cf38b85af677262"


def test_a_workflow_without_permissions_or_persist_credentials_fails() -> None:
    assert workflow_problems(LAX) == [
        "expected top-level `permissions: contents: read`, found None",
        "job build: expected permissions {'contents': 'read'} (JOB_PERMISSIONS), found None",
        "job build: expected `persist-credentials: false` on the checkout 'actions/checkout@v4'",
        "job build: expected an action pinned by its full commit SHA, found 'actions/checkout@v4'",
    ]


FIXED = "permissions:\n  contents: read\n" + LAX.replace(
    "- uses: actions/checkout@v4", f"- uses: actions/checkout@{SHA}\n        with: {{persist-credentials: false}}"
)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("on: [push, pull_request]", "on: [pull_request_target]"), "no pull_request_target"),
        (("      - run: make test", "      - run: make test\n        env: {T: '${{ secrets.KEY }}'}"), "no secret"),
        (("contents: read\n", "write-all\n"), "found 'write-all'"),
        (("contents: read\n", "contents: write\n"), "found {'contents': 'write'}"),
        (("persist-credentials: false", "persist-credentials: true"), "persist-credentials"),
        # F14: the variants the first version of this check missed
        (("    runs-on:", "    permissions: write-all\n    runs-on:"), "job build: expected permissions"),
        (("    runs-on:", "    permissions: {contents: write}\n    runs-on:"), "job build: expected permissions"),
        (
            (f"actions/checkout@{SHA}\n        with: {{persist-credentials: false}}", f"Actions/Checkout@{SHA}"),
            "persist-credentials",
        ),
        (("      - run: make test", "      - uses: ./.github/actions/fetch\n      - run: make test"), "checkout './"),
        (
            ("make test", "git remote set-url origin https://x-access-token:${{ github.token }}@github.com/o/r"),
            "github.token",
        ),
        (("make test", "git clone https://x-access-token:$T@github.com/o/r"), "without credentials"),
        (("make test", 'echo "${{ github.event.pull_request.title }}"'), "github.event.pull_request.title"),
        (("make test", "make test BRAND=${{ inputs.brand }}"), "inputs.brand"),
        ((f"@{SHA}", "@v4"), "pinned by its full commit SHA"),
        ((f"@{SHA}", "@main"), "pinned by its full commit SHA"),
        # a second package index for everything the job installs (compat.yml had PyTorch's so)
        (("    runs-on:", "    env: {PIP_EXTRA_INDEX_URL: 'https://x.example'}\n    runs-on:"), "default index alone"),
        (("make test", "pip install --extra-index-url https://x.example/simple vllm"), "default index alone"),
    ],
)
def test_each_widening_fails(change: tuple[str, str], problem: str) -> None:
    assert workflow_problems(FIXED) == []
    broken = FIXED.replace(*change, 1)
    assert broken != FIXED
    assert any(problem in p for p in workflow_problems(broken)), workflow_problems(broken)


def test_an_allow_listed_job_keeps_its_permissions_and_its_reason() -> None:
    widened = FIXED.replace("    runs-on:", "    permissions: {contents: read, pull-requests: write}\n    runs-on:")
    assert workflow_problems(widened, "x.yml")
    JOB_PERMISSIONS[("x.yml", "build")] = ({"contents": "read", "pull-requests": "write"}, "comments on the PR")
    try:
        assert workflow_problems(widened, "x.yml") == []
    finally:
        del JOB_PERMISSIONS[("x.yml", "build")]
    assert all(reason for _, reason in JOB_PERMISSIONS.values())


# --- brand inputs reach make as data (F13) ----------------------------------------------------------------


def _recipe_lines(makefile: str) -> list[str]:
    return [line for line in makefile.splitlines() if line.startswith("\t")]


def test_no_recipe_pastes_the_brand_into_its_text() -> None:
    recipes = _recipe_lines((ROOT / "Makefile").read_text(encoding="utf-8"))
    assert not [line for line in recipes if re.search(r"\$[({]BRAND[)}]", line)]
    assert any('"$$BRAND"' in line for line in recipes)


HOSTILE_BRANDS = ['x"; touch {f}; echo "', "x; touch {f}", "$(touch {f})", "x' ; touch {f}; echo '", "`touch {f}`"]


def _make(makefile: Path, target: str, brand: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "-s", *flags, "-f", str(makefile), "-C", str(ROOT), target],
                          env={"PATH": "/usr/bin:/bin", "BRAND": brand}, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


@pytest.mark.parametrize("hostile", HOSTILE_BRANDS)
def test_a_hostile_brand_runs_nothing_through_make(tmp_path: Path, hostile: str) -> None:
    planted = tmp_path / "pwned"
    brand = hostile.format(f=planted)
    done = _make(ROOT / "Makefile", "known-brand", brand)
    assert done.returncode == 2
    assert not planted.exists()
    printed = _make(ROOT / "Makefile", "compat", brand, "-n").stdout
    assert brand not in printed
    assert f"touch {planted}" not in printed


def test_the_old_recipes_ran_the_brand_as_shell_code(tmp_path: Path) -> None:
    # The negative: known-brand as it was, `$(BRAND)` in the recipe text.
    planted = tmp_path / "pwned"
    old = tmp_path / "old.mk"
    old.write_text(
        "BRAND ?=\nBRANDS = $(sort $(basename $(notdir $(wildcard brands/*.yml))))\nknown-brand:\n"
        '\t@test -z "$(BRAND)" || echo "$(BRANDS)" | tr \' \' \'\\n\' | grep -qx -e "$(BRAND)" \\\n'
        "\t  || { echo \"unknown brand '$(BRAND)'\" >&2; exit 2; }\n",
        encoding="utf-8",
    )
    _make(old, "known-brand", HOSTILE_BRANDS[0].format(f=planted))
    assert planted.exists()


_GRAMMAR_CHECK = re.compile(r"=~ \^\[a-z0-9\]\+\(-\[a-z0-9\]\+\)\*\$")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_a_workflow_checks_a_brand_input_before_make(workflow: Path) -> None:
    for job in (yaml.safe_load(workflow.read_text(encoding="utf-8")).get("jobs") or {}).values():
        checked = False
        for step in job.get("steps") or []:
            checked = checked or bool(_GRAMMAR_CHECK.search(str(step.get("run", ""))))
            if "inputs." in str(step.get("env", "")) and "make" in str(step.get("run", "")):
                assert checked, f"{workflow.name}: {step.get('name')}: an input reaches make unchecked"


@pytest.mark.parametrize("value", ["acme", "", "two-words"])
def test_the_workflows_grammar_check_accepts_brand_ids(value: str) -> None:
    assert _check_input(value) == 0


@pytest.mark.parametrize("value", ['x"; touch /tmp/p', "acme\nx", "Acme", "-x", "a--b", "acme "])
def test_the_workflows_grammar_check_refuses_the_rest(value: str) -> None:
    assert _check_input(value) == 2


def _check_input(value: str) -> int:
    """The check step of compat.yml, run by bash as GitHub runs it, with the input as BRAND."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "compat.yml").read_text(encoding="utf-8"))
    step = next(s for s in workflow["jobs"]["compat"]["steps"] if _GRAMMAR_CHECK.search(str(s.get("run", ""))))
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env={"PATH": "/usr/bin:/bin", "BRAND": value},
                          capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    return done.returncode
