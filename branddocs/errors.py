"""branddocs' errors: one hierarchy, each error carrying the exit code the command line gives it.

Callers catch `BranddocsError`; the command line prints its message on one line and exits with `exit_code`.
"""

from __future__ import annotations

__all__ = [
    "EXIT_FAILED",
    "EXIT_FENCE",
    "EXIT_NOT_RUN",
    "EXIT_NO_API",
    "EXIT_NO_SANDBOX",
    "EXIT_REFUSED",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "BranddocsError",
    "UsageError",
]

EXIT_FAILED = 1
"""A check found problems, or a brand failed to build."""
EXIT_USAGE = 2
"""The command cannot start: an unknown brand, a bad brand file, a busy port, a bad option."""
EXIT_FENCE = 4
"""A fence mistake or a setting that contradicts the run: no example was run."""
EXIT_UNREACHABLE = 10
"""BRANDDOCS_ENDPOINT did not answer `GET /models`."""
EXIT_REFUSED = 11
"""BRANDDOCS_ENDPOINT answered `GET /models` with an error (a wrong key, most often)."""
EXIT_NO_SANDBOX = 12
"""A real key, and no sandbox for the examples (see `--unsafe-no-sandbox`)."""
EXIT_NO_API = 13
"""BRANDDOCS_ENDPOINT serves neither `/models` nor `/chat/completions` (404): the base URL is wrong (no `/v1`?)."""
EXIT_NOT_RUN = 14
"""Everything that ran passed, but some examples were not run: this machine lacks their language's install (the
header and the summary name it and the command that installs it, e.g. `npm ci`)."""


class BranddocsError(Exception):
    """Something a person must fix; the message names the file, line or field, what was expected and found."""

    exit_code = EXIT_FAILED


class UsageError(BranddocsError):
    """The command cannot start as asked."""

    exit_code = EXIT_USAGE
