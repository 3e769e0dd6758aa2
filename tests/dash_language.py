"""A fourth example language, from outside branddocs: POSIX sh run by dash, linted as dash by shellcheck.

What a package of one's own holds to add a language: this module, and an entry point naming its class
(`[project.entry-points."branddocs.languages"] dash = "branddocs_dash:Dash"`). tests/test_languages.py
installs it so, beside a scratch project, and checks a page of ```dash examples with `branddocs check`.
"""

from __future__ import annotations

import re

from branddocs.examples.example import Example
from branddocs.examples.languages.base import Context, Language
from branddocs.examples.languages.bash import curl_fields, shellcheck
from branddocs.examples.run.process import Run, execute, prepare, workdir

__all__ = ["Dash"]

DASH = "/usr/bin/dash"


class Dash(Language):
    name = "dash"
    aliases = ("posix-sh",)
    env_reads = re.compile(r"""\$\{?(?P<name>[A-Za-z0-9_]*(?:KEY|TOKEN|SECRET)[A-Za-z0-9_]*)\}?""")
    stream = re.compile(r"""["']?stream["']?\s*:\s*true\b""")

    def request_fields(self, code: str) -> list[str]:
        return curl_fields(code)

    def lint(self, example: Example, context: Context) -> list[str]:
        return shellcheck(example, context.tmp_path, dialect="dash")

    def run(self, example: Example, context: Context) -> Run:
        run = prepare(example, context.target, workdir(context.tmp_path))
        script = context.tmp_path / "example.sh"
        script.write_text(run.code, encoding="utf-8")
        return execute([DASH, str(script)], run, context.target, context.tmp_path)
