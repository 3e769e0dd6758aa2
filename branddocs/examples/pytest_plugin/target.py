"""The endpoint under test, behind the recording proxy (a session fixture); what a real endpoint must answer before
any example runs, and the proxy's settings, are run/first_run.py's."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from branddocs.examples.proxy.process import ProxyClient, running_proxy, without_secrets
from branddocs.examples.pytest_plugin.options import example_timeout, timeout_given
from branddocs.examples.run import sandbox
from branddocs.examples.run.first_run import preflight, proxy_settings, refusal
from branddocs.examples.run.pool import Pool
from branddocs.examples.run.process import Target
from branddocs.settings import API_KEY, ENDPOINT, PROXY
from branddocs.site import Project

__all__ = ["endpoint_target"]


@pytest.fixture(scope="session")
def endpoint_target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The endpoint under test behind the recording proxy: $BRANDDOCS_ENDPOINT, else the reference endpoint.

    The proxy, which alone holds the real key, runs in a process of its own: the one `branddocs check` started
    ($BRANDDOCS_PROXY; then this process never had the key), else one started here.
    """
    timeout, given = example_timeout(pytestconfig), timeout_given(pytestconfig)
    conformance = pytestconfig.getoption("conformance", None) == "openai"
    upstream, proxy = ENDPOINT.get().rstrip("/"), PROXY.get()
    key = None if proxy else API_KEY.get()  # proxy: `branddocs check` handed the key to its proxy process alone
    refused = refusal(upstream, key, pytestconfig.getoption("update_examples", False))
    if refused is None and upstream and key:
        refused = preflight(upstream, key)
    if refused is not None:
        pytest.exit(refused[1], returncode=refused[0])
    if proxy:
        yield from _target(json.loads(proxy), upstream, timeout, conformance, given)
        return
    project = Project.find()
    settings = proxy_settings(project, upstream, key or "", timeout, pytestconfig.getoption("brand") or None)
    with running_proxy(settings, without_secrets(os.environ)) as info:
        yield from _target(info, upstream, timeout, conformance, given)


def _target(info: dict, upstream: str, timeout: float, conformance: bool, given: bool) -> Iterator[Target]:
    # Against the reference endpoint: exact outputs, and each brand's own path (`/brands/<id>...`).
    proxy = ProxyClient(info, timeout)
    socket_path = info["socket"] if sandbox.inside() else None
    # Example processes started ahead, one per example, in the sandbox only (pool.py).
    pool = Pool(socket_path, int(info["url"].rsplit(":", 1)[1])) if socket_path else None
    target = Target(proxy, info["url"], exact=not upstream, timeout=timeout, timeout_given=given,
                    conformance=conformance, per_brand=not upstream, sandbox_socket=socket_path, pool=pool)  # fmt: skip
    try:
        yield target
    finally:
        target.close()
        proxy.close()
