"""`branddocs schema`: the JSON Schema of a brand file, for editors."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branddocs.site import Project


__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("schema", help="print the JSON Schema of a brand file (for editors)")
    parser.set_defaults(func=run, project=False)


def run(args: argparse.Namespace, project: Project | None) -> int:
    from branddocs.brand import brand_schema

    print(brand_schema(), end="")
    return 0
