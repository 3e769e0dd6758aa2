"""One example against the next: each example is an isolation unit, and leaves nothing another can later find.

One `branddocs check` of a page whose examples run one after another in one worker: in Python, JavaScript and bash
in turn, an example A plants what it can and an example B after it looks for what any earlier A left:
- a file in every folder it may write to, found by walking the whole file system (not a list of places): the
  scratch folder, /tmp, HOME, anything else writable;
- SysV shared memory, a message queue and a semaphore set, open to everyone (0666);
- a detached daemon (its own session, double-forked), which in Python loops `kill(-1, 9)`: it would kill the
  reaper, hang the zygote and keep proxy access if it outlived its example.
Each A ends by looking the same way: it finds all of it (the negative: the look finds what is there). Each B
finds none of it, and the test itself, from outside, finds no daemon left once the check is over. A Python
example in one unit, a JavaScript one in the next (a standby, started ahead) and bash after both: none of them
finds another's files, whatever their language.

The users units run as are never reused while a unit that had one lives (uids.py), checked on the allocator: a
user held by a waiting unit (a Node.js standby) is never handed out, however many units come and go; the
negative gives it back and sees it handed out again.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from branddocs.examples.isolation.uids import BLOCK, UnitUsers
from branddocs.examples.run import sandbox
from branddocs.site import Project

from ..support.checks import check, outcome, write_page
from ..support.project import scratch_project

MARK = "planted-" + secrets.token_hex(5)
LANGS = ("python", "javascript", "bash")

PYTHON = """
```python lint="skip"
# role: NAME
import ctypes
import json
import os
import subprocess
import sys

from openai import OpenAI

mark = "MARK_A" + "MARK_B"
libc = ctypes.CDLL(None, use_errno=True)


def look():
    files = []
    for top, dirs, names in os.walk("/"):
        if top in ("/proc", "/sys"):
            dirs[:] = []
            continue
        files += [os.path.join(top, n) for n in names if mark in n]
    ipc = []
    for kind in ("shm", "msg", "sem"):
        with open(f"/proc/sysvipc/{kind}") as table:
            ipc += [f"{kind}: {line.split()[0]}" for line in table.readlines()[1:]]
    daemons = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    if mark.encode() in cmdline.read():
                        daemons.append(entry)
            except OSError:
                pass
    return {"files": files, "ipc": ipc, "daemons": daemons}


ROLE
print(reply.choices[0].message.content)
#> Hi! It's nice to meet you. Is there something I can help you with or would you like to chat?
```
"""
PYTHON_PLANT = """for top, dirs, names in os.walk("/"):
    if top in ("/proc", "/sys"):
        dirs[:] = []
    elif os.access(top, os.W_OK):
        try:
            with open(os.path.join(top, f"{mark}-python"), "w") as planted:
                planted.write(mark)
        except OSError:
            pass
for make in (lambda: libc.shmget(0x5EC1, 4096, 0o1666), lambda: libc.msgget(0x5EC2, 0o1666),
             lambda: libc.semget(0x5EC3, 1, 0o1666)):
    make()
daemon = "import os, time\\nif os.fork(): os._exit(0)\\nos.setsid()\\nwhile True:\\n    time.sleep(0.05)\\n"
daemon += f"    try:\\n        KILL\\n    except OSError:\\n        pass\\n# {mark}"
subprocess.Popen([sys.executable, "-c", daemon], start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).wait()
seen = look()
if not (seen["files"] and len(seen["ipc"]) >= 3 and seen["daemons"]):
    raise SystemExit(f"LOOK BROKEN: {seen}")
client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}])"""
PYTHON_LOOK = """seen = look()
if any(seen.values()):
    raise SystemExit(f"GOT THROUGH: {json.dumps(seen)}")
