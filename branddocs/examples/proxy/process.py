"""The recording proxy in a process of its own: the one process that holds the real key.

    python -m branddocs.examples.proxy.process     (its settings, the key among them, as one JSON line on stdin)

`branddocs check` (the engine) starts it before any of the repository's code runs anywhere, and hands it the key
over a pipe, never in argv or the environment (which /proc/<pid>/cmdline and /proc/<pid>/environ show to every
process of the same user); it makes itself non-dumpable before it reads the key, so no process of its user may
read its memory. The engine then runs pytest in the harness (isolation/harness.py), with an environment without
secrets (`without_secrets`): this process is no descendant of pytest, and out of its sight. Against the reference
endpoint that endpoint runs here too, with a key made here. pytest's workers ask it over `control_socket` for new
runs and their exchanges (`ProxyClient`, with the same methods as RecordingProxy); examples reach it at `url`,
or through `socket` from the sandbox. It forwards what allowed.py lists (`requests` in its settings: what the
checked brands add), under the base paths of the run's brands only, and a body with the real key only if it asks
for what the run's own brand's examples may (body.py: `models`, per brand, and `max_tokens` in its settings). It
answers with one JSON line on stdout once it serves, and exits when its stdin closes, that is when whoever started
it ends, however it ends.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from branddocs.examples.isolation.namespaces import set_dumpable
from branddocs.examples.proxy.allowed import Allowed
from branddocs.examples.proxy.body import Bodies
from branddocs.examples.proxy.budget import Budget
from branddocs.examples.proxy.launch import launch, ready, stop
from branddocs.examples.proxy.recording import Exchange, PathRefused, RecordingProxy, tls_context
from branddocs.settings import PROXY, without_secrets  # re-exported: one rule (settings.py)

__all__ = ["PROXY_ENV", "ProxyClient", "plain_http", "running_proxy", "start", "without_secrets"]

PROXY_ENV = PROXY.name
"""Set by `branddocs check` for pytest: where the proxy process it started serves (JSON; holds no key)."""
_CONTROL_HEADER = "x-branddocs-control"
_SUN_PATH = 107
"""The longest path a Unix socket may be bound at (sockaddr_un.sun_path: 108 bytes with its NUL)."""


def _exchange_json(exchange: Exchange) -> dict:
    data = asdict(exchange)
    for name in ("request_body", "body"):
        data[name] = base64.b64encode(data[name]).decode()
    return data


def _exchange(data: dict) -> Exchange:
    for name in ("request_body", "body"):
        data[name] = base64.b64decode(data[name])
    return Exchange(**data)


def _control_app(proxy: RecordingProxy, token: str) -> Starlette:
    """New runs and their exchanges, for pytest's workers alone (they hold `token`; examples do not)."""

    def allowed(request: Request) -> bool:
        return secrets.compare_digest(request.headers.get(_CONTROL_HEADER, ""), token)

    # Plain functions: Starlette runs them in threads, so exchanges()' wait holds up no other call.
    def new_run(request: Request) -> JSONResponse:
        if not allowed(request):
            return JSONResponse({"error": "forbidden"}, 403)
        try:
            params = request.query_params
            return JSONResponse({"token": proxy.new_token(params.get("prefix", ""), params.get("brand", ""))})
        except PathRefused as exc:
            return JSONResponse({"error": str(exc)}, 400)

    def run(request: Request) -> JSONResponse:
        if not allowed(request):
            return JSONResponse({"error": "forbidden"}, 403)
        run_token, wait = request.path_params["token"], float(request.query_params.get("wait", "0"))
        seen = proxy.exchanges(run_token, wait=wait, close=request.query_params.get("close") == "1")
        return JSONResponse({"in_flight": proxy.in_flight(run_token), "exchanges": [_exchange_json(x) for x in seen]})

    return Starlette(routes=[Route("/runs", new_run, methods=["POST"]), Route("/runs/{token}", run)])


