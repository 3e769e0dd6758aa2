"""The clients that try the rows of the guide's error tables (judge/claims.py): branddocs' own programs, started once.

A row is a request branddocs makes, as data, with the clients a reader has: curl and the `openai` Python package
(rows_client.py) and the `openai` npm package (rows_client.mjs). Each client is one process per
pytest worker, fed one table after another: in the sandbox like the examples (a unit of its own for as long as it
lives: its user, the minimal environment, its only way out the recording proxy), or, where examples run without
it, a plain process. No example's code ever runs in them: each example still gets a process of its own
(process.py, pool.py). One table's rows cannot break a client for the next table: each order carries an id that
its answer repeats (an answer to a table given up on is skipped, never taken for the next one's), and a client
answers an order it could not carry out with why, then goes on with the next.
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
from branddocs.examples.run.pool import PoolError, Unit, Zygote
from branddocs.examples.run.process import ExampleFailure, Target, example_node, example_python, read_bounded
from branddocs.settings import ROWS_ORDER
from branddocs.site.engine_folders import own_folder, write_own

__all__ = ["ForkedRows", "RowsClient", "rows_client"]

_HERE = Path(__file__).parent
_PYTHON, _NODE = _HERE / "rows_client.py", _HERE / "rows_client.mjs"
_ORDER_ENV = ROWS_ORDER.name
"""rows_client.ORDER_ENV (that file imports nothing of branddocs')."""


class RowsClient:
    """One client process: `send` gives it a table's order, `answer` reads its one-line answer within a time limit."""

    def __init__(self, what: str, process: subprocess.Popen, stderr: Path, target: Target, unit: Unit | None) -> None:
        self.what, self.process, self.stderr, self.target, self.unit = what, process, stderr, target, unit
        self.sent = 0

    def send(self, order: dict) -> None:
        assert self.process.stdin is not None
        self.sent += 1
        try:
            self.process.stdin.write(json.dumps({**order, "id": self.sent}).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            self._failed("ended before it was given the rows")

    def answer(self, timeout: float) -> dict:
        """The answer to the order sent last, read within `timeout` seconds."""
        assert self.process.stdout is not None
        deadline, got = time.monotonic() + timeout, bytearray()
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while True:
                line, _, rest = got.partition(b"\n")
                if _:
                    got = bytearray(rest)
                    answer = json.loads(line)
                    if answer.get("id") != self.sent:  # the answer to an order whose table was given up on
                        continue
                    if "error" in answer:
                        raise ExampleFailure(f"branddocs' {self.what} client could not try this table's rows: "
                                             f"{answer['error']}")  # fmt: skip
                    return answer
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.close()
                    raise ExampleFailure(f"branddocs' {self.what} client did not answer the rows within {timeout:g} s "
                                         "(raise the limit with --example-timeout)")  # fmt: skip
                data = os.read(self.process.stdout.fileno(), 65536)
                if not data:
                    self._failed("ended while trying the rows")
                got += data

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
        if self.unit is not None and self.target.pool is not None:
            self.target.pool.give_back(self.unit)
            self.unit = None
        shutil.rmtree(self.stderr.parent, ignore_errors=True)


class ForkedRows:
    """The curl and Python client in the sandbox: per table, rows_client.py run by an isolation unit that the worker's
    zygote forks (pool.py), as for a Python example: the zygote's `import openai` (a second) serves the tables too,
    where a process of their own paid it again. The unit has what RowsClient's process had (a user and a memory
    cgroup of its own, the sandbox, the minimal environment), for one order; no example's code runs in it."""

    what = "curl and Python"

    def __init__(self, zygote: Zygote, env: dict[str, str]) -> None:
        self.zygote, self.env = zygote, env
        self.order: dict | None = None

    def send(self, order: dict) -> None:
        self.order = order

    def answer(self, timeout: float) -> dict:
        """The answer to the order sent last, from a unit forked for it, within `timeout` seconds."""
        assert self.order is not None
        env, self.order = {**self.env, _ORDER_ENV: json.dumps({**self.order, "id": 1})}, None
        with self.zygote.pool.unit() as unit:  # given back once the unit has ended
            try:
                forked = self.zygote.fork(unit, env, _PYTHON.read_text(encoding="utf-8"), "plain")
            except PoolError as exc:
                raise ExampleFailure(
                    f"branddocs' {self.what} client for the error tables did not start: {exc}"
                ) from None
            try:
                out, err, result, too_much = read_bounded(forked, timeout)
                if too_much:  # read no further, and waited for by no one: stopped here
                    forked.kill()
            except subprocess.TimeoutExpired:
                forked.kill()
                raise ExampleFailure(f"branddocs' {self.what} client did not answer the rows within {timeout:g} s "
                                     "(raise the limit with --example-timeout)") from None  # fmt: skip
            finally:
                for stream in (forked.stdout, forked.stderr, forked.result):
                    stream.close()
        lines = out.decode(errors="replace").strip().splitlines()
        if too_much or not lines:
            tail = "\n".join([*err.decode(errors="replace").strip().splitlines()[-6:], _raised(result)])
            raise ExampleFailure(f"branddocs' {self.what} client for the error tables ended while trying the rows "
                                 f"(status {forked.returncode}):\n{tail}")  # fmt: skip
        answer = json.loads(lines[-1])
        if "error" in answer:
            raise ExampleFailure(f"branddocs' {self.what} client could not try this table's rows: {answer['error']}")
        return answer

    def alive(self) -> bool:
        return self.zygote.alive()

    def close(self) -> None:
        """Nothing of its own to stop: the zygote is the pool's."""


def _raised(result: bytes) -> str:
    """What python_child.py says the client raised (`ModuleNotFoundError: No module named 'openai'`), if it did."""
    try:
        error = json.loads(result or b"{}").get("error") or {}
    except (ValueError, AttributeError):
        return ""
    return f"{error.get('type')}: {error.get('message')}" if error.get("type") not in (None, "SystemExit") else ""


def rows_client(target: Target, language: str, project_root: Path) -> RowsClient | ForkedRows:
    """The worker's client for `language` ("python": curl and the Python SDK; "javascript"), started if needed."""
    found = target.clients.get(language)
    if found is not None and found.alive():
        return found
    if found is not None:
        found.close()
    found = target.clients[language] = _start(target, language, project_root)
    return found


def _start(target: Target, language: str, project_root: Path) -> RowsClient | ForkedRows:
    boxed = target.sandbox_socket is not None
    if boxed and language == "python" and target.pool is not None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": f"{sandbox.SCRATCH}/home", "LANG": "C.UTF-8"}
        return ForkedRows(target.pool.zygote(example_python()), env)
    folder = Path(tempfile.mkdtemp(prefix="branddocs-rows-"))  # its stderr; unboxed, its scratch folder too
    home = Path(sandbox.SCRATCH if boxed else folder) / "home"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    if language == "javascript":
        node, modules = example_node(project_root)
        node, modules = os.path.realpath(node), modules.resolve()
        script = sandbox.INSIDE / _NODE.name
        if not boxed:  # beside node_modules/, so `import 'openai'` resolves to it
            script = own_folder(modules.parent, ".cache", "examples") / _NODE.name
            partial = script.with_name(f".{script.name}.{os.getpid()}")  # new, then renamed: never through a link
            write_own(partial, _NODE.read_bytes())
            os.replace(partial, script)
        command, reads, binds = [node, str(script)], [Path(node)], {"/node_modules": modules, str(script): _NODE}
        what = "Node.js"
    else:
        python = example_python()
        script = sandbox.INSIDE / _PYTHON.name if boxed else _PYTHON
        command, reads, binds = [python, "-I", str(script)], sandbox.python_reads(python), {str(script): _PYTHON}
        what = "curl and Python"
    stderr = folder / "stderr"
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    unit = None
    with stderr.open("wb") as err:
        if boxed:
            assert target.sandbox_socket is not None
            assert target.pool is not None, "in the sandbox the pool gives each unit its user and cgroup"
            port = int(target.proxy_url.rsplit(":", 1)[1])
            unit = target.pool.take_unit()  # for as long as the client lives
            box = sandbox.Box(target.sandbox_socket, port, reads=reads, binds=binds)
            process = sandbox.launch(command, box, env, unit.uid, unit.group, stderr=err, **pipes)
        else:
            home.mkdir()
            process = subprocess.Popen(command, env=env, cwd=home, stderr=err, start_new_session=True, **pipes)
    return RowsClient(what, process, stderr, target, unit)
