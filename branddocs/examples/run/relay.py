"""Inside the sandbox: relay 127.0.0.1:PORT to the recording proxy's Unix socket, then run the command.

    python -I -S relay.py SOCKET PORT CWD -- COMMAND...     (SOCKET `-`: no relay, as for sandbox.py's probe)

The first process of every sandbox (sandbox.py), so every example waits for its start: it imports only built-in
modules (`_socket` and `_thread`, not `socket` and `threading`, whose enums and imports take longer than Python's
own start), and spawns the command rather than exec'ing it, since it stays to relay. Its exit status
is the command's (or 127 when the command cannot be started).
"""

import _socket
import _thread
import os
import sys


def _shut(end: _socket.socket, how: int) -> None:
    try:  # noqa: SIM105 - contextlib would import collections and functools
        end.shutdown(how)
    except OSError:
        pass


def _pump(source: _socket.socket, sink: _socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _shut(sink, _socket.SHUT_WR)
        _shut(source, _socket.SHUT_RD)


def _relay(listener: _socket.socket, socket_path: str) -> None:
    while True:
        fd, _ = listener._accept()
        client = _socket.socket(fileno=fd)
        upstream = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            upstream.connect(socket_path)
        except OSError:
            client.close()
            upstream.close()
            continue
        _thread.start_new_thread(_pump, (client, upstream))
        _thread.start_new_thread(_pump, (upstream, client))


def main(socket_path: str, port: str, cwd: str, separator: str, *command: str) -> int:
    assert separator == "--", "usage: relay.py SOCKET PORT CWD -- COMMAND..."
    os.chdir(cwd)
    if socket_path != "-":
        listener = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        listener.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", int(port)))
        listener.listen(128)
        _thread.start_new_thread(_relay, (listener, socket_path))
    try:
        pid = os.posix_spawnp(command[0], list(command), os.environ)
    except OSError as exc:
        print(f"branddocs sandbox: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
