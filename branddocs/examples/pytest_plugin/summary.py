"""What a run of the example checks says: whether examples run in the sandbox, and a brand-by-language table."""

from __future__ import annotations

from collections import Counter

import pytest

from branddocs.examples.run import sandbox
from branddocs.settings import NO_SANDBOX

__all__ = ["NO_SANDBOX_ENV", "pytest_report_header", "pytest_runtest_logreport", "pytest_terminal_summary"]

NO_SANDBOX_ENV = NO_SANDBOX.name
_RESULTS = "branddocs_results"


def pytest_report_header(config: pytest.Config) -> str:
    """Once per run: whether examples run in the sandbox."""
    ok, why = sandbox.available()
    if ok and not NO_SANDBOX.is_set():
        return ("branddocs: each example runs in a sandbox (bubblewrap: a user of its own, its own PID and network "
                "namespaces, its scratch folder only; its only way out: the recording proxy)")  # fmt: skip
    return f"branddocs: WARNING: examples run WITHOUT a sandbox: {why or f'${NO_SANDBOX_ENV} is set'}"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    props = dict(report.user_properties)
    if "brand" not in props or not (report.when == "call" or (report.when == "setup" and report.outcome != "passed")):
        return
    outcome = "skipped" if report.skipped else report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "failed"
    _results.setdefault(_RESULTS, Counter())[(props["brand"], props["language"], outcome)] += 1


_results: dict[str, Counter] = {}


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    counts = _results.get(_RESULTS)
    if not counts or hasattr(config, "workerinput"):
        return
    brands = sorted({b for b, _, _ in counts})
    langs = sorted({lang for _, lang, _ in counts})
    write = terminalreporter.write_line
    terminalreporter.section("examples: passed / failed / skipped (xfailed)")
    write(f"{'brand':<20}" + "".join(f"{lang:>16}" for lang in langs))
    for brand in brands:
        cells = []
        for lang in langs:
            c = {o: counts[(brand, lang, o)] for o in ("passed", "failed", "skipped", "xfailed")}
            cell = f"{c['passed']}/{c['failed']}/{c['skipped']}" + (f" ({c['xfailed']})" if c["xfailed"] else "")
            cells.append(f"{cell:>16}")
        write(f"{brand:<20}" + "".join(cells))
    totals = Counter()
    for (_, _, outcome), n in counts.items():
        totals[outcome] += n
    write(f"examples: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped, "
          f"{totals['xfailed']} xfailed")  # fmt: skip
