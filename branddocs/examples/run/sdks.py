"""What the examples run with, read once for the run's header: the Python interpreter and its `openai`, `node` and
the `openai` npm package, with their versions. Where node_modules has no `openai` (`npm ci` never ran), that is said
once with the command to run, and Node.js examples are skipped for it: no example is blamed for a missing install.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from branddocs.settings import NODE_MODULES

__all__ = ["Sdks", "node_missing", "sdks"]


@dataclass(frozen=True)
class Sdks:
    """What the examples run with, and what is missing."""

    python: str
    """`Python 3.11.7, openai 3.51.0 (/path/to/python)`."""
    node: str
    """`Node.js v20.20.2, openai 6.49.0 (/path/to/node_modules)`, or what is missing."""
    node_missing: str = ""
    """Why Node.js examples cannot run here and the command that fixes it; empty when they can."""

    def lines(self) -> list[str]:
        found = [
            f"branddocs: Python examples run with {self.python}",
            f"branddocs: Node.js examples run with {self.node}",
        ]
        if self.node_missing:
            found[1] = f"branddocs: Node.js examples are SKIPPED: {self.node_missing}"
        return found


def _python_line(python: str) -> str:
    if Path(python).resolve() == Path(sys.executable).resolve():
        openai, version = metadata.version("openai"), sys.version.split()[0]
    else:
        query = "import sys, importlib.metadata as m; print(sys.version.split()[0], m.version('openai'))"
        try:
            done = subprocess.run([python, "-I", "-c", query], capture_output=True, text=True, timeout=30, check=True)
            version, openai = done.stdout.split()
        except (OSError, subprocess.SubprocessError, ValueError):
            return f"{python} (its openai could not be read)"
    return f"Python {version}, openai {openai} ({python})"


@functools.cache
def sdks(python: str, node: str, modules: Path) -> Sdks:
    """The SDKs the examples run with (run.example_python, run.example_node), read once for the header."""
    missing = node_missing(node, modules)
    if missing:
        return Sdks(_python_line(python), "nothing", missing)
    package = modules / "openai" / "package.json"
    found = shutil.which(node) or node
    try:
        node_version = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30,
                                      check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return Sdks(_python_line(python), "nothing", f"{node} does not run: install Node.js")
    openai = json.loads(package.read_text(encoding="utf-8")).get("version", "?")
    return Sdks(_python_line(python), f"Node.js {node_version}, openai {openai} ({modules})")


def node_missing(node: str, modules: Path) -> str:
    """Why Node.js examples cannot run with `node` and `modules`, with the command that fixes it; empty if they can."""
    package = modules / "openai" / "package.json"
    if not package.is_file():
        given = f" (${NODE_MODULES.name})" if NODE_MODULES.get() else ""
        fix = f"run `npm ci` in {modules.parent}" if not given else f"install the openai npm package in {modules}"
        return f"{modules}{given} has no openai package: {fix} (in this repository: make node_modules/.installed)"
    if shutil.which(node) is None and not Path(node).is_file():
        return f"no {node} here: install Node.js"
    return ""
