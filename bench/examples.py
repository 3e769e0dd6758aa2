"""Example-check speed: every example of N synthetic brands with `branddocs check -n JOBS`.

Usage: .venv/bin/python bench/examples.py [--brands 20,200] [--jobs 2] [--goal SECONDS]
Prints the wall time of the whole run and the median time of one example per language (from the JUnit report),
also kept in .cache/bench/examples.md for BENCHMARKS.md. Exits 1 when an example fails, the run takes longer
than the goal (unless --goal: 30 s, or 0.6 s a brand beyond 50 brands: 120 s for 200), or the median Python example
takes over 250 ms or the median JavaScript one over 200 ms (issues 18 and 35). Run by root and by an ordinary user
(whose sandbox is built without root's means): each has its own section in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import pwd
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import Figures
from synthetic import ROOT, make_project

from branddocs.examples.run import sandbox

MEDIAN_GOALS = {"python": 250.0, "javascript": 200.0}
"""Milliseconds for one example, median (issue 18): start-up is paid ahead (branddocs/examples/run/pool.py)."""


def run(brands: int, jobs: int, goal: float, out: Figures) -> bool:
    """Every example of `brands` synthetic brands, once; True when the goals are met."""
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), brands)
        junit = project / "junit.xml"
        start = time.perf_counter()
        branddocs = str(ROOT / ".venv" / "bin" / "branddocs")
        command = [branddocs, "check", "-n", str(jobs), "--", f"--junitxml={junit}"]
        done = subprocess.run(
            [*command, "-q"], cwd=project, env={**os.environ, "BRANDDOCS_ENDPOINT": ""}, capture_output=True,
            text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - start
        cases = list(ET.parse(junit).getroot().iter("testcase"))  # noqa: S314 - our own report
    ran = [float(c.get("time", 0)) for c in cases if c.find("skipped") is None]
    by_lang: dict[str, list[float]] = {}
    for case in cases:
        if case.find("skipped") is None:
            by_lang.setdefault(case.get("name", "").rsplit("::", 1)[-1].rstrip("]"), []).append(float(case.get("time")))
    out.say(done.stdout.strip().splitlines()[-1])
    out.say(f"{brands} brands, -n {jobs}: {len(cases)} examples ({len(ran)} run) in {wall:.1f} s wall; "
            f"median per example {1000 * statistics.median(ran):.0f} ms")  # fmt: skip
    for lang, times in sorted(by_lang.items()):
        out.say(f"  {lang:<11} {len(times):>4} run, median {1000 * statistics.median(times):>5.0f} ms, "
                f"{sum(times):>6.1f} s in all")  # fmt: skip
    medians = {lang: 1000 * statistics.median(times) for lang, times in by_lang.items()}
    fast = all(medians.get(lang, 0) <= limit for lang, limit in MEDIAN_GOALS.items())
    return done.returncode == 0 and wall < goal and fast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brands", default="20,200", help="numbers of brands, comma-separated (default 20,200)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--goal", type=float, default=None, help="seconds of wall time (default 30, or 0.6 a brand)")
    args = parser.parse_args()
    boxed, why = sandbox.available()
    if not boxed:  # without it every example skips the sandbox's start-up: figures no user with a key gets
        sys.exit(f"bench/examples.py: examples cannot run in the sandbox here ({why}); run `make system-packages`")
    uid = os.geteuid()
    if uid == 0:
        out = Figures("examples", "Example-check speed")
    else:
        out = Figures("examples-user", "Example-check speed as an ordinary user")
    who = "root" if uid == 0 else f"user {pwd.getpwuid(uid).pw_name} (uid {uid})"
    out.say(f"as {who}, with {sys.executable} (Python {platform.python_version()})")
    ok, goals = True, []
    for brands in (int(n) for n in args.brands.split(",")):
        goal = args.goal or max(30.0, 0.6 * brands)
        ok = run(brands, args.jobs, goal, out) and ok
        goals.append(f"{brands} brands in under {goal:g} s wall")
    limits = ", ".join(f"{lang} median at most {limit:g} ms" for lang, limit in MEDIAN_GOALS.items())
    sys.exit(out.done(ok, f"every example passes; {'; '.join(goals)}; {limits}"))


if __name__ == "__main__":
    main()
