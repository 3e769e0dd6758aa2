"""What building one brand gave: its result, and what MkDocs and branddocs' plugin said while building it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

__all__ = ["NOTICES", "BuildResult", "LogCollector"]

NOTICES = "mkdocs.plugins.branddocs"
"""The logger of branddocs' MkDocs plugin, whose INFO lines are notices for people (branddocs/plugin/plugin.py)."""


@dataclass(frozen=True)
class BuildResult:
    brand_id: str
    ok: bool
    seconds: float
    site_dir: Path
    """Where the site is (on success) or would have been published (on failure)."""
    error: str = ""
    """What went wrong, in MkDocs' and mkdocs-macros' own words; empty on success."""
    skipped: bool = False
    """True when the brand's inputs had not changed since its last successful build."""
    notices: tuple[str, ...] = ()
    """What the build said for people without failing, e.g. a page shown in English for want of a translation."""
    released: tuple[str, ...] = ()
    """The store entries only the brand's previous site linked (store.held_alone): what the build's collect looks at."""


class LogCollector(logging.Handler):
    """The build's warnings and errors (its error message when it fails) and the plugin's notices."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []
        self.notices: list[str] = []

    def failure(self, exc: BaseException) -> str:
        """Why the build failed, in MkDocs', mkdocs-macros' and the engine's own words."""
        detail = "\n".join(self.messages)
        if not isinstance(exc, SystemExit) and str(exc) not in detail:  # mkdocs-macros exits after logging why
            detail = f"{detail}\n{exc}".strip()
        return detail

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage().strip())
        elif record.name == NOTICES:
            self.notices.append(record.getMessage().strip())
