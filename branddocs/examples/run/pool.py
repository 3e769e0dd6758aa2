"""Example processes started ahead, each for one example only: start-up paid off the example's critical path.

Two kinds, one per pytest worker and interpreter, both in the sandbox (sandbox.py):
- `Zygote` (Python, as root): one sandbox whose interpreter has imported `openai` and forks a fresh process per
  example (python_zygote.py). Each forked process gets a user of its own (`Pool.new_uid`), its own
  scratch folder, the minimal environment with its run key, its own stdout and stderr; when it ends, every
  process of its user is killed and its files in the sandbox's /tmp and /dev/shm removed, so the next one finds
  nothing of it. Start-up (about a second, mostly `import openai`) is paid once per worker.
- `Standby` (Node.js): a whole sandbox with `node` that has imported `openai` and waits on stdin for its one
  example (node_standby.mjs): one process per example, as without a pool, started when the
  previous JavaScript example has ended (`Pool.ahead`), while other examples run. It is handed out once
  (`Standby.take`: a second time is an error), and only for an example whose environment, less its key (sent
  with the example) and HOME (its own), is the one it was started with; any other is stopped, never used.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from branddocs.examples.run import sandbox

__all__ = ["PYTHON_CHILD", "UID_BASE", "Forked", "Pool", "PoolError", "Standby", "Zygote"]

UID_BASE = 3_000_000_000
"""Users of pooled examples: UID_BASE + 256 x (the worker's pid) + a counter, above sandbox.py's own users and
below 2^32 for any pid (at most 2^22), so no two workers, and no two examples within 256, share one."""
PYTHON_CHILD = Path(__file__).with_name("python_child.py")
"""Runs one Python example in a process of its own, started alone or forked by the zygote."""
_ZYGOTE = Path(__file__).with_name("python_zygote.py")
_STANDBY = Path(__file__).with_name("node_standby.mjs")
_READY_TIMEOUT = 120  # seconds for a zygote to import openai: several on a busy machine, never minutes


def _shape(node: str, modules: Path, env: dict[str, str]) -> tuple:
    """What a Node.js standby is started for: the node, node_modules, the environment less HOME (its own)."""
    return (node, str(modules), tuple(sorted((k, v) for k, v in env.items() if k != "HOME")))


class PoolError(RuntimeError):
    """A pooled process misused (handed out twice) or lost (it died before its example)."""


class Forked:
    """One example's process, forked by a Zygote: what run.finish reads, as from a subprocess.Popen."""

    def __init__(self, zygote: Zygote, pid: int, stdout: int, stderr: int) -> None:
        self.zygote, self.pid, self.args = zygote, pid, ["python_zygote", str(pid)]
        self.stdout, self.stderr = os.fdopen(stdout, "rb", 0), os.fdopen(stderr, "rb", 0)
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
        """Stop it and everything it started (the zygote kills every process of its user)."""
        if self.returncode is None:
            with contextlib.suppress(OSError):
                self.zygote.sock.send(json.dumps({"kill": True}).encode())
            with contextlib.suppress(PoolError, subprocess.TimeoutExpired):
                self.wait(30)


class Zygote:
    """A sandbox whose Python has imported `openai` and forks one process per example (root only)."""

    def __init__(self, pool: Pool, python: str) -> None:
        self.pool, self.python, self.busy = pool, python, False
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        inside = sandbox.INSIDE
        binds = {str(inside / _ZYGOTE.name): _ZYGOTE, str(inside / PYTHON_CHILD.name): PYTHON_CHILD}
        box = sandbox.Box(pool.root, pool.socket_path, pool.port, reads=sandbox.python_reads(python), binds=binds)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(pool.root), "LANG": "C.UTF-8"}
        self.process = sandbox.launch([python, "-I", str(inside / _ZYGOTE.name)], box, env, zygote=True,
                                      stdin=theirs, stdout=subprocess.DEVNULL)  # fmt: skip
        theirs.close()
        self.ready = False

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, uid: int, cwd: Path, env: dict[str, str], argv: list[str]) -> Forked:
        """A fresh process for one example, running `python_child.py ARGV` as `uid` in `cwd` with `env`."""
        assert not self.busy, "one example at a time per zygote"
        if not self.ready:
            self.sock.settimeout(_READY_TIMEOUT)
            try:
                said = self.sock.recv(1 << 16)
            except TimeoutError:
                said = b""
            finally:
                self.sock.settimeout(None)
            if json.loads(said or b"{}").get("ready") is not True:
                self.close()
                raise PoolError(f"the Python zygote did not start within {_READY_TIMEOUT} s (see its output above)")
            self.ready = True
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        order = {"uid": uid, "cwd": str(cwd), "env": env, "argv": argv}
        try:
            socket.send_fds(self.sock, [json.dumps(order).encode()], [out_w, err_w])
        finally:
            os.close(out_w)
            os.close(err_w)
        answer = self.sock.recv(1 << 16)
        if not answer:
            os.close(out_r)
            os.close(err_r)
            raise PoolError(f"the Python zygote ended (status {self.process.wait()}; see above)")
        self.busy = True
        return Forked(self, json.loads(answer)["pid"], out_r, err_r)

    def close(self) -> None:
        self.sock.close()  # it exits when its socket closes; the sandbox goes with it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@dataclass
