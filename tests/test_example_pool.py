"""Example processes started ahead (branddocs/examples/run/pool.py): each is used for one example only, and none
carries anything from another example.

The Python zygote forks an isolation unit per example (its own PID, mount and IPC namespaces, user, tmpfs), as
root and as an ordinary user alike: each test below has an example try to see what an earlier one left (its
processes, files, key, module state) and its negative, the same look within the earlier example itself, which does
find it. The Node.js standbys are handed out once, and only for the environment they
were started with. tests/test_example_isolation.py and test_sandbox_limits.py run the hostile examples through
`branddocs check`, which uses the pool.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.isolation.uids import UNIT_UIDS
from branddocs.examples.run import sandbox
from branddocs.examples.run.pool import Pool, PoolError
from branddocs.site import Project

from .support.checks import check, outcome, write_page

pytestmark = [
    pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),  # the example's pipes, closed by the process's end
]
ROOT = Path(__file__).resolve().parent.parent
NODE = os.path.realpath(shutil.which("node") or "node")
MODULES = (ROOT / "node_modules").resolve()

# What an example sees of the sandbox: the processes there (pid, uid, command line), /tmp, its environment.
LOOK = """
import json, os, sys
from pathlib import Path

procs = []
for entry in Path("/proc").glob("[0-9]*"):
    try:
        procs.append([int(entry.name), entry.stat().st_uid, (entry / "cmdline").read_bytes().replace(b"\\0", b" ")
                      .decode()])
    except OSError:
        pass
environs = []
for entry in Path("/proc").glob("[0-9]*/environ"):
    try:
        environs.append(entry.read_bytes().decode(errors="replace"))
    except OSError:
        pass
try:
    Path(f"/proc/{os.getppid()}/mem").open("rb").close()
    parent_memory = "readable"
except OSError as exc:
    parent_memory = type(exc).__name__
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "uid": os.getuid(), "procs": procs,
                  "tmp": sorted(os.listdir("/tmp")), "env": dict(os.environ), "cwd": os.getcwd(),
                  "environs": environs, "parent_memory": parent_memory,
                  "planted": hasattr(__builtins__, "planted_by_an_example") or "planted" in sys.modules}))
"""
PLANT = """
import builtins, subprocess, sys, types
from pathlib import Path

subprocess.Popen(["sleep", "SLEEP"], start_new_session=True, env={"KEY": __import__("os").environ["KEY"]})
Path("/tmp/left-by-a").write_text("a's file")
builtins.planted_by_an_example = True
sys.modules["planted"] = types.ModuleType("planted")
"""


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[Pool]:
    """A pool whose examples reach a Unix socket nobody answers (these examples make no request)."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "proxy.sock"))
    found = Pool(str(tmp_path / "proxy.sock"), 48080)  # a port inside the sandbox only
    try:
        yield found
    finally:
        found.close()
        listener.close()


SLEEP = f"300.{secrets.randbelow(10**6):06d}"
"""How long the examples' child processes sleep: a number of this run's, to find them by among all processes."""
ENV = {"PATH": "/usr/bin:/bin", "HOME": f"{sandbox.SCRATCH}/home", "LANG": "C.UTF-8"}


def run_forked(pool: Pool, code: str, key: str = "sk-run-a") -> tuple[int, str, str, int]:
    """Run `code` as one example in the zygote: (status, stdout, stderr, its user)."""
    zygote = pool.zygote(sys.executable)
    with pool.unit() as unit:
        process = zygote.fork(unit, {**ENV, "KEY": key}, code, "plain")
        out, err = process.stdout.read().decode(), process.stderr.read().decode()
        result = json.loads(process.result.read())
        status = process.wait(60)
    assert result["error"] is None, (result, err)
    return status, out, err, unit.uid


