"""Every kind of memory an example uses is bounded, and so is its scratch folder; nothing it holds stays after it.

Greedy examples, in Python, bash and (for the scratch folder) JavaScript, each try in a child process (so the
example itself goes on and makes its one proper request) to take:
- 1.5 GiB of shared memory (`mmap(-1, 1.5 GiB, MAP_SHARED)`, every page touched), which RLIMIT_DATA does not
  count: a memory cgroup of 1 GiB per unit stops it, where the machine lets branddocs make one (the run's header
  says whether it does; where it does not, it says an example's shared memory is not bounded there);
- 640 MiB written into its scratch folder: a tmpfs of 64 MiB stops it.
Each fails naming what it got, else passes. The negative: the same examples without the sandbox
(BRANDDOCS_NO_SANDBOX=1) get all of it.

A 512 MiB SysV segment left behind by an example is gone with it: its memory cgroup (root) holds its pages while
it lives (the negative) and none once it is over, although the example never removed the segment.
"""

from __future__ import annotations

import ctypes
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.isolation import cgroups
from branddocs.examples.run import sandbox
from branddocs.examples.run.pool import Pool
from branddocs.site import Project

from ..support.checks import check, outcome, write_page
from ..support.project import scratch_project

pytestmark = pytest.mark.slow

GROUPS, NO_GROUPS = cgroups.memory_groups()
if GROUPS is not None:
    GROUPS.close()
bounded = pytest.mark.skipif(GROUPS is None, reason=f"no memory cgroup here ({NO_GROUPS}): see the header test")

SHARED = 3 << 29  # 1.5 GiB
PYTHON_REQUEST = """client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
#> Hi! It's nice to meet you. Is there something I can help you with or would you like to chat?"""
BASH_REQUEST = """curl -sS --fail-with-body {{ base_url }}/chat/completions \\
  -H "Authorization: Bearer ${{ api_key_env }}" -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}'"""
NODE_REQUEST = """const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
});
console.log(completion.choices[0].message.content);"""

TOUCH = f"""import mmap, sys
size = {SHARED}
shared = mmap.mmap(-1, size, flags=mmap.MAP_SHARED)
for page in range(0, size, 4096):
    shared[page] = 1
sys.exit(0)"""
ATTEMPTS = {
    "shared memory": {
        "python": f"""
touch = {TOUCH!r}
if subprocess.run([sys.executable, "-c", touch]).returncode == 0:
    raise SystemExit("GOT THROUGH: 1.5 GiB of shared memory")""",
        "bash": f"""
if python3 -c '{TOUCH}'; then echo "GOT THROUGH: 1.5 GiB of shared memory" >&2; exit 3; fi""",
    },
    "scratch": {
        "python": """
written = 0
for i in range(10):
    try:
        with open(f"fill-{i}", "wb") as fill:
            for _ in range(64):
                fill.write(bytes(1 << 20))
                written += 1
    except OSError:
        break
for i in range(10):
    if os.path.exists(f"fill-{i}"):
        os.remove(f"fill-{i}")
if written > 128:
    raise SystemExit(f"GOT THROUGH: {written} MiB in the scratch folder")""",
        "bash": """
written=0
for i in 0 1 2 3 4 5 6 7 8 9; do
  dd if=/dev/zero of="fill-$i" bs=1M count=64 status=none 2>/dev/null || break
  written=$((written + 64))
done
rm -f fill-*
if [ "$written" -gt 128 ]; then echo "GOT THROUGH: $written MiB in the scratch folder" >&2; exit 3; fi""",
        "javascript": """
let written = 0;
try {
  for (let i = 0; i < 10; i++) {
    for (let j = 0; j < 64; j++) { appendFileSync(`fill-${i}`, Buffer.alloc(1 << 20)); written += 1; }
  }
} catch {}
for (let i = 0; i < 10; i++) rmSync(`fill-${i}`, { force: true });
if (written > 128) throw new Error(`GOT THROUGH: ${written} MiB in the scratch folder`);""",
    },
}


def _marker(what: str, lang: str) -> str:
    return f"{'//' if lang == 'javascript' else '#'} greedy: {what} in {lang}"


def _page() -> str:
    blocks = ["# Greedy examples\n"]
    for what, by_lang in ATTEMPTS.items():
        for lang, attempt in by_lang.items():
            if lang == "python":
                head = "import os\nimport subprocess\nimport sys\n\nfrom openai import OpenAI\n"
                blocks.append(f'```python lint="skip"\n{_marker(what, lang)}\n{head}{attempt}\n{PYTHON_REQUEST}\n```\n')
            elif lang == "bash":
                blocks.append(f'```bash lint="skip"\n{_marker(what, lang)}\n{attempt}\n{BASH_REQUEST}\n```\n')
            else:
                head = "import { appendFileSync, rmSync } from 'node:fs';\nimport OpenAI from 'openai';\n"
                blocks.append(f"```javascript\n{_marker(what, lang)}\n{head}{attempt}\n{NODE_REQUEST}\n```\n")
    return "\n".join(blocks)


