"""Build speed: the naive loop of `mkdocs build`, `branddocs build` on MkDocs and on Zensical, N synthetic brands.

Usage: .venv/bin/python bench/build.py [--sizes 20,200] [--runs 3] [--jobs N]   (--sizes 20: a quick run)
The naive loop is `for b in brands: BRAND=b mkdocs build -d site/b`; the others are `branddocs build --force
--engine mkdocs` and `... --engine zensical`. Every side builds from scratch (`--force`, empty output folders)
and is timed `--runs` times for each size; the medians and their ratios are printed (and kept in
.cache/bench/build.md for BENCHMARKS.md). Exits 1 when a goal is missed at a size (issue 35's: branddocs on MkDocs
>= 10x the naive loop, Zensical within 1.2x of MkDocs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import Figures
from synthetic import ROOT, compile_sources, make_project

BIN = ROOT / ".venv" / "bin"


def _naive(project: Path, brands: list[str], out: Path) -> None:
    for brand in brands:
        subprocess.run(
            [str(BIN / "mkdocs"), "build", "-q", "-d", str(out / brand)], cwd=project, check=True,
            env={**os.environ, "BRAND": brand, "NO_MKDOCS_2_WARNING": "1"},
        )  # fmt: skip


def _branddocs(project: Path, jobs: int | None, out: Path, engine: str) -> None:
    workers = ["--jobs", str(jobs)] if jobs else []  # none: the engine's own default, as a user gets it
    subprocess.run(
        [str(BIN / "branddocs"), "build", "--force", "--engine", engine, *workers, "--site-dir", str(out)],
        cwd=project, check=True, capture_output=True,
    )  # fmt: skip


SIDES = ("naive mkdocs loop", "branddocs mkdocs", "branddocs zensical")


def _measure(tmp: Path, size: int, runs: int, jobs: int | None) -> dict[str, list[float]]:
    project = make_project(tmp / f"project-{size}", size)
    brands = sorted(p.stem for p in (project / "brands").glob("*.yml"))
    sides = {
        SIDES[0]: lambda out: _naive(project, brands, out),
        SIDES[1]: lambda out: _branddocs(project, jobs, out, "mkdocs"),
        SIDES[2]: lambda out: _branddocs(project, jobs, out, "zensical"),
    }
    times: dict[str, list[float]] = {name: [] for name in SIDES}
    for run in range(runs):
        # Rotate the order, so no side always runs on a warmer file cache.
        order = SIDES[run % 3 :] + SIDES[: run % 3]
        for name in order:
            folder = tmp / f"out-{size}-{run}-{SIDES.index(name)}"
            start = time.perf_counter()
            sides[name](folder)
            times[name].append(time.perf_counter() - start)
            shutil.rmtree(folder)
    shutil.rmtree(project)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,200", help="numbers of brands, comma-separated (default 20,200)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="workers (default: each engine's own, as `build` picks)")
    parser.add_argument("--goal", type=float, default=10.0, help="branddocs on MkDocs over the naive loop (default 10)")
    parser.add_argument("--zensical-goal", type=float, default=1.2, help="Zensical / MkDocs at most (default 1.2)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    compile_sources()
    figures = Figures("build", "Build speed")
    workers = f"--jobs {args.jobs}" if args.jobs else "each engine's default workers (MkDocs 1, Zensical 2 per core)"
    figures.say(f"{args.runs} runs of each side per size, {workers}, {os.cpu_count()} cores")
    met = True
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            times = _measure(Path(tmp), size, args.runs, args.jobs)
            medians = {name: statistics.median(values) for name, values in times.items()}
            figures.say(f"{size} brands:")
            for name, values in times.items():
                runs = ", ".join(f"{v:.2f}" for v in values)
                per_brand = medians[name] / size
                figures.say(f"  {name:<20} median {medians[name]:7.2f} s  {per_brand:5.2f} s/brand   (runs: {runs})")
            naive, mkdocs, zensical = (medians[name] for name in SIDES)
            figures.say(f"  speed-up over the naive loop: MkDocs {naive / mkdocs:.1f}x, "
                        f"Zensical {naive / zensical:.1f}x; Zensical / MkDocs: {zensical / mkdocs:.2f}")  # fmt: skip
            met = met and naive / mkdocs >= args.goal and zensical / mkdocs <= args.zensical_goal
    goal = f"branddocs on MkDocs >= {args.goal:g}x the naive loop, Zensical within {args.zensical_goal:g}x of MkDocs"
    sys.exit(figures.done(met, f"{goal}, at every size"))


if __name__ == "__main__":
    main()
