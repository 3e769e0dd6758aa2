"""Run one example's process against the endpoint under test, and say what the run shows, whatever the language.

Every example runs in a process of its own (Python included) with a minimal environment: PATH, a scratch
HOME, LANG, and the brand's key variable holding a key made for the run, which only the recording proxy
accepts; where the machine allows it, in a sandbox (sandbox.py) that sees its scratch folder and what it must
read, and reaches only the proxy. The run's time limit is the user's (`--example-timeout`,
`$BRANDDOCS_EXAMPLE_TIMEOUT`); its output is read up to sandbox.OUTPUT_LIMIT bytes. Each language
(languages/) writes its file and says which command runs it; `execute` runs that command.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs.endpoint.routes import brand_prefix
from branddocs.examples.proxy.process import ProxyClient
from branddocs.examples.proxy.recording import DEFAULT_TIMEOUT, Exchange, RecordingProxy
from branddocs.examples.responses.sdk import Reads
from branddocs.examples.run import sandbox
from branddocs.examples.run.pool import Forked, Pool
from branddocs.settings import EXAMPLE_NODE, EXAMPLE_PYTHON, EXAMPLE_TIMEOUT, NODE_MODULES

if TYPE_CHECKING:
    from branddocs.brand import Brand
    from branddocs.examples.example import Example

__all__ = [
    "TIMEOUT_ENV",
    "ExampleFailure",
    "Run",
    "Target",
    "check_run",
    "example_node",
    "example_python",
    "execute",
    "finish",
    "prepare",
    "read_bounded",
    "traffic_and_output_problems",
    "workdir",
]

TIMEOUT_ENV = EXAMPLE_TIMEOUT.name
_EMPTY_OUTPUT = {"", "None", "undefined", "null", "[]", "{}"}


class ExampleFailure(AssertionError):
    """An example is wrong; the message says where and why, for the writer."""


@dataclass
class Target:
    """The endpoint under test, behind the recording proxy (which alone holds the real key)."""

    proxy: RecordingProxy | ProxyClient
    proxy_url: str
    exact: bool
    """True against the reference endpoint: outputs and samples must match exactly, not just in shape."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one example may run (`--example-timeout`), unless its brand says otherwise (`limit_for`)."""
    timeout_given: bool = False
    """The run set `timeout` (`--example-timeout`, `$BRANDDOCS_EXAMPLE_TIMEOUT`): it wins over a brand's."""
    conformance: bool = False
    """`--conformance openai`: also report every departure from OpenAI's published schema."""
    per_brand: bool = False
    """The reference endpoint: each brand's runs go to `/brands/<id><path>`, which serves its models only."""
    sandbox_socket: str | None = None
    """The proxy's Unix socket: examples then run in the sandbox, whose only way out it is."""
    pool: Pool | None = None
    """Processes started ahead in the sandbox, one per example (pool.py); None: each example starts its own."""
    clients: dict = field(default_factory=dict)
    """branddocs' own clients for the error tables, one per language, started once (row_clients.py)."""

    def close(self) -> None:
        """Stop what the checks started: the error tables' clients, the pool's processes."""
        for client in self.clients.values():
            client.close()
        self.clients.clear()
        if self.pool is not None:
            self.pool.close()

    def limit_for(self, brand: Brand) -> tuple[float, str]:
        """Seconds one of `brand`'s examples may run, and where that limit is set and raised (for the message)."""
        if self.timeout_given:
            return self.timeout, f"the run's limit: raise it with --example-timeout or ${TIMEOUT_ENV}"
        own = brand.checks.example_timeout
        if own is not None:
            return own, (f"brands/{brand.id}.yml sets checks.example_timeout: {own:g}: raise it there, or for one run "
                         "with --example-timeout")  # fmt: skip
        return self.timeout, (f"the default limit: raise it with --example-timeout or ${TIMEOUT_ENV}, or for this "
                              f"brand with `checks: {{example_timeout: N}}` in brands/{brand.id}.yml")  # fmt: skip

    def new_token(self, brand: Brand) -> str:
        prefix = brand_prefix(brand) if self.per_brand else ""
        return self.proxy.new_token(prefix, brand.id)


