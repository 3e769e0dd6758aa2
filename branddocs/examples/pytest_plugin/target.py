"""The endpoint under test, behind the recording proxy (a session fixture), and the one request that says up front
whether a real endpoint answers."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
import pytest

from branddocs.errors import EXIT_FENCE, EXIT_REFUSED, EXIT_UNREACHABLE
from branddocs.examples.proxy.process import ProxyClient, running_proxy, without_secrets
from branddocs.examples.pytest_plugin.options import example_timeout
from branddocs.examples.responses.summary import error_summary
from branddocs.examples.run import sandbox
from branddocs.examples.run.pool import Pool
from branddocs.examples.run.process import Target
from branddocs.settings import API_KEY, ENDPOINT, PROXY
from branddocs.site import Project

__all__ = ["ENDPOINT_ENV", "KEY_ENV", "endpoint_target", "preflight", "proxy_settings"]

# The variables' names, for messages (branddocs.settings reads and documents them).
ENDPOINT_ENV = ENDPOINT.name
KEY_ENV = API_KEY.name


def preflight(upstream: str, key: str, timeout: float = 10.0) -> tuple[int, str] | None:
    """One authenticated `GET {upstream}/models` before any example: (exit code, one line) if it fails."""
    try:
        response = httpx.get(f"{upstream}/models", headers={"Authorization": f"Bearer {key}"}, timeout=timeout,
                             trust_env=False)  # fmt: skip
    except httpx.HTTPError as exc:
        return (
            EXIT_UNREACHABLE,
            f"{ENDPOINT_ENV}={upstream} is unreachable ({type(exc).__name__}: {exc}); no example was run",
        )
    if response.is_success or response.status_code in (404, 405):  # a platform without /models is still fine
        return None
    summary = error_summary(response.status_code, response.content, response.headers.get("content-type", ""))
    hint = " (is $BRANDDOCS_API_KEY the key for it?)" if response.status_code in (400, 401, 403, 500) else ""
    return EXIT_REFUSED, f"{ENDPOINT_ENV}={upstream}: GET /models: {summary}{hint}; no example was run"


@pytest.fixture(scope="session")
def endpoint_target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The endpoint under test behind the recording proxy: $BRANDDOCS_ENDPOINT, else the reference endpoint.

    The proxy, which alone holds the real key, runs in a process of its own: the one `branddocs check` started
    ($BRANDDOCS_PROXY; then this process never had the key), else one started here.
    """
    timeout = example_timeout(pytestconfig)
    conformance = pytestconfig.getoption("conformance", None) == "openai"
    upstream = ENDPOINT.get().rstrip("/")
    if upstream and pytestconfig.getoption("update_examples", False):
        pytest.exit("--update-examples records what the reference endpoint sends: unset " + ENDPOINT_ENV,
                    returncode=EXIT_FENCE)  # fmt: skip
    given = PROXY.get()
    if given:
        yield from _target(json.loads(given), upstream, timeout, conformance)
        return
    key = ""
    if upstream:
        key = API_KEY.get()
        if not key:
            pytest.exit(f"{ENDPOINT_ENV} is set but {KEY_ENV} is not: give the key for {upstream}",
                        returncode=EXIT_FENCE)  # fmt: skip
        failed = preflight(upstream, key)
        if failed:
            pytest.exit(failed[1], returncode=failed[0])
    project = Project.find()
    settings = proxy_settings(project, upstream, key, timeout, pytestconfig.getoption("brand") or None)
    with running_proxy(settings, without_secrets(os.environ)) as info:
        yield from _target(info, upstream, timeout, conformance)


def proxy_settings(project: Project, upstream: str, key: str, timeout: float, brands: list[str] | None) -> dict:
    """What the proxy process needs (read once from its stdin): the endpoint, its key, the run's brands."""
    return {"upstream": upstream, "key": key, "timeout": timeout, "root": str(project.root), "brands": brands,
            "sandbox": sandbox.inside()}  # fmt: skip


def _target(info: dict, upstream: str, timeout: float, conformance: bool) -> Iterator[Target]:
    # Against the reference endpoint: exact outputs, and each brand's own path (`/brands/<id>...`).
    proxy = ProxyClient(info, timeout)
    socket_path = info["socket"] if sandbox.inside() else None
    # Example processes started ahead, one per example, in the sandbox only (pool.py).
    pool = Pool(socket_path, int(info["url"].rsplit(":", 1)[1])) if socket_path else None
    target = Target(proxy, info["url"], exact=not upstream, timeout=timeout, conformance=conformance,
                    per_brand=not upstream, sandbox_socket=socket_path, pool=pool)  # fmt: skip
    try:
        yield target
    finally:
        target.close()
        proxy.close()
