"""Inside the sandbox: relay 127.0.0.1:PORT to the recording proxy's Unix socket, then run the command.

    python -I -S relay.py SOCKET PORT CWD -- COMMAND...     (SOCKET `-`: no relay, as for sandbox.py's probe)

The first process of every sandbox (sandbox.py), so every example pays its start-up: it imports only what the
relay needs (no subprocess, dataclasses or pathlib), and spawns the command rather than exec'ing it, since it
stays to relay. Its exit status is the command's (or 127 when the command cannot be started).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
            with contextlib.suppress(OSError):
                end.shutdown(how)


def _relay(listener: socket.socket, socket_path: str) -> None:
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(socket_path)
        except OSError:
            client.close()
            upstream.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def main(socket_path: str, port: str, cwd: str, separator: str, *command: str) -> int:
    assert separator == "--", "usage: relay.py SOCKET PORT CWD -- COMMAND..."
    os.chdir(cwd)
    if socket_path != "-":
        listener = socket.create_server(("127.0.0.1", int(port)))
        threading.Thread(target=_relay, args=(listener, socket_path), daemon=True).start()
    try:
        pid = os.posix_spawnp(command[0], list(command), os.environ)
    except OSError as exc:
        print(f"branddocs sandbox: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
