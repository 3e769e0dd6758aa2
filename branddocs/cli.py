"""`branddocs build | serve | check | check-brands | endpoint`: the command line."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from branddocs.brand import BrandError, load_brand
from branddocs.shard import parse_shard, shard_of
from branddocs.site import Project

__all__ = ["main"]


def _cmd_build(args: argparse.Namespace, project: Project) -> int:
    from branddocs.build import build_brands

    known = project.brand_ids()
    ids = args.brand or known
    unknown = sorted(set(ids) - set(known))
    if unknown:
        raise BrandError(f"unknown brand {', '.join(unknown)}; brands: {', '.join(known)}")
    ids = shard_of(ids, args.shard)
    progress = _Progress(len(ids), sys.stdout.isatty())
    start = time.perf_counter()
    results = build_brands(project, ids, jobs=args.jobs, site_root=args.site_dir, on_result=progress.update,
                           force=args.force)  # fmt: skip
    progress.close()
    if progress.tty and results:  # the bar showed each brand only in passing
        print("  " + ", ".join(f"{r.brand_id} {'up to date' if r.skipped else f'{r.seconds:.2f} s'}" for r in results))
    failed = [r for r in results if not r.ok]
    for result in failed:
        print(f"{result.brand_id}: FAILED; its previous site is left as it was", file=sys.stderr)
        print("  " + result.error.replace("\n", "\n  "), file=sys.stderr)
    skipped = sum(r.skipped for r in results)
    built = len(results) - len(failed) - skipped
    slowest = max((r for r in results if not r.skipped), key=lambda r: r.seconds, default=None)
    print(
        f"{built} built, {skipped} up to date, {len(failed)} failed in {time.perf_counter() - start:.2f} s"
        + (f" (slowest: {slowest.brand_id} {slowest.seconds:.2f} s)" if slowest else "")
    )
    return 1 if failed else 0


class _Progress:
    """A bar on a terminal; one line per brand otherwise (CI logs)."""

    def __init__(self, total: int, tty: bool) -> None:
        self.total, self.done, self.tty = total, 0, tty

    def update(self, result) -> None:
        self.done += 1
        state = "up to date" if result.skipped else ("built" if result.ok else "FAILED")
        if not self.tty:
            print(f"[{self.done}/{self.total}] {result.brand_id}: {state} in {result.seconds:.2f} s", flush=True)
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        line = f"\r[{bar}] {self.done}/{self.total} {result.brand_id}: {state} {result.seconds:.2f} s"
        print(line.ljust(79), end="", flush=True)

    def close(self) -> None:
        if self.tty and self.done:
            print()


def _cmd_serve(args: argparse.Namespace, project: Project) -> int:
    project.brand(args.brand)  # fail here, clearly, rather than inside MkDocs' reloader
    env = {**os.environ, "BRAND": args.brand}
    cmd = [sys.executable, "-m", "mkdocs", "serve", "-f", str(project.config_file), "-a", args.dev_addr]
    return subprocess.call(cmd, env=env)


def _cmd_check_brands(args: argparse.Namespace, project: Project) -> int:
    paths = [Path(p) for p in args.files] or [project.brands_dir / f"{i}.yml" for i in project.brand_ids()]
    if not paths:
        print(f"no brand files in {project.brands_dir}", file=sys.stderr)
        return 1
    errors = 0
    for path in paths:
        try:
            brand = load_brand(path)
            brand.check_assets(project.docs_dir)
        except BrandError as exc:
            errors += 1
            print(exc, file=sys.stderr)
        else:
            print(f"{path}: ok ({brand.user_name}, {brand.base_url}, ${brand.key_env}, {len(brand.models)} models)")
    print(f"{len(paths) - errors} ok, {errors} with errors")
    return 1 if errors else 0


def _cmd_check(args: argparse.Namespace, project: Project) -> int:
    import pytest

    for brand_id in args.brand or []:
        project.brand(brand_id)  # an unknown brand: say so here, not as an empty test run
    argv = [str(project.root / "tests" / "test_examples.py"), "-p", "no:cacheprovider", f"--rootdir={project.root}"]
    argv += [arg for brand_id in args.brand or [] for arg in ("--brand", brand_id)]
    argv += [arg for page in args.pages for arg in ("--page", page)]
    if args.update_examples:
        argv.append("--update-examples")
    if args.shard:
        argv += ["--shard", "/".join(map(str, args.shard))]
    if args.jobs:
        argv += ["-n", str(args.jobs)]
    os.environ["BRANDDOCS_ROOT"] = str(project.root)
    return int(pytest.main([*argv, *args.pytest_args]))


def _cmd_endpoint(args: argparse.Namespace, project: Project) -> int:
    from branddocs.endpoint.server import serve_forever

    return serve_forever(args, project)


def _shard(text: str) -> tuple[int, int]:
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="branddocs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build brand sites into site/<id>/")
    build.add_argument("--brand", action="append", metavar="ID", help="build this brand (repeatable; default all)")
    build.add_argument("--jobs", "-j", type=int, default=None, help="parallel builds (default: number of cores)")
    build.add_argument("--site-dir", type=Path, default=None, help="where site/<id>/ go (default: ./site)")
    build.add_argument("--force", action="store_true", help="rebuild brands whose inputs did not change")
    build.add_argument("--shard", type=_shard, default=None, metavar="K/N", help="build only shard K of N")
    build.set_defaults(func=_cmd_build)

    serve = sub.add_parser("serve", help="preview one brand with live reload")
    serve.add_argument("--brand", required=True, metavar="ID")
    serve.add_argument("--dev-addr", default="127.0.0.1:8000", metavar="HOST:PORT")
    serve.set_defaults(func=_cmd_serve)

    brands = sub.add_parser("check-brands", help="validate brand files and their images")
    brands.add_argument("files", nargs="*", help="brand files (default: brands/*.yml)")
    brands.set_defaults(func=_cmd_check_brands)

    check = sub.add_parser(
        "check", help="run the example checks (all brands and pages by default); after --, pytest options"
    )
    check.add_argument("pages", nargs="*", metavar="PAGE", help="pages under docs/, e.g. serverless-endpoints.md")
    check.add_argument("--brand", action="append", metavar="ID", help="check this brand (repeatable; default all)")
    check.add_argument("--update-examples", action="store_true", help="rewrite expected outputs in the templates")
    check.add_argument("--shard", type=_shard, default=None, metavar="K/N", help="check only shard K of N")
    check.add_argument("--jobs", "-n", type=int, default=None, help="run examples in parallel (pytest-xdist)")
    check.set_defaults(func=_cmd_check)

    endpoint = sub.add_parser("endpoint", help="run the reference OpenAI-compatible endpoint on loopback")
    endpoint.add_argument("--host", default="127.0.0.1")
    endpoint.add_argument("--port", type=int, default=8000)
    endpoint.add_argument("--brand", action="append", metavar="ID", help="serve this brand's models (default: all)")
    endpoint.add_argument("--base-path", default=None, help="default: the brand's base URL path, else /v1")
    endpoint.add_argument("--api-key", action="append", metavar="KEY", help="accepted key (repeatable)")
    endpoint.add_argument("--drift", action="store_true", help="answer like the original guide's broken samples")
    endpoint.set_defaults(func=_cmd_endpoint)
    return parser


def main(argv: list[str] | None = None) -> int:
    # mkdocs-material prints a banner about MkDocs 2 on every build; we pin MkDocs 1.6 on purpose.
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    argv = list(sys.argv[1:] if argv is None else argv)
    # `branddocs check ... -- --junitxml=x -x`: what follows `--` goes to pytest untouched.
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = _parser().parse_args(argv[: len(argv) - len(extra) - (1 if "--" in argv else 0)])
    args.pytest_args = extra
    try:
        return args.func(args, Project.find())
    except BrandError as exc:
        print(f"branddocs: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
