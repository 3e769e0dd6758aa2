"""As root, the harness reads of the project only the parts the check reads (R7-9; harness_reads.PROJECT_PARTS) and
the paths the project's mkdocs.yml names there (site/config_paths.py), those as they are.

The project was bound whole through an idmapped mount, which shows root's files as the harness's own: a hostile
root `conftest.py` read the clone's `.git/config` (a remote's token), `.env` and a file in a `0700` folder of the
operator's, all `0600` and root's; and through a committed `node_modules` link, a `0600` file in a folder named
node_modules behind root's `0700` folder. Mechanism: only the parts are bound (each idmapped), never `.git/`, a
dot-file or a folder the engine does not know; node_modules only inside the project or on a way everyone may take,
as it is; what mkdocs.yml names outside the parts (a hook in tools/, mkdocs-macros' module in site_code/) as it is,
never idmapped (read as everyone may), and never a path outside the project, through a link or with a dot-named
part (the check refuses it, naming the file and line). The proof: each private read fails (EACCES or ENOENT) while
a project with a hook and a macros module elsewhere is checked, their values on its page. The negatives: a `0600`
file of root's inside a bound part (docs/) is read; without the named paths that project's check fails; with the
project bound whole every private file is read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from branddocs.errors import EXIT_USAGE
from branddocs.examples.run import sandbox

from ..support.project import BIN, ROOT, run_branddocs, scratch_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available"),
]
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="as root only: an ordinary user's harness is that user")

READER = """
import json, os
_root = os.environ["BRANDDOCS_ROOT"]
_found = {}
for _name in (".git/config", ".env", "private/notes.txt", "node_modules/.secret", "docs/private.md"):
    try:
        with open(os.path.join(_root, _name)) as _file:
            _found[_name] = _file.read()
    except OSError as _exc:
        _found[_name] = "ERR " + (_exc.strerror or "")
raise SystemExit("READ " + json.dumps(_found))
"""
CLOSED = ("ERR Permission denied", "ERR No such file or directory")

HOOK = """
from hook_helpers import MARK  # its neighbour: MkDocs puts a hook's folder on sys.path


def on_config(config):
    config.extra["hook_mark"] = MARK
    return config
"""
SITE_MACROS = """
from branddocs.plugin import macros as branddocs_macros


def define_env(env):
    branddocs_macros.define_env(env)
    env.conf["extra"]["macro_mark"] = "set-by-site-code-macros"


def on_pre_page_macros(env):
    branddocs_macros.on_pre_page_macros(env)
"""
PRIVATE = (".git/config", ".env", "private/notes.txt", "tools/notes.txt")
"""Root's `0600` files the harness may not read: the clone's, the operator's, one beside the hook mkdocs.yml names."""
PROBE = """
import json, os
_root = os.environ["BRANDDOCS_ROOT"]
_found = {}
for _name in NAMES:
    try:
        with open(os.path.join(_root, _name)) as _file:
            _found[_name] = _file.read()
    except OSError as _exc:
        _found[_name] = "ERR " + (_exc.strerror or "")


def pytest_terminal_summary(terminalreporter):
    from branddocs.examples.collection.collect import render_pages
    from branddocs.site import Project

    try:
        page = render_pages(Project.find(), "acme", ["serverless-endpoints.md"])["serverless-endpoints.md"]
        terminalreporter.write_line("RENDERED " + next(l for l in page.splitlines() if l.startswith("Marks:")))
    except Exception as exc:
        terminalreporter.write_line("RENDERED failed: " + repr(exc))
    terminalreporter.write_line("READ " + json.dumps(_found))
""".replace("NAMES", repr(PRIVATE))
PATCHED = """
import sys
from branddocs.examples.run import harness_reads
what = sys.argv.pop(1)
if what == "no-named":  # the mechanism off: the parts alone (as in b940463)
    harness_reads.harness_reads_named = lambda project, as_root: ([], [])
elif what == "whole":  # the project bound whole, idmapped (as before R7-9)
    harness_reads.PROJECT_PARTS = (".",)
elif what == "no-rules":  # every path mkdocs.yml names bound: a dot-named one, one through a link, outside
    harness_reads.path_problem = lambda named, root: None
elif what == "no-modes":  # as root, a named file only root may read bound as it is all the same
    harness_reads._closed = lambda path, where, given: None
from branddocs import key_holder
from branddocs.cli import main
key_holder.hold(sys.argv[1])  # what the first line does for the command line (cli.main would start it again)
sys.exit(main())
"""


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder everyone may enter, as a clone's is (pytest's own are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="branddocs-parts-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)


