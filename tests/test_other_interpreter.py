"""Examples run with an interpreter from another virtual environment, in the sandbox, as `make test-latest` runs
them ($BRANDDOCS_EXAMPLE_PYTHON): the environment is bound into the sandbox read-only, and one that cannot
start says what failed (the command and its error), never a time limit it did not wait for."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from branddocs.examples.pytest_plugin.junit import example_results
from branddocs.site import Project

from .support.project import run_branddocs

# Standard library only: a bare virtual environment has no `openai`, and needs none for this.
PAGE = """# Another interpreter

```python lint="skip"
import json
import os
import urllib.request

request = urllib.request.Request(
    "{{ base_url }}/models", headers={"Authorization": "Bearer " + os.environ["{{ api_key_env }}"]}
)
with urllib.request.urlopen(request) as response:
    print(json.load(response)["data"][0]["id"])
    #> meta-llama-3-8b-instruct
```
"""


def base_python() -> str:
    """The interpreter below this one's virtual environment (a new venv made from it shares nothing with ours)."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def check_with(project: Project, python: str) -> tuple[int, dict[str, tuple[str, str]], str]:
    (project.docs_dir / "other.md").write_text(PAGE, encoding="utf-8")
    junit = project.root / "junit.xml"
    env = {"BRANDDOCS_EXAMPLE_PYTHON": python, "BRANDDOCS_ENDPOINT": "", "BRANDDOCS_API_KEY": ""}
    done = run_branddocs("check", "--brand", "acme", "other.md", "--", f"--junitxml={junit}", cwd=project.root,
                         env=env)  # fmt: skip
    results = example_results(junit, project.root) if junit.exists() else {}
    return done.returncode, results, done.stdout + done.stderr


@pytest.fixture(scope="module")
def other_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("other") / "venv"
    subprocess.run([base_python(), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    return venv / "bin" / "python"


def test_an_example_runs_with_another_venvs_python_in_the_sandbox(scratch: Project, other_venv: Path) -> None:
    code, results, output = check_with(scratch, str(other_venv))
    assert "each example runs in a sandbox" in output, output  # the sandbox, not a plain process
    assert code == 0, output
    assert list(results.values()) == [("pass", "")], results


def test_an_interpreter_that_cannot_start_is_named_with_its_error(
    scratch: Project, tmp_path_factory: pytest.TempPathFactory
) -> None:
    broken = tmp_path_factory.mktemp("broken") / "bin" / "python"  # outside the project: named in full
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\necho 'this interpreter is broken' >&2\nexit 3\n", encoding="utf-8")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    code, results, output = check_with(scratch, str(broken))
    assert code == 1, output
    [(outcome, why)] = results.values()
    assert outcome == "fail"
    assert why == (f"the Python examples run with cannot start: `{broken} -I -S -c import sys; print(sys.prefix); "
                   "print(sys.base_prefix)` exited with status 3: this interpreter is broken")  # fmt: skip
    assert "did not start within" not in output, output  # no time limit it never waited for
