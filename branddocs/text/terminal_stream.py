"""The engine's own standard error, shown as text (`TerminalCopy`), whatever a call site prints there.

Every branddocs command prints its diagnostics on standard error, and some of them carry another party's bytes: the
platform's answer to the check's pre-flight (`GET /models`) went out with `ESC ] 52` (a clipboard write), a title,
`ESC [ 2 J` and a `##[error]` line as the platform sent them (red team round 7, R7-7), because that one `print` did
not pass its text through `terminal_line`. A rule each call site must remember is no boundary: `wrap_stderr`, the
first thing a command does, puts the stream itself behind `TerminalCopy` (colours and tabs pass, any other control
character is shown as an escape, a line a CI runner would read as a command gets a backslash). Standard output stays
as it is: it carries data (`branddocs diff`'s Markdown, `schema`'s JSON, `mcp --stdio`'s protocol).
"""

from __future__ import annotations

import atexit
import io
import sys
from typing import Any, TextIO

from branddocs.text.printers import TerminalCopy

__all__ = ["TerminalStream", "wrap_stderr"]


class TerminalStream(io.TextIOBase):
    """A text stream that writes what `TerminalCopy` shows of each piece onto `stream`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._copy = TerminalCopy()

    def write(self, text: str) -> int:
        self._stream.write(self._copy.feed(text.encode("utf-8", "surrogateescape")))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def close_out(self) -> None:
        """Write what is held (a line's undecided start) and flush: at the command's end."""
        self._stream.write(self._copy.feed(b"", final=True))
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    def __getattr__(self, name: str) -> Any:  # encoding, errors, buffer...: the stream's own
        return getattr(self._stream, name)


def wrap_stderr() -> None:
    """Put this process's `sys.stderr` behind `TerminalStream` (once)."""
    if isinstance(sys.stderr, TerminalStream) or sys.stderr is None:
        return
    shown = TerminalStream(sys.stderr)
    sys.stderr = shown
    atexit.register(shown.close_out)