@as_root
def test_roots_private_files_in_the_project_are_not_the_harnesss(open_folder: Path, tmp_path: Path) -> None:
    project = scratch_project(open_folder / "project")
    shutil.copytree(ROOT / "branddocs", project.root / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    (project.root / "conftest.py").write_text(READER, encoding="utf-8")
    _private(project.root / ".git" / "config", "url = https://x-access-token:ghp_decoy@github.example/o/d.git\n")
    _private(project.root / ".env", "DATABASE_URL=postgres://admin:decoy@db.internal/prod\n")
    _private(project.root / "private" / "notes.txt", "root-only notes\n")
    (project.root / "private").chmod(0o700)
    _private(project.docs_dir / "private.md", "root-only page\n")
    secret_app = tmp_path / "secret-app"  # below pytest's own folder: root's alone
    _private(secret_app / "node_modules" / ".secret", "NPM_TOKEN=npm_decoy\n")
    secret_app.chmod(0o700)
    (project.root / "node_modules").unlink()
    (project.root / "node_modules").symlink_to(secret_app / "node_modules")
    done = run_branddocs("check", "--brand", "acme", "serverless-endpoints.md", cwd=project.root,
                         env={"PYTHONPATH": str(project.root)})  # fmt: skip
    output = done.stdout + done.stderr
    found = re.search(r"READ (\{.*\})", output)
    assert found, output
    read = json.loads(found[1])
    for name in (".git/config", ".env", "private/notes.txt", "node_modules/.secret"):
        assert read[name] in CLOSED, (name, read)
    assert read["docs/private.md"] == "root-only page\n", read  # the negative: an idmapped part reads it


def _hooks_project(folder: Path) -> Path:
    """A project whose mkdocs.yml names a hook in tools/ (importing its neighbour) and mkdocs-macros' module in
    site_code/, each setting a value its serverless-endpoints.md prints; root's private files beside them."""
    project = scratch_project(folder / "project")
    shutil.copytree(ROOT / "branddocs", project.root / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    (project.root / "conftest.py").write_text(PROBE, encoding="utf-8")
    (project.root / "tools").mkdir()
    (project.root / "tools" / "hooks.py").write_text(HOOK, encoding="utf-8")
    (project.root / "tools" / "hook_helpers.py").write_text('MARK = "set-by-tools-hooks"\n', encoding="utf-8")
    (project.root / "site_code").mkdir()
    (project.root / "site_code" / "site_macros.py").write_text(SITE_MACROS, encoding="utf-8")
    config = project.config_file.read_text(encoding="utf-8")
    config = config.replace("module_name: macros", "module_name: site_code/site_macros")
    project.config_file.write_text(config + "\nhooks:\n  - tools/hooks.py\n", encoding="utf-8")
    page = project.docs_dir / "serverless-endpoints.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nMarks: {{ extra.hook_mark }} {{ extra.macro_mark }}\n")
    _private(project.root / ".git" / "config", "url = https://x-access-token:ghp_decoy@github.example/o/d.git\n")
    _private(project.root / ".env", "DATABASE_URL=postgres://admin:decoy@db.internal/prod\n")
    _private(project.root / "private" / "notes.txt", "root-only notes\n")
    (project.root / "private").chmod(0o700)
    _private(project.root / "tools" / "notes.txt", "root-only notes beside the hook\n")
    return project.root


def _check(project: Path, patch: str = "") -> tuple[int, str, dict[str, Any], str]:
    """`branddocs check` of serverless-endpoints.md (the reference platform): its exit code, its output, what the
    conftest read and the page's rendered marks; `patch`: the mechanism changed (PATCHED)."""
    command = [str(BIN / "branddocs")] if not patch else [sys.executable, "-c", PATCHED, patch]
    env = {k: v for k, v in os.environ.items() if k != "BRANDDOCS_ROOT"}
    done = subprocess.run([*command, "check", "--brand", "acme", "serverless-endpoints.md"], cwd=project,
                          env={**env, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(project)},
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    output = done.stdout + done.stderr
    read, rendered = re.search(r"READ (\{.*\})", output), re.search(r"RENDERED (.*)", output)
    return done.returncode, output, json.loads(read[1]) if read else {}, rendered[1] if rendered else ""


def test_a_project_with_a_hook_and_a_macros_module_elsewhere_is_checked_its_private_files_closed(
    open_folder: Path,
) -> None:
    """As root and as an ordinary user (whose harness is that user: the private files are its own to read)."""
    code, output, read, rendered = _check(_hooks_project(open_folder))
    assert code == 0, output
    assert rendered == "Marks: set-by-tools-hooks set-by-site-code-macros", output  # the hook and the module ran
    for name in PRIVATE if os.geteuid() == 0 else ():
        assert read[name] in CLOSED, (name, read)


def test_without_the_paths_mkdocs_yml_names_that_projects_check_fails(open_folder: Path) -> None:
    """The negative of the named paths: the parts alone (b940463) leave the hook out of the harness."""
    code, output, _, _ = _check(_hooks_project(open_folder), "no-named")
    assert code != 0, output
    assert "Aborted with a configuration error!" in output, output  # MkDocs: the hook is not there


@as_root
def test_with_the_project_bound_whole_its_private_files_are_read(open_folder: Path) -> None:
    """The negative of the parts: the whole project idmapped (before R7-9) shows root's private files as the
    harness's own; the check itself passes."""
    code, output, read, _ = _check(_hooks_project(open_folder), "whole")
    assert code == 0, output
    for name in (".git/config", ".env", "private/notes.txt"):
        assert not read[name].startswith("ERR"), (name, read)


def _line(config: Path, text: str) -> int:
    return next(n for n, line in enumerate(config.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_a_dot_named_path_in_mkdocs_yml_is_refused_naming_its_line(open_folder: Path) -> None:
    """`watch: [.git]` (MkDocs wants only that it exists, and it does in every clone) is refused before anything
    runs, naming the file and line. The negative: bound as the other named paths are, the clone's `.git/config`
    (`0644`, as git makes it, a token in its remote's URL) is read by the repository's conftest.py."""
    root = _hooks_project(open_folder)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("watch:\n", "watch:\n  - .git\n"))
    (root / ".git" / "config").chmod(0o644)
    code, output, read, _ = _check(root)
    assert code == EXIT_USAGE, output
    assert f"branddocs: {config}:{_line(config, '- .git')}: watch: .git -> {root}/.git: expected no part" in output
    assert read == {}, "nothing ran"
    code, output, read, _ = _check(root, "no-rules")
    assert code == 0, output
    assert "ghp_decoy" in read[".git/config"], read


def test_a_hook_through_a_link_is_refused_naming_its_line(open_folder: Path) -> None:
    """A hook named through a link (to the project's own tools/): refused before anything runs, naming the file and
    line. The negative, the rules off: the harness does not find it (MkDocs' bare 'Aborted with a configuration
    error!')."""
    root = _hooks_project(open_folder)
    (root / "linked").symlink_to("tools")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("  - tools/hooks.py", "  - linked/hooks.py"))
    code, output, _, _ = _check(root)
    assert code == EXIT_USAGE, output
    line = _line(config, "linked/hooks.py")
    assert f"branddocs: {config}:{line}: hooks: linked/hooks.py -> {root}/tools/hooks.py: expected a path without " \
        "a link on the way" in output, output  # fmt: skip
    code, output, _, _ = _check(root, "no-rules")
    assert code != 0, output
    assert "Aborted with a configuration error!" in output, output


def test_a_hook_outside_the_project_is_refused_naming_its_line(open_folder: Path) -> None:
    """`hooks: [../outside_hooks.py]`: refused before anything runs, naming the file and line. The negative, the
    rules off: its folder, which holds the project, is bound, and the clone's `.git/config` (`0644`, as git makes
    it) with it."""
    root = _hooks_project(open_folder)
    (root.parent / "outside_hooks.py").write_text(HOOK.replace("from hook_helpers import MARK", "MARK = 'x'"))
    (root / ".git" / "config").chmod(0o644)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("  - tools/hooks.py", "  - ../outside_hooks.py"))
    code, output, read, _ = _check(root)
    assert code == EXIT_USAGE, output
    assert f"branddocs: {config}:{_line(config, 'outside_hooks.py')}: hooks: ../outside_hooks.py -> " \
        f"{root.parent}/outside_hooks.py: expected a path inside the project" in output, output  # fmt: skip
    assert read == {}, "nothing ran"
    code, output, read, _ = _check(root, "no-rules")
    assert code == 0, output
    assert "ghp_decoy" in read[".git/config"], read


@as_root
def test_a_named_file_only_root_may_read_is_refused_naming_its_line(open_folder: Path) -> None:
    """As root, a hook of mode `0600`: refused before anything runs, naming the file, line and mode. The negative:
    bound as it is all the same, the harness cannot read it (a PermissionError in MkDocs' loader)."""
    root = _hooks_project(open_folder)
    (root / "tools" / "hooks.py").chmod(0o600)
    config = root / "mkdocs.yml"
    code, output, _, _ = _check(root)
    assert code == EXIT_USAGE, output
    assert f"branddocs: {config}:{_line(config, 'tools/hooks.py')}: hooks: tools/hooks.py: expected a file everyone " \
        f"may read ({root}/tools/hooks.py has mode -rw-------)" in output, output  # fmt: skip
    code, output, _, _ = _check(root, "no-modes")
    assert code != 0, output
    assert f"Permission denied: '{root}/tools/hooks.py'" in output, output
