"""`branddocs mcp`: every built brand's guide for AI assistants, over MCP's Streamable HTTP or, for one brand, stdio.

    branddocs mcp [--site-dir DIR] [--listen ADDR:PORT]     # http://ADDR:PORT/<id>/mcp for each site/<id>/
    branddocs mcp --brand ID --stdio [--site-dir DIR]       # one brand, for an assistant that starts it itself

It reads the built sites only (`branddocs build` writes what it needs into each `site/<id>/`), never the
project's sources: it runs wherever the sites are, with no project around.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from branddocs.errors import EXIT_USAGE
from branddocs.ports import listen_problem

__all__ = ["DEFAULT_LISTEN", "add_parser", "parse_listen", "run"]

DEFAULT_LISTEN = "127.0.0.1:8100"


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The `mcp` command's options, on the command line's subparsers."""
    mcp = sub.add_parser(
        "mcp",
        help="serve each built brand's guide to AI assistants (MCP): http://ADDR:PORT/<id>/mcp, or one brand on stdio",
        description=__doc__.split("\n\n")[0],
    )
    mcp.add_argument("--site-dir", type=Path, help="the built site/<id>/ (default: ./site, a folder, not a link)")
    mcp.add_argument("--listen", default=DEFAULT_LISTEN, metavar="ADDR:PORT",
                     help=f"where to serve (default {DEFAULT_LISTEN}; port 0: any free port)")  # fmt: skip
    mcp.add_argument("--brand", metavar="ID", help="with --stdio: the brand to serve")
    mcp.add_argument("--stdio", action="store_true", help="serve one brand (--brand) on stdin and stdout")
    mcp.set_defaults(func=run, project=False)  # the built sites are all it reads


def parse_listen(text: str) -> tuple[str, int]:
    """`ADDR:PORT` (`[::1]:8100` for IPv6) as host and port; a ValueError, one line for people, otherwise."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--listen: expected ADDR:PORT with a port from 0 to 65535, found {text!r}")
    return host.strip("[]"), int(port)


def run(args: argparse.Namespace, project: object = None) -> int:
    """Run the server until stopped; 2 (with one line) when it cannot start."""
    # Here, not at the top: every other command would pay for importing the MCP SDK (about 2 s).
    from branddocs.mcp import serve

    default = args.site_dir is None
    if default:  # the working folder's site/: a real folder, as every other command holds it (and Sites, after)
        args.site_dir = Path("site")
        if args.site_dir.is_symlink():  # a checkout's `site -> <folder>` (red team 8, R8-9); a named one: theirs
            return _usage(f"site/ {args.site_dir.absolute()} is a link (to {args.site_dir.resolve()}): expected the "
                          "built sites' own folder; to serve that folder, pass --site-dir")  # fmt: skip
    if not args.site_dir.is_dir():
        return _usage(f"--site-dir {args.site_dir}: no such folder (build the sites first: branddocs build)")
    if args.stdio or args.brand:
        if not (args.stdio and args.brand):
            return _usage("--brand and --stdio go together: one brand's server on stdin and stdout")
        if not serve.serve_stdio(args.site_dir, args.brand, no_link=default):
            return _usage(f"no built site of brand {args.brand!r} in {args.site_dir} "
                          f"(build it: branddocs build --brand {args.brand})")  # fmt: skip
        return 0
    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        return _usage(str(exc))
    problem = listen_problem(host, port)
    if problem:
        return _usage(f"--listen {args.listen}: cannot listen there ({problem}); choose another port")
    serve.serve_http(args.site_dir, host, port, no_link=default)
    return 0


def _usage(message: str) -> int:
    print(f"branddocs mcp: {message}", file=sys.stderr)
    return EXIT_USAGE
