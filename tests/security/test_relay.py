"""A sandbox's relay outlives what one example does to it (red team round 6, F7).

The units a zygote forks share its sandbox's relay (branddocs/examples/run/relay.py): an example that held 400
connections to it exhausted the threads its RLIMIT_DATA allows, the relay's accepting thread died, and every later
example of that worker timed out. Mechanism: at most CONNECTIONS relayed at once (more closed at once), small
thread stacks, and an error with one connection ends that connection alone. The proof runs the relay as the sandbox
does (`python -I -S`, under `prlimit --data=1GiB`), holds 400 connections, lets them go, and relays one more; the
negative: the relay as it was stops relaying.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.run import relay

pytestmark = pytest.mark.skipif(shutil.which("prlimit") is None, reason="prlimit (util-linux) is not installed")

OLD_RELAY = """import _socket, _thread, os, sys
def _pump(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
def _relay(listener, socket_path):
    while True:
        fd, _ = listener._accept()
        client = _socket.socket(fileno=fd)
        upstream = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        upstream.connect(socket_path)
        _thread.start_new_thread(_pump, (client, upstream))
        _thread.start_new_thread(_pump, (upstream, client))
listener = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
listener.bind(("127.0.0.1", int(sys.argv[2])))
listener.listen(128)
_thread.start_new_thread(_relay, (listener, sys.argv[1]))
os.waitpid(os.posix_spawnp("sleep", ["sleep", "120"], os.environ), 0)
"""


@contextlib.contextmanager
def _echo(path: Path) -> Iterator[None]:
    """An upstream that answers each connection with what it was sent (the proxy's place)."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(512)

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            while data := conn.recv(65536):
                conn.sendall(data)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                threading.Thread(target=serve, args=(server.accept()[0],), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield
    finally:
        server.close()


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _relays(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"ping")
        return conn.recv(4) == b"ping"
    return False


def _held_then_one_more(command: list[str], port: int) -> bool:
    limited = ["prlimit", "--data=1073741824", "--", *command]
    with subprocess.Popen(limited, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        try:
            deadline = time.monotonic() + 30
            while not _relays(port):
                assert time.monotonic() < deadline, "the relay never answered"
                time.sleep(0.1)
            held = []
            for _ in range(400):  # as the red team's example: until one fails
                try:
                    held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
                except OSError:
                    break
            time.sleep(1)
            for conn in held:
                conn.close()
            time.sleep(1)
            return _relays(port)
        finally:
            process.kill()


def test_the_relay_relays_after_an_example_held_400_connections(tmp_path: Path) -> None:
    port = _port()
    with _echo(tmp_path / "proxy.sock"):
        command = [sys.executable, "-I", "-S", relay.__file__, str(tmp_path / "proxy.sock"), str(port), str(tmp_path),
                   "--", "sleep", "120"]  # fmt: skip
        assert _held_then_one_more(command, port)


def test_the_negative_the_relay_as_it_was_stops_relaying(tmp_path: Path) -> None:
    port = _port()
    (tmp_path / "old_relay.py").write_text(OLD_RELAY, encoding="utf-8")
    with _echo(tmp_path / "proxy.sock"):
        command = [sys.executable, "-I", "-S", str(tmp_path / "old_relay.py"), str(tmp_path / "proxy.sock"), str(port)]
        assert not _held_then_one_more(command, port)
