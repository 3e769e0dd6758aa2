"""Run an example in a network namespace whose only way out is the recording proxy.

    unshare --net [--user --map-root-user] -- python -I sandbox.py SOCKET PORT -- COMMAND...

Inside a new network namespace only loopback exists, and nothing listens on it: this script brings `lo` up,
listens on 127.0.0.1:PORT (the proxy's port outside, so the example's URLs stay as they are) and relays every
connection to the proxy's Unix socket SOCKET, then runs COMMAND and exits with its status. A URL built at
run time, another loopback port, or any other address has nowhere to go.

`available()` says whether this machine allows it (Linux with unshare, as root or with user namespaces);
where it does not, the checks run examples without it and say so once.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import socket
import struct
import subprocess
import sys
import threading
from functools import cache

__all__ = ["available", "wrap"]

_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


@cache
def _unshare() -> list[str] | None:
    """The unshare command that works here (as root: a network namespace; else with a user namespace)."""
    unshare = shutil.which("unshare")
    if not unshare or not sys.platform.startswith("linux"):
        return None
    for command in ([unshare, "--net"], [unshare, "--user", "--map-root-user", "--net"]):
        done = subprocess.run([*command, "true"], capture_output=True, timeout=10, check=False)
        if done.returncode == 0:
            return command
    return None


def available() -> tuple[bool, str]:
    """(True, "") where examples can run in their own network namespace; else (False, why not)."""
    if _unshare() is None:
        return False, "this machine allows no network namespace (unshare --net failed, as root and as a user)"
    return True, ""


def wrap(command: list[str], socket_path: str, port: int) -> list[str]:
    """`command`, run in a network namespace whose 127.0.0.1:`port` leads to the proxy at `socket_path`."""
    unshare = _unshare()
    assert unshare is not None, "check available() first"
    return [*unshare, "--", sys.executable, "-I", __file__, socket_path, str(port), "--", *command]


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | _IFF_UP))


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


def main(socket_path: str, port: str, separator: str, *command: str) -> int:
    assert separator == "--", "usage: sandbox.py SOCKET PORT -- COMMAND..."
    _loopback_up()
    listener = socket.create_server(("127.0.0.1", int(port)))
    threading.Thread(target=_relay, args=(listener, socket_path), daemon=True).start()
    return subprocess.call(list(command))


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
