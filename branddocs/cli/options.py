"""Options several commands share, declared once."""

from __future__ import annotations

import argparse

from branddocs.site.shard import parse_shard

__all__ = ["brands_option", "jobs_option", "port", "shard", "shard_option"]


def port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) < 65536:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535 (0: any free port), not {text!r}")
    return int(text)


def shard(text: str) -> tuple[int, int]:
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def brands_option(parser: argparse.ArgumentParser, verb: str, required: bool = False, note: str = "") -> None:
    default = "" if required else "; default all"
    parser.add_argument("--brand", action="append", metavar="ID", required=required,
                        help=f"{verb} this brand (repeatable{default}{note})")  # fmt: skip


def jobs_option(parser: argparse.ArgumentParser, what: str, *aliases: str, note: str = "") -> None:
    help = f"{what} (default: number of cores{note})"
    parser.add_argument("--jobs", "-j", *aliases, type=int, default=None, help=help)


def shard_option(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument("--shard", type=shard, default=None, metavar="K/N", help=f"{verb} only shard K of N")
