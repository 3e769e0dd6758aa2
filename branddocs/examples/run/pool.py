"""Example processes started ahead, each for one example only: start-up paid off the example's critical path.

Two kinds, one per pytest worker and interpreter, both in the sandbox (sandbox.py):
- `Zygote` (Python): one sandbox whose interpreter has imported `openai` and forks an isolation unit per example
  (python_zygote.py): its own PID, mount and IPC namespaces, user, tmpfs scratch folder and /tmp, memory cgroup,
  the minimal environment with its run key (which reaches the unit alone, never the zygote), its own stdout,
  stderr and result. When it ends, its namespaces and whatever it left in them are gone. Start-up (about a
  second, mostly `import openai`) is paid once per worker.
- `Standby` (Node.js): a whole sandbox with `node` that has imported `openai` and waits on stdin for its one
  example (node_standby.mjs): one process per example, as without a pool, started when the previous JavaScript
  example has ended (`Pool.ahead`), while other examples run. It is handed out once (`Standby.take`: a second
  time is an error), and only for an example whose environment, less its key (sent with the example) and HOME
  (its own), is the one it was started with; any other is stopped, never used.

Every unit, pooled or not, has a user and a memory cgroup from the pool (`Pool.unit`), given back only once the
unit is over: no two live units ever share either.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from branddocs.examples.isolation import cgroups, seccomp
from branddocs.examples.isolation.cgroups import Group, MemoryGroups
from branddocs.examples.isolation.uids import UnitUsers
from branddocs.examples.run import sandbox

__all__ = ["PYTHON_CHILD", "Forked", "Pool", "PoolError", "Standby", "Unit", "Zygote"]

PYTHON_CHILD = Path(__file__).with_name("python_child.py")
"""Runs one Python example in a process of its own, started alone or forked by the zygote."""
_ZYGOTE = Path(__file__).with_name("python_zygote.py")
_NAMESPACES = Path(sandbox.namespaces.__file__)
_STANDBY = Path(__file__).with_name("node_standby.mjs")
_READY_TIMEOUT = 120  # seconds for a zygote to import openai: several on a busy machine, never minutes


def _shape(node: str, modules: Path, env: dict[str, str]) -> tuple:
    """What a Node.js standby is started for: the node, node_modules, the environment less HOME (its own)."""
    return (node, str(modules), tuple(sorted((k, v) for k, v in env.items() if k != "HOME")))


class PoolError(RuntimeError):
    """A pooled process misused (handed out twice) or lost (it died before its example)."""


@dataclass
class Unit:
    """What one isolation unit holds while it lives: its user and its memory cgroup (None where there is none)."""

    uid: int
    group: Group | None


class Forked:
    """One example's unit, forked by a Zygote: what process.finish reads, as from a subprocess.Popen."""

    def __init__(self, zygote: Zygote, pid: int, stdout: int, stderr: int, result: int) -> None:
        self.zygote, self.pid, self.args = zygote, pid, ["python_zygote", str(pid)]
        self.stdout, self.stderr = os.fdopen(stdout, "rb", 0), os.fdopen(stderr, "rb", 0)
        self.result = os.fdopen(result, "rb", 0)
        """What python_child.py wrote for the checks: the example's prints, the error it raised (JSON)."""
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.zygote.sock.settimeout(timeout)
            try:
                data = self.zygote.sock.recv(1 << 16)
            except TimeoutError:
                raise subprocess.TimeoutExpired(self.args, timeout or 0) from None
            finally:
                self.zygote.sock.settimeout(None)
            if not data:
                self.zygote.close()
                raise PoolError("the Python zygote ended while an example ran (see its log above)")
            self.returncode = json.loads(data)["status"]
            self.zygote.busy = False
        return self.returncode

    def kill(self) -> None:
        """Stop it, and with its PID 1 everything it started."""
        if self.returncode is None:
            with contextlib.suppress(OSError):
                self.zygote.sock.send(json.dumps({"kill": True}).encode())
            with contextlib.suppress(PoolError, subprocess.TimeoutExpired):
                self.wait(30)


