"""The SDKs the guide tells readers to install, and what they need: from the project's locks and the packages.

One place for what the guide states: the `openai` Python package is the version in requirements.lock (as
installed), its minimum Python is that package's own `Requires-Python`; the `openai` npm package is the
version in package.json (locked in package-lock.json), its minimum Node.js is package.json's `engines`,
which tests/test_sdk_versions.py holds equal to the installed package's own `engines`. The install commands
pin the locked major version, so a reader gets a release the checks can speak for.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

__all__ = ["Sdk", "node_sdk", "python_sdk", "sdk_variables"]


@dataclass(frozen=True)
class Sdk:
    version: str
    """The locked version the checks run every example with, e.g. `3.51.0`."""
    requires: str
    """The runtime the package declares, as written, e.g. `>=3.10`."""
    minimum: str
    """The lowest runtime version that satisfies `requires`, e.g. `3.10`."""
    install: str
    """The command the guide shows, pinned to the locked major version."""


def _minimum(requires: str, what: str) -> str:
    found = re.search(r">=\s*v?([0-9]+(?:\.[0-9]+)*)", requires)
    if not found:
        raise ValueError(f"{what}: expected a `>=` lower bound, found {requires!r}")
    return found.group(1)


@cache
def python_sdk() -> Sdk:
    version = metadata.version("openai")
    requires = metadata.metadata("openai")["Requires-Python"] or ""
    major = version.split(".")[0]
    return Sdk(version, requires, _minimum(requires, "openai's Requires-Python"), f'pip install "openai=={major}.*"')


@cache
def node_sdk(root: Path) -> Sdk:
    package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    version = package["dependencies"]["openai"]
    requires = package.get("engines", {}).get("node", "")
    major = version.lstrip("^~=v").split(".")[0]
    return Sdk(version, requires, _minimum(requires, "package.json's engines.node"), f"npm install openai@{major}")


def sdk_variables(root: Path) -> dict[str, str]:
    """`{{ python_min }}`, `{{ pip_install_openai }}`, `{{ node_min }}`, `{{ npm_install_openai }}` and versions."""
    py, node = python_sdk(), node_sdk(root)
    return {
        "python_min": py.minimum,
        "pip_install_openai": py.install,
        "openai_python_version": py.version,
        "node_min": node.minimum,
        "npm_install_openai": node.install,
        "openai_node_version": node.version,
    }
