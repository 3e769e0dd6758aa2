"""`branddocs check-translations`: translations whose code differs, and pages older than their source."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branddocs.site import Project


__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check-translations",
        help="list translations and brand pages older than their shared page, and translations whose code differs",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from branddocs.examples.languages.base import check_language
    from branddocs.site.translations import followers, report

    problems, notes = report(project, check_language)
    for line in problems + notes:
        print(line)
    print(f"{len(followers(project))} translations and brand pages: {len(problems)} with code unlike their "
          f"source's, {len(notes)} older than their source")  # fmt: skip
    return 1 if problems else 0