@dataclass
class Run:
    token: str
    code: str
    """The code as run: the brand's base URL replaced by the proxy's."""
    env: dict[str, str] = field(repr=False)
    stdout: str = ""
    stderr: str = ""
    returncode: int = 0
    exchanges: list[Exchange] = field(default_factory=list)
    result: bytes = b""
    """What a forked Python example's python_child.py reported (JSON), read with its output."""
    reads: Reads = None
    """The response fields the example's code touches (its language's `reads`, set by Language.checked_run);
    None: all the SDK requires."""
    limit: tuple[float, str] = (DEFAULT_TIMEOUT, "the default limit")
    """Seconds it may run, and where that limit is set and raised (Target.limit_for)."""


def example_python() -> str:
    """The interpreter Python examples run with: this one, unless $BRANDDOCS_EXAMPLE_PYTHON names another (with
    pytest-examples and another `openai`: `make test-latest`)."""
    return EXAMPLE_PYTHON.get() or sys.executable


def example_node(project_root: Path) -> tuple[str, Path]:
    """(node, node_modules) JavaScript examples run with: the `node` on PATH and the project's node_modules (from
    package-lock.json), unless $BRANDDOCS_EXAMPLE_NODE and $BRANDDOCS_NODE_MODULES name others (`make test-latest`)."""
    return EXAMPLE_NODE.get() or shutil.which("node") or "node", Path(
        NODE_MODULES.get() or project_root / "node_modules"
    )


def example_env(home: Path) -> dict[str, str]:
    """The environment every example runs with, less its run key: what a Node.js standby is started with."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}


def prepare(example: Example, target: Target, home: Path) -> Run:
    """The code with the proxy's address, and the minimal environment it runs with (no real secret in it)."""
    token = target.new_token(example.brand)
    code = example.code.replace(example.brand.base_url, f"{target.proxy_url}/_x/{token}")
    env = {**example_env(home), example.brand.key_env: target.proxy.run_key(token)}
    return Run(token=token, code=code, env=env, limit=target.limit_for(example.brand))


def execute(
    cmd: list[str], run: Run, target: Target, cwd: Path, what: str = "example", reads: list[Path] | None = None,
    binds: dict[str, Path] | None = None,
) -> Run:  # fmt: skip
    """Run `cmd` within the time and output limits; at a limit the whole process tree goes.

    Where the machine allows it, as an isolation unit in the sandbox, whose only way out is the recording proxy:
    it works in a scratch folder of its own (sandbox.SCRATCH) and reads `reads` and `binds` (its script among
    them); else as a plain process in `cwd`.
    """
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    if not target.sandbox_socket:
        process = subprocess.Popen(cmd, env=run.env, cwd=cwd, start_new_session=True, **pipes)
        return finish(process, run, target, what)
    assert target.pool is not None, "in the sandbox the pool gives each unit its user and cgroup"
    port = int(target.proxy_url.rsplit(":", 1)[1])
    box = sandbox.Box(target.sandbox_socket, port, reads=reads or [], binds=binds or {})
    with target.pool.unit() as unit:  # given back once finish() has waited for the unit's end
        return finish(sandbox.launch(cmd, box, run.env, unit.uid, unit.group, **pipes), run, target, what)


def finish(process: subprocess.Popen | Forked, run: Run, target: Target, what: str = "example") -> Run:
    """Read the started example's output within the time and output limits, then its exit status and traffic."""
    seconds, where = run.limit
    try:
        out, err, result, too_much = read_bounded(process, seconds)
    except subprocess.TimeoutExpired:
        waiting = target.proxy.in_flight(run.token)
        _kill(process)
        if waiting:
            raise ExampleFailure(
                f"timed out after {seconds:g} s waiting for the endpoint (a request was still open); {where}"
            ) from None
        raise ExampleFailure(
            f"timed out after {seconds:g} s waiting for the {what} (the endpoint had answered every request); {where}"
        ) from None
    if too_much:
        _kill(process)
        raise ExampleFailure(
            f"printed more than {sandbox.OUTPUT_LIMIT // (1 << 20)} MiB (stdout and stderr together); stopped it there"
        )
    run.stdout, run.stderr, run.result = out.decode(errors="replace"), err.decode(errors="replace"), result
    run.returncode = process.returncode
    run.exchanges = target.proxy.exchanges(run.token, close=True)  # its run key stops working here
    return run


