"""A Python interpreter that has imported `openai` once, and forks one isolation unit per example (in the sandbox).

    python -I python_zygote.py        (stdin: a Unix SOCK_SEQPACKET socket to the checks' process, pool.py)

It never runs an example's code itself, and never reads an example's key. Per example, one message each way, JSON:

    -> {"uid": U, "scratch": DIR, "mode": MODE}   + fds: stdout, stderr, result, order[, memory cgroup's task file]
    <- {"pid": P}                    forked: P is the unit's first process (below)
    -> {"kill": true}                (only at a time or output limit)
    <- {"status": N}                 the unit has ended: its processes, IPC objects and files are gone
    (first) <- {"ready": true}       once the warm modules are imported

`order` is a pipe the checks' process writes the example's own part into, {"env": {...}, "code": "..."}, which
only the unit reads: its run key never passes through this process, so no later unit's copy of it holds one.
`result` gets python_child's result (what `print` printed, the error raised), from the unit's keeper. The zygote is
root of a user namespace of its own (sandbox.py made it), with CAP_SYS_ADMIN, CAP_SETPCAP and CAP_SYS_RESOURCE
there, and as root CAP_SETUID and CAP_SETGID: nothing in the machine's own namespaces. Each unit (namespaces.py does the
kernel's part) is forked as PID 1 of a PID namespace of its own (when it ends, the kernel kills whatever it
left behind) and then, before anything of the example runs:
1. joins its memory cgroup and sets its limits (memory, file size, core; processes once it is its user);
2. makes mount and IPC namespaces of its own: a fresh /proc, a private /tmp and its scratch folder DIR (each a
   tmpfs of FILE_LIMIT bytes), no SysV object of any other unit;
3. reads its order and forks the example as PID 1 of a PID namespace below its own, which mounts its /proc,
   holds stdin, stdout and stderr and no other fd, gives up every capability (no-new-privs too), takes the units'
   seccomp filter (the system calls any unit may make: this sandbox's own lets it make namespaces) and, as root,
   becomes U: a user no live unit has (pool.py, uids.py); then runs python_child.main. The keeper stays behind,
   out of the example's sight (not dumpable, not in its PID namespace), and once the example has ended sends its
   result on `result`, which only the keeper holds.
Its IPC namespace and tmpfs go with the last of its processes; then this process answers with the status, and
the next unit finds nothing of this one. No unit can make a user namespace (forbidden in the zygote's own).
Like python_child.py and namespaces.py, which it loads from beside itself, it imports the standard library only
(and the warm modules).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib.util
import json
import os
import resource
import selectors
import signal
import socket
import stat
import sys
import threading
import traceback
from pathlib import Path

WARM = ("openai", "httpx", "pydantic", "json", "urllib.request", "subprocess")
"""Imported once here, so every example's `from openai import OpenAI` costs nothing."""
UID_FLOOR = 1 << 31
"""As root, an example's user is at least this (uids.py hands them out): never root, never a user of this machine."""
FILE_LIMIT = 64 << 20
"""Bytes: the largest file, and the size of /tmp and of the scratch folder (sandbox.FILE_LIMIT)."""
MEMORY_LIMIT = 1 << 30
"""RLIMIT_DATA (sandbox.MEMORY_LIMIT); the memory cgroup bounds every kind, where there is one."""
PROCESS_LIMIT = 128
"""RLIMIT_NPROC: counted per user namespace, so within the unit alone."""
_HERE = Path(__file__).parent


