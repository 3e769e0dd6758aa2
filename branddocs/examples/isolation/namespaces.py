"""Linux namespaces, mounts, capabilities and limits through libc: the parts an isolation unit is made of.

Python 3.11 has no `os.unshare` or `os.mount`, so this calls libc through ctypes. It imports the standard library
only: the Python zygote (python_zygote.py) loads it by path inside its sandbox, where branddocs is not installed,
and the harness (harness.py) imports it in the engine's process.

A user namespace is what lets an unprivileged process, or root without any capability in the machine's own
namespace, have the rest: its creator holds every capability *inside* it, over the mount, PID and IPC
namespaces it then makes, and none outside. `enter_user_namespace` makes one and maps ids into it,
`drop_capabilities` gives them all up before untrusted code runs.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import re
import socket
import struct
from collections.abc import Callable

__all__ = [
    "CLONE_NEWIPC",
    "CLONE_NEWNET",
    "CLONE_NEWNS",
    "CLONE_NEWPID",
    "CLONE_NEWUSER",
    "CLONE_NEWUTS",
    "IdMap",
    "bind_writable",
    "drop_capabilities",
    "forbid_user_namespaces",
    "fork_into_user_namespace",
    "load_seccomp",
    "loopback_up",
    "make_mounts_private",
    "mount_proc",
    "mount_tmpfs",
    "mount_tmpfs_keeping",
    "mounts_below",
    "read_only",
    "set_child_subreaper",
    "set_dumpable",
    "set_parent_death_signal",
    "setns",
    "unshare",
    "user_namespace",
    "user_namespaces_work",
    "write_id_maps",
]

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 0x40000
_MS_BIND, _AT_RECURSIVE, _AT_FDCWD, _MOUNT_ATTR_RDONLY, _MOUNT_ATTR_NOSUID_NODEV = 0x1000, 0x8000, -100, 0x1, 0x6
_MS_MOVE = 0x2000
_SYS_MOUNT_SETATTR = 442  # the same on x86_64 and aarch64 (Linux 5.12)
_PR_SET_PDEATHSIG, _PR_GET_DUMPABLE, _PR_SET_DUMPABLE, _PR_CAPBSET_DROP, _PR_SET_CHILD_SUBREAPER = 1, 3, 4, 24, 36
_PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_SYS_CAPSET = {"x86_64": 126, "aarch64": 91}
_CAPABILITY_VERSION_3 = 0x20080522
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

IdMap = list[tuple[int, int, int]]
"""Lines of a uid_map or gid_map: (first id inside, first id outside, how many)."""


def _checked(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare(flags: int) -> None:
    """unshare(2): the calling process enters new namespaces (`flags`, CLONE_NEW*)."""
    _checked(_libc.unshare(flags), f"unshare({flags:#x})")


def setns(fd: int, kind: int) -> None:
    """setns(2): the caller enters the namespace open at `fd` (of kind `kind`, CLONE_NEW*); for a PID namespace,
    the one its next children are born in."""
    _checked(_libc.setns(fd, kind), f"setns({kind:#x})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _checked(
        _libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                    data and data.encode()),
        f"mount {fstype or source} on {target}",
    )  # fmt: skip


def make_mounts_private() -> None:
    """In a new mount namespace: no mount made here propagates back to the one it was copied from."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64)]  # fmt: skip


def read_only(target: str, readonly: bool = True, recursive: bool = False) -> None:
    """mount_setattr(2): the mount at `target` (and every mount below it, `recursive`) read-only, or writable again.
    A mount read-only when a less privileged user namespace's copy is made stays so there: the kernel locks it."""
    attr = _MountAttr(_MOUNT_ATTR_RDONLY, 0, 0, 0) if readonly else _MountAttr(0, _MOUNT_ATTR_RDONLY, 0, 0)
    flags = _AT_RECURSIVE if recursive else 0
    result = _libc.syscall(_SYS_MOUNT_SETATTR, _AT_FDCWD, target.encode(), flags, ctypes.byref(attr),
                           ctypes.sizeof(attr))  # fmt: skip
    _checked(result, f"mount_setattr {target}")


def bind_writable(path: str, source: str | None = None) -> None:
    """In a read-only view (`read_only("/", recursive=True)`): `path` bound onto itself (or `source` bound at it),
    writable, nosuid and nodev (a set-ID bit or a device file made there gives nobody anything)."""
    _mount(source or path, path, None, _MS_BIND)
    attr = _MountAttr(_MOUNT_ATTR_NOSUID_NODEV, _MOUNT_ATTR_RDONLY, 0, 0)
    _checked(_libc.syscall(_SYS_MOUNT_SETATTR, _AT_FDCWD, path.encode(), 0, ctypes.byref(attr), ctypes.sizeof(attr)),
             f"mount_setattr {path}")  # fmt: skip