class Zygote:
    """A sandbox whose Python has imported `openai` and forks one isolation unit per example."""

    def __init__(self, pool: Pool, python: str) -> None:
        self.pool, self.python, self.busy = pool, python, False
        inside = sandbox.INSIDE
        binds = {str(inside / path.name): path for path in (_ZYGOTE, PYTHON_CHILD, _NAMESPACES)}
        box = sandbox.Box(pool.socket_path, pool.port, reads=sandbox.python_reads(python), binds=binds)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/", "LANG": "C.UTF-8",
               "BRANDDOCS_UNIT_FILTER": (seccomp.program() or b"").hex()}  # loaded onto each example  # fmt: skip
        self.command = [python, "-I", str(inside / _ZYGOTE.name)]
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # Its stderr in a file of its own: what it said when it ended at start is the failure's message.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - read back and closed in close()
        try:
            self.process = sandbox.launch(self.command, box, env, os.getuid(), zygote=pool.users.block, stdin=theirs,
                                          stdout=subprocess.DEVNULL, stderr=self.stderr)  # fmt: skip
        except BaseException:  # nothing left open behind the error (pytest reports an unclosed socket as another)
            self.sock.close()
            self.stderr.close()
            raise
        finally:
            theirs.close()
        self.ready = False

    def said(self) -> str:
        """The last lines it wrote to stderr (its own, the sandbox's, or the interpreter's)."""
        self.stderr.seek(0)
        lines = self.stderr.read().decode(errors="replace").strip().splitlines()
        return "\n".join(lines[-8:]) or "nothing"

    def alive(self) -> bool:
        return self.process.poll() is None

    def _wait_ready(self) -> None:
        self.sock.settimeout(_READY_TIMEOUT)
        try:
            said = self.sock.recv(1 << 16)
        except TimeoutError:
            self.close()
            raise PoolError(
                f"the Python zygote did not start within {_READY_TIMEOUT} s: "
                f"`{' '.join(self.command)}` in the sandbox said:\n{self.said()}"
            ) from None
        finally:
            self.sock.settimeout(None)
        if json.loads(said or b"{}").get("ready") is not True:  # it ended before it was ready
            status = self.process.wait()
            message = f"the Python zygote ended at start (status {status}): `{' '.join(self.command)}` in the " \
                      f"sandbox said:\n{self.said()}"  # fmt: skip
            self.close()
            raise PoolError(message)
        self.ready = True

    def fork(self, unit: Unit, env: dict[str, str], code: str, mode: str) -> Forked:
        """A fresh unit for one example: `code` run by python_child.py (MODE `mode`) as `unit` with `env`."""
        assert not self.busy, "one example at a time per zygote"
        if not self.ready:
            self._wait_ready()
        pipes = [os.pipe() for _ in range(4)]  # stdout, stderr, result: theirs to write; the order: ours
        theirs = [pipes[0][1], pipes[1][1], pipes[2][1], pipes[3][0]]
        if unit.group is not None:
            theirs.append(unit.group.open_tasks())
        order = {"uid": unit.uid, "scratch": sandbox.SCRATCH, "mode": mode}
        try:
            socket.send_fds(self.sock, [json.dumps(order).encode()], theirs)
        finally:
            for fd in theirs:
                os.close(fd)
        # The example's own part goes straight to its unit, never through the zygote (a pipe holds 64 KiB: the
        # unit reads it as soon as it starts; a bigger example waits for it, unlike the order above).
        with os.fdopen(pipes[3][1], "wb") as private:
            answer = self.sock.recv(1 << 16)
            if answer:
                with contextlib.suppress(BrokenPipeError):  # the unit failed before reading: its stderr says why
                    private.write(json.dumps({"env": env, "code": code}).encode())
        if not answer:
            for fd in (pipes[0][0], pipes[1][0], pipes[2][0]):
                os.close(fd)
            raise PoolError(f"the Python zygote ended (status {self.process.wait()}; see above)")
        self.busy = True
        return Forked(self, json.loads(answer)["pid"], pipes[0][0], pipes[1][0], pipes[2][0])

    def close(self) -> None:
        self.sock.close()  # it exits when its socket closes; the sandbox goes with it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.stderr.close()


