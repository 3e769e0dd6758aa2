"""Build at scale: 20, 1,000 and 10,000 synthetic brands from scratch in one run, then one brand file changed.

Usage: .venv/bin/python bench/scale.py [--sizes 20,1000,10000] [--jobs 2]   (`make bench` runs the default sizes;
--sizes 20,1000 is the quick run)
For each size, in a scratch project of its own (bench/synthetic.py): `branddocs build --force` from an empty
site folder, then one brand file changed and `branddocs build` again. Printed per size: wall time, time per
brand, CPU time (user and system, of the build and its workers: what the build costs however busy the
machine is), peak memory (the build's process tree, sampled from /proc: the sum of the processes' RSS, and of
their PSS, which counts pages the forked workers share once), bytes on disk (apparent: every file's size;
shared: each inode once, so hard-linked files count once), file count, and the incremental build's time and
how many brands it rebuilt. Kept in .cache/bench/scale.md for BENCHMARKS.md; exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import Figures
from synthetic import ROOT, compile_sources, make_project

BIN = ROOT / ".venv" / "bin"
MB = 1024 * 1024
GOALS = {  # issue 35's
    "seconds_at_1000": 50.0,
    "per_brand_ratio": 1.3,
    "memory_mb": 1024.0,
    "disk_mb_per_1000": 150.0,  # 1.5 GB for 10,000 brands
    "incremental_s": 10.0,
}
DISK_FROM = 1000
"""The disk goal holds from this many brands on: below, the files every site shares (Material's) outweigh them."""


@dataclass
class Run:
    brands: int
    seconds: float
    cpu: float
    """User and system time of the build's processes: what the build costs, however busy the machine is."""
    rss_mb: float
    pss_mb: float
    apparent_mb: float
    shared_mb: float
    files: int
    inodes: int
    incremental_s: float
    rebuilt: int

    @property
    def per_brand(self) -> float:
        return self.seconds / self.brands


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc (each process's parent is field 4 of its stat line)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def _memory(pids: list[int]) -> tuple[int, int]:
    """The RSS and PSS of `pids`, summed, in bytes (a process that ended meanwhile counts nothing)."""
    rss = pss = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            name, _, value = line.partition(":")
            if name in ("Rss", "Pss"):
                kb = int(value.split()[0]) * 1024
                rss, pss = (rss + kb, pss) if name == "Rss" else (rss, pss + kb)
    return rss, pss


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for descendants: the build and its workers
    return used.ru_utime + used.ru_stime


def _timed(command: list[str], cwd: Path) -> tuple[float, float, int, int, str]:
    """Run `command`; its wall time, CPU time, peak tree RSS and PSS (sampled every 0.2 s), and its output."""
    cpu = _cpu()
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0, 0]

    def sample() -> None:
        while process.poll() is None:
            rss, pss = _memory(_tree(process.pid))
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0]
    seconds = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-4000:]}")
    return seconds, _cpu() - cpu, peak[0], peak[1], output


def _disk(folder: Path) -> tuple[int, int, int, int]:
    """Apparent bytes, bytes with each inode counted once, file count, distinct inodes."""
    apparent, files, inodes = 0, 0, {}
    for current, _, names in os.walk(folder):
        for name in names:
            stat = os.lstat(os.path.join(current, name))
            apparent += stat.st_size
            files += 1
            inodes[(stat.st_dev, stat.st_ino)] = stat.st_size
    return apparent, sum(inodes.values()), files, len(inodes)