def _load(name: str) -> object:
    spec = importlib.util.spec_from_file_location(name, _HERE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ns = _load("namespaces")
# The units' seccomp filter (seccomp.py, from pool.py): loaded onto each example, below this sandbox's own, which
# keeps the calls that make a unit's namespaces and mounts.
_UNIT_FILTER = bytes.fromhex(os.environ.pop("BRANDDOCS_UNIT_FILTER", ""))
# What the sandbox left open (bwrap's --userns fd, the zygote's user namespace, is not close-on-exec): closed before
# anything is forked, so that no unit holds a way into a namespace but its own.
os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
_OWN_PIDS = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
_ZYGOTE = os.getpid()
child = _load("python_child")


def _send(sock: socket.socket, message: dict) -> None:
    sock.send(json.dumps(message).encode())


def _read_all(fd: int) -> bytes:
    parts = []
    while chunk := os.read(fd, 1 << 16):
        parts.append(chunk)
    return b"".join(parts)


def _unit(order: dict, fds: list[int], sock: socket.socket) -> int:
    """In the forked process (the unit's keeper, PID 1 of a PID namespace of its own): the rest of its namespaces,
    its limits, /tmp and scratch folder, its order read; then the example (`_first`)."""
    sock.close()
    os.close(_OWN_PIDS)
    out, err, result, private, *cgroup = fds
    ns.set_parent_death_signal(signal.SIGKILL)  # the zygote gone: the unit too
    for fd in cgroup:
        os.write(fd, b"0")  # joins its memory cgroup before it uses any memory of its own; its children are born in it
        os.close(fd)
    ns.unshare(ns.CLONE_NEWNS | ns.CLONE_NEWIPC)
    ns.make_mounts_private()
    return _first(order, (out, err, result, private))


def _tasks() -> int:
    """Processes and threads of this user in the zygote's sandbox now (RLIMIT_NPROC counts them too)."""
    count = 0
    for entry in os.scandir("/proc"):
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and entry.stat().st_uid == os.getuid():
                count += len(os.listdir(f"/proc/{entry.name}/task"))
    return count


def _first(order: dict, fds: tuple[int, int, int, int]) -> int:
    """The unit's keeper: its /tmp and scratch folder, its order read; then the example, PID 1 of a PID namespace
    below this process's (`_example`: its own /proc, where this process is not to be seen or signalled), and,
    once that has ended, its result (what python_child wrote, size-bounded) sent on `result`, a pipe only this
    process holds: the example can neither write into it nor reach the process that does."""
    out, err, result, private = fds
    root = os.getuid() == 0
    uid = int(order["uid"]) if root else os.getuid()
    assert not root or uid >= UID_FLOOR, f"refusing user {uid}"
    # as root the unit's user has no process yet; else the caller's count, this process included
    processes = PROCESS_LIMIT + (0 if root else _tasks() + 1)
    for limit, value in ((resource.RLIMIT_DATA, MEMORY_LIMIT), (resource.RLIMIT_FSIZE, FILE_LIMIT),
                         (resource.RLIMIT_CORE, 0)):  # fmt: skip
        resource.setrlimit(limit, (value, value))
    scratch = Path(order["scratch"])
    ns.mount_tmpfs(str(scratch), FILE_LIMIT, 0o700, uid, uid if root else os.getgid())
    ns.mount_tmpfs_keeping("/tmp", FILE_LIMIT, str(scratch))  # noqa: S108 - the unit's own tmpfs
    mine = json.loads(_read_all(private))
    os.close(private)
    written = scratch / "result.json"
    sys.stdout.flush()
    ns.unshare(ns.CLONE_NEWPID)  # the example is PID 1 of a PID namespace below this one: this process is not in it
    example = os.fork()
    if example == 0:
        code = 70
        try:
            os.close(result)
            ns.mount_proc()
            code = _example(order, mine, uid if root else None, processes, (out, err), scratch)
        except BaseException:
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os._exit(code)
    for fd in (out, err):
        os.close(fd)
    code = _reap(example)
    data = _result_of(written)
    while data:
        data = data[os.write(result, data) :]
    return code


def _reap(example: int) -> int:
    """Wait for `example` (with it, the kernel ends its whole PID namespace); its exit status (128 + N: killed by
    N)."""
    code = os.waitstatus_to_exitcode(os.waitpid(example, 0)[1])
    return code if code >= 0 else 128 - code


def _result_of(written: Path) -> bytes:
    """python_child's result, from the unit's scratch folder: a regular file, not followed if a link, at most
    FILE_LIMIT bytes; empty if there is none (the example ended before python_child wrote it)."""
    try:
        fd = os.open(written, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return b""
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            return b""
        return file.read(FILE_LIMIT)


def _example(order: dict, mine: dict, user: int | None, processes: int, fds: tuple[int, int], scratch: Path) -> int:
    """The example's own process: stdout and stderr its own, no other fd, no capability, as `user` (as root),
    then python_child.main."""
    out, err = fds
    os.dup2(out, 1)
    os.dup2(err, 2)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.closerange(3, _fd_ceiling())  # nothing of the zygote's, the sandbox's or this unit's PID 1 stays open
    ns.drop_capabilities(user)
    if _UNIT_FILTER:
        ns.load_seccomp(_UNIT_FILTER)  # no more namespaces nor mounts: the system calls of any other unit
    ns.set_dumpable(True)  # the zygote is not, and a change of user is not either: its own /proc/self is its own
    processes = min(processes, resource.getrlimit(resource.RLIMIT_NPROC)[1])  # not above the zygote's own
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    script, written = scratch / "example.py", scratch / "result.json"
    script.write_text(mine["code"], encoding="utf-8")
    (scratch / "home").mkdir(mode=0o700)
    os.chdir(scratch)
    os.environ.clear()
    os.environ.update(mine["env"])
    sys.argv = [str(_HERE / "python_child.py"), str(script), str(written), order["mode"]]
    code = child.main(*sys.argv[1:])
    threading._shutdown()  # what the interpreter does at exit: wait for the example's non-daemon threads,
    atexit._run_exitfuncs()  # then its atexit functions
    return code


def _fd_ceiling() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _one(sock: socket.socket, order: dict, fds: list[int]) -> bool:
    """Fork one unit, wait for it (or kill it), and answer; False when the pool has gone."""
    sys.stdout.flush()
    ns.unshare(ns.CLONE_NEWPID)  # the next child is PID 1 of a PID namespace of its own
    try:
        pid = os.fork()
    finally:
        if os.getpid() == _ZYGOTE:  # the next unit is not born into this one's namespace
            ns.setns(_OWN_PIDS, ns.CLONE_NEWPID)
    if pid == 0:
        code = 70
        try:
            code = _unit(order, fds, sock)
        except BaseException:  # our own failure (the example's are python_child's): say it, with a status that shows
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said
                    stream.flush()
            os._exit(code)
    for fd in fds:
        os.close(fd)
    _send(sock, {"pid": pid})
    alive = True
    with selectors.DefaultSelector() as selector:
        pidfd = os.pidfd_open(pid)
        selector.register(pidfd, selectors.EVENT_READ)
        selector.register(sock, selectors.EVENT_READ)
        ended = False
        while not ended:
            for key, _ in selector.select():
                if key.fileobj is sock:
                    alive = bool(sock.recv(1 << 16))
                    with contextlib.suppress(ProcessLookupError):  # a kill, or the pool gone: it ends now, and
                        os.kill(pid, signal.SIGKILL)  # with its PID 1 the kernel kills the rest of the unit
                ended = True
                break
        os.close(pidfd)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if alive:
        _send(sock, {"status": code})
    return alive


def _warm_up() -> None:
    """One request of the SDK to a server of our own on the sandbox's loopback: the first request builds the
    response models' validators and loads the HTTP stack's lazy parts, which no example should pay."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from openai import OpenAI

    reply = {"id": "warm-up", "object": "chat.completion", "created": 0, "model": "warm-up", "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}]}  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with HTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.handle_request)
        thread.start()
        with OpenAI(api_key="warm-up", base_url=f"http://127.0.0.1:{server.server_address[1]}/v1",
                    max_retries=0) as client:  # fmt: skip
            client.chat.completions.create(model="warm-up", messages=[{"role": "user", "content": "hi"}])
        thread.join()


def main() -> int:
    sock = socket.socket(fileno=0)
    # The collector's passes over openai's thousands of types as they are made are a tenth of their import, and find
    # next to nothing: off until the warm-up is done, and what is here then is frozen (gc.freeze): no unit's
    # collections go through the zygote's objects (nor touch their pages, shared with it until written).
    gc.disable()
    for name in WARM:
        with contextlib.suppress(ImportError):  # an interpreter without openai: its examples say so themselves
            __import__(name)
    with contextlib.suppress(Exception):  # a warm-up only: without it, each example pays it
        _warm_up()
    gc.collect()
    gc.freeze()
    gc.enable()
    # Forking is safe only without threads; the warm modules start none.
    assert threading.active_count() == 1, f"threads after import: {threading.enumerate()}"
    ns.set_dumpable(False)
    ns.forbid_user_namespaces()  # in this sandbox's own user namespace: no unit can make one below it
    _send(sock, {"ready": True})
    while True:
        data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 5)
        if not data:
            return 0
        order = json.loads(data)
        if order.get("kill") and not fds:  # for an example that had ended as it was sent: nothing left to kill
            continue
        if len(fds) not in (4, 5):
            for fd in fds:
                os.close(fd)
            print(f"python_zygote: an order without its four or five fds: {data[:200]!r}", file=sys.stderr)
            return 2
        if not _one(sock, order, fds):
            return 0


if __name__ == "__main__":
    sys.exit(main())
