"""Run one Python example in a process of its own and report what it printed (`python -I python_child.py ...`).

    python -I python_child.py EXAMPLE.py RESULT.json MODE      MODE: plain | check (record prints for `#>`)

In `check` mode `print` records each call made from the example's own lines (line number, separator,
arguments as pytest-examples shows them) instead of writing it; the checks then rebuild the `#>` lines
with pytest-examples in their own process. RESULT.json gets `prints` and `error` (type, message, line in
the example) if the example raised. Imports nothing beyond the standard library: the example's own
imports are its only cost.
"""

from __future__ import annotations

import builtins
import json
import re
import runpy
import sys
import traceback
from pathlib import Path


def _shown(value: object) -> list:
    """[text, is_str]: an argument as pytest-examples' `Arg` writes it in a `#>` line."""
    if isinstance(value, str):
        return [value, True]
    if isinstance(value, set):
        return ["{" + ", ".join(repr(x) for x in sorted(value)) + "}", False]
    return [re.sub("0x[a-f0-9]{8,12}>", "0x0123456789ab>", str(value)), False]


def main(path: str, result: str, mode: str) -> int:
    file = Path(path).resolve()
    out: dict = {"prints": [], "error": None}
    real_print = builtins.print

    def recorder(*args: object, sep: str = " ", **kwargs: object) -> None:
        frame = sys._getframe(1)
        while frame is not None and Path(frame.f_code.co_filename) != file:
            frame = frame.f_back
        if frame is None:  # a print from library code: not the example's own
            real_print(*args, sep=sep, **kwargs)
            return
        out["prints"].append({"line": frame.f_lineno, "sep": sep, "args": [_shown(a) for a in args]})

    if mode == "check":
        builtins.print = recorder
    try:
        runpy.run_path(str(file), run_name="__main__")
    except BaseException as exc:  # the example's own failure: reported, not raised
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == file]
        out["error"] = {"type": type(exc).__name__, "message": str(exc), "line": frames[-1].lineno if frames else None}
    finally:
        builtins.print = real_print
    Path(result).write_text(json.dumps(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
