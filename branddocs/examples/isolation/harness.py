"""The harness: where the repository's code runs during `branddocs check`, out of sight of the real key.

pytest, its workers and everything they load (a root `conftest.py`, `macros/`, `mkdocs.yml` hooks, plugins and YAML
tags, the examples' pools) run here, in namespaces of their own:
- a user namespace: unprivileged even when the caller is root (no capability in the machine's own namespace),
  so no process outside can be read (`/proc/<pid>/mem`, `environ`), traced or signalled from inside;
- a PID namespace with a fresh /proc: the engine that read the key, the recording proxy that holds it and the
  caller's shell, whose environment holds it, are not there to be named;
- a network namespace with loopback only: the proxy's control and the examples' traffic are reached through the
  Unix sockets the engine hands over, nothing else;
- mount and IPC namespaces of their own, and a read-only view of the file system: every mount read-only (locked
  so in user namespace 2), but the few places the check writes (workspace.py): nothing the engine or a later
  `branddocs` command run with the key would load (the venv, `.pth` files, node_modules, the project's code) can
  be changed from here, nor /etc, the home folder or the machine's cgroups;
- a session of its own, without a controlling terminal, stdin /dev/null, and its output through pipes the engine
  copies out: no ioctl (TIOCSTI) types into the caller's shell.

    engine (branddocs check: the key in memory; non-dumpable) ── proxy (holds the key; non-dumpable; no harness child)
       └─ harness: [user ns 1: maps] ─ PID 1 (fresh /proc, lo up, reaper) ─ [user ns 2] ─ pytest ...

The fresh /proc is made in user namespace 1; pytest runs in a second one below it, where every mount it
inherits is locked: root there cannot unmount /proc to uncover the machine's, nor make a read-only mount
writable. As root, the ids mapped are a user of its own as its root (a user no file belongs to, in no group: of
the machine's files it reads only what everyone may, and what the check needs through idmapped mounts,
harness_view.py) and the blocks of users the engine reserved for the examples' isolation units (uids.py); as an
ordinary user, that user alone.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from branddocs.examples.isolation import namespaces as ns
from branddocs.examples.isolation import seccomp
from branddocs.examples.isolation.harness_view import UserView, View
from branddocs.examples.isolation.uids import BLOCK, LOCKS, PROBE_UID, UNIT_UIDS
from branddocs.text.printers import TerminalCopy

__all__ = ["available", "run"]

_INIT = Path(__file__).with_name("init.py")


def _maps(blocks: Sequence[int], user: int | None) -> tuple[ns.IdMap, ns.IdMap]:
    """Who is mapped into the harness: as root, its own `user` as its root (root itself when None), the probe's
    user and the blocks of users the engine reserved for it (each in place of one of the first blocks, which its
    workers take from a lock folder of its own); as an ordinary user, the caller alone."""
    if os.geteuid() == 0:
        ids = [(0, 0 if user is None else user, 1), (PROBE_UID, PROBE_UID, 1)]
        ids += [(UNIT_UIDS[0] + index * BLOCK, first, BLOCK) for index, first in enumerate(blocks)]
        return ids, list(ids)
    return [(os.getuid(), os.getuid(), 1)], [(os.getgid(), os.getgid(), 1)]


def _view(writable: Sequence[str], binds: Sequence[tuple[str, str]]) -> None:
    """In the harness's new mount namespace: every mount read-only (locked so for pytest, one user namespace down),
    `writable` bound writable, each `(source, target)` of `binds` bound writable at its target (a private copy in
    the work folder in place of the project's docs/, workspace.py), and (as root) a lock folder of its own."""
    ns.read_only("/", recursive=True)
    for path in writable:
        ns.bind_writable(path)
    for source, target in binds:
        ns.bind_writable(target, source)
    if os.geteuid() == 0 and LOCKS.is_dir():
        ns.mount_tmpfs(str(LOCKS), 1 << 20, mode=0o700)


def _copy(source: int, to: BinaryIO) -> None:
    """The harness's output, copied to the engine's own stdout or stderr until the harness has ended: the repository's
    code prints there, so through `TerminalCopy` (colours and text pass; any other escape, a clipboard write or a
    title, and a `::error` workflow command line do not)."""
    shown = TerminalCopy()
    with open(source, "rb", buffering=0) as pipe:
        while True:
            piece = pipe.read(1 << 16)
            with contextlib.suppress(OSError, ValueError):
                to.write(shown.feed(piece, final=not piece).encode())
                to.flush()
            if not piece:
                return


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


def run(
    argv: Sequence[str], env: dict[str, str], pass_fds: Sequence[int] = (), writable: Sequence[str] = (),
    blocks: Sequence[int] = (), cgroup_procs: Path | None = None, view: View | UserView | None = None,
    binds: Sequence[tuple[str, str]] = (),
) -> int:  # fmt: skip
    """Run `argv` (an absolute path first) with `env` in the harness, wait, and return its exit status.

    Only `pass_fds` stay open in it, besides stdin (/dev/null) and stdout and stderr: pipes whose output this
    process copies to its own. It runs in a session of its own, without a controlling terminal: `/dev/tty` fails
    with ENXIO, and no ioctl (TIOCSTI) reaches the caller's terminal. Its file system is read-only but `writable`
    (workspace.py) and `binds` (a private copy bound in place of a project's folder); `blocks` are the users
    reserved for its units (as root), `cgroup_procs` its run group's. Ctrl-C here is passed on to pytest; the
    harness dies with this process. `view` (harness_view.py): as root, the harness's own user and what it needs to
    read (without one, as root, it is mapped to root); as an ordinary user, the places of that user's sockets and
    terminals covered but for what the check reads and writes."""
    root_view = view if isinstance(view, View) else None
    uids, gids = _maps(blocks, root_view.user if root_view is not None else None)
    first = functools.partial(root_view.place, os.getcwd()) if root_view is not None else None
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    copies = [threading.Thread(target=_copy, args=(out_r, sys.stdout.buffer), daemon=True),
              threading.Thread(target=_copy, args=(err_r, sys.stderr.buffer), daemon=True)]  # fmt: skip

    def join_cgroup(child: int) -> None:
        if cgroup_procs is not None:
            cgroup_procs.write_text(str(child))

    try:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = ns.fork_into_user_namespace(uids, gids, prepare=join_cgroup, first=first)
        if pid == 0:
            code = 70
            try:
                if root_view is not None:  # still the machine's root, unmapped here: now the root mapped, its own user
                    os.setresgid(0, 0, 0)
                    os.setresuid(0, 0, 0)
                    ns.set_dumpable(True)  # the change of user made it not: its /proc files would stay root's
                os.setsid()  # no controlling terminal from here on: /dev/tty is ENXIO
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
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
                if isinstance(view, UserView):
                    view.place(os.getcwd())
                _view(writable, binds)
                # The system calls' allow-list, once the mounts above are made (they need the new mount API, which
                # it refuses), before anything of the repository runs: no kernel keyrings (the caller's session
                # keyring is inherited), io_uring, bpf... (seccomp.py)
                seccomp.install()
                init = os.fork()
                if init == 0:  # the same ids, one namespace down: as they are seen in this one
                    _init(argv, env, [(a, a, n) for a, _, n in uids], [(a, a, n) for a, _, n in gids])
                signal.signal(signal.SIGINT, lambda *_: os.kill(init, signal.SIGINT))  # on to init.py, to pytest
                code = os.waitstatus_to_exitcode(os.waitpid(init, 0)[1])
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code & 0xFF if code >= 0 else 128 - code)
        if root_view is not None:
            root_view.close()
        os.close(out_w)
        os.close(err_w)
        out_w = err_w = -1
        for copy in copies:
            copy.start()
        signal.signal(signal.SIGINT, lambda *_: os.kill(pid, signal.SIGINT))
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        for copy in copies:
            copy.join(timeout=10)
        return status
    finally:
        signal.signal(signal.SIGINT, previous)
        for fd in (out_w, err_w):
            if fd >= 0:
                os.close(fd)


def _open_fds() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return []
