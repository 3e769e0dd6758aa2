"""What a whole real-key check may spend: runs and requests in all, not only per run (red team round 7, R7-6).

A run makes at most RUN_REQUESTS (recording.py), but runs are asked for over the control socket, which the checks'
process holds, and that process runs the repository's code: a macro made 60 runs of 20 requests and all 1,200 went
out with the real key. The engine counts the fenced blocks of the guide's pages before any repository code runs
(first_run.budget) and gives the proxy, the one process with the key, a bound on the whole check from it; past it
a new run is refused and a request answered 429, each with one line.
"""

from __future__ import annotations

import threading

__all__ = ["Budget"]


class Budget:
    """At most `runs` runs and `requests` requests forwarded in all; None: no bound (the reference endpoint)."""

    def __init__(self, runs: int | None = None, requests: int | None = None) -> None:
        self.runs, self.requests = runs, requests
        self._made, self._sent = 0, 0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Budget(runs={self.runs}, requests={self.requests})"

    def new_run(self) -> str | None:
        """Count a new run; why it may not be made (one line), or None."""
        with self._lock:
            if self.runs is not None and self._made >= self.runs:
                return f"this check's {self.runs} runs are made: the guide's pages hold no more examples to run"
            self._made += 1
        return None

    def request(self) -> str | None:
        """Count a request to forward; why it may not go (one line), or None."""
        with self._lock:
            if self.requests is not None and self._sent >= self.requests:
                return (f"branddocs proxy: not forwarded: this check's {self.requests} requests are spent "
                        "(a bound from the number of examples in the guide's pages)")  # fmt: skip
            self._sent += 1
        return None