client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}])"""

JAVASCRIPT = """
```javascript
// role: NAME
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import OpenAI from 'openai';

const mark = ['MARK_A', 'MARK_B'].join('');
function walk(top, visit) {
  let entries = [];
  try { entries = readdirSync(top, { withFileTypes: true }); } catch { return; }
  visit(top, entries);
  for (const entry of entries) {
    const path = `${top === '/' ? '' : top}/${entry.name}`;
    if (entry.isDirectory() && path !== '/proc' && path !== '/sys') walk(path, visit);
  }
}
function look() {
  const files = [];
  walk('/', (top, entries) => { for (const e of entries) if (e.name.includes(mark)) files.push(`${top}/${e.name}`); });
  const ipc = ['shm', 'msg', 'sem'].flatMap((kind) =>
    readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\\n').slice(1).filter(Boolean));
  const daemons = readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p) && +p !== process.pid).filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`).includes(mark); } catch { return false; }
  });
  return { files, ipc, daemons };
}
ROLE
const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
});
console.log(completion.choices[0].message.content);
```
"""
JAVASCRIPT_PLANT = """walk('/', (top) => {
  try { accessSync(top, constants.W_OK); writeFileSync(`${top === '/' ? '' : top}/${mark}-javascript`, mark); } catch {}
});
for (const args of [['-M', '4096'], ['-Q'], ['-S', '1']]) execFileSync('ipcmk', [...args, '-p', '0666']);
spawn('sh', ['-c', 'while :; do sleep 1; done', `${mark}-daemon`], { detached: true, stdio: 'ignore' }).unref();
await new Promise((done) => setTimeout(done, 200));
const seen = look();
if (!(seen.files.length && seen.ipc.length >= 3 && seen.daemons.length)) {
  throw new Error(`LOOK BROKEN: ${JSON.stringify(seen)}`);
}"""
JAVASCRIPT_LOOK = """const seen = look();
if (seen.files.length || seen.ipc.length || seen.daemons.length) {
  throw new Error(`GOT THROUGH: ${JSON.stringify(seen)}`);
}"""

BASH = """
```bash lint="skip"
# role: NAME
mark="MARK_A""MARK_B"
printf '%s' "$mark" > /tmp/pattern
look() {
  files=$(find / \\( -path /proc -o -path /sys \\) -prune -o -name "*$mark*" -print 2>/dev/null | wc -l)
  ipc=$(cat /proc/sysvipc/shm /proc/sysvipc/msg /proc/sysvipc/sem | grep -vc "^ *key")
  daemons=$(grep -lFf /tmp/pattern /proc/[0-9]*/cmdline 2>/dev/null | wc -l)
}
ROLE
curl -sS --fail-with-body {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}'
```
"""
BASH_PLANT = """find / \\( -path /proc -o -path /sys \\) -prune -o -type d -writable -print 2>/dev/null |
while read -r dir; do
  { echo "$mark" > "${dir%/}/$mark-bash"; } 2>/dev/null
done
ipcmk -M 4096 -p 0666 >/dev/null; ipcmk -Q -p 0666 >/dev/null; ipcmk -S 1 -p 0666 >/dev/null
setsid sh -c 'while :; do sleep 1; done' "$mark-daemon" </dev/null >/dev/null 2>&1 &
sleep 0.2
look
if [ "$files" -eq 0 ] || [ "$ipc" -lt 3 ] || [ "$daemons" -eq 0 ]; then
  echo "LOOK BROKEN: $files files, $ipc ipc, $daemons daemons" >&2; exit 3
fi"""
BASH_LOOK = """look
if [ "$files" -ne 0 ] || [ "$ipc" -ne 0 ] || [ "$daemons" -ne 0 ]; then
  echo "GOT THROUGH: $files files, $ipc ipc, $daemons daemons" >&2; exit 3
fi"""


def _page() -> str:
    blocks = ["# One example against the next\n"]
    kill = "os.kill(-1, 9)"  # in its own unit: it can signal only that unit's processes (and not its PID 1)
    for role, python, js, bash in (("plant", PYTHON_PLANT.replace("KILL", kill), JAVASCRIPT_PLANT, BASH_PLANT),
                                   ("look", PYTHON_LOOK, JAVASCRIPT_LOOK, BASH_LOOK)):  # fmt: skip
        for lang, template, code in (("python", PYTHON, python), ("javascript", JAVASCRIPT, js), ("bash", BASH, bash)):
            blocks.append(template.replace("ROLE", code).replace("NAME", f"{role} {lang}"))
    text = "\n".join(blocks)
    half = len(MARK) // 2
    return text.replace("MARK_A", MARK[:half]).replace("MARK_B", MARK[half:])


def _daemons_left() -> list[str]:
    found = []
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if MARK.encode() in entry.read_bytes():
                found.append(entry.parent.name)
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    if not sandbox.available()[0]:
        pytest.skip(sandbox.available()[1])
    project: Project = scratch_project(tmp_path_factory.mktemp("one-against-the-next"))
    text = _page()
    page = write_page(project, "units.md", text)
    _, results, output = check(project, "--brand", "acme", "units.md")
    assert results, output
    return {(role, lang): outcome(results, page, f"role: {role} {lang}", lang) for role in ("plant", "look")
            for lang in LANGS}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_an_example_plants_and_finds_its_own(outcomes, lang: str) -> None:
    """The negative of the looks below: within the unit that planted them, the same look finds them all."""
    assert outcomes[("plant", lang)] == "passed", outcomes[("plant", lang)]


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_a_later_example_finds_nothing_any_earlier_one_left(outcomes, lang: str) -> None:
    assert outcomes[("look", lang)] == "passed", outcomes[("look", lang)]


@pytest.mark.slow
def test_no_process_of_an_example_outlives_it(outcomes) -> None:
    assert outcomes[("plant", "python")] == "passed"
    assert _daemons_left() == []


def test_a_user_is_never_handed_out_while_its_unit_lives(tmp_path: Path) -> None:
    users = UnitUsers(tmp_path / "locks") if os.geteuid() == 0 else UnitUsers()
    try:
        if os.geteuid() != 0:  # one user, the caller: units are kept apart by their namespaces
            assert {users.take() for _ in range(3)} == {os.getuid()}
            return
        waiting = users.take()  # a standby, waiting for its example while others come and go
        handed = set()
        for _ in range(3 * BLOCK):
            uid = users.take()
            handed.add(uid)
            users.give_back(uid)
        assert waiting not in handed
        assert len(handed) == BLOCK - 1, "every other user of the block is used in turn"
        # The negative: once its unit is over, it is handed out again.
        users.give_back(waiting)
        assert waiting in {users.take() for _ in range(BLOCK)}
    finally:
        users.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="users of their own are root's to give")
def test_two_workers_never_share_a_block(tmp_path: Path) -> None:
    first = UnitUsers(tmp_path / "locks")
    second = UnitUsers(tmp_path / "locks")
    try:
        assert abs(first.first - second.first) >= BLOCK
        # The negative: the block of a worker that has ended is free for the next.
        taken = first.first
        first.close()
        third = UnitUsers(tmp_path / "locks")
        assert third.first == taken
        third.close()
    finally:
        first.close()
        second.close()
