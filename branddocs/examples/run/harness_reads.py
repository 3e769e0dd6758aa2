"""What the harness needs to read as root, besides what everyone may read (isolation/harness_view.py)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import branddocs
from branddocs.examples.run import sandbox
from branddocs.examples.run.process import example_node
from branddocs.settings import BWRAP, EXAMPLE_PYTHON, NODE_MODULES

__all__ = ["harness_reads"]

_PATH_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")


def harness_reads(project: Path, proxy: Mapping[str, object], env: Mapping[str, str]) -> list[str]:
    """The paths the check reads: the project, the Python it runs with (its
    environment, its installation, every folder it imports from, branddocs' own source), the interpreter examples
    run with, `node` and node_modules, the proxy's folder (its sockets) and the CA bundles `env` names. Paths open
    to everyone are left as they are by harness_view.py; the system's and top-level folders are never bound whole."""
    paths = [project, Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent]
    paths += [Path(p) for p in sys.path if p and os.path.isabs(p)]
    paths += [Path(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if os.path.isabs(p)]
    paths.append(Path(branddocs.__file__).resolve().parents[1])
    if EXAMPLE_PYTHON.get():
        try:
            paths += sandbox.python_reads(EXAMPLE_PYTHON.get())
        except sandbox.StartError:  # its own path alone: the check names the error on each example that runs it
            paths.append(Path(os.path.abspath(EXAMPLE_PYTHON.get())).parent)
    node, modules = example_node(project)
    found = shutil.which(node)
    if found:
        paths.append(Path(os.path.realpath(found)).parents[1])  # its installation: bin/node and what is beside it
    if NODE_MODULES.get() or _a_node_modules_folder(modules):
        paths.append(modules)
    paths += [Path(str(proxy[name])).parent for name in ("socket", "control_socket") if proxy.get(name)]
    paths += [Path(env[name]) for name in _PATH_VARIABLES if os.path.isabs(env.get(name, ""))]
    if BWRAP.get():
        paths.append(Path(BWRAP.get()))
    return [str(p) for p in dict.fromkeys(paths)]


def _a_node_modules_folder(path: Path) -> bool:
    """Whether the project's node_modules leads to a folder named node_modules. Every other path bound here comes
    from the caller's environment; this one from the repository, which could commit `node_modules` as a link to a
    tmux server's folder, the home folder or /proc/self (the harness would then read and connect where they lead, and
    as root through an idmapped mount: the red team did). Elsewhere: $BRANDDOCS_NODE_MODULES names it."""
    real = os.path.realpath(path)
    return os.path.basename(real) == "node_modules" and os.path.isdir(real)
