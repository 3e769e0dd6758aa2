"""`branddocs build`: brand sites into site/<id>/, built in parallel, published only when they build."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from branddocs import text
from branddocs.builder import engines
from branddocs.cli.options import brands_option, jobs_option, shard_option
from branddocs.site import build_env
from branddocs.site.shard import shard_of

if TYPE_CHECKING:
    from branddocs.site import Project

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("build", help="build brand sites into site/<id>/")
    brands_option(parser, "build")
    jobs_option(parser, "parallel builds", note="; twice that with --engine zensical")
    parser.add_argument("--site-dir", type=Path, default=None, help="where site/<id>/ go (default: ./site)")
    parser.add_argument("--force", action="store_true", help="rebuild brands whose inputs did not change")
    parser.add_argument("--engine", choices=engines.names(), default=engines.DEFAULT,
                        help="MkDocs + Material (default) or Zensical (README: Choosing an engine)")  # fmt: skip
    shard_option(parser, "build")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, project: Project) -> int:
    from branddocs.builder.build import build_brands

    # Before any configuration is loaded (a hook's module runs then): the allow-listed environment only, in a
    # process started with it when run from the command line (site/build_env.py).
    build_env.enter(command_line=args.command_line)
    ids = shard_of(project.known_brands(args.brand), args.shard)
    progress = _Progress(len(ids), sys.stdout.isatty())
    start = time.perf_counter()
    results = build_brands(project, ids, jobs=args.jobs, site_root=args.site_dir, on_result=progress.update,
                           force=args.force, engine=args.engine)  # fmt: skip
    progress.close()
    if progress.tty and results:  # the bar showed each brand only in passing
        print("  " + ", ".join(f"{r.brand_id} {'up to date' if r.skipped else f'{r.seconds:.2f} s'}" for r in results))
    failed = [r for r in results if not r.ok]
    for result in failed:
        kept = "its previous site is left as it was" if result.site_dir.is_dir() else "nothing is published for it"
        print(f"{result.brand_id}: FAILED; {kept}", file=sys.stderr)
        for line in result.error.split("\n"):  # MkDocs' words, with names the repository chose: each line escaped
            print(text.terminal_line(f"  {line}"), file=sys.stderr)
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
