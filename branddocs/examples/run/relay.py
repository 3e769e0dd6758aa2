"""Inside the sandbox: relay 127.0.0.1:PORT to the recording proxy's Unix socket, then run the command.

    python -I -S relay.py SOCKET PORT CWD -- COMMAND...     (SOCKET `-`: no relay, as for sandbox.py's probe)

The first process of every sandbox (sandbox.py), so every example waits for its start: it imports only built-in
modules (`_socket` and `_thread`, not `socket` and `threading`, whose enums and imports take longer than Python's
own start), and spawns the command rather than exec'ing it, since it stays to relay. Its exit status
is the command's (or 127 when the command cannot be started).

The relay outlives the example that uses it (a zygote's units share their sandbox's relay), so nothing an example
does to it may stop it: at most CONNECTIONS at once (more are closed at once), small thread stacks (a red team's
400 held connections exhausted the threads RLIMIT_DATA allows, and the relay stopped accepting for every later
example of its worker), and an error with one connection ends that connection alone.
"""

import _socket
import _thread
import os
import sys
import time

CONNECTIONS = 64
"""Connections relayed at once; each has two threads."""
_STACK = 256 * 1024
_pumps = [0]  # threads pumping now
_lock = _thread.allocate_lock()


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
        with _lock:
            _pumps[0] -= 1


def _relay(listener: _socket.socket, socket_path: str) -> None:
    while True:
        try:
            fd, _ = listener._accept()
        except OSError:  # out of files, say: the peer's doing, not the relay's end
            time.sleep(0.05)
            continue
        client = _socket.socket(fileno=fd)
        with _lock:
            full = _pumps[0] >= 2 * CONNECTIONS
            if not full:
                _pumps[0] += 2
        if full:
            client.close()
            continue
        upstream = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        started = 0
        try:
            upstream.connect(socket_path)
            _thread.start_new_thread(_pump, (client, upstream))
            started = 1
            _thread.start_new_thread(_pump, (upstream, client))
            started = 2
        except (OSError, RuntimeError):  # this connection alone fails
            client.close()
            upstream.close()
            with _lock:
                _pumps[0] -= 2 - started


def main(socket_path: str, port: str, cwd: str, separator: str, *command: str) -> int:
    assert separator == "--", "usage: relay.py SOCKET PORT CWD -- COMMAND..."
    os.chdir(cwd)
    home = os.environ.get("HOME", "")
    if home.startswith(cwd.rstrip("/") + "/") and not os.path.isdir(home):  # HOME in a scratch folder made empty
        os.mkdir(home, 0o700)
    if socket_path != "-":
        listener = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        listener.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", int(port)))
        listener.listen(128)
        _thread.stack_size(_STACK)
        _thread.start_new_thread(_relay, (listener, socket_path))
    try:
        pid = os.posix_spawnp(command[0], list(command), os.environ)
    except OSError as exc:
        print(f"branddocs sandbox: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
