"""Helpers for the hosting tests: built brands in a folder nginx's workers may read, requests with any Host."""

from __future__ import annotations

import functools
import http.client
import http.server
import json
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from branddocs.site import Project

from .project import run_branddocs, scratch_project

__all__ = ["Load", "Response", "Upstream", "build", "get", "readable_folder", "scratch_with_site_urls", "upstream"]


@contextmanager
def readable_folder() -> Iterator[Path]:
    """A scratch folder under /tmp that others may enter: nginx started by root reads sites as `nobody`, and
    pytest's own tmp_path is private (0700)."""
    folder = Path(tempfile.mkdtemp(prefix="branddocs-host-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def scratch_with_site_urls(folder: Path, urls: dict[str, str]) -> Project:
    """A scratch project in `folder` whose brands have these site_urls (written as YAML strings)."""
    project = scratch_project(folder)
    for brand_id, url in urls.items():
        path = project.brands_dir / f"{brand_id}.yml"
        text = re.sub(r"^site_url:.*\n", "", path.read_text(encoding="utf-8"), flags=re.M)
        path.write_text(text + f"site_url: {json.dumps(url)}\n", encoding="utf-8")
    return project


def build(project: Project, site: Path, *brands: str) -> None:
    ids = [arg for b in brands for arg in ("--brand", b)]
    result = run_branddocs("build", "--site-dir", str(site), *ids, cwd=project.root)
    assert result.returncode == 0, result.stdout + result.stderr


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def get(port: int, path: str, host: str | None, headers: dict[str, str] | None = None, method: str = "GET",
        body: bytes | None = None) -> Response:  # fmt: skip
    """One request to 127.0.0.1:`port` with `path` sent as it is (no client-side clean-up) and this Host."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            connection.putheader("Host", host)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


@dataclass
class Upstream:
    """A stand-in for `branddocs mcp`: records what nginx forwards to it."""

    port: int
    seen: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def upstream() -> Iterator[Upstream]:
    record = Upstream(0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            record.seen.append((self.command, self.path, dict(self.headers), self.rfile.read(length)))
            body = f"upstream saw {self.command} {self.path}\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Load:
    """Steady requests for one page from a few keep-alive connections, each answer recorded: (status, whole
    page, its <title>)."""

    port: int
    path: str
    host: str
    connections: int = 3
    results: list[tuple[int, bool, str]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self._stop.is_set():
            try:
                connection.request("GET", self.path, headers={"Host": self.host})
                response = connection.getresponse()
                body = response.read()
                length = int(response.getheader("Content-Length") or -1)
                whole = len(body) == length and body.rstrip().endswith(b"</html>")
                title = re.search(rb"<title>(.*?)</title>", body)
                self.results.append((response.status, whole, title[1].decode() if title else ""))
            except (OSError, http.client.HTTPException) as error:
                self.results.append((0, False, repr(error)))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.close()

    def failures(self) -> list[tuple[int, bool, str]]:
        return [r for r in self.results if r[0] != 200 or not r[1]]

    @contextmanager
    def running(self) -> Iterator[Load]:
        threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.connections)]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=60)


class _CspHandler(http.server.SimpleHTTPRequestHandler):
    policy = ""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.policy)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def served_with_csp(root: Path, connect: str) -> Iterator[str]:
    """`root` on loopback, one origin, with the hosting's policy: scripts from it alone, connections to it and
    `connect`. Its origin (`http://127.0.0.1:<port>`)."""
    policy = (f"default-src 'self'; script-src 'self'; connect-src 'self' {connect}; "
              "style-src 'self' 'unsafe-inline'; img-src 'self' data:")  # fmt: skip
    handler = functools.partial(type("Csp", (_CspHandler,), {"policy": policy}), directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