def _run(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Iterator[tuple[dict, str]]:
    project: Project = scratch_project(tmp_path_factory.mktemp("greedy"))
    page = write_page(project, "greedy.md", _page())
    _, results, output = check(project, "--brand", "acme", "greedy.md", env=env)
    assert results, output
    found = {(what, lang): outcome(results, page, _marker(what, lang), lang) for what in ATTEMPTS
             for lang in ATTEMPTS[what]}  # fmt: skip
    yield found, output


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, str]]:
    if not sandbox.available()[0]:
        pytest.skip(sandbox.available()[1])
    yield from _run(tmp_path_factory, {})


@pytest.fixture(scope="module")
def unsandboxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict, str]]:
    yield from _run(tmp_path_factory, {"BRANDDOCS_NO_SANDBOX": "1"})


def test_the_header_says_whether_memory_is_bounded(sandboxed) -> None:
    _, output = sandboxed
    if GROUPS is not None:
        assert "is bounded by a memory cgroup of 1024 MiB" in output
    else:
        assert f"WARNING: an example's shared memory (MAP_SHARED mappings, SysV segments) is not bounded here: " \
               f"{NO_GROUPS}" in output  # fmt: skip


@bounded
@pytest.mark.parametrize("lang", ATTEMPTS["shared memory"])
def test_shared_memory_is_bounded(sandboxed, unsandboxed, lang: str) -> None:
    assert sandboxed[0][("shared memory", lang)] == "passed", sandboxed[0][("shared memory", lang)]
    assert "GOT THROUGH: 1.5 GiB of shared memory" in unsandboxed[0][("shared memory", lang)]


@pytest.mark.parametrize("lang", ATTEMPTS["scratch"])
def test_the_scratch_folder_is_bounded(sandboxed, unsandboxed, lang: str) -> None:
    assert sandboxed[0][("scratch", lang)] == "passed", sandboxed[0][("scratch", lang)]
    assert "GOT THROUGH: 640 MiB in the scratch folder" in unsandboxed[0][("scratch", lang)]


SEGMENT = """import ctypes, time
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
size = SIZE
segment = libc.shmget(0, size, 0o1600)  # a new segment, never removed
address = libc.shmat(segment, None, 0)
ctypes.memset(address, 1, size)
libc.shmdt(ctypes.c_void_p(address))
print("left", segment, flush=True)
time.sleep(STAY)
"""


@bounded
def test_a_sysv_segment_left_behind_goes_with_its_example(tmp_path: Path) -> None:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "proxy.sock"))
    pool = Pool(str(tmp_path / "proxy.sock"), 48080)
    env = {"PATH": "/usr/bin:/bin", "HOME": f"{sandbox.SCRATCH}/home", "LANG": "C.UTF-8"}
    try:
        zygote = pool.zygote(sys.executable)
        with pool.unit() as unit:
            assert unit.group is not None
            process = zygote.fork(unit, env, SEGMENT.replace("SIZE", str(512 << 20)).replace("STAY", "3"), "plain")
            assert process.stdout.readline().startswith(b"left"), process.stderr.read()
            during = int((unit.group.path / "memory.usage_in_bytes").read_text())
            process.stdout.read()
            assert process.wait(60) == 0, process.stderr.read()
            # The kernel frees a namespace's segments once its last process is gone, off to a work queue: soon.
            deadline = time.monotonic() + 10
            while (after := int((unit.group.path / "memory.usage_in_bytes").read_text())) >= 64 << 20:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            waited = 10 - (deadline - time.monotonic())
            for stream in (process.stdout, process.stderr, process.result):
                stream.close()
    finally:
        pool.close()
        listener.close()
    # While it lives its segment is its memory (the negative); once it is over, none of it is left anywhere.
    assert during >= 500 << 20, during
    assert after < 64 << 20, f"{after >> 20} MiB still held for a unit that has ended"
    print(f"freed {waited:.3f} s after its end")


def test_the_negative_without_a_namespace_of_its_own_a_segment_outlives_its_process(tmp_path: Path) -> None:
    """What the unit's IPC namespace stops: a segment nobody removes stays after its process, for others to read."""
    script = tmp_path / "segment.py"
    script.write_text(SEGMENT.replace("SIZE", str(1 << 20)).replace("STAY", "0"))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    segment = done.stdout.split()[1]
    try:
        assert segment in [line.split()[1] for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
    finally:
        ctypes.CDLL(None).shmctl(int(segment), 0, None)  # IPC_RMID
