"""Every Python the engine starts takes its code from the engine's installation, never from the project's folder.

`python -m` puts the folder it runs in first on sys.path. The engine starts processes of its own in the project:
the recording proxy (which holds the real key), the harness's pytest, `serve`'s child. A project's `tempfile.py`,
`json.py` or `branddocs/` would be imported in place of the standard library's or the engine's: a red team had a
`tempfile.py` wrap `json.loads` in the proxy and write down the key from its settings line. Mechanism:
`settings.SAFE_PATH` (`python -P`, PYTHONSAFEPATH) on every such start.

The proof plants such modules at the project's top level, each writing who imported it into the project (which
the harness sees read-only: only a process outside it can write there) before handing over the real module, and
runs a real-key check: nothing is written and the key is nowhere but where it belongs. The negative: the proxy
started as it was (`-m` without `-P`) imports them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.run import sandbox
from branddocs.settings import SAFE_PATH

from ..support.checks import check
from ..support.platform import REAL_KEY, Platform
from ..support.project import run_branddocs, scratch_project

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available")

PLANTED = ("json", "tempfile", "secrets", "base64", "httpx", "uvicorn", "starlette", "branddocs")
STANDARD = tuple(name for name in PLANTED if name != "branddocs")
"""What the engine imports after its first line. A project's `branddocs/` on a path that names the project is found
before the engine itself: no line of the engine's runs first (the threat model says so)."""
WITNESS = "imported-by.txt"
MODULE = """
import os as _os, sys as _sys
try:
    with open(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "{up}{witness}"), "a") as _f:
        _f.write("{name} " + str(_os.getpid()) + " " + " ".join(_sys.argv) + "\\n")
except OSError:
    pass  # in the harness: the project is read-only there
_here = _os.path.dirname(_os.path.abspath(__file__)){parent}
_kept = list(_sys.path)
_sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != _here]
del _sys.modules["{name}"]
import {name} as _real
_sys.modules["{name}"] = _real
_sys.path[:] = _kept  # the next planted module is found too
"""


def _plant(root: Path, names: tuple[str, ...] = PLANTED) -> None:
    for name in names:
        if name in ("starlette", "branddocs"):  # a package of the same name
            (root / name).mkdir()
            code = MODULE.format(name=name, witness=WITNESS, up="../", parent="\n_here = _os.path.dirname(_here)")
            (root / name / "__init__.py").write_text(code, encoding="utf-8")
        else:
            (root / f"{name}.py").write_text(MODULE.format(name=name, witness=WITNESS, up="", parent=""), "utf-8")


