"""A benchmark's printed figures, also kept as a Markdown fragment in .cache/bench/ for bench/report.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["FRAGMENTS", "Figures"]

FRAGMENTS = Path(__file__).resolve().parent.parent / ".cache" / "bench"


class Figures:
    """What one benchmark prints: shown as it comes, and written whole (with its verdict) for BENCHMARKS.md."""

    def __init__(self, name: str, title: str, command: str) -> None:
        self.name, self.title, self.command = name, title, command
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
            f"## {self.title}\n\n`{self.command}`, {self.started}, {os.cpu_count()} cores, load average at start "
            f"{self.load}. Goal: {goal}: **{verdict}**.\n\n```text\n" + "\n".join(self.lines) + "\n```\n"
        )
        FRAGMENTS.mkdir(parents=True, exist_ok=True)
        (FRAGMENTS / f"{self.name}.md").write_text(text, encoding="utf-8")
        return 0 if ok else 1
