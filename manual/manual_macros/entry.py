"""The `branddocs` command as a user runs it: its console-script entry point, called in this process."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points

__all__ = ["HELP_ENV", "cli_parser", "run", "stable_help_env"]

HELP_ENV = {"COLUMNS": "100", "NO_COLOR": "1", "PYTHON_COLORS": "0"}
"""What `--help` is printed with in the manual: a fixed width, no colour (argparse wraps at $COLUMNS)."""


def _main() -> Callable[[list[str]], int]:
    """`branddocs`' entry point, found as pip installed it (pyproject.toml's [project.scripts]), not by module path."""
    found = entry_points(group="console_scripts", name="branddocs")
    if not found:
        raise RuntimeError("no console script named 'branddocs' is installed: run `make .venv/bin/.installed` first")
    return next(iter(found)).load()


@contextlib.contextmanager
def stable_help_env() -> Iterator[None]:
    """`HELP_ENV` in os.environ while the block runs, then the environment as it was."""
    saved = {name: os.environ.get(name) for name in HELP_ENV}
    os.environ.update(HELP_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run(*argv: str) -> str:
    """What `branddocs ARGV...` prints on stdout; a non-zero exit is an error naming the command."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = _main()(list(argv))
    if code:
        raise RuntimeError(f"`branddocs {' '.join(argv)}` exited {code}; it printed: {out.getvalue()[-500:]}")
    return out.getvalue()


class _Caught(Exception):
    """Carries the parser out of the entry point at the moment it parses its arguments."""


def cli_parser() -> argparse.ArgumentParser:
    """The parser `branddocs` builds, caught when its entry point asks it to parse (no private name of branddocs).

    Wherever the command line lives (branddocs/cli.py, or a package branddocs/cli/), its entry point builds the
    whole parser and then parses: that first parse is where it is caught, with every command and option in it.
    """
    original = argparse.ArgumentParser.parse_known_args

    def catch(self, args=None, namespace=None):
        raise _Caught(self)

    argparse.ArgumentParser.parse_known_args = catch
    try:
        _main()(["--help"])
    except _Caught as caught:
        return caught.args[0]
    finally:
        argparse.ArgumentParser.parse_known_args = original
    raise RuntimeError("branddocs' entry point returned without parsing its arguments with argparse")
