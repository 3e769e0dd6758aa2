"""A Python interpreter that has imported `openai` once, and forks one fresh process per example (in the sandbox).

    python -I python_zygote.py        (stdin: a Unix SOCK_SEQPACKET socket to the checks' process, pool.py)

It runs as root inside its sandbox (sandbox.launch(zygote=True)), with CAP_SETUID and CAP_SETGID alone, and
never runs an example's code itself. Per example, one message each way, JSON:

    -> {"uid": U, "cwd": DIR, "env": {...}, "argv": [EXAMPLE.py, RESULT.json, MODE]}   + fds: stdout, stderr
    <- {"pid": P}                    forked: P switched to user U, the environment, DIR, then python_child.main
    -> {"kill": true}                (only at a time or output limit)
    <- {"status": N}                 P ended; every process of U was killed and U's files in /tmp and /dev/shm
                                     removed before this is sent
    (first) <- {"ready": true}       once the warm modules are imported

Each example's process is forked for it alone and ends with it: its own user (no other example's processes or
files are its to read or signal, and RLIMIT_NPROC counts it alone), the minimal environment with its run key,
its scratch folder, stdout and stderr of its own. The zygote is not dumpable (no example can read or write its
memory) and holds no example's key: the order is read before the fork, but the key is only in the child's
environment after it. Like python_child.py, this file is run alone: it imports the standard library, the warm
modules and python_child.py beside it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import json
import os
import selectors
import shutil
import socket
import stat
import sys
import threading
import traceback
from pathlib import Path

WARM = ("openai", "httpx", "pydantic", "json", "urllib.request", "subprocess")
"""Imported once here, so every example's `from openai import OpenAI` costs nothing."""
UID_FLOOR = 3_000_000_000
"""An example's user is at least this (pool.py hands them out): never root, never a user of this machine."""
_PR_SET_DUMPABLE, _PR_SET_NO_NEW_PRIVS, _PR_SET_CHILD_SUBREAPER = 4, 38, 36
_SHARED = ("/tmp", "/dev/shm")  # noqa: S108 - the sandbox's own, shared by the examples it forks one after another
_CHILD = Path(__file__).with_name("python_child.py")
_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> None:
    if _libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}, {value})")


def _send(sock: socket.socket, message: dict) -> None:
    sock.send(json.dumps(message).encode())


def _child(order: dict, fds: list[int], sock: socket.socket, child_main: object) -> None:
    """In the forked process: become the example's user in its folder with its environment, run it, exit."""
    code = 70
    try:
        sock.close()
        out, err = fds
        os.dup2(out, 1)
        os.dup2(err, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd in {out, err, null} - {0, 1, 2}:
            os.close(fd)
        uid = int(order["uid"])
        assert uid >= UID_FLOOR, f"refusing user {uid}"
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # all of root's capabilities go with it
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        _prctl(_PR_SET_DUMPABLE, 1)  # its own /proc/self is its own, as for any process it starts
        os.chdir(order["cwd"])
        os.environ.clear()
        os.environ.update(order["env"])
        sys.argv = [str(_CHILD), *order["argv"]]
        code = child_main(*order["argv"])
        threading._shutdown()  # what the interpreter does at exit: wait for the example's non-daemon threads,
        atexit._run_exitfuncs()  # then its atexit functions
    except BaseException:  # our own failure (the example's are python_child's): say it, and a status that shows
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said
                stream.flush()
        os._exit(code)


def _reap(uid: int) -> None:
    """Kill every process of `uid` and remove its files in the shared folders: from a process of that user."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(2):  # kill(-1) is atomic against fork; twice costs nothing
                try:
                    os.kill(-1, 9)
                except ProcessLookupError:
                    break
            for folder in _SHARED:
                for entry in os.scandir(folder) if os.path.isdir(folder) else ():
                    if entry.stat(follow_symlinks=False).st_uid == uid:
                        _remove(entry.path)
        finally:
            os._exit(0)
    # Reap the reaper, the example and its orphans (this process is their subreaper): all dead or dying now.
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _remove(path: str) -> None:
    def writable(function: object, name: str, _: object) -> None:  # a folder its owner made unreadable
        os.chmod(os.path.dirname(name), stat.S_IRWXU)
        os.chmod(name, stat.S_IRWXU)
        shutil.rmtree(name, ignore_errors=True) if os.path.isdir(name) else os.unlink(name)

    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, stat.S_IRWXU)
        shutil.rmtree(path, onerror=writable)
    else:
        os.unlink(path)


def _one(sock: socket.socket, order: dict, fds: list[int], child_main: object) -> bool:
    """Fork, run and clean up after one example; False when the pool has gone."""
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        _child(order, fds, sock, child_main)
    for fd in fds:
        os.close(fd)
    _send(sock, {"pid": pid})
    uid, alive = int(order["uid"]), True
    with selectors.DefaultSelector() as selector:
        pidfd = os.pidfd_open(pid)
        selector.register(pidfd, selectors.EVENT_READ)
        selector.register(sock, selectors.EVENT_READ)
        ended = False
        while not ended:
            for key, _ in selector.select():
                if key.fileobj is sock:
                    data = sock.recv(1 << 16)
                    alive = bool(data)
                    _reap(uid)  # a kill, or the pool gone: either way the example ends now
                    ended = True
                    break
                ended = True
        os.close(pidfd)
    try:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
    except ChildProcessError:  # reaped above with the others
        code = -9
    _reap(uid)
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
    spec = importlib.util.spec_from_file_location("python_child", _CHILD)
    assert spec is not None
    assert spec.loader is not None
    child = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(child)
    for name in WARM:
        with contextlib.suppress(ImportError):  # an interpreter without openai: its examples say so themselves
            __import__(name)
    with contextlib.suppress(Exception):  # a warm-up only: without it, each example pays it
        _warm_up()
    # Forking is safe only without threads; the warm modules start none.
    assert threading.active_count() == 1, f"threads after import: {threading.enumerate()}"
    _prctl(_PR_SET_DUMPABLE, 0)
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    _send(sock, {"ready": True})
    while True:
        data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 2)
        if not data:
            return 0
        order = json.loads(data)
        if order.get("kill") and not fds:  # for an example that had ended as it was sent: nothing left to kill
            continue
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            print(f"python_zygote: an order without its stdout and stderr: {data[:200]!r}", file=sys.stderr)
            return 2
        if not _one(sock, order, fds, child.main):
            return 0


if __name__ == "__main__":
    sys.exit(main())