@dataclass
class Standby:
    """A Node.js sandbox started ahead, waiting on stdin for its one example."""

    process: subprocess.Popen
    env: dict[str, str]
    """The environment it was started with: no key (that comes with the example), its own HOME."""
    unit: Unit
    shape: tuple
    """What it was started for: the node, node_modules, the environment less HOME."""
    taken: bool = False

    def take(self, script: str, code: str, key_env: dict[str, str]) -> subprocess.Popen:
        """Hand it its one example (`code`, written at `script` in its scratch folder, and the run key); a second
        time is an error."""
        if self.taken:
            raise PoolError(f"standby process {self.process.pid} was already used for an example: never reused")
        self.taken = True
        assert self.process.stdin is not None
        try:
            order = {"script": script, "code": code, "env": key_env}
            self.process.stdin.write(json.dumps(order).encode() + b"\n")
            self.process.stdin.close()
            self.process.stdin = None  # the one line it reads: nothing more goes in
        except OSError as exc:
            raise PoolError(f"standby process {self.process.pid} ended before its example: {exc}") from None
        return self.process

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream:
                with contextlib.suppress(OSError):
                    stream.close()


@dataclass
class Pool:
    """A pytest worker's isolation units: users and memory cgroups for all of them, one zygote per Python
    interpreter, one standby per Node.js setup."""

    socket_path: str
    port: int
    users: UnitUsers = field(default_factory=UnitUsers)
    groups: MemoryGroups | None = None
    why_no_groups: str = ""
    """Why units have no memory cgroup here (empty where they have one)."""
    zygotes: dict[str, Zygote] = field(default_factory=dict)
    standbys: dict[tuple, Standby] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.groups, self.why_no_groups = cgroups.memory_groups()

    def take_unit(self) -> Unit:
        """A user and a memory cgroup no live unit has."""
        return Unit(self.users.take(), self.groups.take() if self.groups is not None else None)

    def give_back(self, unit: Unit) -> None:
        """`unit` is over: its processes are gone (its PID namespace with them), so the next unit may have its
        user and its group."""
        self.users.give_back(unit.uid)
        if unit.group is not None and self.groups is not None:
            self.groups.give_back(unit.group)

    @contextlib.contextmanager
    def unit(self) -> Iterator[Unit]:
        """A unit for the block's duration, which must outlast its processes."""
        unit = self.take_unit()
        try:
            yield unit
        finally:
            self.give_back(unit)

    def zygote(self, python: str) -> Zygote:
        """The zygote for `python`, started if needed."""
        found = self.zygotes.get(python)
        if found is None or not found.alive() or found.busy:  # busy: its last example's end was never read
            if found is not None:
                found.close()
            found = self.zygotes[python] = Zygote(self, python)
        return found

    def standby(self, node: str, modules: Path, env: dict[str, str]) -> Standby:
        """A Node.js process started ahead for an example run with `env` (less its key), or a new one. One
        started for any other setup is stopped, never handed out."""
        shape = _shape(node, modules, env)
        found = self.standbys.pop(shape, None)
        if found is not None and (found.shape != shape or found.process.poll() is not None):
            self.done(found)  # defensive: the table is keyed by shape; a standby that died is no use either
            found = None
        for other in [k for k in self.standbys if k[:2] == shape[:2]]:  # the same node, another environment
            self.done(self.standbys.pop(other))
        return found or self._start_standby(shape, env)

    def ahead(self, node: str, modules: Path, env: dict[str, str]) -> None:
        """Start the next example's Node.js process now, after an example (not during it: both want the CPU)."""
        shape = _shape(node, modules, env)
        if shape not in self.standbys:
            self.standbys[shape] = self._start_standby(shape, env)

    def done(self, standby: Standby) -> None:
        """`standby` has run its example, or is no use: stop what is left of it and give its unit back."""
        standby.stop()
        self.give_back(standby.unit)

    def _start_standby(self, shape: tuple, env: dict[str, str]) -> Standby:
        node, modules = shape[0], Path(shape[1])
        unit = self.take_unit()
        own = {**env, "HOME": f"{sandbox.SCRATCH}/home"}
        box = sandbox.Box(self.socket_path, self.port, reads=[Path(node)],
                          binds={"/node_modules": modules, str(sandbox.INSIDE / _STANDBY.name): _STANDBY})  # fmt: skip
        process = sandbox.launch([node, "--experimental-vm-modules", str(sandbox.INSIDE / _STANDBY.name)], box, own,
                                 unit.uid, unit.group,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        return Standby(process, own, unit, shape)

    def close(self) -> None:
        for zygote in self.zygotes.values():
            zygote.close()
        for standby in self.standbys.values():
            self.done(standby)
        self.zygotes.clear()
        self.standbys.clear()
        if self.groups is not None:
            self.groups.close()
        self.users.close()