class Standby:
    """A Node.js sandbox started ahead, waiting on stdin for its one example."""

    process: subprocess.Popen
    env: dict[str, str]
    """The environment it was started with: no key (that comes with the example), its own HOME."""
    scratch: Path
    shape: tuple
    """What it was started for: the node, node_modules, the environment less HOME."""
    taken: bool = False

    def take(self, script: Path, key_env: dict[str, str]) -> subprocess.Popen:
        """Hand it its one example (`script` in its scratch folder, the run key); a second time is an error."""
        if self.taken:
            raise PoolError(f"standby process {self.process.pid} was already used for an example: never reused")
        self.taken = True
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps({"script": str(script), "env": key_env}).encode() + b"\n")
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
    """A pytest worker's pooled processes: one zygote per Python interpreter, one standby per Node.js setup."""

    socket_path: str
    port: int
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="branddocs-examples-")))
    """The examples' scratch folders, one each (root-owned, 0711: nobody lists it; each folder is its user's)."""
    zygotes: dict[str, Zygote] = field(default_factory=dict)
    standbys: dict[tuple, Standby] = field(default_factory=dict)
    count: int = 0

    def __post_init__(self) -> None:
        os.chmod(self.root, 0o711)  # noqa: S103 - the examples' users pass through to their own folders

    def new_uid(self) -> int:
        """A user for the next pooled process: as root one of its own, else (a user namespace) the caller."""
        self.count += 1
        return UID_BASE + ((os.getpid() & 0x3FFFFF) << 8) + self.count % 256 if os.geteuid() == 0 else os.getuid()

    def scratch(self, uid: int) -> Path:
        """A new, empty folder for one example: its working directory, with home/ for HOME, owned by `uid`."""
        folder = self.root / str(self.count)
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "home").mkdir(parents=True)
        for path in (folder, folder / "home"):
            os.chown(path, uid, uid) if os.geteuid() == 0 else None
            os.chmod(path, 0o700)
        return folder

    def zygote(self, python: str) -> Zygote | None:
        """The zygote for `python` (started if needed); None where there can be none (not root)."""
        if os.geteuid() != 0:
            return None
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
            found.stop()  # defensive: the table is keyed by shape; a standby that died is no use either
            found = None
        for other in [k for k in self.standbys if k[:2] == shape[:2]]:  # the same node, another environment
            self.standbys.pop(other).stop()
        return found or self._start_standby(shape, env)

    def ahead(self, node: str, modules: Path, env: dict[str, str]) -> None:
        """Start the next example's Node.js process now, after an example (not during it: both want the CPU)."""
        shape = _shape(node, modules, env)
        if shape not in self.standbys:
            self.standbys[shape] = self._start_standby(shape, env)

    def _start_standby(self, shape: tuple, env: dict[str, str]) -> Standby:
        node, modules = shape[0], Path(shape[1])
        uid = self.new_uid()
        folder = self.scratch(uid)
        own = {**env, "HOME": str(folder / "home")}
        box = sandbox.Box(folder, self.socket_path, self.port, reads=[Path(node)],
                          binds={"/node_modules": modules, str(sandbox.INSIDE / _STANDBY.name): _STANDBY})  # fmt: skip
        process = sandbox.launch([node, "--experimental-vm-modules", str(sandbox.INSIDE / _STANDBY.name)], box, own,
                                 uid=uid,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        return Standby(process, own, folder, shape)

    def close(self) -> None:
        for zygote in self.zygotes.values():
            zygote.close()
        for standby in self.standbys.values():
            standby.stop()
        self.zygotes.clear()
        self.standbys.clear()
        shutil.rmtree(self.root, ignore_errors=True)
