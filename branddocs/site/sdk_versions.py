"""The SDKs the guide tells readers to install, and what they need: from the project's locks and the packages.

One place for what the guide states: the `openai` Python package is the version in requirements.lock (as
installed), its minimum Python is that package's own `Requires-Python`; the `openai` npm package is the
version in package.json (locked in package-lock.json), its minimum Node.js is package.json's `engines`,
which tests/test_sdk_versions.py holds equal to the installed package's own `engines`. The install commands
pin the locked major version, so a reader gets a release the checks can speak for; `make test-latest`
(tools/latest.py) installs exactly those specs to run the examples with the newest releases they give.

`lock_problems()` and `site_problems()` are what `branddocs check-sdk` holds the project and every built guide to.
"""

from __future__ import annotations

import html
import json
import os
import re
import stat
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

__all__ = [
    "Sdk",
    "declared_node_minimum",
    "lock_problems",
    "lower_bound",
    "node_sdk",
    "python_sdk",
    "sdk_variables",
    "site_problems",
    "stated_problems",
]


@dataclass(frozen=True)
class Sdk:
    version: str
    """The locked version the checks run every example with, e.g. `3.51.0`."""
    requires: str
    """The runtime the package declares, as written, e.g. `>=3.10`."""
    minimum: str
    """The lowest runtime version that satisfies `requires`, e.g. `3.10`."""
    spec: str
    """What the guide tells readers to install, the locked major: `openai==3.*`, `openai@6`."""

    @property
    def install(self) -> str:
        """The command the guide shows: `pip install "openai==3.*"`, `npm install openai@6`."""
        return f'pip install "{self.spec}"' if "==" in self.spec else f"npm install {self.spec}"


def lower_bound(requires: str, what: str) -> str:
    """The lowest version a `>=` requirement allows: `>=3.10` gives `3.10`, `>=22.0.0` gives `22`."""
    found = re.search(r">=\s*v?([0-9]+(?:\.[0-9]+)*)", requires)
    if not found:
        raise ValueError(f"{what}: expected a `>=` lower bound, found {requires!r}")
    # `>=22.0.0` and `>=22` say the same, and the guide reads better as "Node.js 22".
    return re.sub(r"(?:\.0)+$", "", found.group(1))


_MAX_MANIFEST = 16 * 1024 * 1024
"""package-lock.json of a large project is a few MB; more is no manifest."""


def read_manifest(path: Path) -> str:
    """The text of a manifest or lock file the guide's versions come from: a regular file, opened without following
    a link or waiting on a FIFO, at most 16 MB (red team 8, R8-8: `package.json -> /dev/zero` was read until memory
    ran out); a ValueError naming the file otherwise (FileNotFoundError when there is none)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"{path}: expected a regular file, found one that cannot be opened so ({exc.strerror})"
        ) from None
    with os.fdopen(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ValueError(f"{path}: expected a regular file, found another kind of file")
        data = file.read(_MAX_MANIFEST + 1)
    if len(data) > _MAX_MANIFEST:
        raise ValueError(f"{path}: expected at most {_MAX_MANIFEST:,} bytes, found more")
    return data.decode("utf-8")


@cache
def python_sdk() -> Sdk:
    version = metadata.version("openai")
    requires = metadata.metadata("openai")["Requires-Python"] or ""
    major = version.split(".")[0]
    return Sdk(version, requires, lower_bound(requires, "openai's Requires-Python"), f"openai=={major}.*")


@cache
def node_sdk(root: Path) -> Sdk:
    package = json.loads(read_manifest(root / "package.json"))
    version = package["dependencies"]["openai"]
    requires = package.get("engines", {}).get("node", "")
    major = version.lstrip("^~=v").split(".")[0]
    return Sdk(version, requires, lower_bound(requires, "package.json's engines.node"), f"openai@{major}")


def sdk_variables(root: Path) -> dict[str, str]:
    """`{{ python_min }}`, `{{ pip_install_openai }}`, `{{ node_min }}`, `{{ npm_install_openai }}` and versions.

    The Node.js ones only in a project with a package.json (a guide with JavaScript examples)."""
    py = python_sdk()
    values = {"python_min": py.minimum, "pip_install_openai": py.install, "openai_python_version": py.version}
    if not os.path.lexists(root / "package.json"):
        return values  # a page that still names them fails on the undefined variable, by name
    node = node_sdk(root)
    return {
        **values,
        "node_min": node.minimum,
        "npm_install_openai": node.install,
        "openai_node_version": node.version,
    }


def declared_node_minimum(package_dir: Path) -> tuple[str, str]:
    """The lowest Node.js an npm package declares, and where: its `engines.node`, else its README's Requirements."""
    manifest = package_dir / "package.json"
    declared = json.loads(read_manifest(manifest)).get("engines", {}).get("node")
    if declared:
        return lower_bound(declared, f"{manifest}: engines.node"), f"{manifest}: engines.node {declared!r}"
    # openai 6 declares no engines; its README's "Requirements" section names the supported Node.js.
    readme = package_dir / "README.md"
    found = re.search(r"Node\.js (\d+) LTS or later", read_manifest(readme)) if readme.exists() else None
    if not found:
        raise ValueError(f"{manifest}: no engines.node, and {readme} names no 'Node.js N LTS or later'")
    return found.group(1), f"{readme}: {found.group()!r}"


