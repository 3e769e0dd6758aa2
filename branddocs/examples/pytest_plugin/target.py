"""The endpoint under test, behind the recording proxy (a session fixture); what a real endpoint must answer before
any example runs is first_run.py's."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from branddocs.errors import EXIT_FENCE
from branddocs.examples.proxy.process import ProxyClient, running_proxy, without_secrets
from branddocs.examples.pytest_plugin.first_run import preflight
from branddocs.examples.pytest_plugin.options import example_timeout, timeout_given
from branddocs.examples.run import sandbox
from branddocs.examples.run.pool import Pool
from branddocs.examples.run.process import Target
from branddocs.settings import API_KEY, ENDPOINT, PROXY
from branddocs.site import Project

__all__ = ["ENDPOINT_ENV", "KEY_ENV", "endpoint_target", "proxy_settings"]

# The variables' names, for messages (branddocs.settings reads and documents them).
ENDPOINT_ENV = ENDPOINT.name
KEY_ENV = API_KEY.name


@pytest.fixture(scope="session")
def endpoint_target(pytestconfig: pytest.Config) -> Iterator[Target]:
    """The endpoint under test behind the recording proxy: $BRANDDOCS_ENDPOINT, else the reference endpoint.

    The proxy, which alone holds the real key, runs in a process of its own: the one `branddocs check` started
    ($BRANDDOCS_PROXY; then this process never had the key), else one started here.
    """
    timeout, given = example_timeout(pytestconfig), timeout_given(pytestconfig)
    conformance = pytestconfig.getoption("conformance", None) == "openai"
    upstream = ENDPOINT.get().rstrip("/")
    if upstream and pytestconfig.getoption("update_examples", False):
        pytest.exit("--update-examples records what the reference endpoint sends: unset " + ENDPOINT_ENV,
                    returncode=EXIT_FENCE)  # fmt: skip
    proxy = PROXY.get()
    if proxy:
        yield from _target(json.loads(proxy), upstream, timeout, conformance, given)
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
        yield from _target(info, upstream, timeout, conformance, given)


def proxy_settings(project: Project, upstream: str, key: str, timeout: float, brands: list[str] | None) -> dict:
    """What the proxy process needs (read once from its stdin): the endpoint, its key, the run's brands; its time limit
    the longest any of them may take (a brand's own `checks.example_timeout`), so it never cuts an example short."""
    limits = [project.brand(i).checks.example_timeout or 0 for i in brands or project.brand_ids()]
    return {"upstream": upstream, "key": key, "timeout": max([timeout, *limits]), "root": str(project.root),
            "brands": brands, "sandbox": sandbox.inside()}  # fmt: skip


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
