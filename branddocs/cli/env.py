"""`branddocs env`: the environment variables branddocs reads, and which are set."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("env", help="list the environment variables branddocs reads, and which are set")
    parser.set_defaults(func=run, project=False)


def run(args: argparse.Namespace, project: Project | None) -> int:
    from branddocs.settings import describe

    print(describe())
    return 0
