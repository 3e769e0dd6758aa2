"""`branddocs diff` against building the same brands: N synthetic brands, one shared page changed.

Usage: .venv/bin/python bench/diff.py [--brands 20] [--runs 3] [--jobs 2]
A scratch project (bench/synthetic.py) is committed to a git repository of its own, then one shared
page gets a line. Timed `--runs` times each, in turn:
- `branddocs build --force` of every brand, into an empty folder;
- `branddocs diff HEAD` cold (`.cache/diff/` emptied first): every brand built at HEAD and in the work
  tree, then compared;
- `branddocs diff HEAD` after one more edit of the page, BASE's sites kept from the run before (a
  writer's second look): the work tree's brands rebuilt, then compared.
The medians and the ratios to the build are printed (goal: the diff at most twice the build).
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
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@branddocs.example"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brands", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "project", args.brands)
        (project / ".gitignore").write_text(".cache/\nsite/\n")
        _run([*GIT, "init", "-q", "-b", "main"], project)
        _run([*GIT, "add", "-A"], project)
        _run([*GIT, "commit", "-q", "-m", "base"], project)
        with (project / "docs" / "index.md").open("a", encoding="utf-8") as page:
            page.write("\nOne more line for {{ user_name }}'s readers.\n")
        jobs = ["--jobs", str(args.jobs)]
        build = [str(BIN / "branddocs"), "build", "--force", *jobs, "--site-dir", str(Path(tmp) / "out")]
        diff = [str(BIN / "branddocs"), "diff", "HEAD", *jobs]
        times: dict[str, list[float]] = {"branddocs build": [], "diff, cold": [], "diff, BASE cached": []}
        said = ""
        for run in range(args.runs):
            shutil.rmtree(Path(tmp) / "out", ignore_errors=True)
            start = time.perf_counter()
            _run(build, project)
            times["branddocs build"].append(time.perf_counter() - start)
            shutil.rmtree(project / ".cache" / "diff", ignore_errors=True)
            start = time.perf_counter()
            said = _run(diff, project).stdout.splitlines()[0]
            times["diff, cold"].append(time.perf_counter() - start)
            with (project / "docs" / "index.md").open("a", encoding="utf-8") as page:
                page.write(f"\nEdit {run} for {{{{ user_name }}}}.\n")
            start = time.perf_counter()
            _run(diff, project)
            times["diff, BASE cached"].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    figures = Figures("diff", "branddocs diff against building the same brands")
    figures.say(f"{args.brands} brands, one shared page changed, {args.runs} runs each, --jobs {args.jobs}, "
                f"{os.cpu_count()} cores")  # fmt: skip
    figures.say(f"  diff said: {said}")
    for name, values in times.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        ratio = f"  {medians[name] / medians['branddocs build']:.2f}x the build" if name != "branddocs build" else ""
        figures.say(f"  {name:<18} median {medians[name]:6.2f} s   (runs: {runs}){ratio}")
    ok = medians["diff, cold"] <= 2 * medians["branddocs build"]
    return figures.done(ok, "a cold `branddocs diff` at most 2x `branddocs build --force` of the same brands")


if __name__ == "__main__":
    sys.exit(main())