def mount_proc(target: str = "/proc") -> None:
    """A fresh /proc: it shows the processes of the caller's PID namespace and no other."""
    _mount("proc", target, "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def mount_tmpfs(target: str, size: int, mode: int = 0o1777, uid: int | None = None, gid: int | None = None) -> None:
    """A tmpfs of at most `size` bytes at `target`: written files count against it, and go with the mount."""
    data = f"size={size},mode={mode:o}" + (f",uid={uid},gid={gid}" if uid is not None else "")
    _mount("tmpfs", target, "tmpfs", _MS_NOSUID | _MS_NODEV, data)


def mounts_below(target: str) -> list[str]:
    """The mounts strictly below `target` that no other of them holds (moving one moves those below it too)."""
    prefix, points = target.rstrip("/") + "/", set()
    with open("/proc/self/mountinfo", encoding="utf-8") as lines:
        for line in lines:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[4])  # `\040`: a space
            if point.startswith(prefix):
                points.add(point)
    return sorted(p for p in points if not any(p.startswith(q + "/") for q in points))


def mount_tmpfs_keeping(target: str, size: int, holder: str) -> None:
    """A fresh tmpfs at `target`, like mount_tmpfs, that keeps the mounts below it: a project or its Python under
    /tmp is bound into the sandbox there, read-only, and an import after the fork must still find its files. Each
    is moved aside into `holder` (an empty folder on another mount), the tmpfs mounted, each moved back below it."""
    kept = mounts_below(target)
    for number, point in enumerate(kept):
        os.mkdir(f"{holder}/{number}", 0o700)
        _mount(point, f"{holder}/{number}", None, _MS_MOVE)
    mount_tmpfs(target, size)
    for number, point in enumerate(kept):
        os.makedirs(point, 0o755, exist_ok=True)  # root's folders on the path: the unit's user cannot change them
        _mount(f"{holder}/{number}", point, None, _MS_MOVE)
        os.rmdir(f"{holder}/{number}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def write_id_maps(pid: int | str, uids: IdMap, gids: IdMap) -> None:
    """Map ids into the user namespace of process `pid` ("self" for the caller's own, just made).

    Root in the parent namespace may map any ids; any other process only its own uid and gid, and then
    setgroups(2) is denied in the new namespace first (the kernel requires it)."""
    if os.geteuid() != 0 or pid == "self":
        _write(f"/proc/{pid}/setgroups", "deny")
    _write(f"/proc/{pid}/uid_map", "".join(f"{a} {b} {n}\n" for a, b, n in uids))
    _write(f"/proc/{pid}/gid_map", "".join(f"{a} {b} {n}\n" for a, b, n in gids))


def fork_into_user_namespace(
    uids: IdMap, gids: IdMap, prepare: Callable[[int], None] | None = None, first: Callable[[], None] | None = None
) -> int:  # fmt: skip
    """Fork; the child enters a new user namespace and this process maps `uids` and `gids` into it.

    Returns the child's pid in the parent, 0 in the child (which returns only once the maps are written: it
    then holds every capability in its namespace). The parent must be allowed to write those maps (root in its
    own namespace, or the child's own ids). `first` runs in the child before it leaves this user namespace; if it
    raises, the child ends (status 70) and this process raises OSError."""
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(mapped_w)
        # A copy of a process no other of its user may read (the engine, which holds the key: key_holder.py) has
        # /proc files its user may not write: an ordinary user's parent could not map it. Dumpable while mapped.
        lent = os.geteuid() != 0 and _libc.prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0) == 0
        try:
            if first is not None:
                try:
                    first()
                except BaseException as exc:
                    with contextlib.suppress(OSError):
                        os.write(2, f"branddocs: the harness could not start: {exc}\n".encode())
                    os._exit(70)
            if lent:
                set_dumpable(True)
            unshare(CLONE_NEWUSER)
            os.write(ready_w, b"u")
        finally:
            os.close(ready_w)
        done = os.read(mapped_r, 1)
        os.close(mapped_r)
        if done != b"m":
            os._exit(70)  # the parent could not map us: nothing here may run
        if lent:
            set_dumpable(False)
        return 0
    os.close(ready_w)
    os.close(mapped_r)
    try:
        if os.read(ready_r, 1) != b"u":
            os.waitpid(pid, 0)
            raise OSError("the child could not make a user namespace")
        if prepare is not None:
            prepare(pid)
        write_id_maps(pid, uids, gids)
        os.write(mapped_w, b"m")
    except BaseException:
        os.close(mapped_w)  # the child then exits without running anything
        os.close(ready_r)
        os.waitpid(pid, 0)
        raise
    os.close(mapped_w)
    os.close(ready_r)
    return pid


