"""Read a `branddocs check` JUnit report back: each example's outcome and the first line of why it failed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

__all__ = ["example_results"]


def example_results(path: Path, root: Path, prefix: str = "") -> dict[str, tuple[str, str]]:
    """{example id: ("pass" | "fail" | "skip", why)} from a JUnit file; paths under `root` shown relative.

    Anything that is not an example (a collection error) is listed as `<prefix>(<class>.<name>)`.
    """
    results = {}
    for case in ET.parse(path).iter("testcase"):  # noqa: S314 (the report of our own pytest run)
        name = case.get("name", "")
        example = name[name.find("[") + 1 : -1] if "[" in name else f"{prefix}({case.get('classname')}.{name})"
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        if problem is None:
            results[example] = ("skip" if case.find("skipped") is not None else "pass", "")
            continue
        message = (problem.get("message") or "").removeprefix("Failed: ").replace(f"{root}/", "")
        lines = [line.strip() for line in message.splitlines() if line.strip()] or [""]
        # "docs/x.md:98: the bash example is wrong:" says what the example id says: the line after it says why.
        detail = lines[1] if len(lines) > 1 and lines[0].endswith(":") else lines[0]
        # A bare "collection failure": the error itself is the last "E   " line of the report.
        errors = [line[1:].strip() for line in (problem.text or "").splitlines() if line.startswith("E ")]
        if errors and detail in ("", "collection failure"):
            detail = f"{detail or 'error'}: {errors[-1]}"
        results[example] = ("fail", detail.removeprefix("- "))
    return results
