"""A seccomp filter for every isolation unit, and for the harness: no kernel keyrings.

Kernel keyrings belong to a user (per user namespace), not to an IPC or mount namespace: the user and user-session
keyrings (`@u`, `@s`) of one unit's user are those of the next unit that runs as the same user in the same user
namespace (every Python unit of a zygote as an ordinary user), so a key one example adds, another finds. They are
also the caller's quota (`/proc/sys/kernel/keys/maxbytes` per user). No example needs them: `add_key`,
`request_key` and `keyctl` fail with EPERM in every unit, as in Docker's default profile.

The filter is a classic BPF program of a few instructions (struct sock_filter: u16 code, u8 jt, u8 jf, u32 k),
given to bubblewrap on a file descriptor (`bwrap --seccomp FD`), which loads it last, after no_new_privs, just
before it runs the unit's first program; every process started or forked below inherits it (a zygote's units too).
A system call made through another ABI (x86's 32-bit `int 0x80`, x32) fails the same way, whatever its number.
On a machine kind not listed in _MACHINES there is no filter (`program()` is None; the threat model says so).

The harness (harness.py) loads the same filter into itself (`install`) before anything of the repository runs: a
process holds its caller's session keyring (`@s`), where a developer's shell may keep a secret, and the repository's
code would read it with `request_key` and `KEYCTL_READ`.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

__all__ = ["KEY_SYSCALLS", "install", "program", "program_fd"]

KEY_SYSCALLS = ("add_key", "request_key", "keyctl")
"""The system calls refused in a unit."""
# uname -m: (AUDIT_ARCH_* of seccomp_data.arch, {syscall: number}, whether x32 numbers (bit 30) exist there).
_MACHINES = {
    "x86_64": (0xC000003E, {"add_key": 248, "request_key": 249, "keyctl": 250}, True),
    "aarch64": (0xC00000B7, {"add_key": 217, "request_key": 218, "keyctl": 219}, False),
}
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_NR, _ARCH = 0, 4  # offsets in struct seccomp_data
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_X32_BIT = 0x40000000


def program(machine: str | None = None) -> bytes | None:
    """The filter for `machine` (this one by default), as bwrap reads it; None where this module knows no numbers."""
    known = _MACHINES.get(machine or platform.machine())
    if known is None:
        return None
    arch, numbers, x32 = known
    deny: list[tuple[int, int]] = [(_JGE_K, _X32_BIT)] if x32 else []
    deny += [(_JEQ_K, numbers[name]) for name in KEY_SYSCALLS]
    # ld arch; jeq ARCH else DENY; ld nr; (jge/jeq X then DENY)...; ret ALLOW; DENY: ret ERRNO(EPERM)
    count = 3 + len(deny) + 2
    code = [(_LD_W_ABS, 0, 0, _ARCH), (_JEQ_K, 0, count - 3, arch), (_LD_W_ABS, 0, 0, _NR)]
    for at, (op, k) in enumerate(deny, start=3):
        code.append((op, count - 1 - at - 1, 0, k))
    code += [(_RET_K, 0, 0, _ALLOW), (_RET_K, 0, 0, _ERRNO | errno.EPERM)]
    assert len(code) == count
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


def program_fd() -> int | None:
    """The filter in a memory file, open at offset 0 (for `bwrap --seccomp FD`; the caller closes it); None where
    there is no filter."""
    code = program()
    if code is None:
        return None
    fd = os.memfd_create("branddocs-seccomp", os.MFD_CLOEXEC)
    os.write(fd, code)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class _Program(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_char_p))


_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2


def install() -> bool:
    """The filter loaded into this process and all it starts (it needs CAP_SYS_ADMIN in its user namespace, which the
    harness's first process has, or no_new_privs); False where there is no filter for this machine kind."""
    code = program()
    if code is None:
        return False
    fprog = _Program(len(code) // 8, code)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"seccomp filter: {os.strerror(number)}")
    return True
