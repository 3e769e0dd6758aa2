"""The CLI: `branddocs build | serve | check | check-brands | check-translations | check-sdk | diff | endpoint | new |
host | mcp | schema | env`.

One module per command, each with `add_parser(sub)` (its options and help) and `run(args, project)`; a command
is added by writing its module and naming it in COMMANDS. Each command imports what it runs inside `run`, so
`branddocs --help` pays for none of it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from branddocs import key_holder
from branddocs.errors import BranddocsError

__all__ = ["COMMANDS", "main", "parser"]

_CLEAN_START = frozenset({"build", "serve", "diff"})
"""The commands that run under a build's environment, started again with it (site/build_env.py): before the
commands' own imports (a third of a second), so that only the process started clean pays for them."""


def _commands() -> tuple[Any, ...]:
    """The commands, in the order `branddocs --help` lists them."""
    from branddocs.cli import (
        build,
        check,
        check_brands,
        check_sdk,
        check_translations,
        diff,
        endpoint,
        env,
        host,
        new,
        schema,
        serve,
    )
    from branddocs.mcp import command as mcp  # `branddocs mcp`: its own package, the same add_parser and run

    return (build, serve, check_brands, check_translations, check_sdk, schema, env, check, diff, new, endpoint,
            host, mcp)  # fmt: skip


def __getattr__(name: str) -> Any:
    if name == "COMMANDS":  # imported on first use: `branddocs build` starts again before paying for them
        return _commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def parser() -> argparse.ArgumentParser:
    """The command line's parser: every command's subparser, each with its `run` (and whether it needs a project)."""
    top = argparse.ArgumentParser(prog="branddocs", description=__doc__.split("\n", 1)[0])
    sub = top.add_subparsers(dest="command", required=True)
    for command in _commands():
        command.add_parser(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    # mkdocs-material prints a banner about MkDocs 2 on every build; we pin MkDocs 1.6 on purpose.
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from_command_line = argv is None
    if from_command_line and not key_holder.command_line_held():
        key_holder.start_as_command_line(sys.argv[1:])  # a way in the first line did not know (key_holder.py)
    if from_command_line:
        from branddocs.text.terminal_stream import wrap_stderr

        wrap_stderr()  # whatever a command prints on standard error reaches the terminal as text
    argv = list(sys.argv[1:] if argv is None else argv)
    if from_command_line and argv[:1] and argv[0] in _CLEAN_START:
        from branddocs.site import build_env

        build_env.enter(command_line=argv)  # started again here, when the environment holds more than a build's
    proxy = None
    if from_command_line and argv[:1] == ["check"]:
        # The recording proxy imports for most of a second: started before the commands' own imports (the brand
        # model, the builder) and the project's, with no setting yet (check.py sends them, the key among them, or
        # closes its stdin, and with this process's end it ends too, quietly).
        from branddocs.examples.proxy.launch import launch
        from branddocs.site.build_env import build_environment

        proxy = launch(None, build_environment(os.environ))
    # `branddocs check ... -- --junitxml=x -x`: what follows `--` goes to pytest untouched.
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser().parse_args(argv[: len(argv) - len(extra) - (1 if "--" in argv else 0)])
    args.pytest_args = extra
    args.proxy = proxy
    # The command as typed, for a command that starts itself again with a clean environment (site/build_env.py);
    # None when called from Python (a test), which must not be replaced.
    args.command_line = argv if from_command_line else None
    try:
        # The brand file's schema needs no project: an editor or a new tenant's repository may ask for it. (Project
        # imports the brand model: only for the commands that take a project.)
        if not getattr(args, "project", True):
            return args.func(args, None)
        from branddocs.site import Project

        return args.func(args, Project.find())
    except BranddocsError as exc:
        from branddocs import text

        # One terminal line per line of the message (its own "\n" only): a value in it starts no line of its own.
        for line in f"branddocs: {exc}".split("\n"):
            print(text.terminal_line(line), file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
