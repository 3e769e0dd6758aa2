"""`branddocs serve`: preview brands with live reload, each on its own port."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from branddocs.cli.options import brands_option
from branddocs.errors import EXIT_USAGE
from branddocs.site import build_env

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="preview brands with live reload (several: consecutive ports)")
    brands_option(parser, "serve", required=True)
    parser.add_argument("--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT",
                        help="the first brand's address (default 127.0.0.1:8000)")  # fmt: skip
    parser.add_argument("--try-it", action="store_true",
                        help="the reference endpoint beside the preview; its Try it panels send there")  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from branddocs.site.config_check import config_problems
    from branddocs.site.serve import addresses, serve

    # Before any configuration is loaded (a hook's module runs then): the allow-listed environment only, in a
    # process started with it when run from the command line (site/build_env.py).
    build_env.enter(command_line=args.command_line)
    problems = config_problems(project.config_file, project.root)  # before `mkdocs serve` loads it
    if problems:
        print("branddocs serve: " + "\n".join(problems), file=sys.stderr)
        return EXIT_USAGE
    ids = list(dict.fromkeys(args.brand))
    for brand_id in ids:
        project.brand(brand_id)  # fail here, clearly, rather than inside MkDocs' reloader
    try:
        dev_addrs = addresses(args.dev_addr, len(ids))  # before MkDocs builds and prints anything
    except ValueError as exc:
        print(f"branddocs serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.try_it:
        return serve(project.config_file, ids, dev_addrs)
    from branddocs.endpoint.try_it import try_it_endpoint

    with try_it_endpoint(project, ids) as env:  # stops with the preview
        return serve(project.config_file, ids, dev_addrs, env)
