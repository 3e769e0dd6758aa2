"""Whatever a branddocs command prints on standard error reaches the terminal as text (red team round 7, R7-7).

The platform under test answered the check's pre-flight `GET /models` with a 401 whose message held a clipboard write
(OSC 52), a title, a screen clear and `##[error]` / `##vso[` lines; the check's one-line summary printed it as sent.
Mechanism: `text/terminal_stream.wrap_stderr`, the first thing `branddocs` does, puts `sys.stderr` behind
`TerminalCopy`, so no call site has to remember `terminal_line`.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.run.first_run import preflight
from branddocs.site import Project

from ..support.project import run_branddocs

CLIPBOARD, TITLE = "\x1b]52;c;ZWNobyBwd25lZA==\x07", "\x1b]0;TITLE\x07"
HOSTILE = f"bad key {CLIPBOARD} {TITLE} \x1b[2J ##[error file=x]forged ##vso[task.setvariable]"


class _Refusing(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"error": {"message": HOSTILE}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def platform() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_a_platforms_answer_reaches_the_terminal_as_text(scratch: Project, platform: str, tmp_path: Path) -> None:
    done = run_branddocs("check", "--brand", "acme", cwd=scratch.root,
                         env={"BRANDDOCS_ENDPOINT": platform, "BRANDDOCS_API_KEY": "sk-test-terminal"})  # fmt: skip
    assert done.returncode == 11, done.stdout + done.stderr
    assert "bad key" in done.stderr
    assert "\x1b" not in done.stderr
    assert "\x07" not in done.stderr
    assert "##[" not in done.stderr
    assert "##vso" not in done.stderr
    assert "\\x1b]52;c;" in done.stderr  # shown, as an escape
    # The negative: the line the check prints is the platform's text as sent; only the stream stands in the way.
    failed = preflight(platform, "sk-test-terminal")
    assert failed is not None
    assert "\x1b]52;c;" in failed[1]
    assert "##[error" in failed[1]


def test_serves_mkdocs_child_prints_pages_text_as_text(tmp_path: Path) -> None:
    """`branddocs serve` runs MkDocs in its own process (site/serve_child.py), which inherits the terminal: a page's
    link text with a title sequence and a `::error` line was printed raw (red team 8, R8-10). The child wraps its
    standard error first. The negative: MkDocs' own command line prints them raw."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# x\n\nSee [notes](missing\x1b]0;PWNED\x07\r::error::forged.md).\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    runs = {}
    for name, module in (("child", "branddocs.site.serve_child"), ("mkdocs", "mkdocs")):
        done = subprocess.run([sys.executable, "-m", module, "build", "-d", str(tmp_path / name)], cwd=tmp_path,
                              capture_output=True, timeout=120, check=False)  # fmt: skip
        assert b"missing" in done.stderr, done.stderr
        runs[name] = done.stderr
    assert b"\x1b" not in runs["child"]
    assert b"\n::error" not in runs["child"].replace(b"\r", b"\n")
    assert b"\x1b]0;PWNED" in runs["mkdocs"]  # the negative
