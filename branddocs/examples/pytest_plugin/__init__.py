"""pytest side of the example checks (entry point `pytest11`, so any project with branddocs installed has it).

key_guard.py: a plain pytest with a real key refused before the project's conftest.py loads; options.py: the
options and each example test's time limit; share.py: the examples, collected once and shared between xdist
workers; target.py: the endpoint under test behind the recording proxy (the `endpoint_target` fixture);
summary.py: the sandbox line and the brand-by-language table; suite.py: the test `branddocs check` runs;
junit.py: reads its JUnit report back. pytest finds the hooks and the fixture here, by name.
"""

from __future__ import annotations

import pytest

from branddocs.errors import EXIT_NOT_RUN
from branddocs.examples.pytest_plugin.key_guard import pytest_load_initial_conftests
from branddocs.examples.pytest_plugin.options import pytest_addoption, pytest_collection_modifyitems
from branddocs.examples.pytest_plugin.share import pytest_configure, pytest_configure_node, pytest_unconfigure
from branddocs.examples.pytest_plugin.summary import (
    not_run,
    pytest_report_header,
    pytest_runtest_logreport,
    pytest_terminal_summary,
)
from branddocs.examples.pytest_plugin.target import endpoint_target, pytest_collection_finish
from branddocs.examples.update import apply_updates

__all__ = [
    "endpoint_target",
    "pytest_addoption",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_configure_node",
    "pytest_load_initial_conftests",
    "pytest_report_header",
    "pytest_runtest_logreport",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "pytest_unconfigure",
]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Examples skipped because this machine lacks their language's install are no pass: a run that kept them
    # from running ends with its own exit code, so CI never reports them checked (the summary names the fix).
    if exitstatus == pytest.ExitCode.OK and not hasattr(session.config, "workerinput") and not_run():
        session.exitstatus = EXIT_NOT_RUN
    if session.config.getoption("update_examples", False):
        for where in apply_updates():
            print(f"\nupdated {where}")
