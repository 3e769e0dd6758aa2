"""Fixtures of the security tests that build sites in the test's own process."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from branddocs.endpoint.server import EndpointServer, running_endpoint

from ..support.platform import Platform


@pytest.fixture(scope="session")
def jieba_compiled() -> None:
    """jieba (Material's Chinese search) imported before an in-process build. jieba 0.42.1's source has invalid
    escapes, a warning when Python compiles it, which happens in the test process where pip left no bytecode (a
    legacy setup.py install, as an ordinary user's venv has it); ignored for that compile alone."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid escape sequence", DeprecationWarning)
        warnings.filterwarnings("ignore", "invalid escape sequence", SyntaxWarning)
        import jieba  # noqa: F401


@pytest.fixture(scope="module")
def platform() -> Iterator[tuple[Platform, EndpointServer]]:
    """A tenant's platform on loopback (support/platform.py), and where it serves: the proxy tests' upstream."""
    found = Platform()
    with running_endpoint(found.app) as server:
        yield found, server
