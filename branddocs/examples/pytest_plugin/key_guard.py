"""A real key is never in a pytest process that loads the repository's code: refused before any conftest.py loads.

`branddocs check` keeps `$BRANDDOCS_API_KEY` in its recording proxy alone and starts pytest without it
(`$BRANDDOCS_PROXY` says where the proxy is). A plain `pytest` started from a shell that exported the key would
hold it in its own environment, where the repository's `conftest.py`, plugins, macros and `mkdocs.yml` hooks read
it. pytest loads its installed plugins (this one among them) before the project's conftest files, and this hook
runs first among the loaders of those files: the run ends with a usage error before any of them is imported.
"""

from __future__ import annotations

import pytest

from branddocs.settings import API_KEY, PROXY

__all__ = ["pytest_load_initial_conftests"]


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    if API_KEY.get() and not PROXY.get():
        raise pytest.UsageError(
            f"${API_KEY.name} is set in pytest's environment, where the repository's conftest.py, plugins and "
            f"macros would read it: run `branddocs check` (it gives the key to its recording proxy alone), or unset "
            f"{API_KEY.name}"
        )