def test_no_process_outside_the_harness_imports_the_projects_modules(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    _plant(project.root)
    platform = Platform()
    with running_endpoint(platform.app) as server:
        env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": REAL_KEY}
        code, results, output = check(project, "--brand", "acme", "index.md", env=env)
    assert code == 0, output
    assert results, output
    assert all(outcome == "passed" or outcome.startswith("skipped") for outcome in results.values()), results
    assert platform.seen, "the check asked the platform nothing"
    assert not (project.root / WITNESS).exists(), (project.root / WITNESS).read_text()
    assert REAL_KEY not in output


@pytest.mark.parametrize("pythonpath", [":", "/nonexistent-branddocs:", ".", "docs"])
def test_no_empty_or_relative_pythonpath_entry_names_the_project(tmp_path: Path, pythonpath: str) -> None:
    """`-P` leaves out the folder `-m` would add, not an empty or relative PYTHONPATH entry (`export
    PYTHONPATH="$PYTHONPATH:/x"` with it unset gives `:/x`): a command started so starts again without them
    (branddocs/__init__.py), and processes of its own get only absolute entries (site/build_env.py)."""
    project = scratch_project(tmp_path / "project")
    _plant(project.root, STANDARD)
    platform = Platform()
    with running_endpoint(platform.app) as server:
        env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": REAL_KEY, "PYTHONPATH": pythonpath}
        code, _, output = check(project, "--brand", "acme", "index.md", env=env)
    assert code == 0, output
    assert "PYTHONPATH named the working folder" in output, output
    assert not (project.root / WITNESS).exists(), (project.root / WITNESS).read_text()


def test_the_negative_an_empty_entry_names_the_folder_even_with_safe_path(tmp_path: Path) -> None:
    """What the start again is for: `python -P` with PYTHONPATH `:` imports the project's modules, and so would the
    engine and the proxy."""
    root = tmp_path / "project"
    root.mkdir()
    _plant(root)
    env = {**os.environ, "PYTHONPATH": ":"}
    subprocess.run([sys.executable, *SAFE_PATH, "-c", "import json, tempfile"], cwd=root, env=env, timeout=120,
                   check=False, capture_output=True)  # fmt: skip
    assert (root / WITNESS).exists()


@pytest.mark.parametrize("flags", [(), SAFE_PATH], ids=["as-it-was", "safe-path"])
def test_the_proxy_started_without_safe_path_imports_them(tmp_path: Path, flags: tuple[str, ...]) -> None:
    """The negative, and the mechanism alone: the proxy's module started in the project's folder, its stdin closed
    before any settings (it imports, then ends quietly)."""
    root = tmp_path / "project"
    root.mkdir()
    _plant(root)
    command = [sys.executable, *flags, "-m", "branddocs.examples.proxy.process"]
    done = subprocess.run(command, cwd=root, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    witness = root / WITNESS
    if flags:
        assert not witness.exists(), witness.read_text()
    else:
        assert witness.exists(), done.stdout + done.stderr
        imported = {line.split()[0] for line in witness.read_text().splitlines()}
        assert "branddocs" in imported, imported  # found before the engine, which then starts again (-P)


RELATIVE = [p for p in sys.path if p and not os.path.isabs(p)]
"""Relative entries Python keeps on the path whatever the flags: an editable install's path hook, from a .pth."""
SITECUSTOMIZE = """
import os, sys
with open(os.path.join(os.getcwd(), "WITNESS"), "a") as f:
    f.write("sitecustomize " + str(os.getpid()) + " " + " ".join(sys.orig_argv) + "\\n")
"""


@pytest.mark.skipif(not RELATIVE, reason="this installation puts no relative entry on Python's path (not editable)")
def test_a_folder_named_as_a_relative_path_entry_stops_every_command(tmp_path: Path) -> None:
    """The fifth red team: a folder named as the editable install's path hook, holding a sitecustomize.py, ran in
    the engine and in the proxy. Python runs it in the engine's first process before any line of branddocs (said in
    the threat model; where Python has a sitecustomize of its own, Debian's, that one is found first); the engine
    then refuses to run (exit 12) and starts no other process, and the proxy, in a folder of nobody's choosing,
    would not look there. The negative: a Python started in the project's folder imports from it, one started in
    `/` does not."""
    project = scratch_project(tmp_path / "project")
    planted = project.root / RELATIVE[0]
    planted.mkdir()
    (planted / "sitecustomize.py").write_text(SITECUSTOMIZE.replace("WITNESS", WITNESS), "utf-8")
    (planted / "branddocs_probe.py").write_text(f"open({WITNESS!r}, 'a').write('PROBE IMPORTED\\n')\n", "utf-8")
    with running_endpoint(Platform().app) as server:
        env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": REAL_KEY}
        code, _, output = check(project, "--brand", "acme", "index.md", env=env)
    assert code == 12, output
    assert "refusing to run" in output, output
    witness = project.root / WITNESS
    seen = witness.read_text().splitlines() if witness.exists() else []
    assert len(seen) <= 1, seen  # the engine's first process alone, if any
    assert not any("proxy" in line or "pytest_plugin" in line for line in seen), seen
    witness.unlink(missing_ok=True)
    probe = [sys.executable, *SAFE_PATH, "-c", "import branddocs_probe"]
    away = subprocess.run(probe, cwd="/", capture_output=True, timeout=120, check=False)
    assert away.returncode != 0, "found from /"
    subprocess.run(probe, cwd=project.root, capture_output=True, timeout=120, check=True)
    assert "PROBE IMPORTED" in witness.read_text()


PROGRAM = """#!/bin/sh
echo "$0 $PPID" >> "$(dirname "$0")/../{witness}"
exec /usr/bin/{name} "$@"
"""


@pytest.mark.parametrize("where", ["bin:", ":", "absolute"], ids=["relative", "empty", "absolute"])
def test_no_program_is_found_through_an_empty_or_relative_path_entry(tmp_path: Path, where: str) -> None:
    """`export PATH=bin:$PATH` had the engine run the project's `bin/prlimit` (the sandbox's probe), which read the
    key from its parent's environment (red team round 6, F3): a command started so starts again with PATH's absolute
    entries alone (branddocs/__init__.py). So does one with an absolute entry into the project (red team 7, R7-12:
    `PATH="$PWD/node_modules/.bin:$PATH"`, as npm and direnv advise)."""
    project = scratch_project(tmp_path / "project")
    (project.root / "bin").mkdir()
    for name in ("prlimit", "bwrap", "setpriv", "true"):
        (project.root / "bin" / name).write_text(PROGRAM.format(witness=WITNESS, name=name), encoding="utf-8")
        (project.root / "bin" / name).chmod(0o755)
    path = {"bin:": f"bin:{os.environ['PATH']}", ":": f"{os.environ['PATH']}:",
            "absolute": f"{project.root / 'bin'}:{os.environ['PATH']}"}[where]  # fmt: skip
    platform = Platform()
    with running_endpoint(platform.app) as server:
        env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": REAL_KEY, "PATH": path}
        code, _, output = check(project, "--brand", "acme", "index.md", env=env)
    assert code == 0, output
    said = "a folder of the project's repository" if where == "absolute" else "the working folder"
    assert f"PATH named {said}" in output, output
    assert not (project.root / WITNESS).exists(), (project.root / WITNESS).read_text()
    # The negative: the engine's lookup, in the project with that PATH, finds the planted program.
    if where != ":":
        found = subprocess.run([sys.executable, "-c", "import shutil; print(shutil.which('prlimit'))"],
                               cwd=project.root, env={**os.environ, "PATH": path}, capture_output=True, text=True,
                               check=True).stdout.strip()  # fmt: skip
        assert found == ("bin/prlimit" if where == "bin:" else str(project.root / "bin" / "prlimit"))


LAYOUTS = ["in-a-repository", "a-relative-root", "a-submodule", "negative-no-repository-marked"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_program_of_the_repository_above_the_project_is_not_run(tmp_path: Path, layout: str) -> None:
    """A monorepo's hoisted `node_modules/.bin`, above the docs project, on PATH (red team 8, R8-7: its `prlimit` read
    the key from the CI step's shell): an entry inside the repository holding the project (its nearest `.git`
    folder, past a submodule's `.git` file) is left out; so it is when the check runs at the repository's root with a
    relative `BRANDDOCS_ROOT` (red team 9, R9-1). The negative: the same tree without the `.git` that marks it runs
    the planted program."""
    repo = tmp_path / "repo"
    if layout != "negative-no-repository-marked":
        (repo / ".git").mkdir(parents=True)
    project = scratch_project(repo / "site-docs")
    if layout == "a-submodule":
        (project.root / ".git").write_text("gitdir: ../.git/modules/site-docs\n", encoding="utf-8")
    programs = repo / "node_modules" / ".bin"
    programs.mkdir(parents=True)
    for name in ("prlimit", "bwrap", "setpriv", "true"):
        (programs / name).write_text(PROGRAM.format(witness=WITNESS, name=name), encoding="utf-8")
        (programs / name).chmod(0o755)
    with running_endpoint(Platform().app) as server:
        env = {"BRANDDOCS_ENDPOINT": f"{server.url}/v1", "BRANDDOCS_API_KEY": REAL_KEY,
               "PATH": f"{programs}:{os.environ['PATH']}"}  # fmt: skip
        if layout == "a-relative-root":
            env["BRANDDOCS_ROOT"] = "site-docs"
            done = run_branddocs("check", "--brand", "acme", "index.md", cwd=repo, env=env)
            code, output = done.returncode, done.stdout + done.stderr
        else:
            code, _, output = check(project, "--brand", "acme", "index.md", env=env)
    witness = repo / "node_modules" / WITNESS
    if layout != "negative-no-repository-marked":
        assert code == 0, output
        assert "PATH named a folder of the project's repository" in output, output
        assert not witness.exists(), witness.read_text()
    else:  # the planted programs ran (the sandbox then fails: their folder is not in its view)
        assert witness.exists(), output


def test_the_example_interpreter_is_asked_its_prefixes_without_its_site_packages(tmp_path: Path) -> None:
    """The engine asks the Python the examples run with where it reads from, outside any sandbox and beside the key:
    a `.pth` in its site-packages ran there and read the key (red team round 6, F3). Asked with `-I -S`, no `.pth`
    runs, and a venv's folder is still found (its pyvenv.cfg)."""
    venv = tmp_path / "examples-python"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    [site_packages] = venv.glob("lib/python3*/site-packages")
    witness = tmp_path / "pth-ran.txt"
    (site_packages / "zz.pth").write_text(f"import os; open({str(witness)!r}, 'a').write('ran')\n", encoding="utf-8")
    found = sandbox._prefixes(str(venv / "bin" / "python"))
    assert found[0] == str(venv)
    assert not witness.exists()
    # The negative: the question as it was asked (`-I`, with site) runs the .pth.
    subprocess.run([str(venv / "bin" / "python"), "-I", "-c", "import sys; print(sys.prefix)"], check=True, timeout=60)
    assert witness.read_text().startswith("ran")
