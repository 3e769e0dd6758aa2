"""`branddocs check-brands`: brand files and their images validated; declarations of a platform defect warned about."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs import text

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("check-brands", help="validate brand files and their images")
    parser.add_argument("files", nargs="*", help="brand files (default: brands/*.yml)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from contextlib import suppress

    from branddocs.brand import BrandError, load_brand, lookalike_brands, shared_image_folders

    paths = [Path(p) for p in args.files] or [project.brands_dir / f"{i}.yml" for i in project.brand_ids()]
    if not paths:
        print(f"no brand files in {project.brands_dir}", file=sys.stderr)
        return 1
    errors: dict[Path, str] = {}
    loaded = {}
    for path in paths:
        try:
            loaded[path] = load_brand(path)
            loaded[path].check_assets(project.docs_dir)
        except BrandError as exc:
            errors[path] = str(exc)
    # Two brands in one image folder would publish each other's screenshots: compare with every brand file.
    checked = {p.resolve() for p in paths}
    for path in (project.brands_dir / f"{i}.yml" for i in project.brand_ids()):
        if path.resolve() not in checked:
            with suppress(BrandError):  # a broken file is reported when it is checked itself
                loaded[path] = load_brand(path)
    # Two brands a reader cannot tell apart (names, ids, key variables, host names): compared the same way.
    for conflicts in (shared_image_folders(loaded), lookalike_brands(loaded)):
        for path, message in conflicts.items():
            if path in paths:
                errors[path] = f"{errors[path]}\n{message}" if path in errors else message
    for path in paths:
        if path not in errors:
            brand = loaded[path]
            ok = f"{path}: ok ({brand.user_name}, {brand.base_url}, ${brand.key_env}, {len(brand.models)} models)"
            print(text.terminal_line(ok))
            for defect in brand.errors.defects():  # declared, so the guide says so; still worth a second look
                print(text.terminal_line(f"{path}: warning: {defect}"), file=sys.stderr)
    # Every line through the terminal printer: no ESC, CR or bidirectional control, no CI workflow command. Split on
    # the messages' own "\n" only: splitlines() would also start a line at a value's \r, \x85, U+2028 or \x1c.
    for line in dict.fromkeys(line for message in errors.values() for line in message.split("\n")):
        print(text.terminal_line(line), file=sys.stderr)
    print(f"{len(paths) - len(errors)} ok, {len(errors)} with errors")
    return 1 if errors else 0
