"""The harness: where the repository's code runs during `branddocs check`, out of sight of the real key.

pytest, its workers and everything they load (a root `conftest.py`, `macros/`, `mkdocs.yml` hooks, plugins and YAML
tags, the examples' pools) run here, in namespaces of their own:
- a user namespace: unprivileged even when the caller is root (no capability in the machine's own namespace),
  so no process outside can be read (`/proc/<pid>/mem`, `environ`), traced or signalled from inside;
- a PID namespace with a fresh /proc: the engine that read the key, the recording proxy that holds it and the
  caller's shell, whose environment holds it, are not there to be named;
- a network namespace with loopback only: the proxy's control and the examples' traffic are reached through the
  Unix sockets the engine hands over, nothing else;
- mount and IPC namespaces of their own.

    engine (branddocs check) ── proxy (holds the key; non-dumpable; not below the harness)
       └─ harness: [user ns 1: maps] ─ PID 1 (fresh /proc, lo up, reaper) ─ [user ns 2] ─ pytest ...

The fresh /proc is made in user namespace 1; pytest runs in a second one below it, where every mount it
inherits is locked: root there cannot unmount /proc to uncover the machine's. As root, the ids mapped are root
(files stay the caller's) and the block of users the examples' isolation units are given (uids.py); as an
ordinary user, that user alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from branddocs.examples.isolation import namespaces as ns
from branddocs.examples.isolation.uids import UNIT_UIDS

__all__ = ["available", "run"]

_INIT = Path(__file__).with_name("init.py")


def _maps() -> tuple[ns.IdMap, ns.IdMap]:
    """Who is mapped into the harness: root and the units' users (as root), else the caller alone."""
    if os.geteuid() == 0:
        first, count = UNIT_UIDS
        return [(0, 0, 1), (first, first, count)], [(0, 0, 1), (first, first, count)]
    return [(os.getuid(), os.getuid(), 1)], [(os.getgid(), os.getgid(), 1)]


def available() -> str:
    """Empty where the harness can be made here; else why not (one line)."""
    if not sys.platform.startswith("linux"):
        return f"the harness needs Linux, not {sys.platform}"
    return ns.user_namespaces_work()


def _init(argv: Sequence[str], env: dict[str, str], uids: ns.IdMap, gids: ns.IdMap) -> None:
    """PID 1 of the harness: a fresh /proc and loopback, `argv` started in user namespace 2, then init.py (exec'd:
    this process is a copy of the engine's memory, which held the key, and stays in sight of the harness)."""
    ns.set_parent_death_signal(signal.SIGKILL)  # the engine gone: the harness with it (kept across exec)
    ns.mount_proc()
    ns.loopback_up()
    child = ns.fork_into_user_namespace(uids, gids)  # the same ids again, one namespace down
    if child == 0:
        ns.unshare(ns.CLONE_NEWNS)  # a copy made for a namespace below: every mount in it is locked
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(argv[0], list(argv), env)  # noqa: S606 - argv is the engine's own pytest command
    python = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    os.execve(python, [python, "-I", "-S", str(_INIT), str(child)], {"PATH": "/usr/bin:/bin"})  # noqa: S606


def run(argv: Sequence[str], env: dict[str, str], pass_fds: Sequence[int] = ()) -> int:
    """Run `argv` (an absolute path first) with `env` in the harness, wait, and return its exit status.

    Only `pass_fds` (and stdin, stdout, stderr) stay open in it. Ctrl-C reaches it as it reaches any foreground
    program; this process waits for it, and the harness dies with this process."""
    uids, gids = _maps()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # pytest, in the same process group, answers it
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = ns.fork_into_user_namespace(uids, gids)
        if pid == 0:
            code = 70
            try:
                ns.set_parent_death_signal(signal.SIGKILL)
                keep = set(pass_fds)
                for fd in _open_fds():
                    if fd > 2 and fd not in keep:
                        with contextlib.suppress(OSError):
                            os.close(fd)
                for fd in keep:
                    os.set_inheritable(fd, True)
                ns.unshare(ns.CLONE_NEWNS | ns.CLONE_NEWPID | ns.CLONE_NEWNET | ns.CLONE_NEWIPC | ns.CLONE_NEWUTS)
                ns.make_mounts_private()
                init = os.fork()
                if init == 0:
                    _init(argv, env, uids, gids)
                code = os.waitstatus_to_exitcode(os.waitpid(init, 0)[1])
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code & 0xFF if code >= 0 else 128 - code)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    finally:
        signal.signal(signal.SIGINT, previous)


def _open_fds() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return []
