"""Run one Python example in a process of its own and report what it printed (`python -I pyrun.py ...`).

    python -I pyrun.py EXAMPLE.py RESULT.json MODE      MODE: plain | check (collect prints for `#>`)

In `check` mode, `print` is pytest-examples' recorder, so the `#>` lines can be compared and rewritten
exactly as pytest-examples does; RESULT.json gets `printed`, `updated` (the source with the `#>` lines the
run printed) and `error` (type, message, line in the example) if the example raised.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from pathlib import Path


def main(path: str, result: str, mode: str) -> int:
    from pytest_examples.config import ExamplesConfig
    from pytest_examples.find_examples import CodeExample
    from pytest_examples.run_code import InsertPrintStatements

    file = Path(path).resolve()
    example = CodeExample.create(file.read_text(encoding="utf-8"), path=file)
    config = ExamplesConfig(line_length=120, target_version="py311")
    recorder = InsertPrintStatements(file, config, mode == "check", None, None)
    out: dict = {"printed": None, "updated": None, "error": None}
    spec = importlib.util.spec_from_file_location("__main__", file)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["__main__"] = module
    try:
        with recorder:
            spec.loader.exec_module(module)
    except BaseException as exc:  # the example's own failure: reported, not raised
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == file]
        out["error"] = {"type": type(exc).__name__, "message": str(exc), "line": frames[-1].lineno if frames else None}
    if mode == "check":
        out["printed"] = "".join(str(s) + "\n" for s in recorder.print_statements())
        if out["error"] is None:
            out["updated"] = recorder.updated_print_statements(example) or example.source
    Path(result).write_text(json.dumps(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
