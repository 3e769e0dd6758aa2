"""PID 1 of the harness (harness.py): it adopts every orphan there and reaps it, and ends with pytest's status.

    python -I -S init.py PID        (PID: pytest, started by this process before it ran this file)

A program of its own, run by exec: the harness's first process was forked from the engine, whose memory held the
key, and PID 1 is in sight of everything in the harness. Imports nothing but os, signal and sys.
"""

import os
import signal
import sys


def main(child: str) -> int:
    watched = int(child)
    # Ctrl-C, passed on by the engine (the harness has a session of its own): pytest's to answer.
    signal.signal(signal.SIGINT, lambda *_: os.kill(watched, signal.SIGINT))
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 70
        if pid == watched:
            return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    code = main(*sys.argv[1:])
    sys.exit(code if code >= 0 else 128 - code)