def processes_with(marker: str) -> list[str]:
    """Command lines holding `marker` among the processes this test can see (all of the harness, or the machine)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmdline = entry.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            found.append(cmdline)
    return found


def test_each_example_is_a_fresh_unit_of_its_own(pool: Pool) -> None:
    _, first, _, uid_a = run_forked(pool, LOOK)
    zygote_pid = pool.zygotes[sys.executable].process.pid
    _, second, _, uid_b = run_forked(pool, LOOK, key="sk-run-b")
    a, b = json.loads(first), json.loads(second)
    assert pool.zygotes[sys.executable].process.pid == zygote_pid, "the zygote was not restarted in between"
    # PID 1 of a PID namespace of its own: no other process in sight, its parent (the zygote) outside it.
    assert (a["pid"], a["ppid"], b["pid"], b["ppid"]) == (1, 0, 1, 0)
    assert [pid for pid, _, _ in b["procs"]] == [1]
    assert (a["uid"], b["uid"]) == (uid_a, uid_b)
    if os.geteuid() == 0:  # a user of its own each; as an ordinary user, the caller in a namespace of its own
        assert uid_a != uid_b
        assert min(uid_a, uid_b) >= UNIT_UIDS[0]
    else:
        assert uid_a == uid_b == os.getuid()
    assert b["env"] == {**ENV, "KEY": "sk-run-b"}
    assert a["cwd"] == b["cwd"] == sandbox.SCRATCH, "the same path, each its own tmpfs"
    assert b["parent_memory"] == "FileNotFoundError", "the zygote is not even there to be named"
    assert len(b["environs"]) == 1, "only the example's own environment is in sight"


def test_an_example_finds_nothing_an_earlier_one_left(pool: Pool) -> None:
    """A left a process holding its key, a file in /tmp and module state; B sees none of it. The negative: the
    same look at the end of A's own run finds all three."""
    _, seen_by_a, _, uid_a = run_forked(pool, PLANT.replace("SLEEP", SLEEP) + LOOK, key="sk-run-a-secret")
    a = json.loads(seen_by_a)
    assert any(uid == uid_a and f"sleep {SLEEP}" in cmd for _, uid, cmd in a["procs"]), a["procs"]
    assert processes_with(f"sleep {SLEEP}") == [], "A's process outlived A's unit"
    assert "left-by-a" in a["tmp"]
    assert any("sk-run-a-secret" in env for env in a["environs"])
    assert a["planted"] is True
    _, seen_by_b, _, _ = run_forked(pool, LOOK, key="sk-run-b")
    b = json.loads(seen_by_b)
    assert [pid for pid, _, _ in b["procs"]] == [1], b["procs"]  # itself alone: nothing of A's, of any user
    assert not any("sleep" in cmd for _, _, cmd in b["procs"]), b["procs"]
    assert "left-by-a" not in b["tmp"]
    assert not any("sk-run-a-secret" in env for env in b["environs"])
    assert b["planted"] is False
    assert "sk-run-a-secret" not in seen_by_b


def test_a_killed_example_takes_its_processes_along_and_the_next_one_runs(pool: Pool) -> None:
    zygote = pool.zygote(sys.executable)
    code = f"import subprocess, time\nsubprocess.Popen(['sleep', '{SLEEP}1'])\ntime.sleep(300)\n"
    with pool.unit() as unit:
        process = zygote.fork(unit, ENV, code, "plain")
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(0.5)
        assert processes_with(f"sleep {SLEEP}1"), "the negative: its child is there while it runs"
        process.kill()
    assert process.returncode == -9
    assert process.stdout.read() == b"", "every holder of its stdout is gone"
    assert processes_with(f"sleep {SLEEP}1") == []
    _, out, _, _ = run_forked(pool, LOOK)
    assert [pid for pid, _, _ in json.loads(out)["procs"]] == [1]


def test_a_dead_zygote_is_started_again(pool: Pool) -> None:
    run_forked(pool, LOOK)
    old = pool.zygotes[sys.executable]
    os.killpg(old.process.pid, 9)
    old.process.wait()
    _, second, _, _ = run_forked(pool, LOOK)
    assert pool.zygotes[sys.executable] is not old
    assert json.loads(second)["pid"]


def test_a_kill_sent_as_its_example_ended_leaves_the_zygote_serving(pool: Pool) -> None:
    run_forked(pool, LOOK)
    zygote = pool.zygotes[sys.executable]
    zygote.sock.send(json.dumps({"kill": True}).encode())  # a time limit reached as the example's end came in
    run_forked(pool, LOOK)
    assert pool.zygotes[sys.executable] is zygote
    assert zygote.alive()