def user_namespace(uids: IdMap, gids: IdMap) -> int:
    """A new user namespace with `uids` and `gids` mapped, open (O_CLOEXEC) for bwrap's `--userns`; no process is
    left in it. This process must be allowed to write those maps (see fork_into_user_namespace)."""
    release_r, release_w = os.pipe()
    pid = fork_into_user_namespace(uids, gids)
    if pid == 0:
        os.close(release_w)
        os.read(release_r, 1)  # until the parent has opened the namespace
        os._exit(0)
    os.close(release_r)
    try:
        return os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(release_w)
        os.waitpid(pid, 0)


def forbid_user_namespaces() -> None:
    """No further user namespace below the caller's own (user.max_user_namespaces is per namespace)."""
    _write("/proc/sys/user/max_user_namespaces", "0")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities(user: int | None = None) -> None:
    """Give up every capability for good (bounding set, ambient, permitted, effective), becoming `user` (uid and
    gid) on the way if given, and set no-new-privs so that no program run later (a setuid binary, file
    capabilities) gets any back. The bounding set goes first: dropping from it takes CAP_SETPCAP, which the
    change of user takes away."""
    with open("/proc/sys/kernel/cap_last_cap", "rb") as last:
        for cap in range(int(last.read()) + 1):
            _checked(_libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0), f"dropping capability {cap}")
    if user is not None:
        os.setgroups([])
        os.setresgid(user, user, user)
        os.setresuid(user, user, user)
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)  # EINVAL on kernels without ambient sets
    machine = os.uname().machine
    header, data = _CapHeader(_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    if machine in _SYS_CAPSET:
        _checked(_libc.syscall(_SYS_CAPSET[machine], ctypes.byref(header), data), "capset")
    else:
        _checked(_libc.capset(ctypes.byref(header), data), "capset")
    _checked(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]  # struct sock_fprog


def load_seccomp(code: bytes) -> None:
    """A seccomp filter (classic BPF, 8 bytes an instruction: seccomp.py) for this process and all it starts; it
    stacks on any it has. The caller has no_new_privs, or CAP_SYS_ADMIN in its user namespace."""
    program = _Filter(len(code) // 8, code)
    _checked(_libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0), "seccomp filter")


def set_dumpable(dumpable: bool) -> None:
    """Whether processes of the same user may read this one's memory and environment (/proc/<pid>/mem)."""
    _checked(_libc.prctl(_PR_SET_DUMPABLE, int(dumpable), 0, 0, 0), "PR_SET_DUMPABLE")


def set_parent_death_signal(signal: int) -> None:
    """`signal` to this process when the thread that forked it ends."""
    _checked(_libc.prctl(_PR_SET_PDEATHSIG, signal, 0, 0, 0), "PR_SET_PDEATHSIG")


def set_child_subreaper() -> None:
    """Orphans among this process's descendants become its children, to be reaped here (not by PID 1)."""
    _checked(_libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "PR_SET_CHILD_SUBREAPER")


def loopback_up() -> None:
    """Bring up `lo` in the caller's (new) network namespace, where it starts down."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = struct.unpack("16sH", fcntl.ioctl(sock, _SIOCGIFFLAGS, struct.pack("16sH", b"lo", 0)))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | _IFF_UP))


def user_namespaces_work() -> str:
    """Empty when this process may make a user namespace with its PID, mount and network namespaces; else why not."""
    if not os.path.exists("/proc/self/ns/user"):
        return "this kernel has no user namespaces"
    try:
        pid = os.fork()
    except OSError as exc:
        return f"cannot fork: {exc}"
    if pid == 0:
        code = 0
        try:
            unshare(CLONE_NEWUSER)
            unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC)
        except OSError:
            code = 1
        os._exit(code)
    status = os.waitpid(pid, 0)[1]
    if os.waitstatus_to_exitcode(status):
        return "user namespaces are refused here (user.max_user_namespaces, or a security module)"
    return ""
