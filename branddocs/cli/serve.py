"""`branddocs serve`: preview brands with live reload, each on its own port."""

from __future__ import annotations

import argparse
import sys

from branddocs.cli.options import brands_option
from branddocs.errors import EXIT_USAGE
from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("serve", help="preview brands with live reload (several: consecutive ports)")
    brands_option(parser, "serve", required=True)
    parser.add_argument("--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT",
                        help="the first brand's address (default 127.0.0.1:8000)")  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from branddocs.site.serve import addresses, serve

    ids = list(dict.fromkeys(args.brand))
    for brand_id in ids:
        project.brand(brand_id)  # fail here, clearly, rather than inside MkDocs' reloader
    try:
        dev_addrs = addresses(args.dev_addr, len(ids))  # before MkDocs builds and prints anything
    except ValueError as exc:
        print(f"branddocs serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return serve(project.config_file, ids, dev_addrs)
