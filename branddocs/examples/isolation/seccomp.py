"""A seccomp filter for every isolation unit, and for the harness: an allow-list of the system calls programs need.

An example reaches the kernel through every system call its unit may make, and many of the kernel's ways in have
nothing to do with running Python, Node.js, curl or a shell: io_uring, eBPF, perf events, userfaultfd, the new mount
API, file handles, kernel modules, kexec, keyrings, ptrace. Only the calls of ALLOWED pass: the unconditional list
of Docker's default profile (moby/profiles, seccomp/default.json) that the kernel's tables know, x86_64's
`arch_prctl`, and a few calls whose first argument is looked at, as Docker does:
- `socket`: not for AF_ALG (38, the kernel's crypto API) or AF_VSOCK (40);
- `personality`: only the values Docker lets through (0, 8, 0x20000, 0x20008, and 0xffffffff which only asks);
- `clone`: no namespace flag (CLONE_NEWNS, CLONE_NEWCGROUP, _NEWUTS, _NEWIPC, _NEWUSER, _NEWPID, _NEWNET).
Unlike Docker, ptrace, process_vm_readv/writev and modify_ldt are refused too; io_uring is, as in Docker's profile
now (Node.js 20's libuv asks for a ring at start and, refused, does its file work on its threads). Every other
call fails with EPERM, but for calls a C library falls back from when the kernel lacks them: `clone3` (to `clone`,
whose flags a filter can see) and every number beyond the kernel's table in data/syscalls.txt (Linux 6.1: a newer
call, to a program, is one this kernel does not have) fail with ENOSYS. A system call made through another ABI
(x86's 32-bit `int 0x80`, x32) fails with EPERM, whatever its number. The numbers come from data/syscalls.txt
(tools/syscall_table.py: the kernel's own tables, never a header at run time); on a machine kind not in _ARCHES
there is no filter (`program()` is None; the threat model says so).

Where namespaces are made, SANDBOXING is allowed besides, and `clone` with any flag: a zygote's sandbox (it makes
each unit's namespaces and mounts, then, in each example it forks, gives up every capability and loads the units'
filter: pool.py hands it `program()`) and the harness (`install`, loaded by its first process once its own mounts
are made: bubblewrap and the zygotes start there). Filters stack: a process gets the strictest answer of those it
holds, and the errno of the last loaded.

The filter is a classic BPF program (struct sock_filter: u16 code, u8 jt, u8 jf, u32 k): the architecture checked,
then a binary search over the ranges of numbers with one answer each (a few comparisons per call, and the
kernel's per-call cache lets allowed calls that look at no argument skip it), given to bubblewrap on a file
descriptor (`bwrap --seccomp FD`), which loads it last, after no_new_privs, just before it runs the unit's first
program; every process started or forked below inherits it.

Why keyrings matter: they belong to a user (per user namespace), not to an IPC or mount namespace, so a key one
Python unit of a zygote adds as an ordinary user, the next finds; and the harness held its caller's session keyring
(`@s`), where a developer's shell may keep a secret the repository's code would read with `request_key`.
"""

from __future__ import annotations

import errno
import functools
import os
import platform
import struct
from importlib import resources

from branddocs.examples.isolation import namespaces

__all__ = ["ALLOWED", "KEY_SYSCALLS", "SANDBOXING", "install", "numbers", "program", "program_fd"]

