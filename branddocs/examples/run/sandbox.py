"""Run an example in a sandbox it cannot leave: bubblewrap (`bwrap`), an unprivileged user, limits.

Each example process gets:
- a user of its own that owns nothing on this machine (below: why that user);
- its own PID namespace with a fresh /proc: no other process, its environment, memory or command line, is there;
- a read-only view of the system (/usr, the /etc files programs need, not the whole /etc), read-only binds of
  exactly what it must read (the interpreter and its packages, node and node_modules, our harness), and no
  view of the project, `site/`, `docs/`, `.venv` for writing, the home folder or other examples' folders;
- its own scratch folder (HOME and working directory) as the only writable place, and a private /tmp;
- its own network namespace, where only loopback exists: this script listens there on 127.0.0.1:PORT (the
  proxy's port outside, so the example's URLs stay as they are) and relays every connection to the recording
  proxy's Unix socket, bound into the sandbox. A URL built at run time, another port or address goes nowhere;
- limits on memory, processes, file size (below) and, from the caller, on time and output size.

A Python example forked by the zygote (pool.py, as root) shares its zygote's sandbox with the examples forked
before and after it, one at a time: its user, scratch folder and environment are its own, and whatever it
leaves (processes, files in /tmp and /dev/shm) is gone before the next one starts.

    bwrap --args FD   (…) -- python -I -S relay.py SOCKET PORT CWD -- COMMAND...     (inside: relay, then run)

`available()` probes once whether this machine provides it (bwrap present, namespaces allowed); where it does
not, `branddocs check` refuses a real key unless told `--unsafe-no-sandbox`, and says so in one line.
`launch()` is the one place that starts a sandboxed process; pool.py starts its processes ahead through it (a
Python zygote, which stays root in its sandbox to give each example it forks a user of its own, and Node.js
processes waiting for their one example).
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

from branddocs.settings import BWRAP, NO_SANDBOX

__all__ = [
    "MEMORY_LIMIT",
    "OUTPUT_LIMIT",
    "PROCESS_LIMIT",
    "Box",
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
"""RLIMIT_FSIZE: no file written bigger than 64 MiB; /tmp is a tmpfs of the same size."""
OUTPUT_LIMIT = 4 << 20
"""Bytes of stdout and stderr (together) read from an example before it is stopped (run.execute)."""

INSIDE = Path("/run/branddocs")
"""Where the sandbox sees our own files: the relay (relay.py), python_child.py, the proxy's socket."""
_RELAY = Path(__file__).with_name("relay.py")
_SANDBOX_UID_BASE = 1_900_000_000
"""As root, each launching process (pytest worker) runs its examples as uid BASE + its pid: a user no file on
this machine belongs to, and one per concurrent example, so RLIMIT_NPROC (counted per user) bounds each alone."""
# The files of /etc that programs need (name service, dynamic linker, time zone, certificates); not /etc itself,
# which may hold credentials of the machine.
_ETC = ("passwd", "group", "nsswitch.conf", "hosts", "host.conf", "gai.conf", "ld.so.cache", "ld.so.conf",
        "ld.so.conf.d", "localtime", "alternatives", "ssl", "ca-certificates", "mime.types")  # fmt: skip


@dataclass
class Box:
    """One sandboxed launch: what the example may write, read, and reach."""

    scratch: Path
    """Its own folder: writable, its HOME and working directory."""
    socket_path: str
    """The recording proxy's Unix socket, its only way out."""
    port: int
    """The proxy's port outside: inside, 127.0.0.1:port leads to the socket."""
    reads: list[Path] = field(default_factory=list)
    """Read-only, each at its own path (an interpreter, its packages); system paths under /usr need no entry."""
    binds: dict[str, Path] = field(default_factory=dict)
    """Read-only, at another path inside: {path inside: path outside} (node_modules at /node_modules)."""


def _bwrap() -> str | None:
    """$BRANDDOCS_BWRAP (a path that does not exist makes the sandbox unavailable), else `bwrap` on PATH."""
    given = BWRAP.get()
    if given:
        return given if os.access(given, os.X_OK) else None
    return shutil.which("bwrap")


