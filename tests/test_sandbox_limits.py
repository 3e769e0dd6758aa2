"""The sandbox bounds what an example may take: processes, memory and output, in bash, Python and Node.js.

Each hostile example tries to start 200 processes or to take 1.5 GiB; it fails naming what it got, else makes
its one proper request. In the sandbox each is stopped short (and the example goes on); without it
(`BRANDDOCS_NO_SANDBOX=1`, the negative) each gets what it asked for. Output is read up to a limit whatever
the sandbox: an example printing 8 MiB is stopped with a clear message, one printing 3 MiB is not.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from branddocs.examples.run import sandbox
from branddocs.site import Project

from .support.checks import check, outcome, write_page
from .support.once import once
from .support.project import scratch_project

pytestmark = [pytest.mark.slow, pytest.mark.longest]  # its checks start early, not alone at the end

LANGS = ("bash", "python", "javascript")
BASH_REQUEST = """curl -sS --fail-with-body {{ base_url }}/chat/completions \\
  -H "Authorization: Bearer ${{ api_key_env }}" -H "Content-Type: application/json" \\
  -d '{"model": "{{ default_model }}", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}'"""
PYTHON_REQUEST = """client = OpenAI(base_url="{{ base_url }}", api_key=os.environ["{{ api_key_env }}"])
reply = client.chat.completions.create(model="{{ default_model }}", messages=[{"role": "user", "content": "hi"}])
print(reply.choices[0].message.content)
#> Hi! It's nice to meet you. Is there something I can help you with or would you like to chat?"""
NODE_REQUEST = """const client = new OpenAI({ apiKey: process.env.{{ api_key_env }}, baseURL: '{{ base_url }}' });
const completion = await client.chat.completions.create({
  model: '{{ default_model }}', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2,
});
console.log(completion.choices[0].message.content);"""

# {lang: {what: the attempt, before the proper request}}.
ATTEMPTS = {
    "bash": {
        "processes": """
started=$(perl <<"PERL"
my $n = 0;
for (1 .. 200) { my $pid = fork; last unless defined $pid; if (!$pid) { sleep 3; exit 0 } $n++ }
1 while wait != -1;
print $n;
PERL
)
if [ "$started" -ge 200 ]; then echo "GOT THROUGH: $started processes" >&2; exit 3; fi""",
        "memory": """
if perl -e 'exit(length("a" x 1610612736) < 1610612736)' 2>/dev/null; then
  echo "GOT THROUGH: 1.5 GiB" >&2; exit 3
fi""",
        "output": """
head -c 8388608 /dev/zero | tr '\\0' x""",
        "some output": """
head -c 3145728 /dev/zero | tr '\\0' x""",
    },
    "python": {
        "processes": """
children = []
try:
    for _ in range(200):
        children.append(subprocess.Popen(["sleep", "4"]))
except OSError:
    pass
for child in children:
    child.kill()
    child.wait()
if len(children) >= 200:
    raise SystemExit(f"GOT THROUGH: {len(children)} processes")""",
        "memory": """
try:
    hog = bytearray(1536 << 20)
except MemoryError:
    hog = None
if hog is not None:
    raise SystemExit("GOT THROUGH: 1.5 GiB")""",
        "output": """
sys.stdout.write("x" * (8 << 20))""",
        "some output": """
sys.stdout.write("x" * (3 << 20))""",
    },
    "javascript": {
        "processes": """
const children = [];
for (let i = 0; i < 200; i++) {
  const child = spawn('sleep', ['4']);
  child.on('error', () => {});
  if (child.pid) children.push(child);
}
await Promise.all(children.map((child) => new Promise((done) => { child.on('exit', done); child.kill(); })));
if (children.length >= 200) throw new Error(`GOT THROUGH: ${children.length} processes`);""",
        "memory": """
let hog = null;
try { hog = Buffer.alloc(1536 * 1024 * 1024); } catch {}
if (hog) throw new Error('GOT THROUGH: 1.5 GiB');""",
        "output": """
process.stdout.write('x'.repeat(8 << 20));""",
        "some output": """
process.stdout.write('x'.repeat(3 << 20));""",
    },
}


