"""A plain `pytest` started with a real key in its environment ends before the project's conftest.py is loaded.

`branddocs check` keeps `$BRANDDOCS_API_KEY` in its recording proxy alone. A shell that exported the key and ran
`pytest` (or `make test`) would hand it to every conftest.py, plugin and macro the run loads: the engine's pytest
plugin, loaded by pytest before any conftest file, refuses the run first
(`branddocs/examples/pytest_plugin/key_guard.py`). The project here is a root `conftest.py` that writes down what
it sees. The negative: the same run with the plugin switched off (`-p no:branddocs`) loads the conftest, which
finds the key.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..support.platform import REAL_KEY
from ..support.project import BIN

CONFTEST = """import os, pathlib
pathlib.Path(__file__).with_name("seen").write_text(os.environ.get("BRANDDOCS_API_KEY", "-"))
"""


def _pytest(project: Path, *args: str, key: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PYTEST_", "BRANDDOCS_"))}  # fmt: skip
    env["BRANDDOCS_API_KEY"] = key
    return subprocess.run([str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    return tmp_path


def test_a_plain_pytest_with_a_real_key_loads_no_conftest(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run = _pytest(project, key=REAL_KEY)
    assert run.returncode == 4, run.stdout + run.stderr  # pytest's usage error
    assert "$BRANDDOCS_API_KEY is set in pytest's environment" in run.stderr
    assert "run `branddocs check`" in run.stderr
    assert REAL_KEY not in run.stdout + run.stderr
    assert not (project / "seen").exists()


def test_without_a_key_the_same_project_runs(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run = _pytest(project, key="")
    assert run.returncode == 0, run.stdout + run.stderr
    assert (project / "seen").read_text() == ""


def test_negative_the_plugin_off_lets_the_conftest_read_the_key(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run = _pytest(project, "-p", "no:branddocs", key=REAL_KEY)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (project / "seen").read_text() == REAL_KEY