def measure(count: int, jobs: int, scratch: Path) -> Run:
    project = make_project(scratch / f"project-{count}", count)
    site = scratch / f"site-{count}"
    build = [str(BIN / "branddocs"), "build", "--jobs", str(jobs), "--site-dir", str(site)]
    seconds, cpu, rss, pss, _ = _timed([*build, "--force"], project)
    apparent, shared, files, inodes = _disk(site)
    brand = sorted((project / "brands").glob("*.yml"))[count // 2]
    text = brand.read_text(encoding="utf-8")
    brand.write_text(text.replace("user_name: ", "user_name: Changed ", 1), encoding="utf-8")
    incremental, _, _, _, output = _timed(build, project)
    summary = re.search(r"(\d+) built, (\d+) up to date, (\d+) failed", output)
    rebuilt = int(summary[1]) if summary else -1
    shutil.rmtree(project)
    shutil.rmtree(site)
    return Run(count, seconds, cpu, rss / MB, pss / MB, apparent / MB, shared / MB, files, inodes, incremental, rebuilt)


def goals(runs: list[Run]) -> dict[str, bool | None]:
    """Each goal's verdict on `runs` (sorted by size): True met, False missed, None not measured. A goal about
    1,000 brands or more, or the ratio of two sizes, is not met by a run that never measured it."""
    first, last = runs[0], runs[-1]
    ratio = last.per_brand / first.per_brand
    large = [r for r in runs if r.brands >= DISK_FROM]
    return {
        f"time per brand at the largest size within {GOALS['per_brand_ratio']}x of the smallest's": ratio
        <= GOALS["per_brand_ratio"]
        if len(runs) > 1
        else None,
        f"1,000 brands or more in at most {GOALS['seconds_at_1000']:.0f} s per 1,000": all(
            r.seconds <= GOALS["seconds_at_1000"] * r.brands / 1000 for r in large
        )
        if large
        else None,
        "peak memory (PSS of the build's processes) under 1 GB": all(r.pss_mb < GOALS["memory_mb"] for r in runs),
        f"at most {GOALS['disk_mb_per_1000']:.0f} MB on disk per 1,000 brands, 1.5 GB for 10,000 (inodes counted "
        f"once; at {DISK_FROM:,} brands or more)": all(
            r.shared_mb <= GOALS["disk_mb_per_1000"] * r.brands / 1000 for r in large
        )
        if large
        else None,
        f"one brand file changed: under {GOALS['incremental_s']:.0f} s, one brand rebuilt": all(
            r.incremental_s < GOALS["incremental_s"] and r.rebuilt == 1 for r in runs
        ),
    }


def met(checks: dict[str, bool | None]) -> bool:
    """The run's verdict: every goal measured and met."""
    return all(ok is True for ok in checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,1000,10000", help="brand counts (default 20,1000,10000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    sizes = sorted({int(n) for n in args.sizes.split(",") if n.strip()})
    compile_sources()
    figures = Figures("scale", "Build at scale")
    figures.say(f"synthetic brands (bench/synthetic.py), --jobs {args.jobs}, {os.cpu_count()} cores; "
                "each size from scratch, then one brand file changed")  # fmt: skip
    figures.say(f"{'brands':>6} {'wall s':>8} {'s/brand':>8} {'CPU s':>7} {'RSS MB':>7} {'PSS MB':>7} {'disk MB':>8} "
                f"{'shared MB':>9} {'files':>7} {'inodes':>7} {'incr. s':>7} {'rebuilt':>7}")  # fmt: skip
    runs = []
    with tempfile.TemporaryDirectory(prefix="branddocs-scale-") as tmp:
        for count in sizes:
            run = measure(count, args.jobs, Path(tmp))
            runs.append(run)
            figures.say(f"{run.brands:>6} {run.seconds:>8.1f} {run.per_brand:>8.3f} {run.cpu:>7.1f} {run.rss_mb:>7.0f} "
                        f"{run.pss_mb:>7.0f} {run.apparent_mb:>8.0f} {run.shared_mb:>9.0f} {run.files:>7} "
                        f"{run.inodes:>7} {run.incremental_s:>7.2f} {run.rebuilt:>7}")  # fmt: skip
    first, last = runs[0], runs[-1]
    ratio = last.per_brand / first.per_brand
    figures.say(f"time per brand at {last.brands} brands / at {first.brands}: {ratio:.2f}x")
    checks = goals(runs)
    for goal, ok in checks.items():
        figures.say(f"  {'met' if ok else 'NOT MEASURED' if ok is None else 'MISSED'}: {goal}")
    goal = ("1,000 brands in 50 s, time per brand within 1.3x of 20's, memory < 1 GB, disk <= 1.5 GB for 10,000 "
            "brands, one change < 10 s")  # fmt: skip
    sys.exit(figures.done(met(checks), goal))


if __name__ == "__main__":
    main()
