"""`branddocs diff`: what each brand's readers see differently between BASE and the work tree."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs.cli.options import brands_option, jobs_option
from branddocs.errors import EXIT_USAGE
from branddocs.site import build_env

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("diff", help="what each brand's readers see differently between BASE and the work tree")
    parser.add_argument(
        "base",
        nargs="?",
        default=None,
        metavar="BASE",
        help="a git revision (default: the merge base with origin/HEAD or main; HEAD: uncommitted work)",
    )
    brands_option(parser, "compare")
    parser.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    jobs_option(parser, "parallel builds")
    parser.add_argument(
        "--screenshots",
        type=Path,
        nargs="?",
        const="",  # the project's reports/diff/
        default=None,
        metavar="DIR",
        help="before/after screenshots of each changed page (default: the project's reports/diff/)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from branddocs.review.base import BaseError
    from branddocs.review.diff import run_diff
    from branddocs.review.render import render_json, render_markdown, render_text

    # Before any configuration is loaded (a hook's module runs then): the allow-listed environment only, in a
    # process started with it when run from the command line (site/build_env.py).
    build_env.enter(command_line=args.command_line)
    on_sites = None
    if args.screenshots is not None:
        from functools import partial

        from branddocs.review.shots import screenshots

        on_sites = partial(screenshots, folder=args.screenshots or project.root / "reports" / "diff")
    try:
        report = run_diff(project, args.base, args.brand, args.jobs, on_sites=on_sites)
    except BaseError as exc:
        print(f"branddocs diff: {exc}", file=sys.stderr)
        return EXIT_USAGE
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    render = {"json": render_json, "markdown": render_markdown}.get(args.format)
    sys.stdout.write(render(report) if render else render_text(report, colour))
    for failure in report.failures:
        print(f"branddocs diff: {failure.brand_id} failed to build on the {failure.side} side", file=sys.stderr)
    return 1 if report.failures else 0
