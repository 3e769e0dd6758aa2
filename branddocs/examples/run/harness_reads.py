"""What the harness needs to read as root, besides what everyone may read (isolation/harness_view.py)."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

import branddocs
from branddocs.examples.run import sandbox
from branddocs.examples.run.process import example_node
from branddocs.settings import BWRAP, EXAMPLE_PYTHON, NODE_MODULES
from branddocs.site.config_paths import named_paths, path_problem

__all__ = ["PROJECT_PARTS", "harness_reads", "harness_reads_as_is", "harness_reads_named"]

PROJECT_PARTS = ("mkdocs.yml", "docs", "overrides", "brands", "macros", "conftest.py", "package.json",
                 "package-lock.json", "pyproject.toml", "requirements.lock")  # fmt: skip
"""What the check reads of the project (a site's sources, the locks its pages print, the root conftest.py pytest
loads): bound each at its path, never the project whole. As root the binds are idmapped (root's files shown as the
harness's own): the project's `.git/` (a remote's token in its config), `.env`, a `0700` folder of the operator's
stay as they are, read only as everyone may (R7-9)."""

_PATH_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")


def harness_reads(project: Path, proxy: Mapping[str, object], env: Mapping[str, str]) -> list[str]:
    """The paths the check reads: the project, the Python it runs with (its
    environment, its installation, every folder it imports from, branddocs' own source), the interpreter examples
    run with, `node` and node_modules, the proxy's folder (its sockets) and the CA bundles `env` names. Paths open
    to everyone are left as they are by harness_view.py; the system's and top-level folders are never bound whole."""
    real = os.path.realpath(project)
    paths = [project / name for name in PROJECT_PARTS if not (project / name).is_symlink()]
    engine = [Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent]
    engine += [Path(p) for p in sys.path if p and os.path.isabs(p)]
    engine += [Path(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if os.path.isabs(p)]
    engine.append(Path(branddocs.__file__).resolve().parents[1])
    for path in engine:  # the project's folder named as the engine's (a checkout that holds it): its package alone
        paths.append(Path(branddocs.__file__).resolve().parent if os.path.realpath(path) == real else path)
    if EXAMPLE_PYTHON.get():
        try:
            paths += sandbox.python_reads(EXAMPLE_PYTHON.get())
        except sandbox.StartError:  # its own path alone: the check names the error on each example that runs it
            paths.append(Path(os.path.abspath(EXAMPLE_PYTHON.get())).parent)
    node = example_node(project)[0]
    found = shutil.which(node)
    if found:
        paths.append(Path(os.path.realpath(found)).parents[1])  # its installation: bin/node and what is beside it
    paths += [Path(str(proxy[name])).parent for name in ("socket", "control_socket") if proxy.get(name)]
    paths += [Path(env[name]) for name in _PATH_VARIABLES if os.path.isabs(env.get(name, ""))]
    if BWRAP.get():
        paths.append(Path(BWRAP.get()))
    return [str(p) for p in dict.fromkeys(paths)]


def harness_reads_as_is(project: Path) -> list[str]:
    """What the check reads that is bound as it is, never idmapped (as root, the harness reads there only what
    everyone may: packages are world-readable, a private file there is no package's): node_modules, when
    $BRANDDOCS_NODE_MODULES names it or `_a_node_modules_folder` holds."""
    modules = example_node(project)[1]
    return [os.path.realpath(modules)] if NODE_MODULES.get() or _a_node_modules_folder(modules, project) else []


def _a_node_modules_folder(path: Path, project: Path) -> bool:
    """Whether the project's node_modules leads to a folder named node_modules, inside the project's real folder or
    on a way everyone may take. Every other path bound here comes from the caller's environment; this one from the
    repository, which could commit `node_modules` as a link to a tmux server's folder, the home folder or /proc/self
    (the harness would then read and connect where they lead), or to a folder named node_modules behind root's
    `0700` folder (R7-9 b). Elsewhere: $BRANDDOCS_NODE_MODULES names it."""
    real = os.path.realpath(path)
    if os.path.basename(real) != "node_modules" or not os.path.isdir(real):
        return False
    inside = real.startswith(os.path.realpath(project).rstrip("/") + "/")
    return inside or all(os.stat(p).st_mode & 0o001 for p in [real, *map(str, Path(real).parents)])


def harness_reads_named(project: Path, as_root: bool) -> tuple[list[str], list[str]]:
    """What the project's mkdocs.yml names outside PROJECT_PARTS (site/config_paths.py: `hooks:`, mkdocs-macros'
    `module_name`, `include_yaml`, `include_dir`, `watch:`, INHERIT's files): the paths to bind as they are (never
    idmapped: as root the harness reads there only what everyone may, as in node_modules), and the problems, one
    line each naming the file and line, for which the check refuses to run: a path outside the project, through a
    link, with a dot-named part, or the project itself; as root, also one that everyone may not read (a file
    without `o+r`, a folder without `o+rx`), which the harness would meet as a file that is not there."""
    paths, problems = [], []
    for named in named_paths(project / "mkdocs.yml", project):
        problem = path_problem(named, project)
        if problem is None and Path(os.path.relpath(named.bound, project)).parts[0] in PROJECT_PARTS:
            continue  # bound with its part
        for path in dict.fromkeys((named.path, named.bound)) if problem is None and as_root else ():
            problem = problem or _closed(path, named.where, named.given)
        if problem:
            problems.append(problem)
        else:
            paths.append(str(named.bound))
    return list(dict.fromkeys(paths)), problems


def _closed(path: Path, where: str, given: str) -> str | None:
    """Why everyone may not read `path` (a file without `o+r`, a folder without `o+rx`), or None."""
    mode = os.stat(path).st_mode
    wanted = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    if mode & wanted == wanted:
        return None
    return (f"{where}: {given}: expected a {'folder' if stat.S_ISDIR(mode) else 'file'} everyone may read ({path} "
            f"has mode {stat.filemode(mode)}): as root the harness reads what mkdocs.yml names outside the site's "
            "parts only as everyone may")  # fmt: skip
