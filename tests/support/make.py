"""`make` run afresh, as a writer runs it (as root, or as an ordinary user)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .project import ROOT


def as_user(user: int | None) -> list[str]:
    """The command prefix that runs the rest as `user` (a uid, in its own group only), or nothing."""
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user is not None else []


# make passes its command-line variables (BRAND=...) down through MAKEFLAGS: start each make afresh.
MAKE_ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "BRAND")}


def make(*args: str, user: int | None = None, directory: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run this project's Makefile (or the copy in `directory`), as `user` (a uid) if given."""
    return subprocess.run(
        [*as_user(user), "make", "--no-print-directory", "-C", str(directory), *args],
        env=MAKE_ENV, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@contextmanager
def makefile_for(user: int | None) -> Iterator[Path]:
    """A copy of the Makefile in a folder `user` (None: this one) can read: the clone may be where others cannot go."""
    folder = Path(tempfile.mkdtemp(prefix="branddocs-make-"))
    try:
        folder.chmod(0o755)
        shutil.copy(ROOT / "Makefile", folder / "Makefile")
        (folder / "Makefile").chmod(0o644)
        if subprocess.run([*as_user(user), "test", "-r", str(folder / "Makefile")], check=False).returncode != 0:
            pytest.skip(f"uid {user} cannot read {folder}/Makefile: no folder here that another user can enter")
        yield folder
    finally:
        shutil.rmtree(folder)
