"""The example checks' pytest options, and the time limit each example test gets from them."""

from __future__ import annotations

import pytest

from branddocs.examples.proxy.recording import DEFAULT_TIMEOUT
from branddocs.settings import EXAMPLE_TIMEOUT

__all__ = ["example_timeout", "pytest_addoption", "pytest_collection_modifyitems"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("branddocs")
    group.addoption("--brand", action="append", default=[], metavar="ID", help="only these brands (repeatable)")
    group.addoption("--page", action="append", default=[], metavar="PAGE", help="only examples on these pages")
    group.addoption("--shard", default=None, metavar="K/N", help="only the brands of shard K of N (as branddocs build)")
    group.addoption(
        "--example-timeout", type=float, default=None, metavar="SECONDS",
        help=f"seconds one example may run (default ${EXAMPLE_TIMEOUT.name}, else {DEFAULT_TIMEOUT:g})",
    )  # fmt: skip
    group.addoption(
        "--conformance", choices=["openai"], default=None,
        help="also report every departure from OpenAI's published schema (strict; off by default)",
    )  # fmt: skip


def example_timeout(config: pytest.Config) -> float:
    """`--example-timeout`, else `$BRANDDOCS_EXAMPLE_TIMEOUT`, else 60 s."""
    given = config.getoption("example_timeout", None) or EXAMPLE_TIMEOUT.get() or DEFAULT_TIMEOUT
    try:
        value = float(given)
    except ValueError:
        raise pytest.UsageError(f"${EXAMPLE_TIMEOUT.name}={given!r}: expected a number of seconds") from None
    if value <= 0:
        raise pytest.UsageError(f"the example timeout must be more than 0 s, not {value:g}")
    return value


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One example may take its limit for the request block and again for itself: the test gets both, and more.
    limit = example_timeout(config) * 2 + 30
    for item in items:
        if "example" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(limit))
