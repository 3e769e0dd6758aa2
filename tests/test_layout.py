"""The house's rules (manual: explanation/architecture): the import contracts catch what they say, no module of
branddocs/, tools/ or bench/ is over 350 lines, none imports another module's private names, and tests take their
helpers from tests/support/."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .support.project import BIN, ROOT

PACKAGE = ROOT / "branddocs"
LIMIT = 350


def _modules(package: Path) -> list[Path]:
    """branddocs' own Python modules: not the templates `branddocs new` copies (package data)."""
    return sorted(p for p in package.rglob("*.py") if "project" not in p.relative_to(package).parts[:2])


def long_modules(package: Path, limit: int = LIMIT) -> list[str]:
    """`path: N lines` for each module over `limit` lines."""
    found = []
    for path in _modules(package):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append(f"{path.relative_to(package.parent)}: {lines} lines")
    return found


def private_imports(package: Path) -> list[str]:
    """`path:line: from module import _name` for each import of another module's private name."""
    found = []
    for path in _modules(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == package.name:
                for alias in node.names:
                    if alias.name.startswith("_"):
                        where = path.relative_to(package.parent)
                        found.append(f"{where}:{node.lineno}: from {node.module} import {alias.name}")
    return found


def cross_imports(tests: Path) -> list[str]:
    """`path:line: from .x import ...` for each relative import in a test module of anything but tests/support/:
    helpers live in the support package, fixtures in conftest.py (pytest finds them; no import needed)."""
    found = []
    for path in sorted(tests.rglob("*.py")):
        if "support" in path.relative_to(tests).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = (node.module or "") if isinstance(node, ast.ImportFrom) else ""
            if module.startswith("tests.") and isinstance(node, ast.ImportFrom) and not node.level:
                module, node.level = module.removeprefix("tests."), 1  # `from tests.x import ...`: the same thing
            if isinstance(node, ast.ImportFrom) and node.level and module.split(".")[0] != "support":
                found.append(f"{path.relative_to(tests.parent)}:{node.lineno}: from {'.' * node.level}{module}")
    return found


def test_tests_take_helpers_from_the_support_package_only() -> None:
    assert cross_imports(ROOT / "tests") == []


def test_a_helper_imported_from_another_test_module_is_named(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    (tests / "support").mkdir(parents=True)
    (tests / "support" / "sites.py").write_text("from .project import ROOT\n", encoding="utf-8")
    (tests / "test_a.py").write_text("from .support.sites import x\nfrom .test_b import helper\n", encoding="utf-8")
    (tests / "test_c.py").write_text("from .conftest import ROOT\nfrom tests.test_a import y\n", encoding="utf-8")
    assert cross_imports(tests) == [
        "tests/test_a.py:2: from .test_b",
        "tests/test_c.py:1: from .conftest",
        "tests/test_c.py:2: from .test_a",
    ]


@pytest.mark.parametrize("folder", ["branddocs", "tools", "bench"])
def test_no_module_is_over_350_lines(folder: str) -> None:
    assert long_modules(ROOT / folder) == []


def test_no_module_imports_another_modules_private_names() -> None:
    assert private_imports(PACKAGE) == []


def test_a_long_module_and_a_private_import_are_named(tmp_path: Path) -> None:
    package = tmp_path / "branddocs"
    package.mkdir()
    (package / "big.py").write_text("x = 1\n" * (LIMIT + 1), encoding="utf-8")
    (package / "nosy.py").write_text("from branddocs.big import _hidden\nfrom branddocs.big import x\n")
    assert long_modules(package) == [f"branddocs/big.py: {LIMIT + 1} lines"]
    assert private_imports(package) == ["branddocs/nosy.py:1: from branddocs.big import _hidden"]


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the branddocs under `root` (its pyproject.toml's contracts): that copy, not the installed one."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("markup.py", "from branddocs.cli import main", "Floors"),  # the ground floor importing the top one
        ("site/pages.py", "from branddocs.plugin import plugin", "Floors"),  # site/ under plugin/
        ("examples/run/sandbox.py", "from branddocs.examples.run import pool", "No circle"),  # pool imports sandbox
        ("builder/engines/zensical.py", "from branddocs.builder.engines import mkdocs", "build engine stands alone"),
    ],
)
def test_the_contracts_catch_an_import_against_them(tmp_path: Path, module: str, line: str, broken: str) -> None:
    shutil.copytree(PACKAGE, tmp_path / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    kept = _lint_imports(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    path = tmp_path / "branddocs" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    done = _lint_imports(tmp_path)
    assert done.returncode != 0
    said = " ".join(done.stdout.split())
    assert broken in said, said
    assert "BROKEN" in said, said
