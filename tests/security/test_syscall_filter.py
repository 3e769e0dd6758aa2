"""The units' seccomp filter answers as its lists say, for every system call of both machine kinds it knows.

A small classic-BPF interpreter (the few instructions seccomp.py emits: ld [k], jeq, jge, jset, ja, ret) runs the
program for x86_64 and aarch64 (whatever this machine is) on every number of the kernel's table, numbers beyond
it, another ABI's (x32, i386's audit architecture), and the arguments `socket`, `personality` and `clone` are
judged by; tests/security/test_syscalls.py shows the kernel doing the same in a unit. Negative: the program of
the deny-list before issue 29 (three keyring calls), kept here as it was, allows io_uring_setup and bpf.
"""

from __future__ import annotations

import errno
import struct

import pytest

from branddocs.examples.isolation import seccomp

ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# seccomp.program("x86_64") before issue 29: add_key, request_key and keyctl refused, every other call allowed.
DENY_LIST = bytes.fromhex(
    "2000000004000000150000063e0000c02000000000000000350004000000004015000300f800000015000200f900000015000100fa00"
    "0000060000000000ff7f0600000001000500"
)
REFUSED = ("io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "userfaultfd",
           "open_tree", "move_mount", "fsopen", "fsmount", "fspick", "mount_setattr", "open_by_handle_at",
           "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "add_key", "request_key",
           "keyctl", "ptrace", "process_vm_readv", "process_vm_writev", "modify_ldt", "swapon", "reboot",
           "setns", "unshare", "mount", "umount2", "pivot_root", "chroot", "syslog", "acct")  # fmt: skip
NEEDED = ("read", "write", "openat", "mmap", "mprotect", "futex", "epoll_pwait", "eventfd2", "statx", "execve",
          "wait4", "rt_sigaction", "getrandom", "connect", "sendmsg", "prctl", "capset", "seccomp", "rseq")  # fmt: skip


def run(code: bytes, nr: int, arch: int, args: tuple[int, ...] = ()) -> int:
    """What the program `code` returns for system call `nr` of `arch` with `args` (struct seccomp_data)."""
    data = struct.pack("=IIQ6Q", nr, arch, 0, *(list(args) + [0] * 6)[:6])
    program = [struct.unpack_from("=HBBI", code, at) for at in range(0, len(code), 8)]
    pc, acc = 0, 0
    while True:
        op, jt, jf, k = program[pc]
        if op == 0x20:  # ld [k]
            acc = struct.unpack_from("=I", data, k)[0]
        elif op == 0x06:  # ret k
            return k
        elif op == 0x05:  # ja k
            pc += k
        elif op in (0x15, 0x35, 0x45):  # jeq, jge, jset
            taken = acc == k if op == 0x15 else acc >= k if op == 0x35 else bool(acc & k)
            pc += jt if taken else jf
        else:
            raise AssertionError(f"instruction {op:#x} at {pc}")
        pc += 1


@pytest.mark.parametrize("machine", list(ARCH))
def test_every_listed_name_is_a_call_of_the_table(machine: str) -> None:
    table = seccomp.numbers(machine)
    known = {"x86_64": {"read": 0, "openat": 257, "bpf": 321, "clone3": 435},  # the kernel's syscall_64.tbl
             "aarch64": {"read": 63, "openat": 56, "bpf": 280, "clone3": 435}}[machine]  # asm-generic  # fmt: skip
    assert {name: table[name] for name in known} == known
    everywhere = set(seccomp.numbers("x86_64")) | set(seccomp.numbers("aarch64"))
    assert not (seccomp.ALLOWED | seccomp.SANDBOXING) - everywhere  # no misspelt name: it would allow nothing


@pytest.mark.parametrize("sandboxing", [False, True])
@pytest.mark.parametrize("machine", list(ARCH))
def test_each_number_gets_its_answer(machine: str, sandboxing: bool) -> None:
    code = seccomp.program(machine, sandboxing=sandboxing)
    assert code is not None
    table, arch = seccomp.numbers(machine), ARCH[machine]
    allowed = seccomp.ALLOWED | (seccomp.SANDBOXING | {"clone"} if sandboxing else set())
    for name, nr in table.items():
        if name in ("socket", "personality") or (name == "clone" and not sandboxing):
            continue
        expected = ALLOW if name in allowed else ENOSYS if name == "clone3" else EPERM
        assert run(code, nr, arch) == expected, (machine, name)
    for name in NEEDED:
        assert run(code, table[name], arch) == ALLOW, name
    for name in REFUSED:
        if name in table and not (sandboxing and name in seccomp.SANDBOXING):
            assert run(code, table[name], arch) == EPERM, name
    top = max(table.values())
    for nr in (top + 1, top + 17, 1000, 0x3FFFFFFF):
        assert run(code, nr, arch) == ENOSYS, nr  # newer than the table: as on a kernel without it
    for other in (0x40000003, 0x4000003E, 0xFFFFFFFF) if machine == "x86_64" else (0xFFFFFFFF,):
        expected = EPERM if machine == "x86_64" else ENOSYS
        assert run(code, other, arch) == expected, hex(other)  # x32's numbers (bit 30): refused
    assert run(code, table["read"], 0x40000003) == EPERM  # i386's ABI (int 0x80)
    assert run(code, table["read"], ARCH["aarch64" if machine == "x86_64" else "x86_64"]) == EPERM


@pytest.mark.parametrize("machine", list(ARCH))
def test_arguments(machine: str) -> None:
    table, arch = seccomp.numbers(machine), ARCH[machine]
    strict, sandboxing = seccomp.program(machine), seccomp.program(machine, sandboxing=True)
    assert strict is not None
    assert sandboxing is not None
    for code in (strict, sandboxing):
        for family in (1, 2, 10, 16, 17):  # AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET
            assert run(code, table["socket"], arch, (family, 1)) == ALLOW, family
        for family in (38, 40):  # AF_ALG, AF_VSOCK
            assert run(code, table["socket"], arch, (family, 5)) == EPERM, family
        for persona in (0, 8, 0x20000, 0x20008, 0xFFFFFFFF):
            assert run(code, table["personality"], arch, (persona,)) == ALLOW, persona
        for persona in (0x0040000, 0x0400000, 0x8000000):  # ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, ADDR_LIMIT_3GB
            assert run(code, table["personality"], arch, (persona,)) == EPERM, persona
    fork, thread = 0x11, 0x3D0F00  # SIGCHLD; what pthread_create passes
    for flags in (fork, thread):
        assert run(strict, table["clone"], arch, (flags,)) == ALLOW
    for flag in (0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000):
        assert run(strict, table["clone"], arch, (fork | flag,)) == EPERM, hex(flag)
        assert run(sandboxing, table["clone"], arch, (fork | flag,)) == ALLOW, hex(flag)


def test_no_filter_on_a_machine_kind_without_numbers() -> None:
    assert seccomp.program("riscv64") is None


def test_the_negative_the_deny_list_allowed_io_uring_and_bpf() -> None:
    table, arch = seccomp.numbers("x86_64"), ARCH["x86_64"]
    assert run(DENY_LIST, table["keyctl"], arch) == EPERM  # the interpreter reads it as the kernel did
    for name in ("io_uring_setup", "bpf", "perf_event_open", "userfaultfd", "open_by_handle_at", "kexec_load"):
        assert run(DENY_LIST, table[name], arch) == ALLOW, name
