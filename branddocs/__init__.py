"""branddocs: one branded MkDocs-Material guide per tenant, with every example proven.

The first thing any branddocs command does (this module is imported before any other of the engine's): make sure
Python's path does not hold the folder it runs in. An empty or relative PYTHONPATH entry (`export
PYTHONPATH="$PYTHONPATH:/x"` with PYTHONPATH unset gives `:/x`), or `python -m` run in a project, puts that folder
ahead of the standard library, and a project's `json.py` would be imported in place of Python's, in the process
that holds the real key. Such a command starts again at once with `python -P` and those entries left out. Only
the standard library's `os` and `sys` (loaded by Python before any program) are used, and no `__future__` import.
"""

import os
import sys

__all__ = ["__version__"]

__version__ = "0.1.0"


def _unsafe_entries(path: list[str], cwd: str) -> list[str]:
    """The entries of `path` that are the working folder `cwd`: empty, relative, or resolving to it."""
    here = os.path.realpath(cwd)
    return [p for p in path if not p or not os.path.isabs(p) or os.path.realpath(p) == here]


def _start_safely() -> None:
    """Started as a branddocs command (its script, or `python -m branddocs...`: argv[0] is `-m` while the module is
    found) with the working folder on the path: started again, `-P`, PYTHONPATH without the entries that name it."""
    if not (os.path.basename(sys.argv[0]) == "branddocs" or sys.argv[0] == "-m") or sys.flags.safe_path:
        return
    try:
        cwd = os.getcwd()
    except OSError:
        return
    if not _unsafe_entries(sys.path, cwd):
        return
    env = dict(os.environ)
    kept = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in _unsafe_entries([p], cwd)]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    sys.stderr.write("branddocs: Python's path held the working folder (PYTHONPATH or -m): started again without it\n")
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-P", *sys.orig_argv[1:]], env)  # noqa: S606 - ourselves


_start_safely()