_ALLOWED = """
    read write readv writev pread64 pwrite64 preadv preadv2 pwritev pwritev2 lseek sendfile splice tee vmsplice
    copy_file_range readahead open openat openat2 creat close close_range dup dup2 dup3 pipe pipe2 fcntl flock
    ioctl stat fstat lstat newfstatat statx statfs fstatfs access faccessat faccessat2 getdents getdents64 getcwd
    chdir fchdir mkdir mkdirat rmdir unlink unlinkat rename renameat renameat2 link linkat symlink symlinkat
    readlink readlinkat chmod fchmod fchmodat chown fchown lchown fchownat umask truncate ftruncate fallocate
    fsync fdatasync sync syncfs sync_file_range fadvise64 utime utimes futimesat utimensat mknod mknodat
    getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr listxattr llistxattr flistxattr removexattr
    lremovexattr fremovexattr name_to_handle_at inotify_init inotify_init1 inotify_add_watch inotify_rm_watch
    fanotify_mark memfd_create memfd_secret
    mmap munmap mprotect mremap madvise mincore msync mlock mlock2 munlock mlockall munlockall brk membarrier
    remap_file_pages pkey_alloc pkey_free pkey_mprotect process_mrelease
    fork vfork execve execveat exit exit_group wait4 waitid kill tkill tgkill pidfd_open pidfd_send_signal
    rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigsuspend rt_sigtimedwait rt_sigqueueinfo
    rt_tgsigqueueinfo sigaltstack signalfd signalfd4 pause restart_syscall set_tid_address set_robust_list
    get_robust_list rseq futex futex_waitv arch_prctl set_thread_area get_thread_area prctl seccomp
    capget capset getuid geteuid getgid getegid getresuid getresgid getgroups setuid setgid setreuid setregid
    setresuid setresgid setfsuid setfsgid setgroups getpid getppid gettid getpgid getpgrp getsid setpgid setsid
    getrlimit setrlimit prlimit64 getrusage getpriority setpriority ioprio_get ioprio_set sched_yield
    sched_getaffinity sched_setaffinity sched_getattr sched_setattr sched_getparam sched_setparam
    sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min sched_rr_get_interval
    getcpu uname sysinfo times time gettimeofday clock_gettime clock_getres clock_nanosleep nanosleep adjtimex
    clock_adjtime alarm getitimer setitimer timer_create timer_delete timer_gettime timer_settime
    timer_getoverrun timerfd_create timerfd_gettime timerfd_settime getrandom landlock_create_ruleset
    landlock_add_rule landlock_restrict_self
    poll ppoll select pselect6 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_wait epoll_wait_old
    epoll_pwait epoll_pwait2 eventfd eventfd2 io_setup io_destroy io_submit io_cancel io_getevents io_pgetevents
    socketpair bind connect listen accept accept4 getsockname getpeername sendto recvfrom sendmsg recvmsg
    sendmmsg recvmmsg shutdown setsockopt getsockopt
    shmget shmat shmdt shmctl semget semop semtimedop semctl msgget msgsnd msgrcv msgctl mq_open mq_unlink
    mq_timedsend mq_timedreceive mq_notify mq_getsetattr
"""
ALLOWED = frozenset(_ALLOWED.split())
"""Allowed in every unit (where the machine kind has them): Docker's default profile's unconditional calls less
ptrace and process_vm_readv/writev, with x86_64's `arch_prctl`; `socket`, `personality` and `clone` by argument."""
SANDBOXING = frozenset({"unshare", "setns", "mount", "umount2", "pivot_root", "chroot"})
"""Allowed besides where namespaces are made: a zygote's sandbox and the harness (bubblewrap starts there)."""
KEY_SYSCALLS = ("add_key", "request_key", "keyctl")
"""The kernel's keyrings: refused everywhere (in none of the lists above)."""
_FALLBACK = ("clone3",)  # ENOSYS: the C library falls back to `clone`
_ARGUMENTS = ("socket", "personality", "clone")
_SOCKET_REFUSED = (38, 40)  # AF_ALG, AF_VSOCK
_PERSONALITY = (0x0, 0x8, 0x20000, 0x20008, 0xFFFFFFFF)
_CLONE_NAMESPACES = 0x7E020000