def _marker(what: str, lang: str) -> str:
    """The first line of an attempt: a comment the test finds its block by."""
    return f"{'//' if lang == 'javascript' else '#'} greedy: {what} in {lang}"


def _page(attempts: tuple[str, ...]) -> str:
    blocks = ["# Greedy examples\n"]
    for what in attempts:
        attempt = {lang: f"{_marker(what, lang)}{ATTEMPTS[lang][what]}" for lang in LANGS}
        blocks.append(f'```bash lint="skip"\n{attempt["bash"]}\n{BASH_REQUEST}\n```\n')
        head = "import os\nimport subprocess\nimport sys\n\nfrom openai import OpenAI\n\n"
        blocks.append(f'```python lint="skip"\n{head}{attempt["python"]}\n{PYTHON_REQUEST}\n```\n')
        head = "import { spawn } from 'node:child_process';\nimport OpenAI from 'openai';\n\n"
        blocks.append(f"```javascript\n{head}{attempt['javascript']}\n{NODE_REQUEST}\n```\n")
    return "\n".join(blocks)


def _run(folder: Path, env: dict[str, str], attempts: tuple[str, ...]) -> dict[tuple[str, str], str]:
    project: Project = scratch_project(folder)
    page: Path = write_page(project, "greedy.md", _page(attempts))
    _, results, output = check(project, "--brand", "acme", "greedy.md", env=env)
    assert results, output
    return {(what, lang): outcome(results, page, _marker(what, lang), lang) for lang in LANGS for what in attempts}


@pytest.fixture(scope="module")
def greedy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[tuple[str, str], str]]:
    """{"sandboxed": every attempt's outcome in the sandbox, "unsandboxed": the processes and memory attempts'
    without it (`BRANDDOCS_NO_SANDBOX=1`, the negative; the output attempts are the sandbox's and not asked there)}:
    the two checks run side by side, as most of their time is their examples' children sleeping, once a run
    (whichever worker asks first)."""
    if not sandbox.available()[0]:
        pytest.skip(sandbox.available()[1])
    runs = {
        "sandboxed": ({}, tuple(ATTEMPTS["bash"])),
        "unsandboxed": ({"BRANDDOCS_NO_SANDBOX": "1"}, ("processes", "memory")),
    }

    def both(folder: Path) -> dict[str, dict[str, str]]:
        with ThreadPoolExecutor(len(runs)) as pool:
            started = {name: pool.submit(_run, folder / name, env, attempts) for name, (env, attempts) in runs.items()}
            return {
                name: {"|".join(key): said for key, said in future.result().items()} for name, future in started.items()
            }

    made = once(tmp_path_factory, "greedy", both)
    return {name: {tuple(key.split("|")): said for key, said in outcomes.items()} for name, outcomes in made.items()}


@pytest.fixture(scope="module")
def sandboxed(greedy: dict[str, dict[tuple[str, str], str]]) -> dict[tuple[str, str], str]:
    return greedy["sandboxed"]


@pytest.fixture(scope="module")
def unsandboxed(greedy: dict[str, dict[tuple[str, str], str]]) -> dict[tuple[str, str], str]:
    return greedy["unsandboxed"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("what", ["processes", "memory"])
def test_a_greedy_example_is_stopped_short_in_the_sandbox(sandboxed: dict, unsandboxed: dict, what: str,
                                                           lang: str) -> None:  # fmt: skip
    assert sandboxed[(what, lang)] == "passed", sandboxed[(what, lang)]
    # The negative: without the sandbox the same example gets what it asked for, and says so.
    assert "GOT THROUGH" in unsandboxed[(what, lang)], unsandboxed[(what, lang)]


@pytest.mark.parametrize("lang", LANGS)
def test_output_is_read_up_to_a_limit(sandboxed: dict, lang: str) -> None:
    limit = sandbox.OUTPUT_LIMIT >> 20
    said = f"printed more than {limit} MiB (stdout and stderr together); stopped it there"
    assert said in sandboxed[("output", lang)], sandboxed[("output", lang)]
    # The negative: 3 MiB, under the limit, is read whole and the example passes.
    assert sandboxed[("some output", lang)] == "passed", sandboxed[("some output", lang)]
