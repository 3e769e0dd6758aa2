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
from branddocs.settings import BWRAP, EXAMPLE_PYTHON

__all__ = ["harness_reads"]

_PATH_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")


def harness_reads(project: Path, proxy: Mapping[str, object], env: Mapping[str, str]) -> list[str]:
    """The paths the check reads: the project and where its top-level links lead, the Python it runs with (its
    environment, its installation, every folder it imports from, branddocs' own source), the interpreter examples
    run with, `node` and node_modules, the proxy's folder (its sockets) and the CA bundles `env` names. Paths open
    to everyone are left as they are by harness_view.py; the system's and top-level folders are never bound whole."""
    paths = [project, Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent]
    with os.scandir(project) as entries:  # a project file that is a link (package.json into a monorepo): its target
        paths += [Path(os.path.realpath(entry.path)) for entry in entries if entry.is_symlink()]
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
    paths.append(modules)
    paths += [Path(str(proxy[name])).parent for name in ("socket", "control_socket") if proxy.get(name)]
    paths += [Path(env[name]) for name in _PATH_VARIABLES if os.path.isabs(env.get(name, ""))]
    if BWRAP.get():
        paths.append(Path(BWRAP.get()))
    return [str(p) for p in dict.fromkeys(paths)]
