"""The command-line reference: every command, sub-command and option, as `branddocs <cmd> --help` prints them."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass

from manual_macros.entry import cli_parser, stable_help_env
from manual_macros.markdown import cell, fenced, inline_code

__all__ = ["Command", "cli_reference", "commands"]


@dataclass(frozen=True)
class Command:
    """One command of `branddocs` (the top level too), with what its `--help` prints."""

    words: tuple[str, ...]
    """The words after `branddocs`: () for the top level, ("build",), ("host", "nginx")."""
    summary: str
    """Its one line in its parent's list of commands ("" for the top level)."""
    parser: argparse.ArgumentParser
    help: str
    """Exactly what `branddocs WORDS... --help` prints (at `HELP_ENV`'s width)."""

    @property
    def name(self) -> str:
        return " ".join(("branddocs", *self.words))


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    # argparse has no public way to list a parser's sub-commands: its _SubParsersAction is what every
    # argparse documenter reads (sphinx-argparse, shtab). Aliases share a parser: listed once, by first name.
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {a.dest: a.help or "" for a in action._choices_actions}
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    yield name, summaries.get(name, ""), sub


def commands(
    parser: argparse.ArgumentParser | None = None, words: tuple[str, ...] = (), summary: str = ""
) -> list[Command]:
    """Every command under `parser` (default: branddocs' own), depth first, in the order `--help` lists them."""
    parser = cli_parser() if parser is None else parser
    with stable_help_env():
        found = [Command(words, summary, parser, parser.format_help())]
    for name, sub_summary, sub in _subcommands(parser):
        found += commands(sub, (*words, name), sub_summary)
    return found


def _options_table(parser: argparse.ArgumentParser) -> str:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            name = ", ".join(inline_code(s) for s in action.option_strings)
        else:
            name = inline_code(action.metavar or action.dest)
        shown = action.default not in (None, False, argparse.SUPPRESS) and not isinstance(action, argparse._HelpAction)
        default = inline_code(str(action.default)) if shown else ""
        choices = ", ".join(inline_code(str(c)) for c in action.choices) if action.choices else ""
        rows.append(f"| {name} | {cell(action.help or '')} | {default} | {choices} |")
    return "| Option | What it does | Default | Choices |\n|---|---|---|---|\n" + "\n".join(rows)


def cli_reference() -> str:
    """The whole reference: an overview table, then per command its summary, its `--help` and its options."""
    found = commands()
    overview = ["| Command | What it does |", "|---|---|"]
    overview += [f"| [`{c.name}`](#{'-'.join(c.name.split())}) | {cell(c.summary)} |" for c in found[1:]]
    parts = ["\n".join(overview)]
    for command in found:
        parts.append(f"## `{command.name}` {{ #{'-'.join(command.name.split())} }}")
        if command.summary:
            parts.append(cell(command.summary[:1].upper() + command.summary[1:]) + ".")
        parts.append(f"`{command.name} --help` prints:")
        parts.append(fenced(command.help))
        parts.append(_options_table(command.parser))
    return "\n\n".join(parts) + "\n"
