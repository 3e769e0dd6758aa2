"""`branddocs diff` against building the same brands: N synthetic brands, one shared page changed.

Usage: .venv/bin/python bench/diff.py [--brands 20] [--runs 3] [--jobs 2]
A scratch project (bench/synthetic.py) is committed to a git repository of its own, then one shared
page gets a line; `branddocs diff HEAD` (which builds every brand twice: at HEAD and in the work tree,
then compares them) and `branddocs build --force` of the same brands are each timed `--runs` times,
alternating, and the medians and their ratio printed (goal: the diff at most twice the build).
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
from synthetic import ROOT, make_project

BIN = ROOT / ".venv" / "bin"
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@branddocs.example"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True)


def main() -> None:
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
        times: dict[str, list[float]] = {"branddocs build": [], "branddocs diff": []}
        changed = ""
        for run in range(args.runs):
            build = [str(BIN / "branddocs"), "build", "--force", *jobs, "--site-dir"]
            diff = [str(BIN / "branddocs"), "diff", "HEAD", *jobs]
            sides = [("branddocs build", lambda out, cmd=build: _run([*cmd, str(out)], project)),
                     ("branddocs diff", lambda out, cmd=diff: _run(cmd, project))]  # fmt: skip
            for name, side in sides if run % 2 == 0 else reversed(sides):
                out = Path(tmp) / f"out-{run}"
                start = time.perf_counter()
                done = side(out)
                times[name].append(time.perf_counter() - start)
                shutil.rmtree(out, ignore_errors=True)
                if name == "branddocs diff":
                    changed = done.stdout.splitlines()[0]
    build, diff = (statistics.median(times[k]) for k in ("branddocs build", "branddocs diff"))
    print(f"{args.brands} brands, one shared page changed, {args.runs} runs each, --jobs {args.jobs}, "
          f"{os.cpu_count()} cores")  # fmt: skip
    print(f"  diff said: {changed}")
    for name, values in times.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:<16} median {statistics.median(values):6.2f} s   (runs: {runs})")
    print(f"  diff / build: {diff / build:.2f}x (goal <= 2x)")


if __name__ == "__main__":
    main()
