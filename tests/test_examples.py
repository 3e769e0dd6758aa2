"""Every example of every brand, checked exactly as `branddocs check` does: the test lives in the package."""

from branddocs.examples.pytest_plugin.suite import pytest_generate_tests, test_example

__all__ = ["pytest_generate_tests", "test_example"]
