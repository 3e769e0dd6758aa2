"""branddocs: one branded MkDocs-Material guide per tenant, with every example proven.

The first thing any branddocs command does (this module is imported before any other of the engine's): make sure
Python's path does not hold the folder it runs in. An empty or relative PYTHONPATH entry (`export
PYTHONPATH="$PYTHONPATH:/x"` with PYTHONPATH unset gives `:/x`), or `python -m` run in a project, puts that folder
ahead of the standard library, and a project's `json.py` would be imported in place of Python's, in the process
that holds the real key. Such a command starts again at once with `python -P` and those entries left out. The
same for programs: an empty or relative PATH entry (`export PATH=bin:$PATH`) had the engine run the project's
`bin/prlimit`, which read the key from its parent's environment; the command starts again with PATH's absolute
entries alone. Only the standard library's `os` and `sys` (loaded by Python before any program) are used, and no
`__future__` import. Then the key is taken out of the environment (key_holder.py).
"""

import os
import sys

__all__ = ["__version__"]

__version__ = "0.1.0"


def _project_of(here: str) -> str | None:
    """The branddocs project holding the real folder `here` (mkdocs.yml beside brands/, here or above), or None."""
    folder = here
    while True:
        if os.path.isfile(os.path.join(folder, "mkdocs.yml")) and os.path.isdir(os.path.join(folder, "brands")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _checkout_of(folder: str) -> str:
    """The repository holding `folder`: the nearest folder, from it upwards, with a `.git` folder (a monorepo's
    root, whose hoisted node_modules/.bin npm puts on PATH), past `.git` files (a submodule's or a worktree's, inside
    another repository: red team 9, R9-1); else the outermost with a `.git` file; else `folder` itself."""
    found, here = folder, folder
    while True:
        marker = os.path.join(here, ".git")
        if os.path.isdir(marker) and not os.path.islink(marker):
            return here
        if os.path.lexists(marker):
            found = here
        parent = os.path.dirname(here)
        if parent == here:
            return found
        here = parent


def _in_project(entries: list[str], cwd: str) -> list[str]:
    """The absolute PATH entries of `entries` that lie in the repository holding the project of `cwd` (red team 7,
    R7-12: with `PATH="$PWD/node_modules/.bin:$PATH"`, as npm and direnv advise, the engine ran the repository's
    `prlimit` beside the key; red team 8, R8-7: a monorepo's `node_modules/.bin`, above the project): the
    repository's programs, never the engine's. (An absolute PYTHONPATH entry stays the caller's choice: it is how a
    checkout that holds the engine, as this one does, is run without installing it.)"""
    here = os.path.realpath(cwd)
    # The working folder's project and BRANDDOCS_ROOT's (settings.ROOT, relative to the working folder as
    # Project.find takes it: red team 9, R9-1, a monorepo's CI at its root), each as far as its repository.
    named = os.environ.get("BRANDDOCS_ROOT", "")
    starts = [here, *([os.path.realpath(os.path.join(here, named))] if named else [])]
    projects = [project for project in map(_project_of, starts) if project]
    tops = tuple(_checkout_of(project).rstrip(os.sep) + os.sep for project in projects)
    # The folder of the Python running the engine (a project's .venv/bin, activated) is the engine's own installation.
    own = os.path.realpath(os.path.dirname(sys.executable))
    return [p for p in entries if p and os.path.isabs(p) and os.path.realpath(p) != own
            and (os.path.realpath(p) + os.sep).startswith(tops or ("\0",))]  # fmt: skip


def _unsafe_entries(cwd: str) -> tuple[list[str], bool]:
    """The PYTHONPATH entries that name the working folder `cwd` or a folder in it (empty or relative ones), and
    whether sys.path's first entry (the script's folder, or `-m`'s working folder) lies in it."""
    here = os.path.realpath(cwd)

    def inside(entry: str) -> bool:
        found = os.path.realpath(os.path.join(here, entry))
        return found == here or found.startswith(here.rstrip(os.sep) + os.sep)

    given = os.environ.get("PYTHONPATH")
    # An absolute entry is the caller's own choice (as an editable install is): trusted like the engine's install.
    named = [p for p in given.split(os.pathsep) if not p or not os.path.isabs(p)] if given else []
    first = bool(sys.path) and not sys.flags.safe_path and (not sys.path[0] or inside(sys.path[0]))
    return named, first


def _start_safely() -> None:
    """Started as a branddocs command (its command line by any name, or `python -m branddocs...`: argv[0] is `-m`
    while the module is found) with the working folder on the path: started again, `-P`, PYTHONPATH without the
    entries that name it."""
    if not (sys.argv[0] == "-m" or key_holder.is_command_line(sys.argv, sys.orig_argv)):
        return
    try:
        cwd = os.getcwd()
    except OSError:
        return
    # A relative entry Python keeps whatever the flags (an editable install's `__editable__...__path_hook__`, from a
    # .pth file) that names something here: Python has looked in it already (a sitecustomize.py there has run).
    planted = [p for p in sys.path if p and not os.path.isabs(p) and os.path.exists(os.path.join(cwd, p))]
    if planted:
        sys.stderr.write(
            f"branddocs: Python's path holds the relative entry {planted[0]!r} (from a .pth file: an "
            "editable install's), and this folder holds a file of that name, which Python imports from "
            "(a sitecustomize.py runs in every Python started here); refusing to run: remove it, and "
            "install branddocs without relative path entries (pip install, not pip install -e)\n"
        )
        sys.exit(12)  # errors.EXIT_NO_SANDBOX
    named, first = _unsafe_entries(cwd) if not sys.flags.safe_path else ([], False)
    path = os.environ.get("PATH")
    programs = [p for p in path.split(os.pathsep) if not p or not os.path.isabs(p)] if path is not None else []
    programs += _in_project(path.split(os.pathsep), cwd) if path is not None else []
    if not named and not first and not programs:
        return
    env = dict(os.environ)
    if programs:
        env["PATH"] = os.pathsep.join(p for p in path.split(os.pathsep) if p and p not in programs) or os.defpath
        shown = repr(programs[0]) if programs[0] else "an empty entry"
        what = "a folder of the project's repository" if os.path.isabs(programs[0]) else "the working folder"
        sys.stderr.write(f"branddocs: PATH named {what} ({shown}): started again without it\n")
    kept = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in named]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    if named:
        shown = repr(named[0]) if named[0] else "an empty entry"
        sys.stderr.write(f"branddocs: PYTHONPATH named the working folder ({shown}): started again without it\n")
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-P", *sys.orig_argv[1:]], env)  # noqa: S606 - ourselves


# key_holder imports only os, stat and sys, which Python loaded before any program: no lookup on an unsafe path.
from branddocs import key_holder  # noqa: E402

_start_safely()

# Then, the path being safe: a command started with a secret in its environment starts again without it, the key
# (for the commands that read it) over a pipe, and held in memory alone by a process no other of its user may read.
key_holder.hold(key_holder.cli_command(sys.argv, sys.orig_argv))
