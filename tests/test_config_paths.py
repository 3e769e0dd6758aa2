"""site/config_paths.py: the paths mkdocs.yml (and each file it INHERITs) names, read without running anything, and
which of them the check's harness may be given (harness_reads.harness_reads_named)."""

from __future__ import annotations

from pathlib import Path

from branddocs.examples.run.harness_reads import harness_reads_named
from branddocs.site.config_paths import named_paths, path_problem

BASE = """\
hooks:
  - tools/hooks.py
  - root_hook.py
plugins:
  - macros:
      include_yaml:
        - data/values.yml
        - extra: data/more.yml
      include_dir: partials
"""
TOP = """\
INHERIT: config/base.yml
site_name: x
watch:
  - .git
  - linked
theme:
  name: material
  custom_dir: overrides
"""


def _project(root: Path) -> Path:
    for name in ("tools/hooks.py", "root_hook.py", "data/values.yml", "data/more.yml", "main.py", ".git/config"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n", encoding="utf-8")
    for name in ("partials", "overrides", "config"):
        (root / name).mkdir(exist_ok=True)
    (root / "linked").symlink_to("tools")
    (root / "config" / "base.yml").write_text(BASE, encoding="utf-8")
    (root / "mkdocs.yml").write_text(TOP, encoding="utf-8")
    return root


def test_every_path_the_chain_names_with_its_file_and_line(tmp_path: Path) -> None:
    root = _project(tmp_path)
    found = {(n.where.replace(str(root), ""), n.given, str(n.bound.relative_to(root))) for n in named_paths(
        root / "mkdocs.yml", root)}  # fmt: skip
    assert found == {
        ("/mkdocs.yml:1: INHERIT", "config/base.yml", "config/base.yml"),
        ("/mkdocs.yml:4: watch", ".git", ".git"),
        ("/mkdocs.yml:5: watch", "linked", "linked"),
        ("/mkdocs.yml:8: custom_dir", "overrides", "overrides"),
        ("/config/base.yml:2: hooks", "tools/hooks.py", "tools"),  # its folder: on sys.path while MkDocs imports it
        ("/config/base.yml:3: hooks", "root_hook.py", "root_hook.py"),  # the project's folder: the file alone
        ("/config/base.yml:5: module_name", "main", "main.py"),  # mkdocs-macros' default: main.py, its entry's line
        ("/config/base.yml:7: include_yaml", "data/values.yml", "data/values.yml"),
        ("/config/base.yml:8: include_yaml", "data/more.yml", "data/more.yml"),
        ("/config/base.yml:9: include_dir", "partials", "partials"),
    }, found


def test_what_the_harness_is_given_and_what_is_refused(tmp_path: Path) -> None:
    """Named paths inside the project as they are; a part of PROJECT_PARTS is bound with its part; `.git` and a
    link are refused naming their line (the negative: path_problem says nothing of the others)."""
    root = _project(tmp_path)
    paths, problems = harness_reads_named(root, as_root=False)
    assert sorted(Path(p).relative_to(root).as_posix() for p in paths) == [
        "config/base.yml", "data/more.yml", "data/values.yml", "main.py", "partials", "root_hook.py", "tools",
    ]  # fmt: skip
    assert [p.split(": expected ")[0] for p in problems] == [
        f"{root}/mkdocs.yml:4: watch: .git -> {root}/.git",
        f"{root}/mkdocs.yml:5: watch: linked -> {root}/tools",
    ], problems
    assert "no part whose name starts with a dot" in problems[0]
    assert "without a link on the way" in problems[1]
    assert [n.given for n in named_paths(root / "mkdocs.yml", root) if path_problem(n, root)] == [".git", "linked"]


def test_a_path_outside_or_the_project_itself_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "outside.py").write_text("x\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text("hooks:\n  - ../outside.py\nwatch:\n  - .\n  - docs/..\n", encoding="utf-8")
    problems = harness_reads_named(root, as_root=False)[1]
    assert [p.split(" -> ")[0] for p in problems] == [
        f"{root}/mkdocs.yml:2: hooks: ../outside.py",
        f"{root}/mkdocs.yml:4: watch: .",
        f"{root}/mkdocs.yml:5: watch: docs/..",
    ], problems
    assert all("expected a path inside the project, not the project itself" in p for p in problems), problems
