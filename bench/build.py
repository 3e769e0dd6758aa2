"""Build speed: `branddocs build` against the naive loop of `mkdocs build`, N synthetic brands, one run.

Usage: .venv/bin/python bench/build.py [--brands 20] [--runs 3] [--jobs 2]
The naive loop is `for b in brands: BRAND=b mkdocs build -d site/b`. Both sides build from scratch
(`--force`, empty output folders) and are timed `--runs` times; the medians and their ratio are printed
(and kept in .cache/bench/build.md for BENCHMARKS.md). Exits 1 when the speed-up misses its goal.
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
from synthetic import ROOT, make_project

BIN = ROOT / ".venv" / "bin"


def _naive(project: Path, brands: list[str], out: Path) -> None:
    for brand in brands:
        subprocess.run(
            [str(BIN / "mkdocs"), "build", "-q", "-d", str(out / brand)], cwd=project, check=True,
            env={**os.environ, "BRAND": brand, "NO_MKDOCS_2_WARNING": "1"},
        )  # fmt: skip


def _branddocs(project: Path, jobs: int, out: Path) -> None:
    subprocess.run(
        [str(BIN / "branddocs"), "build", "--force", "--jobs", str(jobs), "--site-dir", str(out)], cwd=project,
        check=True, capture_output=True,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brands", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--goal", type=float, default=8.0, help="speed-up over the naive loop (default 8)")
    args = parser.parse_args()
    figures = Figures("build", "Build speed")
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "project", args.brands)
        brands = sorted(p.stem for p in (project / "brands").glob("*.yml"))
        times: dict[str, list[float]] = {"naive mkdocs loop": [], "branddocs build": []}
        for run in range(args.runs):
            # Alternate the order, so neither side always runs on a warmer file cache.
            sides = [("naive mkdocs loop", lambda out: _naive(project, brands, out)),
                     ("branddocs build", lambda out: _branddocs(project, args.jobs, out))]  # fmt: skip
            for name, side in sides if run % 2 == 0 else reversed(sides):
                folder = Path(tmp) / f"out-{run}-{name.split()[0]}"
                start = time.perf_counter()
                side(folder)
                times[name].append(time.perf_counter() - start)
                shutil.rmtree(folder)
    naive, ours = (statistics.median(times[k]) for k in ("naive mkdocs loop", "branddocs build"))
    figures.say(f"{args.brands} brands, {args.runs} runs each, --jobs {args.jobs}, {os.cpu_count()} cores")
    for name, values in times.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        figures.say(f"  {name:<18} median {statistics.median(values):6.2f} s   (runs: {runs})")
    figures.say(f"  speed-up: {naive / ours:.1f}x")
    sys.exit(figures.done(naive / ours >= args.goal, f"speed-up >= {args.goal:g}x"))


if __name__ == "__main__":
    main()
