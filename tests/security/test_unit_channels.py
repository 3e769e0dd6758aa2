"""An example's channels: what a Python example's isolation unit holds open, and a result it cannot forge.

The zygote (branddocs/examples/run/python_zygote.py) runs in a sandbox bubblewrap made with `--userns FD`, an fd of
the zygote's own user namespace that bubblewrap leaves open: a unit holding it could join that namespace's view.
The zygote closes every fd it inherited before it forks a unit, and each example runs in a process of its own with
stdin, stdout and stderr alone; the result goes back on a pipe only the unit's PID 1 holds, written once the
example's process has ended.

- An example lists /proc/self/fd: no user namespace, nothing but its three standard streams. Negative: the same
  look, run as the first process of a zygote's sandbox (where the zygote starts), finds the user namespace.
- An example writes a fake "no error" result into every fd it holds, then raises: the result read is its real one
  (the error it raised). Negative: the old unit, where the example held its result pipe, gives the fake back.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.run import pool as pool_module
from branddocs.examples.run import sandbox
from branddocs.examples.run.pool import Pool

pytestmark = [
    pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),  # the example's pipes, closed by the process's end
]

ENV = {"PATH": "/usr/bin:/bin", "HOME": f"{sandbox.SCRATCH}/home", "LANG": "C.UTF-8"}
LOOK = """
import json, os
fds = {}
for name in os.listdir("/proc/self/fd"):
    try:
        fds[name] = os.readlink(f"/proc/self/fd/{name}")
    except OSError:
        pass  # the listing's own fd, closed by now
print(json.dumps(fds))
"""
FAKE = json.dumps({"prints": [], "error": None})
FORGE = f"""
import os
for name in os.listdir("/proc/self/fd"):
    try:
        os.write(int(name), {FAKE.encode()!r})
    except OSError:
        pass
raise RuntimeError("the real verdict")
"""


@pytest.fixture
def make_pool(tmp_path: Path) -> Iterator:
    """Pools whose examples reach a Unix socket nobody answers (these examples make no request)."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "proxy.sock"))
    made: list[Pool] = []

    def make() -> Pool:
        made.append(Pool(str(tmp_path / "proxy.sock"), 48080))  # a port inside the sandbox only
        return made[-1]

    try:
        yield make
    finally:
        for pool in made:
            pool.close()
        listener.close()


def _forked(pool: Pool, code: str) -> tuple[str, bytes]:
    """Run `code` as one example in the zygote: (its stdout, the result its unit sent back)."""
    zygote = pool.zygote(sys.executable)
    with pool.unit() as unit:
        process = zygote.fork(unit, ENV, code, "plain")
        out, result = process.stdout.read().decode(), process.result.read()
        process.stderr.read()
        process.wait(60)
    return out, result


def test_an_example_holds_no_fd_but_its_standard_streams(make_pool) -> None:
    out, _ = _forked(make_pool(), LOOK)
    fds = json.loads(out)
    assert not [target for target in fds.values() if target.startswith("user:")], fds
    assert sorted(fds) == ["0", "1", "2"], fds


def test_negative_the_first_process_of_a_zygote_sandbox_holds_its_user_namespace(make_pool) -> None:
    """What the zygote starts with: bubblewrap's --userns fd is open in the sandbox's first process."""
    pool = make_pool()
    box = sandbox.Box(pool.socket_path, pool.port, reads=sandbox.python_reads(sys.executable))
    command, env = [sys.executable, "-I", "-c", LOOK], {**ENV, "HOME": "/"}
    process = sandbox.launch(command, box, env, os.getuid(), zygote=pool.users.block, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)  # fmt: skip
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert [target for target in json.loads(out).values() if target.startswith("user:")], out


def test_a_fake_result_written_into_every_fd_leaves_the_real_one(make_pool) -> None:
    _, result = _forked(make_pool(), FORGE)
    assert FAKE.encode() not in result
    error = json.loads(result)["error"]
    assert (error["type"], error["message"]) == ("RuntimeError", "the real verdict")


def test_negative_an_example_holding_its_result_pipe_forges_it(
    make_pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # fmt: skip
    """The old unit: the example ran where its result pipe was open."""
    source = Path(pool_module.__file__).with_name("python_zygote.py").read_text(encoding="utf-8")
    kept = {"            os.close(result)\n": "            pass\n",
            "os.closerange(3, _fd_ceiling())": "os.closerange(3, 3)"}  # fmt: skip
    for old, new in kept.items():
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    (tmp_path / "old").mkdir()
    old_zygote = tmp_path / "old" / "python_zygote.py"
    old_zygote.write_text(source, encoding="utf-8")
    monkeypatch.setattr("branddocs.examples.run.pool._ZYGOTE", old_zygote)
    _, result = _forked(make_pool(), FORGE)
    assert result.startswith(FAKE.encode()), result