def _locked(path: Path, pattern: str) -> str | None:
    found = re.search(pattern, read_manifest(path), re.MULTILINE)
    return found.group(1) if found else None


def lock_problems(root: Path) -> list[str]:
    """Where the project's pins, what is installed and package.json's engines.node disagree, naming file and field."""
    problems = []
    py = python_sdk()
    for path, pattern in (
        (root / "pyproject.toml", r'"openai==([^"]+)"'),
        (root / "requirements.lock", r"^openai==(\S+)"),
    ):
        pinned = _locked(path, pattern)
        if pinned != py.version:
            problems.append(f"{path}: pins openai {pinned}, but openai {py.version} is installed (run make site)")
    node, package_dir = node_sdk(root), root / "node_modules" / "openai"
    installed = json.loads(read_manifest(package_dir / "package.json"))["version"]
    lock = json.loads(read_manifest(root / "package-lock.json"))
    locked = lock["packages"].get("node_modules/openai", {}).get("version")
    if not node.version == installed == locked:
        problems.append(
            f"{root / 'package.json'}: dependencies.openai is {node.version}, package-lock.json has {locked}, "
            f"node_modules/openai is {installed} (run make lock, then npm ci)"
        )
    minimum, where = declared_node_minimum(package_dir)
    if node.minimum != minimum:
        problems.append(
            f"{root / 'package.json'}: engines.node {node.requires!r} says Node.js {node.minimum}, "
            f"but openai {installed} needs Node.js {minimum} ({where}); the guide states package.json's"
        )
    return problems


def _text(page_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page_html))


def stated_problems(page_html: str, where: str, root: Path) -> tuple[list[str], set[str]]:
    """What a built page says about the SDKs that the locked packages' own metadata contradicts.

    Returns the problems and which statements the page makes (`python`, `node`, `pip`, `npm`), in any
    language: "Python 3.10", "Node.js 20", `pip install "openai==3.*"`, `npm install openai@6`.
    """
    text, problems, made = _text(page_html), [], set()
    py, node = python_sdk(), node_sdk(root)
    package_dir = root / "node_modules" / "openai"
    node_min, node_where = declared_node_minimum(package_dir)
    node_version = json.loads(read_manifest(package_dir / "package.json"))["version"]
    for stated in re.findall(r"\bPython\s+(\d+\.\d+(?:\.\d+)?)\b", text):
        made.add("python")
        if stated != py.minimum:
            problems.append(
                f"{where}: says Python {stated}, but openai {py.version} declares Requires-Python {py.requires!r}"
            )
    for stated in re.findall(r"\bNode\.js\s+(\d+(?:\.\d+)*)\b", text):
        made.add("node")
        if stated != node_min:
            problems.append(
                f"{where}: says Node.js {stated}, but openai {node_version} needs Node.js {node_min} ({node_where})"
            )
    for command in re.findall(r'pip3? install\s+"?openai[A-Za-z0-9_=<>!~.*\[\]-]*"?', text):
        made.add("pip")
        if command != py.install:
            problems.append(
                f"{where}: shows {command!r}; the checks run openai {py.version}, installed by {py.install!r}"
            )
    for command in re.findall(r"npm install\s+openai(?:@[A-Za-z0-9_.^~<>=*-]*)?", text):
        made.add("npm")
        if command != node.install or node_version.split(".")[0] != node.spec.rsplit("@", 1)[1]:
            problems.append(
                f"{where}: shows {command!r}; the checks run openai {node_version}, installed by {node.install!r}"
            )
    return problems, made


def site_problems(site: Path, root: Path) -> tuple[list[str], set[str]]:
    """Every built page's statements about the SDKs checked against the packages; which statements the site makes."""
    problems, made = [], set()
    for page in sorted(site.rglob("*.html")):
        found, said = stated_problems(page.read_text(encoding="utf-8"), str(page.relative_to(site.parent)), root)
        problems += found
        made |= said
    return problems, made
