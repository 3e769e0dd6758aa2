"""`branddocs check-sdk`: what the guide says about the SDKs holds: the locks, the installed packages and every
built site agree (the Python and Node.js versions, the install commands)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs.cli.options import brands_option

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check-sdk",
        help="check that the locks, the installed openai packages and what each built site states about them agree",
        description="Check that requirements.lock, package.json, package-lock.json and the installed openai "
        "packages agree, and that every page of each brand's built site (after `branddocs build`) states the "
        "Python and Node.js versions and install commands they declare, e.g. `branddocs check-sdk --brand acme`.",
    )
    brands_option(parser, "check the built site of")
    parser.add_argument("--site-dir", type=Path, default=None, help="where site/<id>/ are (default: ./site)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from branddocs.site.sdk_versions import lock_problems, site_problems

    try:
        problems = lock_problems(project.root)
    except (OSError, ValueError, KeyError) as exc:  # a lock or package file missing or unreadable: say which
        problems = [f"{project.root}: cannot compare the locks with the installed packages: {exc}"]
    sites = 0
    for brand_id in project.known_brands(args.brand):
        site = Path(args.site_dir or project.site_dir) / brand_id
        if not site.is_dir():
            problems.append(f"{site}: no built site for brand {brand_id!r}; run `branddocs build --brand {brand_id}`")
            continue
        problems += site_problems(site, project.root)[0]
        sites += 1
    for line in problems:
        print(line, file=sys.stderr)
    print(f"{sites} built sites and the locks checked: {len(problems)} problems")
    return 1 if problems else 0
