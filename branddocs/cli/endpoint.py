"""`branddocs endpoint`: the reference OpenAI-compatible endpoint on loopback."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from branddocs.cli.options import brands_option, port
from branddocs.endpoint.dialects import DIALECTS

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("endpoint", help="run the reference OpenAI-compatible endpoint on loopback")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port, default=8000)
    brands_option(parser, "serve the models of")
    parser.add_argument("--base-path", default=None, help="default: each brand's base URL path")
    parser.add_argument("--api-key", action="append", metavar="KEY", help="accepted key (repeatable)")
    parser.add_argument("--dialect", choices=list(DIALECTS), default="vllm",
                        help="answer as this server does (default: vllm)")  # fmt: skip
    parser.add_argument("--drift", action="append", nargs="?", const="guide", metavar="KIND",
                        choices=["guide", "envelope", "event-lines", "no-done", "no-usage", "rename-content"],
                        help="break OpenAI's format (repeatable; alone: as the original guide)")  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from branddocs.endpoint.server import serve_forever

    return serve_forever(args, project)
