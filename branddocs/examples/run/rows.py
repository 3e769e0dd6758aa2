"""The clients that try the rows of the guide's error tables (judge/claims.py): branddocs' own programs, started once.

A row is a request branddocs makes, as data, with the clients a reader has: curl and the `openai` Python package
(rows_client.py) and the `openai` npm package (rows_client.mjs). Each client is one process per
pytest worker, fed one table after another: in the sandbox like the examples (its own user, the minimal
environment, its only way out the recording proxy), or, where examples run without it, a plain process. No
example's code ever runs in them: each example still gets a process of its own (process.py, pool.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from branddocs.examples.run import sandbox
from branddocs.examples.run.process import ExampleFailure, Target, example_node, example_python

__all__ = ["RowsClient", "rows_client"]

_HERE = Path(__file__).parent
_PYTHON, _NODE = _HERE / "rows_client.py", _HERE / "rows_client.mjs"


class RowsClient:
    """One client process: `send` gives it a table's order, `answer` reads its one-line answer within a time limit."""

    def __init__(self, what: str, process: subprocess.Popen, scratch: Path, stderr: Path) -> None:
        self.what, self.process, self.scratch, self.stderr = what, process, scratch, stderr

    def send(self, order: dict) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(order).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            self._failed("ended before it was given the rows")

    def answer(self, timeout: float) -> dict:
        """The answer to the order sent last, read within `timeout` seconds."""
        assert self.process.stdout is not None
        deadline, got = time.monotonic() + timeout, bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while not got.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.close()
                    raise ExampleFailure(f"branddocs' {self.what} client did not answer the rows within {timeout:g} s "
                                         "(raise the limit with --example-timeout)")  # fmt: skip
                data = os.read(self.process.stdout.fileno(), 65536)
                if not data:
                    self._failed("ended while trying the rows")
                got += data
        return json.loads(got)

    def alive(self) -> bool:
        return self.process.poll() is None

    def _failed(self, how: str) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        lines = self.stderr.read_text(errors="replace").strip().splitlines()
        why = [line for line in lines[:-6] if re.match(r"\w*Error\b", line)][:1]  # Node.js: why, then its stack
        tail = "\n".join([*why, *lines[-6:]])
        self.close()
        raise ExampleFailure(f"branddocs' {self.what} client for the error tables {how} (status "
                             f"{self.process.returncode}):\n{tail}")  # fmt: skip

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                stream.close() if stream else None
        shutil.rmtree(self.scratch, ignore_errors=True)


def rows_client(target: Target, language: str, project_root: Path) -> RowsClient:
    """The worker's client for `language` ("python": curl and the Python SDK; "javascript"), started if needed."""
    found = target.clients.get(language)
    if found is not None and found.alive():
        return found
    if found is not None:
        found.close()
    found = target.clients[language] = _start(target, language, project_root)
    return found


def _start(target: Target, language: str, project_root: Path) -> RowsClient:
    scratch = Path(tempfile.mkdtemp(prefix="branddocs-rows-"))
    os.chmod(scratch, 0o755)  # noqa: S103 - the client's user, not this process's, works in it
    (scratch / "home").mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(scratch / "home"), "LANG": "C.UTF-8"}
    boxed = target.sandbox_socket is not None
    if language == "javascript":
        node, modules = example_node(project_root)
        node, modules = os.path.realpath(node), modules.resolve()
        script = sandbox.INSIDE / _NODE.name
        if not boxed:  # beside node_modules/, so `import 'openai'` resolves to it
            script = modules.parent / ".cache" / "examples" / _NODE.name
            script.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_NODE, script)
        command, reads, binds = [node, str(script)], [Path(node)], {"/node_modules": modules, str(script): _NODE}
        what = "Node.js"
    else:
        python = example_python()
        script = sandbox.INSIDE / _PYTHON.name if boxed else _PYTHON
        command, reads, binds = [python, "-I", str(script)], sandbox.python_reads(python), {str(script): _PYTHON}
        what = "curl and Python"
    stderr = scratch / "stderr"
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    with stderr.open("wb") as err:
        if boxed:
            assert target.sandbox_socket is not None
            port = int(target.proxy_url.rsplit(":", 1)[1])
            uid = target.pool.new_uid() if target.pool is not None else None
            box = sandbox.Box(scratch / "home", target.sandbox_socket, port, reads=reads, binds=binds)
            process = sandbox.launch(command, box, env, uid=uid, stderr=err, **pipes)
        else:
            process = subprocess.Popen(command, env=env, cwd=scratch / "home", stderr=err, start_new_session=True,
                                       **pipes)  # fmt: skip
    return RowsClient(what, process, scratch, stderr)
