"""`branddocs check-brands`: brand files and their images validated."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from branddocs.brand import BrandError, load_brand
from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("check-brands", help="validate brand files and their images")
    parser.add_argument("files", nargs="*", help="brand files (default: brands/*.yml)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from contextlib import suppress

    from branddocs.brand import shared_image_folders

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
    for path, message in shared_image_folders(loaded).items():
        if path in paths:
            errors[path] = f"{errors[path]}\n{message}" if path in errors else message
    for path in paths:
        if path not in errors:
            brand = loaded[path]
            print(f"{path}: ok ({brand.user_name}, {brand.base_url}, ${brand.key_env}, {len(brand.models)} models)")
    for line in dict.fromkeys(line for message in errors.values() for line in message.splitlines()):
        print(line, file=sys.stderr)
    print(f"{len(paths) - len(errors)} ok, {len(errors)} with errors")
    return 1 if errors else 0
