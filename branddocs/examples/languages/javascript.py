"""JavaScript examples: ES modules on Node.js with the `openai` npm package, syntax-checked, then run.

In the sandbox each runs in a `node` process started ahead for it alone, `openai` imported (pool.py), which parses
it before running it; `node --check` is asked for the message only when it does not parse.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from branddocs.examples.example import Example
from branddocs.examples.languages.base import Context, Language
from branddocs.examples.run.process import ExampleFailure, Run, example_node, execute, finish, prepare, workdir
from branddocs.examples.run.sandbox import SCRATCH
from branddocs.examples.run.sdks import node_missing
from branddocs.site.engine_folders import own_folder

__all__ = ["LANGUAGE", "JavaScript"]

_CREATE = re.compile(r"\.create\(\s*\{")
_READS = re.compile(r"""\.\s*([A-Za-z_$][\w$]*)|\[\s*["'`]([^"'`\n]+)["'`]\s*\]""")
"""`.name`, `?.name` and `['name']`: what a script reads of an object."""
_NOT_VALID, _NOT_VALID_STATUS = "branddocs: the example is not valid JavaScript", 65  # node_standby.mjs


class JavaScript(Language):
    name = "javascript"
    aliases = ("js", "mjs")
    env_reads = re.compile(r"""process\.env(?:\.(?P<name>[^,;\n)}]*)|\[\s*(?P<q>["'])(?P<qname>.*?)(?P=q)\s*\])""")
    stream = re.compile(r"\bstream\s*:\s*true\b")

    def request_fields(self, code: str) -> list[str]:
        """The keys of each `.create({...})` call's object, at its top level."""
        names = []
        for match in _CREATE.finditer(code):
            depth, text = 1, []
            for char in code[match.end() :]:
                depth += {"{": 1, "[": 1, "(": 1, "}": -1, "]": -1, ")": -1}.get(char, 0)
                if depth == 0:
                    break
                text.append(char if depth == 1 else " ")
            names += re.findall(r"(?:^|[,{])\s*([A-Za-z_$][\w$]*)\s*:", "".join(text))
        return names

    def reads(self, code: str) -> frozenset[str] | None:
        """Every `.name` and `['name']` in the code; None when it prints a whole object (`JSON.stringify`)."""
        if "JSON.stringify" in code:
            return None
        return frozenset(a or b for a, b in _READS.findall(code))

    def static_problems(self, example: Example) -> list[str]:
        if "dangerouslyAllowBrowser" not in example.code:
            return []
        return [
            "sets dangerouslyAllowBrowser: that option is for code in a browser, where it exposes the key; "
            "server-side Node.js must not set it"
        ]

    def missing(self, project_root: Path) -> str:
        """The `openai` npm package not installed (no `npm ci` yet), or no `node`."""
        return node_missing(*example_node(project_root))

    def run(self, example: Example, context: Context) -> Run:
        target, tmp, project_root = context.target, context.tmp_path, context.project_root
        run = prepare(example, target, workdir(tmp, target))
        node, modules = example_node(project_root)
        if target.pool is not None:  # in the sandbox
            return self._pooled(example, context, run, node, modules)
        folder = own_folder(modules.parent, ".cache", "examples")  # beside node_modules/: `import 'openai'` finds it
        script = folder / f"{example.brand.id}-{run.token}.mjs"
        script.write_text(run.code, encoding="utf-8")
        try:
            check = subprocess.run([node, "--check", str(script)], capture_output=True, text=True, timeout=60,
                                   check=False)  # fmt: skip
            if check.returncode:
                detail = check.stderr.replace(str(script), f"{example.shown}:{example.line}+")
                raise ExampleFailure(f"not valid JavaScript (node --check):\n{detail.strip()}")
            return execute([node, str(script)], run, target, project_root)
        finally:
            script.unlink(missing_ok=True)

    def _pooled(self, example: Example, context: Context, run: Run, node: str, modules: Path) -> Run:
        """Run in a sandboxed `node` started ahead for this example alone, with `openai` imported (pool.py)."""
        assert context.target.pool is not None
        key_env = example.brand.key_env
        base = {k: v for k, v in run.env.items() if k != key_env}
        pool = context.target.pool
        standby = pool.standby(os.path.realpath(node), modules.resolve(), base)
        inside = f"{SCRATCH}/{example.brand.id}-{run.token}.mjs"  # written there by the standby, in its own tmpfs
        try:
            finish(standby.take(inside, run.code, {key_env: run.env[key_env]}), run, context.target)
        finally:
            pool.done(standby)  # over: its unit is given back
            pool.ahead(os.path.realpath(node), modules.resolve(), base)
        if run.returncode == _NOT_VALID_STATUS and _NOT_VALID in run.stderr:  # parsed there, never run
            script = context.tmp_path / "example.mjs"
            script.write_text(run.code, encoding="utf-8")
            self._syntax_check(example, node, script)
        return run

    @staticmethod
    def _syntax_check(example: Example, node: str, script: Path) -> None:
        """`node --check`: its message names the line and points at the mistake."""
        check = subprocess.run([node, "--check", str(script)], capture_output=True, text=True, timeout=60,
                               check=False)  # fmt: skip
        if check.returncode:
            detail = check.stderr.replace(str(script), f"{example.shown}:{example.line}+")
            raise ExampleFailure(f"not valid JavaScript (node --check):\n{detail.strip()}")


LANGUAGE = JavaScript()