def plain_http() -> ssl.SSLContext:
    """For a client that speaks plain HTTP to the proxy alone (over its socket, or on loopback): a context that trusts
    no certificate authority, so any TLS it were led to fails. httpx's default loads certifi's authorities, 50 ms of
    CPU for each client that never uses them."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname, CERT_REQUIRED, and no authority loaded


class ProxyClient:
    """The proxy process as runners.Target sees it: the methods of RecordingProxy that the checks use."""

    def __init__(self, info: Mapping[str, object], timeout: float) -> None:
        self.timeout = timeout
        # Over its Unix socket: the harness (harness.py) has a network of its own, where the proxy's ports are not.
        transport = httpx.HTTPTransport(uds=str(info["control_socket"]), verify=plain_http())
        self._client = httpx.Client(base_url="http://branddocs-proxy", headers={_CONTROL_HEADER: str(info["token"])},
                                    timeout=timeout + 30, trust_env=False, transport=transport)  # fmt: skip

    def __repr__(self) -> str:  # never the control token
        return f"ProxyClient(timeout={self.timeout})"

    def close(self) -> None:
        self._client.close()

    def new_token(self, prefix: str = "", brand: str = "") -> str:
        response = self._client.post("/runs", params={"prefix": prefix, "brand": brand})
        response.raise_for_status()
        return response.json()["token"]

    run_key = staticmethod(RecordingProxy.run_key)

    def exchanges(self, token: str, wait: float = 2.0, close: bool = False) -> list[Exchange]:
        response = self._client.get(f"/runs/{token}", params={"wait": wait, "close": int(close)})
        response.raise_for_status()
        return [_exchange(x) for x in response.json()["exchanges"]]

    def in_flight(self, token: str) -> int:
        response = self._client.get(f"/runs/{token}")
        response.raise_for_status()
        return response.json()["in_flight"]


def start(settings: Mapping[str, object], environ: Mapping[str, str]) -> tuple[subprocess.Popen, dict]:
    """Start the proxy process with `settings` (the key among them) on its stdin; (the process, where it serves).

    It lives as long as the returned process's stdin stays open.
    """
    process = launch(settings, environ)
    return process, ready(process)


@contextmanager
def running_proxy(settings: Mapping[str, object], environ: Mapping[str, str]) -> Iterator[dict]:
    """The proxy process for the block's duration: where it serves."""
    process, info = start(settings, environ)
    try:
        yield info
    finally:
        stop(process)


def _short_temp() -> str:
    """Where the proxy's folder of sockets goes: the temporary folder, or /tmp when that one's path is too long for a
    Unix socket's (108 bytes with the folder's own name and `/control`: a deep TMPDIR made binding fail)."""
    temp = tempfile.gettempdir()
    return temp if len(os.fsencode(temp)) <= _SUN_PATH - len(b"/branddocs-proxy-xxxxxxxx/control") else "/tmp"  # noqa: S108


def main() -> int:
    set_dumpable(False)  # before the key comes in: no process of this user may read this one's memory
    from branddocs.endpoint.server import app_for_served, running_endpoint

    tls = tls_context()  # while the engine reads the settings
    line = sys.stdin.readline()
    if not line:  # stdin closed before any settings: the engine stopped first (a check refused, or failed)
        return 0
    settings = json.loads(line)
    key, upstream = settings.pop("key", ""), settings["upstream"]
    prefixes, upstream_server = frozenset({""}), []
    with ExitStack() as stack:
        if not upstream:  # the reference endpoint, in this process, with a key made and kept here
            key = "sk-branddocs-" + secrets.token_hex(12)
            app, _, _ = app_for_served(settings["served"], [key])  # the brands as the engine read them
            upstream_server.append(stack.enter_context(running_endpoint(app)))
            upstream = upstream_server[0].url
            prefixes = frozenset(brand["prefix"] for brand in settings["served"])
        bodies = Bodies(settings["models"], int(settings["max_tokens"]))
        proxy = RecordingProxy(upstream, key, float(settings["timeout"]), Allowed(settings.get("requests", [])),
                               prefixes, bodies, tls, Budget(**settings.get("budget", {})))  # fmt: skip
        del key
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="branddocs-proxy-", dir=_short_temp())))
        socket_path = str(folder / "s") if settings["sandbox"] else None
        server = stack.enter_context(running_endpoint(proxy.app, uds=socket_path))
        if socket_path:
            os.chmod(socket_path, 0o666)  # noqa: S103 - the examples' user connects; its folder stays private
        token = secrets.token_hex(16)
        control = stack.enter_context(running_endpoint(_control_app(proxy, token), uds=str(folder / "control")))
        print(json.dumps({"url": server.url, "socket": socket_path, "control": control.url,
                          "control_socket": str(folder / "control"), "token": token}), flush=True)  # fmt: skip
        sys.stdin.read()  # until whoever started this process ends
        # Then it ends at once: its folder of sockets removed here; its listening sockets, connections and upstream
        # client go with the process. uvicorn's graceful stop (a tick, then a tenth of a second, per server) was a
        # quarter of a second that `branddocs check` waited for at its very end.
        shutil.rmtree(folder, ignore_errors=True)
        sys.stdout.flush()
        os._exit(0)
    return 0


if __name__ == "__main__":
    status = main()  # returns only when no settings came (main ends the process itself once it has served)
    sys.stdout.flush()
    os._exit(status)  # not the interpreter's own end (a third of a second of teardown) that `branddocs check` waits on