def test_a_zygote_that_fails_to_start_is_named(pool: Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "python_zygote.py"
    broken.write_text("raise SystemExit(3)\n")
    monkeypatch.setattr("branddocs.examples.run.pool._ZYGOTE", broken)
    with pytest.raises(PoolError, match=r"the Python zygote ended at start \(status 3\)"):
        run_forked(pool, LOOK)


def _standby_env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": "/nowhere", "LANG": "C.UTF-8"}


SCRIPT = f"{sandbox.SCRATCH}/example.mjs"


def _run_standby(pool: Pool, env: dict[str, str], code: str) -> tuple[int, str, str]:
    standby = pool.standby(NODE, MODULES, env)
    process = standby.take(SCRIPT, code, {"RUN_KEY": "sk-run"})
    out, err = process.communicate(timeout=60)
    pool.done(standby)  # as javascript.py does once its example has ended
    pool.ahead(NODE, MODULES, env)
    return process.returncode, out.decode(), err.decode()


@pytest.mark.skipif(not MODULES.is_dir(), reason="needs node_modules (npm ci, as make test does)")
def test_a_standby_runs_one_example_with_its_key_and_is_never_handed_out_again(pool: Pool) -> None:
    code = "import OpenAI from 'openai';\nconsole.log(JSON.stringify([process.env, typeof OpenAI]));\n"
    status, out, err = _run_standby(pool, _standby_env(), code)
    assert status == 0, err
    env, kind = json.loads(out)
    assert kind == "function"
    assert env["RUN_KEY"] == "sk-run"
    assert set(env) - {"PWD"} == {"PATH", "HOME", "LANG", "RUN_KEY"}  # bwrap sets PWD, as for any sandboxed example
    assert env["HOME"] != "/nowhere", "its own scratch HOME"
    # The next one was started ahead for the same environment: handed out once; a second time is refused.
    (ahead,) = pool.standbys.values()
    standby = pool.standby(NODE, MODULES, _standby_env())
    assert standby is ahead
    process = standby.take(SCRIPT, code, {"RUN_KEY": "sk-run-2"})
    with pytest.raises(PoolError, match="already used for an example: never reused"):
        standby.take(SCRIPT, code, {"RUN_KEY": "sk-run-3"})
    out, _ = process.communicate(timeout=60)
    assert json.loads(out)[0]["RUN_KEY"] == "sk-run-2"
    assert process.returncode == 0, "it ended with its one example"


@pytest.mark.skipif(not MODULES.is_dir(), reason="needs node_modules (npm ci, as make test does)")
def test_a_standby_started_for_another_environment_is_never_handed_out(pool: Pool) -> None:
    first = _standby_env()
    _run_standby(pool, first, "console.log('one');\n")
    (ahead,) = pool.standbys.values()
    assert ahead.process.poll() is None, "started ahead, waiting"
    other = {**first, "PATH": "/bin"}
    standby = pool.standby(NODE, MODULES, other)
    assert standby is not ahead
    assert ahead.process.poll() is not None, "the one started for the other environment was stopped"
    assert {k: v for k, v in standby.env.items() if k != "HOME"} == {k: v for k, v in other.items() if k != "HOME"}
    standby.stop()
    # The negative: for the same environment as the one started ahead, that very process is handed out.
    pool.ahead(NODE, MODULES, other)
    (ahead,) = pool.standbys.values()
    assert pool.standby(NODE, MODULES, other) is ahead


@pytest.mark.skipif(not MODULES.is_dir(), reason="needs node_modules (npm ci, as make test does)")
def test_a_failing_example_in_a_standby_fails_as_node_would(pool: Pool) -> None:
    status, _, err = _run_standby(pool, _standby_env(), "throw new Error('broken example');\n")
    assert status == 1
    assert "Error: broken example" in err


@pytest.mark.skipif(not MODULES.is_dir(), reason="needs node_modules (npm ci, as make test does)")
def test_a_standby_parses_the_example_before_running_it(pool: Pool) -> None:
    """Code that does not parse never runs (its first line would print); the negative: a SyntaxError the example
    throws as it runs (JSON.parse) is the example's own failure, not a parse error."""
    status, out, err = _run_standby(pool, _standby_env(), "console.log('ran');\nconst = 5;\n")
    assert (status, out) == (65, "")
    assert "branddocs: the example is not valid JavaScript" in err
    status, out, err = _run_standby(pool, _standby_env(), "console.log('ran');\nJSON.parse('{');\n")
    assert (status, out) == (1, "ran\n")
    assert "SyntaxError" in err
    assert "not valid JavaScript" not in err


BROKEN_JS = """
# Broken

```javascript
import OpenAI from 'openai';

const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
});
console.log(completion.choices[0].message.content);
const = 5;
```
"""


@pytest.mark.slow
def test_javascript_that_does_not_parse_fails_with_node_checks_message(scratch: Project) -> None:
    page = write_page(scratch, "broken-js.md", BROKEN_JS)
    code, results, output = check(scratch, "--brand", "acme", "broken-js.md")
    assert code == 1, output
    found = outcome(results, page, "const = 5", "javascript")
    assert "not valid JavaScript (node --check)" in found, found
    assert "broken-js.md:" in found
    assert "Unexpected token" in found


def test_an_example_collects_garbage_but_never_the_zygotes_warm_modules(pool: Pool) -> None:
    """The zygote imports its warm modules (openai) with the collector off, a tenth faster, and freezes what it holds
    before it forks: an example's collector is on, and never goes through the zygote's objects. On the code before, the
    example found nothing frozen (0)."""
    code = "import gc, sys\nprint(gc.isenabled(), gc.get_freeze_count() > 10000, 'openai' in sys.modules)\n"
    status, out, _, _ = run_forked(pool, code)
    assert (status, out.split()) == (0, ["True", "True", "True"])
