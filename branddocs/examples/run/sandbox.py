"""Run an example in a sandbox it cannot leave: bubblewrap (`bwrap`), a user of its own, limits.

Each example is one isolation unit, which gets:
- a user of its own (as root: one no other live unit has, uids.py); as an ordinary user, a user namespace of its
  own mapping the caller;
- its own PID namespace with a fresh /proc: no other process, its environment, memory or command line, is there;
  when its first process ends, the kernel kills whatever it left behind;
- its own IPC namespace (no other unit's SysV segments, queues or semaphores), mount and UTS namespaces;
- the system calls its programs need, no other (seccomp.py, an allow-list): no kernel keyrings, which no
  namespace of its own would keep apart (they belong to the user), no io_uring, bpf, perf events, userfaultfd, new
  mount API, kernel modules or ptrace; a zygote's sandbox may make namespaces and mounts, for its units;
- a read-only view of the system (/usr, the /etc files programs need, not the whole /etc), read-only binds of
  exactly what it must read (the interpreter and its packages, node and node_modules, our harness, its script),
  and no view of the project, `site/`, `docs/`, `.venv` for writing, the home folder or other units' folders;
- its scratch folder (SCRATCH: its working directory, HOME below it) and /tmp, each a tmpfs of FILE_LIMIT bytes
  made for it alone, as the only writable places: nothing it writes is there for a later unit;
- its own network namespace, where only loopback exists: this script listens there on 127.0.0.1:PORT (the
  proxy's port outside, so the example's URLs stay as they are) and relays every connection to the recording
  proxy's Unix socket, bound into the sandbox. A URL built at run time, another port or address goes nowhere;
- a memory cgroup of MEMORY_LIMIT bytes where the machine allows one (cgroups.py: shared mappings, SysV segments
  and tmpfs files count there, which RLIMIT_DATA misses), and limits on processes, file size and, from the
  caller, on time and output size.

A Python example is forked by a zygote (pool.py, python_zygote.py) into a unit of the same kind: the zygote's
sandbox is made here (`launch(zygote=...)`), and each unit's own namespaces, mounts and user there.

    bwrap --args FD   (…) -- python -I -S relay.py SOCKET PORT CWD -- COMMAND...     (inside: relay, then run)

`available()` probes once whether this machine provides it (bwrap present, namespaces allowed); where it does
not, `branddocs check` refuses a real key unless told `--unsafe-no-sandbox`, and says so in one line.
`launch()` is the one place that starts a sandboxed process; pool.py starts its processes ahead through it (a
Python zygote, and Node.js processes waiting for their one example).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from branddocs.examples.isolation import namespaces, seccomp
from branddocs.examples.isolation.cgroups import Group
from branddocs.examples.isolation.uids import PROBE_UID
from branddocs.settings import BWRAP, NO_SANDBOX

__all__ = [
    "MEMORY_LIMIT",
    "OUTPUT_LIMIT",
    "PROCESS_LIMIT",
    "SCRATCH",
    "Box",
    "StartError",
    "available",
    "inside",
    "launch",
    "python_reads",
]

MEMORY_LIMIT = 1 << 30
"""RLIMIT_DATA: 1 GiB of heap and private writable memory. Not RLIMIT_AS: Node.js reserves over 8 GiB of
address space for WebAssembly (undici's `fetch` uses it) without touching it, so an address-space limit
low enough to matter breaks every Node.js example; RLIMIT_DATA counts only memory that can be written."""
PROCESS_LIMIT = 128
"""RLIMIT_NPROC: processes and threads of the example's user beyond those it has when the example starts."""
FILE_LIMIT = 64 << 20
"""RLIMIT_FSIZE: no file written bigger than 64 MiB; /tmp and the scratch folder are tmpfs of the same size."""
SCRATCH = "/home/example"
"""A unit's scratch folder, as it sees it: a tmpfs of its own, its working directory, with HOME at `home/`."""
OUTPUT_LIMIT = 4 << 20
"""Bytes of stdout and stderr (together) read from an example before it is stopped (run.execute)."""

INSIDE = Path("/run/branddocs")
"""Where the sandbox sees our own files: the relay (relay.py), python_child.py, the proxy's socket."""
_RELAY = Path(__file__).with_name("relay.py")
# The files of /etc that programs need (name service, dynamic linker, time zone, certificates); not /etc itself,
# which may hold credentials of the machine.
_ETC = ("passwd", "group", "nsswitch.conf", "hosts", "host.conf", "gai.conf", "ld.so.cache", "ld.so.conf",
        "ld.so.conf.d", "localtime", "alternatives", "ssl", "ca-certificates", "mime.types")  # fmt: skip


@dataclass
class Box:
    """One sandboxed launch: what the example may read, and reach (it writes in its own SCRATCH and /tmp only)."""

    socket_path: str
    """The recording proxy's Unix socket, its only way out."""
    port: int
    """The proxy's port outside: inside, 127.0.0.1:port leads to the socket."""
    reads: list[Path] = field(default_factory=list)
    """Read-only, each at its own path (an interpreter, its packages); system paths under /usr need no entry."""
    binds: dict[str, Path] = field(default_factory=dict)
    """Read-only, at another path inside: {path inside: path outside} (node_modules at /node_modules, an example's
    script in SCRATCH)."""


def _bwrap() -> str | None:
    """$BRANDDOCS_BWRAP (a path that does not exist makes the sandbox unavailable), else `bwrap` on PATH."""
    given = BWRAP.get()
    if given:
        return given if os.access(given, os.X_OK) else None
    return shutil.which("bwrap")


def _user_tasks(uid: int) -> int:
    """How many processes and threads `uid` has now (what RLIMIT_NPROC counts)."""
    count = 0
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        with contextlib.suppress(OSError):
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += len(os.listdir(f"/proc/{pid}/task"))
    return count


def _limits(uid: int) -> list[str]:
    # RLIMIT_NPROC counts every task of the user: as root the example's user is its own (none yet); as an
    # ordinary user it is the caller, whose other processes count too, so the limit is set above them.
    tasks = 0 if os.geteuid() == 0 else _user_tasks(uid)
    return [shutil.which("prlimit") or "prlimit", f"--data={MEMORY_LIMIT}", f"--nproc={tasks + PROCESS_LIMIT}",
            f"--fsize={FILE_LIMIT}", "--core=0", "--"]  # fmt: skip


_SYSTEM = ("/usr", "/proc", "/dev", "/etc")
_TMP = "/tmp"  # noqa: S108 - the sandbox's own tmpfs, not the machine's /tmp


def _dirs_for(destinations: list[str]) -> list[str]:
    """`--dir` for every folder above the mount points, world-searchable (bwrap makes them 0700 as root)."""
    made, args = {"/"}, []
    for dest in destinations:
        for parent in reversed(Path(dest).parents):
            if str(parent) not in made and str(parent) != _TMP and not str(parent).startswith(_SYSTEM):
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _system() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():  # merged /usr (Debian 12): /bin -> usr/bin
            args += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            args += ["--ro-bind", str(top), str(top)]
    args += ["--perms", "0755", "--dir", "/etc"]  # as root bwrap makes folders 0700: the example's user must enter
    for name in _ETC:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def _arguments(box: Box | None, command: list[str], uid: int, userns: int | None) -> tuple[list[str], list[str]]:
    """bwrap's options (given over a pipe: /proc/1/cmdline inside shows none of them), and the command it runs.

    `userns`: the zygote's user namespace, made by launch() (a zygote's sandbox); else the unit's own."""
    args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session"]  # fmt: skip
    root = os.geteuid() == 0
    if userns is not None:
        args += ["--userns", str(userns), "--uid", str(os.getuid()), "--gid", str(os.getgid())]
    elif not root:  # an ordinary user: a user namespace is how bwrap gets to mount anything
        args += ["--unshare-user", "--uid", str(uid), "--gid", str(os.getgid()), "--disable-userns"]
    args += [*_system(), "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(FILE_LIMIT),
             "--tmpfs", _TMP]  # fmt: skip
    # The relay needs no packages: the base interpreter, without site (a venv's python is a link to it).
    base = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    relay = [base, "-I", "-S", str(INSIDE / _RELAY.name)]
    reads = {Path(sys.base_prefix)}  # the relay's interpreter
    mounts = {str(INSIDE / _RELAY.name): _RELAY}
    if box is not None:
        reads |= set(box.reads)
        mounts |= {str(INSIDE / "proxy.sock"): Path(box.socket_path), **box.binds}
        relay += [str(INSIDE / "proxy.sock"), str(box.port), SCRATCH if userns is None else "/", "--"]
    else:
        relay += ["-", "0", "/", "--"]
    reads = {p for p in reads if not str(p).startswith("/usr/")}
    args += _dirs_for([str(p) for p in sorted(reads)] + list(mounts) + [SCRATCH])
    if userns is not None:  # each unit the zygote forks mounts a tmpfs of its own here
        args += ["--perms", "0755", "--dir", SCRATCH]
    elif box is not None:  # the unit's own: as root made by root for the unit's user, hence open to it
        args += ["--perms", "1777" if root else "0700", "--size", str(FILE_LIMIT), "--tmpfs", SCRATCH]
    for path in sorted(reads):
        args += ["--ro-bind", str(path), str(path)]
    for dest, source in mounts.items():
        args += ["--ro-bind", str(source), dest]
    # The sandbox's root and /dev are tmpfs of its own, writable by its user as an ordinary user's: read-only from
    # here on, so that a zygote's units, one after another, share no writable place (device files still work).
    args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    run: list[str] = []
    if userns is not None:
        # The zygote: root of its own user namespace only, with what it needs to make each unit's namespaces
        # and mounts (SYS_ADMIN), to drop capabilities (SETPCAP), to forbid user namespaces below its own
        # (SYS_RESOURCE) and, as root, to give each unit its user (SETUID, SETGID).
        caps = ["CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SYS_RESOURCE"] + (["CAP_SETUID", "CAP_SETGID"] if root else [])
        args += [arg for cap in caps for arg in ("--cap-add", cap)]
    elif root:
        # bwrap as root sets the sandbox up, then the example runs as a user no file belongs to. Not a user
        # namespace mapping the caller's uid: that process would still be root (or the caller) to the kernel,
        # owner of the caller's files and able to read its processes' memory, should any path or process of the
        # caller ever come into view; a uid of its own can read only what is readable by everyone.
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        run = [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
               "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"]  # fmt: skip
    return args, run + relay + command


class StartError(RuntimeError):
    """What examples run with cannot start: the message names the command and what it said."""


def python_reads(python: str) -> list[Path]:
    """What a Python interpreter needs to read: its environment (sys.prefix) and the installation below it.

    Asked of `python` as it is named, never of the file its links lead to: a virtual environment's `bin/python` is
    a link to the base interpreter, and only started by that name does it find its environment (pyvenv.cfg)."""
    if os.path.abspath(python) == os.path.abspath(sys.executable):
        return [Path(sys.prefix), Path(sys.base_prefix)]
    return [Path(p) for p in _prefixes(os.path.abspath(python))]


@functools.cache
def _prefixes(python: str) -> tuple[str, ...]:
    """Where the Python examples run with reads its modules from: its prefix and base prefix, and its venv's folder.

    Asked with `-I -S`, outside any sandbox and beside the key: no `site`, so none of its packages' `.pth` files run
    (a red team's `.pth` in that interpreter's site-packages read the key from this process's environment). Without
    `site` a venv's prefix is not set, so its folder is found as Python finds it: `pyvenv.cfg` beside the executable
    or one folder up (the path as given, links unresolved: a venv's python is a link to its base's)."""
    command = [python, "-I", "-S", "-c", "import sys; print(sys.prefix); print(sys.base_prefix)"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StartError(f"the Python examples run with cannot start: `{' '.join(command)}`: {exc}") from None
    if done.returncode or not done.stdout.split():
        said = " ".join((done.stderr or done.stdout).split())[-300:] or "no output"
        raise StartError(f"the Python examples run with cannot start: `{' '.join(command)}` exited with status "
                         f"{done.returncode}: {said}")  # fmt: skip
    executable = Path(os.path.abspath(shutil.which(python) or python))
    venv = [str(up) for up in (executable.parent, executable.parent.parent) if (up / "pyvenv.cfg").is_file()]
    return tuple(dict.fromkeys([*venv[:1], *done.stdout.split()]))


def launch(
    command: list[str], box: Box | None, env: dict[str, str], uid: int, group: Group | None = None,
    zygote: tuple[int, int] | None = None, **popen: object,
) -> subprocess.Popen:  # fmt: skip
    """Start `command` in the sandbox `box` with the environment `env` (None: a probe that runs `command` alone).

    As root it runs as `uid` (uids.py: one no live unit has); in the memory cgroup `group`, where there is one.
    `zygote` (the block of users it may give its units, as root): a zygote's sandbox, which forks units itself.
    The process is a session leader: killing its group (or it) ends the sandbox, whose first process dies with it.
    """
    bwrap = _bwrap()
    assert bwrap is not None, "check available() first"
    root, userns = os.geteuid() == 0, None
    fds = []
    if zygote is not None:
        ids = [(0, 0, 1), (zygote[0], zygote[0], zygote[1])] if root else [(os.getuid(), os.getuid(), 1)]
        gids = [(0, 0, 1), (zygote[0], zygote[0], zygote[1])] if root else [(os.getgid(), os.getgid(), 1)]
        userns = namespaces.user_namespace(ids, gids)
        fds.append(userns)
    options, run = _arguments(box, command, uid, userns)
    denied = seccomp.program_fd(sandboxing=zygote is not None)  # the allow-list, for the unit and all it forks
    if denied is not None:
        fds.append(denied)
        options += ["--seccomp", str(denied)]
    read, write = os.pipe()
    fds.append(read)
    try:
        os.write(write, b"".join(a.encode() + b"\0" for a in options))
    finally:
        os.close(write)
    # Joins its memory cgroup first, so that everything it starts is born in it (`0`: the writing process itself).
    join = ["/bin/sh", "-c", 'echo 0 > "$0" && exec "$@"', str(group.tasks)] if group is not None else []
    try:
        return subprocess.Popen(
            [*join, *_limits(uid), bwrap, "--args", str(read), "--", *run],
            env=env, pass_fds=fds, start_new_session=True, **popen,
        )  # fmt: skip
    finally:
        for fd in fds:
            os.close(fd)


@functools.cache
def _probe() -> str:
    """Empty when a sandboxed `true` runs here and user namespaces may be made; else why not (one line)."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux, not {sys.platform}"
    if _bwrap() is None:
        return f"no bubblewrap here ({BWRAP.get() or 'bwrap'} not found; Debian package bubblewrap)"
    refused = namespaces.user_namespaces_work()  # as root too: a zygote's units are made in one (pool.py)
    if refused:
        return refused
    try:
        uid = PROBE_UID if os.geteuid() == 0 else os.getuid()
        process = launch(["true"], None, {"PATH": "/usr/bin:/bin"}, uid, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate(timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap did not start: {exc}"
    if process.returncode:
        detail = (err or out).decode(errors="replace").strip().splitlines()
        return f"bubblewrap failed here (user namespaces refused?): {detail[-1] if detail else process.returncode}"
    return ""


def available() -> tuple[bool, str]:
    """(True, "") where examples can run in the sandbox; else (False, why not)."""
    why = _probe()
    return not why, why


def inside() -> bool:
    """Whether examples run in the sandbox in this process (available, and not switched off: $BRANDDOCS_NO_SANDBOX)."""
    return available()[0] and not NO_SANDBOX.is_set()
