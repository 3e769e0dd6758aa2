"""What a run of the example checks says: the endpoint under test, the SDKs, whether examples run in the sandbox, and
a brand-by-language table."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from branddocs.errors import BranddocsError
from branddocs.examples.isolation import cgroups
from branddocs.examples.run import sandbox
from branddocs.examples.run.first_run import endpoint_line
from branddocs.examples.run.process import example_node, example_python
from branddocs.examples.run.sdks import sdks
from branddocs.settings import ENDPOINT, NO_SANDBOX, PROXY
from branddocs.site import Project

__all__ = ["NO_SANDBOX_ENV", "not_run", "pytest_report_header", "pytest_runtest_logreport", "pytest_terminal_summary"]

NO_SANDBOX_ENV = NO_SANDBOX.name
_RESULTS = "branddocs_results"


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Once per run: the endpoint under test, what the examples run with, whether they run in the sandbox, whether
    their memory is bounded, and (under `branddocs check`) whether the repository's code runs in the harness."""
    isolation = _isolation()
    try:
        root = Project.find().root
    except BranddocsError:  # pytest in a folder that is no branddocs project: nothing of ours runs there
        return isolation
    found = sdks(example_python(), *example_node(root))
    return [endpoint_line(ENDPOINT.get().rstrip("/")), *found.lines(), *isolation]


def _isolation() -> list[str]:
    ok, why = sandbox.available()
    if not ok or NO_SANDBOX.is_set():
        return [f"branddocs: WARNING: examples run WITHOUT a sandbox: {why or f'${NO_SANDBOX_ENV} is set'}"]
    lines = ["branddocs: each example runs in a sandbox (bubblewrap: a user of its own, its own PID, IPC and network "
             "namespaces, a tmpfs scratch folder only; its only way out: the recording proxy)"]  # fmt: skip
    groups, no_group = cgroups.memory_groups()
    if groups is not None:
        groups.close()
        lines.append(f"branddocs: each example's memory of every kind, shared mappings included, is bounded by a "
                     f"memory cgroup of {cgroups.MEMORY_LIMIT >> 20} MiB")  # fmt: skip
    else:
        lines.append(f"branddocs: WARNING: an example's shared memory (MAP_SHARED mappings, SysV segments) is not "
                     f"bounded here: {no_group}; its private memory is (RLIMIT_DATA)")  # fmt: skip
    given = PROXY.get()
    if given:
        harness = json.loads(given).get("harness", "")
        lines.append("branddocs: the repository's code runs in a harness (its own user, PID and network namespaces), "
                     "out of sight of the recording proxy that holds the key" if not harness else
                     f"branddocs: WARNING: the repository's code runs outside the harness ({harness})")  # fmt: skip
    return lines


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    props = dict(report.user_properties)
    if "brand" not in props or not (report.when == "call" or (report.when == "setup" and report.outcome != "passed")):
        return
    outcome = "skipped" if report.skipped else report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "failed"
    _results.setdefault(_RESULTS, Counter())[(props["brand"], props["language"], outcome)] += 1
    if "not_run" in props:
        _results.setdefault(_NOT_RUN, Counter())[props["not_run"]] += 1


_results: dict[str, Counter] = {}
_NOT_RUN = "branddocs_not_run"


def not_run() -> Counter:
    """{what this machine lacks: how many examples it kept from running} (this run's reports, as they came in)."""
    return _results.get(_NOT_RUN, Counter())


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
    for missing, count in not_run().items():
        write(f"branddocs: {count} example(s) NOT RUN, so this check is incomplete (exit 14): {missing}")
