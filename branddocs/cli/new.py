"""`branddocs new DIR`: a docs project of one's own, written into a new or empty folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from branddocs.site import Project


__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("new", help="write a new docs project (mkdocs.yml, a brand, a checked page) into DIR",
                            description="Write a docs project of one's own into DIR (new or empty), e.g. "
                            "`branddocs new my-docs`: mkdocs.yml with the branddocs plugin, one brand, one page "
                            "with a checked cURL example, and a README with the commands.")  # fmt: skip
    parser.add_argument("folder", type=Path, metavar="DIR", help="a new or empty folder")
    parser.set_defaults(func=run, project=False)


def run(args: argparse.Namespace, project: Project | None) -> int:
    from branddocs.scaffold import BRAND_ID, new

    written = new(args.folder)
    print(f"branddocs: wrote {len(written)} files into {args.folder}; next, in that folder:")
    print(f"  BRAND={BRAND_ID} mkdocs build   # or: branddocs build\n  branddocs check")
    return 0