# uname -m: (AUDIT_ARCH_* of seccomp_data.arch, column in data/syscalls.txt, whether x32 numbers (bit 30) exist).
_ARCHES = {"x86_64": (0xC000003E, 1, True), "aarch64": (0xC00000B7, 2, False)}
_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (args[0]'s low half: both kinds are little-endian)
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000
_EPERM, _ENOSYS = _ERRNO | errno.EPERM, _ERRNO | errno.ENOSYS
_X32_BIT = 0x40000000


@functools.cache
def numbers(machine: str) -> dict[str, int]:
    """{system call: number} on `machine` (uname -m), from data/syscalls.txt; empty for a kind it has no column for."""
    known = _ARCHES.get(machine)
    if known is None:
        return {}
    text = resources.files("branddocs.examples.isolation").joinpath("data", "syscalls.txt").read_text("utf-8")
    rows = (line.split() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {row[0]: int(row[known[1]]) for row in rows if row[known[1]] != "-"}


Code = list[tuple[int, int, int, int]]


def _argument_check(name: str) -> Code:
    """The instructions that answer for `name` by its first argument (the accumulator then holds it)."""
    load = [(_LD_W_ABS, 0, 0, _ARG0)]
    if name == "socket":  # jeq AF_ALG -> EPERM; jeq AF_VSOCK -> EPERM; ALLOW; EPERM
        last = len(_SOCKET_REFUSED)
        tests = [(_JEQ_K, last - at, 0, value) for at, value in enumerate(_SOCKET_REFUSED)]
        return load + tests + [(_RET_K, 0, 0, _ALLOW), (_RET_K, 0, 0, _EPERM)]
    if name == "personality":  # jeq VALUE -> ALLOW ...; EPERM; ALLOW
        last = len(_PERSONALITY)
        tests = [(_JEQ_K, last - at, 0, value) for at, value in enumerate(_PERSONALITY)]
        return load + tests + [(_RET_K, 0, 0, _EPERM), (_RET_K, 0, 0, _ALLOW)]
    assert name == "clone", name  # jset NAMESPACES -> EPERM; ALLOW; EPERM
    return [*load, (_JSET_K, 1, 0, _CLONE_NAMESPACES), (_RET_K, 0, 0, _ALLOW), (_RET_K, 0, 0, _EPERM)]


def _ranges(machine: str, sandboxing: bool) -> list[tuple[int, int | str]]:
    """(first number, answer) for each range of numbers with one answer, in order from 0: an answer is a return
    value, or the name of a call answered by its argument."""
    table, x32 = numbers(machine), _ARCHES[machine][2]
    allowed = ALLOWED | SANDBOXING | {"clone"} if sandboxing else ALLOWED
    answer: dict[int, int | str] = {}
    for name, number in table.items():
        if name in allowed:
            answer[number] = _ALLOW
        elif name in _ARGUMENTS:
            answer[number] = name
        elif name in _FALLBACK:
            answer[number] = _ENOSYS
    beyond = max(table.values()) + 1
    ranges: list[tuple[int, int | str]] = []
    for number in range(beyond):
        said = answer.get(number, _EPERM)
        if not ranges or said != ranges[-1][1] or isinstance(said, str):
            ranges.append((number, said))
    ranges.append((beyond, _ENOSYS))  # newer than the table: ENOSYS, as where the kernel has no such call
    if x32:
        ranges.append((_X32_BIT, _EPERM))
    return ranges


def _search(ranges: list[tuple[int, int | str]]) -> Code:
    """A binary search over `ranges` (the accumulator holds the call's number): `jge FIRST` at each branch."""
    if len(ranges) == 1:
        said = ranges[0][1]
        return _argument_check(said) if isinstance(said, str) else [(_RET_K, 0, 0, said)]
    middle = len(ranges) // 2
    below, above = _search(ranges[:middle]), _search(ranges[middle:])
    assert len(below) < 256, "a jump beyond what a classic BPF jump reaches"
    return [(_JGE_K, len(below), 0, ranges[middle][0]), *below, *above]


def program(machine: str | None = None, sandboxing: bool = False) -> bytes | None:
    """The filter for `machine` (this one by default), as bwrap reads it; None where this module knows no numbers.
    `sandboxing`: the list where namespaces are made (a zygote's sandbox, the harness)."""
    machine = machine or platform.machine()
    if machine not in _ARCHES or not numbers(machine):
        return None
    # ld arch; jeq ARCH (skip one); ret EPERM; ld nr; the search
    code: Code = [(_LD_W_ABS, 0, 0, _ARCH), (_JEQ_K, 1, 0, _ARCHES[machine][0]), (_RET_K, 0, 0, _EPERM),
                  (_LD_W_ABS, 0, 0, _NR), *_search(_ranges(machine, sandboxing))]  # fmt: skip
    assert len(code) <= 4096  # BPF_MAXINSNS
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


def program_fd(sandboxing: bool = False) -> int | None:
    """The filter in a memory file, open at offset 0 (for `bwrap --seccomp FD`; the caller closes it); None where
    there is no filter."""
    code = program(sandboxing=sandboxing)
    if code is None:
        return None
    fd = os.memfd_create("branddocs-seccomp", os.MFD_CLOEXEC)
    os.write(fd, code)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def install() -> bool:
    """The filter where namespaces are made (`sandboxing`) loaded into this process and all it starts (it needs
    CAP_SYS_ADMIN in its user namespace, which the harness's first process has, or no_new_privs); False where there
    is no filter for this machine kind."""
    code = program(sandboxing=True)
    if code is None:
        return False
    namespaces.load_seccomp(code)
    return True
