"""What a check's examples will need, started before the first of them runs (issue 35): the Python zygote, the first
Node.js standby (pool.py) and the error tables' clients (rows.py), each a second or so of start-up (`import
openai`) that the first example needing it had paid, now paid while the first examples run.

The pytest plugin names what the collected examples need (`ahead`: their languages, and "errors" for an error
table) once collection is over (pytest_plugin/target.py). The processes are the very ones the examples would have
started, with the same units, environments and sandboxes: only when they start changes. One that cannot start is
left for its first example to start again, which then says why.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from branddocs.examples.run import sandbox
from branddocs.examples.run.pool import Pool, PoolError
from branddocs.examples.run.process import Target, example_env, example_node, example_python
from branddocs.examples.run.rows import rows_client
from branddocs.examples.run.sdks import node_missing

__all__ = ["start_ahead"]


def start_ahead(target: Target, ahead: list[str], project_root: Path) -> list[str]:
    """Start what `ahead` names, in the sandbox's pool; returns what was started."""
    if target.pool is None:
        return []
    node, modules = example_node(project_root)
    has_node = not node_missing(node, modules)
    started = []
    for name in ("python", "javascript", "errors"):
        if name not in ahead or (name == "javascript" and not has_node):
            continue
        with contextlib.suppress(OSError, PoolError, sandbox.StartError):  # its first example says why
            _start(name, target, target.pool, project_root, has_node)
            started.append(name)
    return started


def _start(name: str, target: Target, pool: Pool, project_root: Path, has_node: bool) -> None:
    if name == "python":
        pool.zygote(example_python())
    elif name == "javascript":  # what javascript.py asks the pool for: the example's environment less its key
        node, modules = example_node(project_root)
        pool.ahead(os.path.realpath(node), modules.resolve(), example_env(Path(sandbox.SCRATCH) / "home"))
    else:  # the error tables' clients (judge/claims.py): Node.js only where its examples can run
        for language in ("javascript", "python") if has_node else ("python",):
            rows_client(target, language, project_root)
