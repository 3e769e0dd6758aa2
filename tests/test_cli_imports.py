"""`branddocs --help`, `branddocs env` and each command's `--help` import neither the brand model (pydantic) nor
MkDocs, PyYAML, Jinja or httpx: the commands import what they run inside `run` (cli/__init__.py), and `Project` is
imported for the commands that take a project only. The negative: the same probe with `branddocs.site.Project`
imported first sees pydantic."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pydantic", "mkdocs", "yaml", "jinja2", "httpx", "material", "openai")

PROBE = r"""
import contextlib, io, json, sys
if {first!r}:
    from branddocs.site import Project
from branddocs.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    main({argv!r})
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}} & set({heavy!r}))))
"""


def _held(argv: list[str], first: bool = False) -> list[str]:
    program = PROBE.format(argv=argv, first=first, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-P", "-c", program], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "argv", [["--help"], ["env"], ["build", "--help"], ["check", "--help"], ["host", "--help"], ["new", "--help"]]
)
def test_help_and_env_import_nothing_heavy(argv: list[str]) -> None:
    assert _held(argv) == []


def test_the_probe_sees_the_brand_model() -> None:
    assert "pydantic" in _held(["--help"], first=True)
