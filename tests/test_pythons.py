"""Which Pythons make the venv (README, Supported Pythons), and what an ordinary user meets.

`make test-pythons` runs the tests with every supported CPython on the machine (tools/test_pythons.py); these are
the Makefile's guards: the interpreter check, the venv module check, the stamp that has a venv another Python made
rebuilt, and `make test` stopping at once, as an ordinary user, when system packages are missing.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from .support.make import make, makefile_for
from .support.project import BIN, ROOT

CHECK = ROOT / "tools" / "check_python.py"
# Debian 12's own python3 (3.11.2) where there is one: the oldest supported, and the one Debian splits venv from.
REAL = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
APT = "sudo apt-get install -y --no-install-recommends"


def fake_python(folder: Path, *, version: tuple[int, int, int] | None = None, without: str = "") -> Path:
    """A `python` that runs REAL but says it is `version`, or lacks module `without` (as Debian ships ensurepip)."""
    site = folder / "site"
    site.mkdir(parents=True)
    if version is not None:  # sitecustomize runs before any script
        (site / "sitecustomize.py").write_text(f"import sys\nsys.version_info = {(*version, 'final', 0)!r}\n")
    if without:  # found before the standard library's
        (site / f"{without}.py").write_text(f"raise ModuleNotFoundError('No module named {without}')\n")
    wrapper = folder / "python"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={site} exec {REAL} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def make_venv(venv: Path, python: Path | str) -> subprocess.CompletedProcess[str]:
    return make("-s", f"VENV={venv}", f"PYTHON={python}", f"{venv}/bin/.installed")


def check(python: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), str(CHECK)], capture_output=True, text=True, timeout=30, check=False)


def test_a_python_older_than_3_11_2_is_turned_away_in_one_line(tmp_path: Path) -> None:
    old = fake_python(tmp_path / "old", version=(3, 11, 1))
    done = make_venv(tmp_path / "venv", old)
    assert done.returncode != 0
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"PYTHON={old} is cpython 3.11.1 (")
    assert first.endswith("); branddocs needs CPython 3.11.2 or newer")
    assert not (tmp_path / "venv").exists(), "a venv was made before the check"
    # The same interpreter as the oldest supported version passes.
    oldest = check(fake_python(tmp_path / "oldest", version=(3, 11, 2)))
    assert (oldest.returncode, oldest.stderr) == (0, "")


def test_a_python_without_its_venv_module_names_the_package_to_install(tmp_path: Path) -> None:
    bare = fake_python(tmp_path / "bare", without="ensurepip")
    done = make_venv(tmp_path / "venv", bare)
    assert done.returncode != 0
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"PYTHON={bare} is cpython 3.")
    package = "python3-venv" if REAL == "/usr/bin/python3" else "python{}.{}-venv".format(*sys.version_info[:2])
    assert first.endswith(f" without its venv module; install it with: {APT} {package}")
    assert not (tmp_path / "venv").exists(), "a venv was made before the check"
    # The same interpreter with its ensurepip passes.
    whole = check(fake_python(tmp_path / "whole"))
    assert (whole.returncode, whole.stderr) == (0, "")


def test_a_venv_another_python_made_is_rebuilt_not_reused(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /elsewhere\n")
    # The stamp of the venv these tests run in names its interpreter, which this venv's python reports too.
    (venv / "bin" / ".installed").write_text((BIN / ".installed").read_text())
    same = make("-n", f"VENV={venv}", f"PYTHON={sys.executable}", f"{venv}/bin/.installed")
    assert same.stdout == f"make: '{venv}/bin/.installed' is up to date.\n", same.stdout + same.stderr
    (venv / "bin" / ".installed").write_text("cpython 3.11.1 /elsewhere\n")
    other = make("-n", f"VENV={venv}", f"PYTHON={sys.executable}", f"{venv}/bin/.installed")
    assert f"then rm -rf {venv}; fi" in other.stdout
    assert f"-m venv {venv}\n" in other.stdout


def load_driver() -> ModuleType:
    spec = importlib.util.spec_from_file_location("test_pythons_driver", ROOT / "tools" / "test_pythons.py")
    assert spec is not None
    assert spec.loader is not None
    driver = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = driver  # its dataclass looks its module up there
    spec.loader.exec_module(driver)
    return driver


def test_make_test_pythons_lists_an_unsupported_python_with_its_reason_and_runs_the_others(tmp_path: Path) -> None:
    driver = load_driver()
    old = driver.probe(str(fake_python(tmp_path / "old", version=(3, 11, 1))))
    assert old.version == "3.11.1"
    assert old.problem.endswith("branddocs needs CPython 3.11.2 or newer")
    this = driver.probe(sys.executable)
    assert this.version == "{}.{}.{}".format(*sys.version_info[:3])
    assert this.problem is None
    assert driver.probe("python3.0-no-such-command") is None


def test_an_ordinary_user_without_system_packages_meets_one_apt_get_line_at_once() -> None:
    user = 65534 if os.getuid() == 0 else None  # as root: nobody; otherwise the ordinary user running this
    missing = ("CHROMIUM=/nonexistent/chromium", "DEJAVU=/nonexistent.ttf")
    with makefile_for(user) as folder:
        done = make("-s", "test", *missing, user=user, directory=folder)
        assert done.returncode != 0
        assert done.stdout == ""
        assert done.stderr.splitlines()[0] == (
            f"missing system packages: chromium fonts-dejavu-core; install them with: {APT} chromium fonts-dejavu-core"
        )
        assert len(done.stderr.splitlines()) == 2, done.stderr  # and make's own "Error 1" line, nothing else
        assert sorted(p.name for p in folder.iterdir()) == ["Makefile"], "something ran before the check"
        # With the packages there, the same user gets past the check.
        present = make("-s", "system-packages", user=user, directory=folder)
        assert (present.returncode, present.stdout, present.stderr) == (0, "", "")
