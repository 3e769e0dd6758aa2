"""The endpoint under test, behind the recording proxy (a session fixture); what a real endpoint must answer before
any example runs is first_run.py's."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

import pytest

from branddocs.brand import BrandError
from branddocs.errors import EXIT_FENCE, UsageError
from branddocs.examples.proxy.body import MAX_TOKENS as DEFAULT_MAX_TOKENS
from branddocs.examples.proxy.process import ProxyClient, running_proxy, without_secrets
from branddocs.examples.pytest_plugin.first_run import preflight
from branddocs.examples.pytest_plugin.options import example_timeout, timeout_given
from branddocs.examples.run import sandbox
from branddocs.examples.run.pool import Pool
from branddocs.examples.run.process import Target
from branddocs.settings import API_KEY, ENDPOINT, MAX_TOKENS, PROXY
from branddocs.site import Project

__all__ = ["ENDPOINT_ENV", "KEY_ENV", "endpoint_target", "proxy_settings", "refusal"]

# The variables' names, for messages (branddocs.settings reads and documents them).
ENDPOINT_ENV = ENDPOINT.name
KEY_ENV = API_KEY.name


def refusal(upstream: str, key: str | None, update: bool) -> tuple[int, str] | None:
    """Why the example checks must not run as asked, said before anything runs: (exit code, one line), or None.
    `upstream`: $BRANDDOCS_ENDPOINT; `key`: its key, None where the proxy process holds it; `update`:
    `--update-examples`. `branddocs check` and the pytest plugin both ask it."""
    if upstream and update:
        return EXIT_FENCE, f"--update-examples records what the reference endpoint sends: unset {ENDPOINT_ENV}"
    if upstream and key is not None and not key:
        return EXIT_FENCE, f"{ENDPOINT_ENV} is set but {KEY_ENV} is not: give the key for {upstream}"
    return None


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


def proxy_settings(project: Project, upstream: str, key: str, timeout: float, brands: list[str] | None) -> dict:
    """What the proxy process needs (read once from its stdin): the endpoint, its key, the run's brands; its time limit
    the longest any of them may take (a brand's own `checks.example_timeout`), so it never cuts an example short; and
    the requests those brands' examples make besides the guide's own (`api.example_requests`).

    A real key (`upstream` set) is one tenant's: only the brand a check names alone (`--brand X`) may widen what is
    forwarded with it. Checked with other brands, no brand's list is taken (`held_back` says whose were not): another
    tenant's brand file never adds `DELETE /models/*` to what this tenant's key is forwarded for.
    Each brand's `models` go as they are: a run is one brand's, and a body sent with the key may name only its
    own brand's models (proxy/body.py), never the union of the checked brands'; `max_tokens` bounds what one
    request may ask for ($BRANDDOCS_MAX_TOKENS)."""
    limits, requests, models = [timeout], {}, {}
    checked = brands or project.brand_ids()
    for brand_id in checked:
        with contextlib.suppress(BrandError):  # a broken brand file fails its own examples when they are collected
            brand = project.brand(brand_id)
            limits.append(brand.checks.example_timeout or 0)
            requests.update(dict.fromkeys(brand.api.example_requests))
            models[brand.id] = list(brand.models)
    held_back = list(requests) if upstream and len(checked) != 1 else []
    return {"upstream": upstream, "key": key, "timeout": max(limits), "root": str(project.root), "brands": brands,
            "sandbox": sandbox.inside(), "requests": [] if held_back else list(requests),
            "held_back": held_back, "models": models, "max_tokens": max_tokens()}  # fmt: skip


def max_tokens() -> int:
    """$BRANDDOCS_MAX_TOKENS (a whole number from 1), else body.MAX_TOKENS."""
    given = MAX_TOKENS.get()
    if not given:
        return DEFAULT_MAX_TOKENS
    if not given.isdigit() or int(given) < 1:
        raise UsageError(f"{MAX_TOKENS.name}: expected a whole number from 1, found {given[:40]!r}")
    return int(given)


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
