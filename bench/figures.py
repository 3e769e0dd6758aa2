"""A benchmark's printed figures, also kept as a Markdown fragment in .cache/bench/ for bench/report.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["FRAGMENTS", "Figures", "commit"]

ROOT = Path(__file__).resolve().parent.parent
FRAGMENTS = ROOT / ".cache" / "bench"


def commit() -> str:
    """The commit measured: its short hash, and whether files other than BENCHMARKS.md differ from it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    changed = subprocess.run([*git, "status", "--porcelain", "--", ".", ":!BENCHMARKS.md"], capture_output=True,
                             text=True).stdout.strip()  # fmt: skip
    return f"{head or 'unknown'}{' with uncommitted changes' if changed else ''}"


class Figures:
    """What one benchmark prints: shown as it comes, and written whole (with its verdict) for BENCHMARKS.md."""

    def __init__(self, name: str, title: str) -> None:
        self.name, self.title = name, title
        self.command = " ".join(["bench/" + Path(sys.argv[0]).name, *sys.argv[1:]])
        self.commit = commit()
        self.lines: list[str] = []
        # How busy the machine was decides how far absolute figures can be trusted: kept beside them.
        self.load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        self.started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())

    def say(self, line: str) -> None:
        print(line, flush=True)
        self.lines.append(line)

    def done(self, ok: bool, goal: str) -> int:
        """Write the fragment; the exit status for the benchmark: 1 when `goal` was missed."""
        verdict = "goal met" if ok else "GOAL NOT MET"
        self.say(f"{verdict}: {goal}")
        text = (
            f"## {self.title}\n\n`{self.command}` at commit {self.commit}, {self.started}, {os.cpu_count()} cores, "
            f"load average at start {self.load}. Goal: {goal}: **{verdict}**.\n\n```text\n"
            + "\n".join(self.lines)
            + "\n```\n"
        )
        FRAGMENTS.mkdir(parents=True, exist_ok=True)
        (FRAGMENTS / f"{self.name}.md").write_text(text, encoding="utf-8")
        return 0 if ok else 1
