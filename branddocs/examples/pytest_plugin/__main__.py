"""`python -m branddocs.examples.pytest_plugin ARGS`: pytest, as `branddocs check` runs it in its harness.

What `python -m pytest ARGS` does, and then, instead of the interpreter's own teardown, what the Python examples'
units do at their end (run/python_zygote.py): pytest's threads waited for, its atexit functions run, its output
flushed, and the process ended. Tearing down every module it imported (openai's and pydantic's types, MkDocs,
black) is a quarter to half a second of one CPU at the end of every check, and frees nothing the harness does not
free with its PID namespace a moment later. pytest has written its report, JUnit XML and summary before it returns.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

import pytest

__all__ = ["main"]


def main() -> int:
    """pytest's exit status, once its threads and atexit functions are done."""
    try:
        code = int(pytest.main())  # the command line's arguments, as `python -m pytest` reads them
    except BrokenPipeError:  # as pytest's own entry point: the reader has gone
        code = 1
    threading._shutdown()  # what the interpreter does at exit: wait for non-daemon threads,
    atexit._run_exitfuncs()  # then the atexit functions
    return code


if __name__ == "__main__":
    status = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing more can be said
            stream.flush()
    os._exit(status)
