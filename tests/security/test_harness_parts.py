"""As root, the harness reads of the project only the parts the check reads (R7-9; harness_reads.PROJECT_PARTS).

The project was bound whole through an idmapped mount, which shows root's files as the harness's own: a hostile
root `conftest.py` read the clone's `.git/config` (a remote's token), `.env` and a file in a `0700` folder of the
operator's, all `0600` and root's; and through a committed `node_modules` link, a `0600` file in a folder named
node_modules behind root's `0700` folder. Mechanism: only the parts are bound (each idmapped), never `.git/`, a
dot-file or a folder the engine does not know; node_modules only inside the project or on a way everyone may take,
as it is. The proof: each read fails (EACCES or ENOENT). The negative: a `0600` file of root's inside a bound part
(docs/) is read, as every one of them was through the whole project's idmapped bind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.run import sandbox

from ..support.project import ROOT, run_branddocs, scratch_project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="as root only: an ordinary user's harness is that user"),
    pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available"),
]

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
        assert read[name] in ("ERR Permission denied", "ERR No such file or directory"), (name, read)
    assert read["docs/private.md"] == "root-only page\n", read  # the negative: an idmapped part reads it
