"""An example, and the repository's code, reach the kernel only through the system calls programs need.

Every unit's filter is an allow-list (isolation/seccomp.py; issue 29: io_uring, eBPF, perf events, userfaultfd, the
new mount API, file handles, kexec, kernel modules, keyrings and ptrace reached the kernel from an example under the
deny-list of three keyring calls before it). One `branddocs check` of a page: a Python example (a unit a zygote
forks), a bash example (a unit of its own, through `/usr/bin/python3`) and the project's root `conftest.py` (in the
harness) call each refused class through ctypes' `syscall()`, with arguments for which the kernel itself would
answer something else than EPERM where it can (a null pointer: EFAULT; a size over a page: E2BIG; a flag it does
not know: EINVAL), and what programs need. Each refused call is EPERM; `clone3` and a number beyond the kernel's
table are ENOSYS (a C library falls back); `socket(AF_UNIX)` and `personality(0xffffffff)` work, and a Node.js
example writes and reads a file. Both units also find the calls that make namespaces refused (the harness and a
zygote's sandbox keep them, to make units; the zygote loads the units' list onto each example it forks).

The negative: the same check with a scratch copy of branddocs that makes no filter (the deny-list before refused
none of these either): `io_uring_setup`, `bpf` and `userfaultfd` reach the kernel, which answers EFAULT, E2BIG and
EINVAL, as does `unshare` in each unit. The filter's answer for every number of both machine kinds, without a
sandbox: test_syscall_filter.py.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from branddocs.examples.isolation import seccomp
from branddocs.examples.run import sandbox

from ..support.checks import check, outcome, write_page
from ..support.project import ROOT, scratch_project

MACHINE = os.uname().machine
NUMBERS = seccomp.numbers(MACHINE)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available"),
    pytest.mark.skipif(not NUMBERS, reason=f"no system call numbers for {MACHINE}"),
]
AF_ALG, AF_VSOCK, AF_UNIX, SOCK_STREAM, SOCK_SEQPACKET = 38, 40, 1, 1, 5
CLONE_NEWUSER, CLONE_NEWNS, CLONE_FS = 0x10000000, 0x00020000, 0x00000200
# (what the probe calls it, system call, arguments): each refused in every unit.
REFUSED = [
    ("io_uring_setup", "io_uring_setup", (1, None)),
    ("io_uring_enter", "io_uring_enter", (-1, 0, 0, 0, None, 0)),
    ("bpf", "bpf", (5, None, 1 << 20)),
    ("perf_event_open", "perf_event_open", (None, 0, -1, -1, 0)),
    ("userfaultfd", "userfaultfd", (1 | 0x100,)),
    ("open_by_handle_at", "open_by_handle_at", (-1, None, 0)),
    ("open_tree", "open_tree", (-1, None, 0)),
    ("fsopen", "fsopen", (None, 0)),
    ("mount_setattr", "mount_setattr", (-1, None, 0, None, 0)),
    ("kexec_load", "kexec_load", (0, 0, None, 0)),
    ("init_module", "init_module", (None, 0, None)),
    ("keyctl", "keyctl", (0, -4, 0)),
    ("add_key", "add_key", (None, None, None, 0, -4)),
    ("ptrace", "ptrace", (0x4206, 0, 0, 0)),  # PTRACE_SEIZE of no process: ESRCH from the kernel
    ("process_vm_readv", "process_vm_readv", (0, None, 0, None, 0, 0)),
    ("personality(ADDR_NO_RANDOMIZE)", "personality", (0x0040000,)),
    ("socket(AF_ALG)", "socket", (AF_ALG, SOCK_SEQPACKET, 0)),
    ("socket(AF_VSOCK)", "socket", (AF_VSOCK, SOCK_STREAM, 0)),
]
# Refused in every unit (a zygote loads the units' list onto each example once it has made its namespaces), kept in
# the harness and a zygote's sandbox, which make units.
NAMESPACES = [
    ("unshare", "unshare", (CLONE_NEWUSER | 1,)),  # a flag unshare does not know: EINVAL from the kernel
    ("mount", "mount", (None, None, None, 0, None)),
    ("clone(CLONE_NEWUSER)", "clone", (CLONE_NEWUSER | CLONE_FS, 0, None, None, 0)),  # EINVAL from the kernel
]
FALLBACK = [("clone3", "clone3", (None, 0))]  # ENOSYS: the C library falls back to clone
NEEDED = [
    ("socket(AF_UNIX)", "socket", (AF_UNIX, SOCK_STREAM, 0)),
    ("personality(query)", "personality", (0xFFFFFFFF,)),
    ("getpid", "getpid", ()),
]
CALLER = """import ctypes, json
def _calls_report(calls):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    report = {}
    for label, number, args in calls:
        ctypes.set_errno(0)
        done = libc.syscall(number, *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
        report[label] = "ok" if done >= 0 else "errno %d" % ctypes.get_errno()
    return report
"""
PROBE = """import os
report = _calls_report(CALLS)
report["key"] = len(os.environ["{{ api_key_env }}"])
print("REPORT " + json.dumps(report), flush=True)
raise SystemExit("REPORT " + json.dumps(report))
"""
CONFTEST = """_REPORT = _calls_report(CALLS)


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line("HARNESS-REPORT " + json.dumps(_REPORT))
"""
PAGE = """
# System calls

```python lint="skip"
# role: probe python
PYTHON
```

```bash lint="skip"
# role: probe bash
: "${{ api_key_env }}"
/usr/bin/python3 - <<'PY' >&2
BASH
PY
exit 1
```

```javascript lint="skip"
// role: probe javascript
const key = process.env.{{ api_key_env }};
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
const file = `${mkdtempSync('/tmp/calls-')}/file`;
await writeFile(file, 'written');
throw new Error('REPORT ' + JSON.stringify({ read: await readFile(file, 'utf8'), key: key.length }));
```
"""
BEYOND = max(NUMBERS.values(), default=0) + 1  # a call newer than the table


def _calls(with_namespaces: bool) -> list:
    named = REFUSED + FALLBACK + NEEDED + (NAMESPACES if with_namespaces else [])
    calls = [(label, NUMBERS[name], args) for label, name, args in named if name in NUMBERS]
    calls.append(("beyond the table", BEYOND, ()))
    if MACHINE == "x86_64":
        calls.append(("x32 getpid", NUMBERS["getpid"] | 0x40000000, ()))
    return calls


def _probe(with_namespaces: bool, code: str = PROBE) -> str:
    return (CALLER + code).replace("CALLS", repr(_calls(with_namespaces)))


def _reports(tmp_path_factory: pytest.TempPathFactory, filtered: bool) -> dict[str, dict]:
    project = scratch_project(tmp_path_factory.mktemp("syscalls"))
    # The repository holds the engine (as this one does, `pip install -e .`): pytest loads its root conftest.py,
    # which makes the same calls in the harness.
    shutil.copytree(ROOT / "branddocs", project.root / "branddocs", ignore=shutil.ignore_patterns("__pycache__"))
    (project.root / "conftest.py").write_text(_probe(False, CONFTEST), encoding="utf-8")
    if not filtered:  # the negative: the engine's filter made nothing, in the units and in the harness
        module = project.root / "branddocs" / "examples" / "isolation" / "seccomp.py"
        text = module.read_text(encoding="utf-8")
        assert text.count("    machine = machine or platform.machine()\n") == 1
        module.write_text(text.replace("    machine = machine or platform.machine()\n", "    return None\n"))
    page_text = PAGE.replace("PYTHON", _probe(True)).replace("BASH", _probe(True))
    page = write_page(project, "calls.md", page_text)
    _, results, output = check(project, "--brand", "acme", "calls.md", "-n", "0", env={"PYTHONPATH": str(project.root)})
    assert results, output
    found = {}
    for lang in ("python", "bash", "javascript"):
        said = outcome(results, page, f"role: probe {lang}", lang)
        match = re.search(r"REPORT (\{[^}]*\})", said)
        assert match, said
        found[lang] = json.loads(match.group(1))
    match = re.search(r"^HARNESS-REPORT (\{.*\})$", output, re.MULTILINE)
    assert match, output
    found["harness"] = json.loads(match.group(1))
    return found


@pytest.fixture(scope="module")
def filtered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return _reports(tmp_path_factory, filtered=True)


@pytest.fixture(scope="module")
def unfiltered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return _reports(tmp_path_factory, filtered=False)


def _errno(number: int) -> str:
    return f"errno {number}"


@pytest.mark.parametrize("lang", ["python", "bash", "harness"])
def test_every_refused_class_is_eperm_and_newer_calls_enosys(filtered, lang: str) -> None:
    report = filtered[lang]
    refused = REFUSED + (NAMESPACES if lang != "harness" else [])
    for label, name, _ in refused:
        if name in NUMBERS:
            assert report[label] == _errno(errno.EPERM), (lang, label, report)
    assert report["clone3"] == _errno(errno.ENOSYS), report
    assert report["beyond the table"] == _errno(errno.ENOSYS), report
    if MACHINE == "x86_64":
        assert report["x32 getpid"] == _errno(errno.EPERM), report
    for label, _, _ in NEEDED:
        assert report[label] == "ok", (lang, label, report)


def test_node_falls_back_from_io_uring(filtered) -> None:
    assert filtered["javascript"]["read"] == "written", filtered["javascript"]


def _io_uring_allowed() -> bool:
    """Whether the kernel lets everyone make an io_uring (kernel.io_uring_disabled 0, or a kernel before it)."""
    try:
        return Path("/proc/sys/kernel/io_uring_disabled").read_text().strip() == "0"
    except OSError:
        return True


def test_the_negative_without_the_filter_io_uring_and_bpf_reach_the_kernel(unfiltered) -> None:
    for lang in ("python", "bash", "harness"):
        report = unfiltered[lang]
        if _io_uring_allowed():  # else the kernel itself says EPERM
            assert report["io_uring_setup"] == _errno(errno.EFAULT), (lang, report)
        assert report["bpf"] == _errno(errno.E2BIG), (lang, report)
        assert report["userfaultfd"] == _errno(errno.EINVAL), (lang, report)
    for lang in ("python", "bash"):
        assert unfiltered[lang]["unshare"] == _errno(errno.EINVAL), unfiltered[lang]