def _streams(process: subprocess.Popen | Forked) -> list:
    """What the process writes for the checks: stdout, stderr and, for a forked Python example, its result."""
    return [process.stdout, process.stderr, *([process.result] if isinstance(process, Forked) else [])]


def _kill(process: subprocess.Popen | Forked) -> None:
    """The process's whole group (a sandbox's processes die with its first one, which dies with bwrap); a forked
    example's unit (its processes die with its PID 1)."""
    if isinstance(process, Forked):
        process.kill()
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for stream in _streams(process):
        if stream:
            stream.close()


def read_bounded(process: subprocess.Popen | Forked, timeout: float) -> tuple[bytes, bytes, bytes, bool]:
    """stdout, stderr (and a forked example's result) until they end and the process exits; (…, True) as soon as
    they exceed OUTPUT_LIMIT together."""
    deadline = time.monotonic() + timeout
    streams = _streams(process)
    got: dict[int, bytearray] = {}
    with selectors.DefaultSelector() as selector:
        for stream in streams:
            assert stream is not None
            selector.register(stream, selectors.EVENT_READ)
            got[stream.fileno()] = bytearray()
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(process.args, timeout)
            for key, _ in selector.select(left):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                got[key.fd] += data
                if sum(map(len, got.values())) > sandbox.OUTPUT_LIMIT:
                    return b"", b"", b"", True
    try:
        process.wait(timeout=max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:
        raise subprocess.TimeoutExpired(process.args, timeout) from None
    found = [bytes(got[stream.fileno()]) for stream in streams] + [b""]
    for stream in streams:
        stream.close()
    return found[0], found[1], found[2], False


def workdir(tmp: Path, target: Target) -> Path:
    """The example's HOME: in the sandbox, in its own scratch folder (sandbox.SCRATCH); else in the test's tmp
    folder, which is then its working directory too."""
    if target.sandbox_socket:
        return Path(sandbox.SCRATCH) / "home"
    (tmp / "home").mkdir(exist_ok=True)
    return tmp / "home"


def traffic_and_output_problems(run: Run, target: Target | None = None) -> list[str]:
    """What the requests and the printed output show, whatever the language: shared by every runner."""
    # Here, not at the top: they judge replies with the openai SDK's types (a second of imports), which
    # `branddocs check`'s own process never needs (it imports this module through the languages' registry).
    from branddocs.examples.responses.conformance import conformance_problems
    from branddocs.examples.responses.exchange import exchange_problems

    problems = [] if run.exchanges else ["made no request to the endpoint"]
    for exchange in run.exchanges:
        problems += exchange_problems(exchange, run.reads)
        if target is not None and target.conformance:
            problems += conformance_problems(exchange)
    out = run.stdout.strip()
    if out in _EMPTY_OUTPUT or any(line.strip() in _EMPTY_OUTPUT - {""} for line in out.splitlines()):
        problems.append(f"printed {out or 'nothing'!r} where a reader expects the model's reply")
    return problems


def check_run(example: Example, run: Run, target: Target, expected_output: str | None) -> list[str]:
    """Every way the run shows the example is wrong, even when it exited 0."""
    problems = []
    if run.returncode:
        tail = "\n".join(run.stderr.strip().split("\n")[-8:])  # at `\n` alone: a `\r` starts no line
        problems.append(f"exited with status {run.returncode}:\n{tail}")
    problems += traffic_and_output_problems(run, target)
    out = run.stdout.strip()
    if expected_output is not None and target.exact and run.stdout.rstrip("\n") != expected_output.rstrip("\n"):
        line = f"{example.shown}:{example.output_template_line}"
        problems.append(
            f"printed something else than its Output block ({line}) says:\n  expected: {expected_output.strip()!r}\n"
            f"  printed:  {out!r}"
        )
    return problems
