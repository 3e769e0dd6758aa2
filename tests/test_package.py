"""branddocs as a package: its wheel, installed into a fresh environment outside this repository, scaffolds a
project (`branddocs new`) that builds and checks; the wheel's runtime dependencies hold no test-only tool."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .support.project import BIN, ROOT

TEST_TOOLS = {"hypothesis", "playwright", "pytest-timeout"}
"""Used by this repository's tests (and `diff --screenshots`), never by a user's `build` or `check`."""
_REQUIRES = re.compile(r"^Requires-Dist: (?P<name>[A-Za-z0-9._-]+)[^;\n]*(?:; *(?P<marker>.*))?$", re.MULTILINE)


def _requirements(metadata: str) -> dict[str, set[str]]:
    """{"": runtime names, extra: that extra's names} from a wheel's METADATA."""
    found: dict[str, set[str]] = {"": set()}
    for match in _REQUIRES.finditer(metadata):
        extra = re.search(r'extra *== *"([^"]+)"', match["marker"] or "")
        name = re.sub(r"[._]", "-", match["name"].lower())
        found.setdefault(extra.group(1) if extra else "", set()).add(name)
    return found


def _repo_paths(python: Path, cwd: Path) -> list[str]:
    """Paths under this repository that `python` imports from or links to (sys.path, .pth files, editable installs)."""
    code = "import json, sys, branddocs, mkdocs; print(json.dumps([*sys.path, branddocs.__file__, mkdocs.__file__]))"
    done = subprocess.run([str(python), "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120, check=True)
    paths = [str(Path(p or cwd).resolve()) for p in json.loads(done.stdout)]
    site = subprocess.run([str(python), "-c", "import site; print('\\n'.join(site.getsitepackages()))"],
                          capture_output=True, text=True, timeout=60, check=True).stdout.split()  # fmt: skip
    links = [f for s in site for f in Path(s).glob("*.pth")] + [
        f for s in site for f in Path(s).glob("*/direct_url.json")
    ]
    paths += [f"{f}: {f.read_text(errors='replace')}" for f in links if str(ROOT) in f.read_text(errors="replace")]
    return [p for p in paths if str(ROOT) in p]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The branddocs wheel, built from a copy of the package's sources (nothing written into this checkout); once a
    session, as the scaffold test runs first (`longest`), away from this module's other tests."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT / "branddocs", source / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--no-build-isolation", "-w", str(out), str(source)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    [built] = out.glob("branddocs-*.whl")
    return built


def _metadata(wheel: Path) -> str:
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return archive.read(name).decode()


@pytest.mark.slow
def test_the_wheels_runtime_dependencies_hold_no_test_tool(wheel: Path) -> None:
    requirements = _requirements(_metadata(wheel))
    assert not TEST_TOOLS & requirements[""], requirements[""]
    assert requirements["test"] >= TEST_TOOLS  # the test tools are read, in the extra `make test` installs
    assert requirements["screenshots"] == {"playwright"}
    assert {"mkdocs", "mkdocs-material", "mkdocs-macros-plugin", "pytest", "ruff"} <= requirements[""]


def test_a_test_tool_among_the_runtime_dependencies_is_seen() -> None:
    # The negative of the check above: the same reading of METADATA finds a test tool required at run time.
    metadata = 'Requires-Dist: mkdocs==1.6.1\nRequires-Dist: Hypothesis==6.1; python_version >= "3.11"\n'
    metadata += 'Requires-Dist: pytest_timeout==2.4.0; extra == "test"\n'
    requirements = _requirements(metadata)
    assert TEST_TOOLS & requirements[""] == {"hypothesis"}
    assert requirements["test"] == {"pytest-timeout"}


@pytest.mark.slow
@pytest.mark.longest
@pytest.mark.timeout(1800)
def test_the_installed_wheel_scaffolds_builds_and_checks_a_project_without_this_repository(
    wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.mktemp("fresh")
    assert not base.resolve().is_relative_to(ROOT)
    venv, proj = base / "venv", base / "proj"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    # The lock's pins as constraints: the same versions as here, from pip's cache or PyPI. --no-compile: pip would
    # compile every module of every package (a third of the install's time); what runs below compiles what it imports.
    install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", "-c",
               str(ROOT / "requirements.lock"), str(wheel)]  # fmt: skip
    done = subprocess.run(install, capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
                               capture_output=True, text=True, check=True).stdout.lower()  # fmt: skip
    assert not [tool for tool in TEST_TOOLS if f"\n{tool}==" in f"\n{installed}"], installed

    path = os.pathsep.join(
        [str(venv / "bin"), *(p for p in os.environ["PATH"].split(os.pathsep) if str(ROOT) not in p)]
    )
    env = {k: v for k, v in os.environ.items() if k not in ("BRAND", "BRANDDOCS_ROOT", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=path, NO_MKDOCS_2_WARNING="1")

    def run(*command: str, **extra: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(venv / "bin" / command[0]), *command[1:]], cwd=proj, env={**env, **extra},
                              capture_output=True, text=True, timeout=900, check=False)  # fmt: skip
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
        return done

    proj.mkdir()
    run("branddocs", "new", str(proj))
    readme = (proj / "README.md").read_text()
    assert "mkdocs build" in readme
    assert "branddocs check" in readme
    assert "hooks:" not in (proj / "mkdocs.yml").read_text()
    run("mkdocs", "build", BRAND="mycloud")
    page = (proj / "site" / "mycloud" / "index.html").read_text()
    assert "My Cloud API quickstart" in page
    assert "https://api.mycloud.example/v1/chat/completions" in page
    assert 'test="skip"' not in page
    assert "{{" not in page
    checked = run("branddocs", "check")
    assert "2 passed, 0 failed" in checked.stdout, checked.stdout

    # Nothing of this repository on the fresh environment's path, in its .pth files or install records.
    assert _repo_paths(python, proj) == []
    [home] = [line for line in (venv / "pyvenv.cfg").read_text().splitlines() if line.startswith("home =")]
    assert str(ROOT) not in home  # the interpreter the venv runs is not the repository's .venv either


@pytest.mark.slow
def test_this_repositorys_venv_is_seen_on_the_path() -> None:
    # The negative of the last assertions above: the editable install here is found by the same look.
    assert _repo_paths(BIN / "python", ROOT)


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    done = subprocess.run([str(BIN / "branddocs"), "new", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr == (f"branddocs: {tmp_path}: not empty; branddocs new writes a project into a new folder, or "
                           "an empty one of yours that only you may write\n")  # fmt: skip
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]  # nothing written beside it
    # The same command in an empty folder writes the project.
    (tmp_path / "notes.txt").unlink()
    done = subprocess.run([str(BIN / "branddocs"), "new", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "brands" / "mycloud.yml").is_file()
    assert (tmp_path / "docs" / "images" / "mycloud" / "endpoint.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (tmp_path / ".gitignore").is_file()


@pytest.mark.parametrize("case", ["others-write", "link", "not-mine"])
def test_new_refuses_a_folder_someone_else_could_fill(tmp_path: Path, case: str) -> None:
    """Another local user who made the folder first (under /tmp) could replace the new mkdocs.yml before it is built
    (red team round 6, F12): an existing folder must be the caller's own, no link, writable by the caller alone."""
    if case == "not-mine" and os.geteuid() != 0:
        pytest.skip("needs a folder of another user's: only root can make one here")
    folder = tmp_path / "new"
    folder.mkdir()
    if case == "others-write":
        folder.chmod(0o777)
    elif case == "link":
        folder.rmdir()
        (tmp_path / "elsewhere").mkdir()
        folder.symlink_to(tmp_path / "elsewhere")
    else:
        os.chown(folder, 65534, 65534)
        folder.chmod(0o755)
    done = subprocess.run([str(BIN / "branddocs"), "new", str(folder)], capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    said = {"others-write": "others may write in it (mode drwxrwxrwx)", "link": "a symbolic link",
            "not-mine": "owned by user 65534, not you"}[case]  # fmt: skip
    assert done.stderr.startswith(f"branddocs: {folder}: {said}; branddocs new writes a project"), done.stderr
    assert not list(folder.iterdir())
    # The negative: the caller's own folder, writable by the caller alone, gets the project.
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o755)
    mine.chmod(0o755)
    done = subprocess.run([str(BIN / "branddocs"), "new", str(mine)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (mine / "mkdocs.yml").is_file()