def _sandbox_uid() -> int:
    return _SANDBOX_UID_BASE + os.getpid() if os.geteuid() == 0 else os.getuid()


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


def _arguments(box: Box | None, command: list[str], uid: int, zygote: bool = False) -> tuple[list[str], list[str]]:
    """bwrap's options (given over a pipe: /proc/1/cmdline inside shows none of them), and the command it runs."""
    args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session"]  # fmt: skip
    root = os.geteuid() == 0
    if not root:  # an ordinary user: a user namespace is how bwrap gets to mount anything
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
        relay += [str(INSIDE / "proxy.sock"), str(box.port), str(box.scratch), "--"]
    else:
        relay += ["-", "0", "/", "--"]
    reads = {p for p in reads if not str(p).startswith("/usr/")}
    dests = [str(p) for p in sorted(reads)] + list(mounts) + ([str(box.scratch)] if box else [])
    args += _dirs_for(dests)
    for path in sorted(reads):
        args += ["--ro-bind", str(path), str(path)]
    for dest, source in mounts.items():
        args += ["--ro-bind", str(source), dest]
    if box is not None:
        args += ["--bind", str(box.scratch), str(box.scratch)]
    run: list[str] = []
    if root and zygote:  # it stays root, with these two capabilities only, to switch each forked example's user
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    elif root:
        # bwrap as root sets the sandbox up, then the example runs as a user no file belongs to. Not a user
        # namespace mapping the caller's uid: that process would still be root (or the caller) to the kernel,
        # owner of the caller's files and able to read its processes' memory, should any path or process of the
        # caller ever come into view; a uid of its own can read only what is readable by everyone.
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        run = [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
               "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"]  # fmt: skip
    return args, run + relay + command


def python_reads(python: str) -> list[Path]:
    """What a Python interpreter needs to read: its environment (sys.prefix) and the installation below it."""
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        return [Path(sys.prefix), Path(sys.base_prefix)]
    return [Path(p) for p in _prefixes(os.path.realpath(python))]


@functools.cache
def _prefixes(python: str) -> tuple[str, ...]:
    done = subprocess.run([python, "-I", "-S", "-c", "import sys; print(sys.prefix); print(sys.base_prefix)"],
                          capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    return tuple(dict.fromkeys(done.stdout.split()))


def launch(
    command: list[str], box: Box | None, env: dict[str, str], uid: int | None = None, zygote: bool = False,
    **popen: object,
) -> subprocess.Popen:  # fmt: skip
    """Start `command` in the sandbox `box` with the environment `env` (None: a probe that runs `command` alone).

    As root, it runs as `uid` (default: one per launching process); `zygote` (as root only): it stays root in
    the sandbox, with CAP_SETUID and CAP_SETGID alone, and owns nothing in `box.scratch` (pool.py).
    The process is a session leader: killing its group (or it) ends the sandbox, whose first process dies with it.
    """
    bwrap = _bwrap()
    assert bwrap is not None, "check available() first"
    assert not zygote or os.geteuid() == 0, "a zygote needs root: it switches each example to a user of its own"
    uid = _sandbox_uid() if uid is None or os.geteuid() != 0 else uid
    if box is not None and os.geteuid() == 0 and not zygote:  # the example's user writes there, and nowhere else
        for folder, dirs, files in os.walk(box.scratch):
            for name in [".", *dirs, *files]:
                os.lchown(os.path.join(folder, name), uid, uid)
    options, run = _arguments(box, command, uid, zygote)
    read, write = os.pipe()
    try:
        os.write(write, b"".join(a.encode() + b"\0" for a in options))
    finally:
        os.close(write)
    try:
        return subprocess.Popen(
            [*_limits(uid), bwrap, "--args", str(read), "--", *run],
            env=env, pass_fds=(read,), start_new_session=True, **popen,
        )  # fmt: skip
    finally:
        os.close(read)


@functools.cache
def _probe() -> str:
    """Empty when a sandboxed `true` runs here; else why not (one line)."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux, not {sys.platform}"
    if _bwrap() is None:
        return f"no bubblewrap here ({BWRAP.get() or 'bwrap'} not found; Debian package bubblewrap)"
    try:
        process = launch(["true"], None, {"PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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
