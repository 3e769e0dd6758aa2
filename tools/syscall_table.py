"""Write branddocs/examples/isolation/data/syscalls.txt: every system call's number on x86_64 and on aarch64.

    python3 tools/syscall_table.py [INCLUDE]          (INCLUDE: /usr/include by default)

The numbers come from the kernel's own tables as its userspace headers (Debian's linux-libc-dev) give them:
- x86_64: INCLUDE/x86_64-linux-gnu/asm/unistd_64.h (generated from arch/x86/entry/syscalls/syscall_64.tbl), its
  `#define __NR_<name> <number>` lines;
- aarch64: INCLUDE/asm-generic/unistd.h, the table arm64 uses, run through the C preprocessor (`cpp`) with what
  arm64's own asm/unistd.h defines before including it (__ARCH_WANT_RENAMEAT, __ARCH_WANT_NEW_STAT,
  __ARCH_WANT_SET_GET_RLIMIT, __ARCH_WANT_TIME32_SYSCALLS, __ARCH_WANT_SYS_CLONE3, __ARCH_WANT_MEMFD_SECRET) and
  __BITS_PER_LONG 64; a `__NR_<name>` defined as `__NR3264_<name>` takes that one's number.
The filter (isolation/seccomp.py) reads the file it writes, never a header: a machine without headers runs it too.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "branddocs" / "examples" / "isolation" / "data" / "syscalls.txt"
_ARM64 = ("RENAMEAT", "NEW_STAT", "SET_GET_RLIMIT", "TIME32_SYSCALLS", "SYS_CLONE3", "MEMFD_SECRET")
_NOT_CALLS = {"syscalls", "arch_specific_syscall"}  # the table's size, and the base of arch-specific numbers


def _defines(lines: list[str], prefix: str = "__NR_") -> dict[str, int]:
    values: dict[str, str] = {}
    for line in lines:
        match = re.match(r"#define (__NR(?:3264)?_\w+) +(\w+)\s*$", line)
        if match:
            values[match[1]] = match[2]

    def number(value: str) -> int:
        while not value.isdigit():
            value = values[value]
        return int(value)

    return {key.removeprefix(prefix): number(value) for key, value in values.items()
            if key.startswith(prefix) and key.removeprefix(prefix) not in _NOT_CALLS}  # fmt: skip


def x86_64(include: Path) -> dict[str, int]:
    return _defines((include / "x86_64-linux-gnu" / "asm" / "unistd_64.h").read_text().splitlines())


def aarch64(include: Path) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as scratch:
        stub = Path(scratch) / "asm" / "bitsperlong.h"  # arm64's: 64 bits
        stub.parent.mkdir()
        stub.write_text("#define __BITS_PER_LONG 64\n")
        source = Path(scratch) / "arm64.h"
        source.write_text("".join(f"#define __ARCH_WANT_{name}\n" for name in _ARM64)
                          + "#include <asm-generic/unistd.h>\n")  # fmt: skip
        done = subprocess.run(["cpp", "-dM", "-nostdinc", "-I", scratch, "-I", str(include), str(source)],
                              capture_output=True, text=True, check=True)  # fmt: skip
    return _defines(done.stdout.splitlines())


def main(include: str = "/usr/include") -> int:
    tables = {"x86_64": x86_64(Path(include)), "aarch64": aarch64(Path(include))}
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "linux-libc-dev"], capture_output=True,
                             text=True, check=False).stdout.strip() or "unknown"  # fmt: skip
    lines = [
        "# System call numbers: name, x86_64, aarch64 ('-': no such call there). Written by tools/syscall_table.py",
        f"# from the kernel's tables in Linux's userspace headers (linux-libc-dev {version}): x86_64's",
        "# asm/unistd_64.h, aarch64's asm-generic/unistd.h with arm64's definitions. Do not edit by hand.",
    ]
    for name in sorted(set(tables["x86_64"]) | set(tables["aarch64"])):
        lines.append(" ".join([name, *(str(tables[arch].get(name, "-")) for arch in tables)]))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(lines) - 3} calls, x86_64 up to {max(tables['x86_64'].values())}, "
          f"aarch64 up to {max(tables['aarch64'].values())}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
