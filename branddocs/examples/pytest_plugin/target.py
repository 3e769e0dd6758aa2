"""The endpoint under test, behind the recording proxy (a session fixture); what a real endpoint must answer before
any example runs, and the proxy's settings, are run/first_run.py's."""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from importlib import import_module

import pytest

from branddocs.examples.collection.tables import chat_params
from branddocs.examples.example import Example
from branddocs.examples.languages.base import for_fence
from branddocs.examples.proxy.process import ProxyClient, running_proxy, without_secrets
from branddocs.examples.pytest_plugin.options import example_timeout, timeout_given
from branddocs.examples.run import sandbox
from branddocs.examples.run.ahead import start_ahead
from branddocs.examples.run.first_run import preflight, proxy_settings, refusal
from branddocs.examples.run.pool import Pool
from branddocs.examples.run.process import Target
from branddocs.settings import API_KEY, ENDPOINT, PROXY
from branddocs.site import Project

__all__ = ["endpoint_target", "judge_ready", "pytest_collection_finish"]

_EARLY = pytest.StashKey[Target]()


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
        early = pytestconfig.stash.get(_EARLY, None)
        if early is not None:  # made once collection was over (pytest_collection_finish)
            del pytestconfig.stash[_EARLY]
            yield from _closing(early)
            return
        yield from _closing(_target(json.loads(proxy), upstream, timeout, conformance, given))
        return
    project = Project.find()
    settings = proxy_settings(project, upstream, key or "", timeout, pytestconfig.getoption("brand") or None)
    with running_proxy(settings, without_secrets(os.environ)) as info:
        yield from _closing(_target(info, upstream, timeout, conformance, given))


def _target(info: dict, upstream: str, timeout: float, conformance: bool, given: bool) -> Target:
    # Against the reference endpoint: exact outputs, and each brand's own path (`/brands/<id>...`).
    proxy = ProxyClient(info, timeout)
    socket_path = info["socket"] if sandbox.inside() else None
    # Example processes started ahead, one per example, in the sandbox only (pool.py).
    pool = Pool(socket_path, int(info["url"].rsplit(":", 1)[1])) if socket_path else None
    return Target(proxy, info["url"], exact=not upstream, timeout=timeout, timeout_given=given,
                  conformance=conformance, per_brand=not upstream, sandbox_socket=socket_path, pool=pool)  # fmt: skip


def _closing(target: Target) -> Iterator[Target]:
    try:
        yield target
    finally:
        target.close()
        target.proxy.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under `branddocs check`, in the sandbox: the target now, and the processes the collected examples need started
    while the first examples run, not by the first example that needs each (a second or more: a zygote's or a
    client's `import openai`). After collection, not before: the repository's code (macros, hooks) runs then, and
    sees no process of the pool. An xdist controller runs no example."""
    config, proxy = session.config, PROXY.get()
    if not proxy or config.pluginmanager.hasplugin("dsession") or not sandbox.inside():
        return
    upstream, info = ENDPOINT.get().rstrip("/"), json.loads(proxy)
    if refusal(upstream, None, config.getoption("update_examples", False)) is not None:
        return  # the fixture says so
    examples = [item.callspec.params["example"] for item in session.items
                if "example" in getattr(getattr(item, "callspec", None), "params", {})]  # fmt: skip
    ahead = set()
    for example in examples:
        if not isinstance(example, Example) or example.settings.get("test") == "skip":
            continue
        language = for_fence(example.lang) if example.kind == "run" else None
        ahead.add(language.name if language is not None else example.kind)
    if not ahead & {"python", "javascript", "errors"}:
        return  # nothing to start ahead: the fixture makes the target when a test asks for it
    conformance = config.getoption("conformance", None) == "openai"
    target = _target(info, upstream, example_timeout(config), conformance, timeout_given(config))
    config.stash[_EARLY] = target
    config.add_cleanup(lambda: _close_unused(config))  # no test asked for it
    start_ahead(target, sorted(ahead), Project.find().root)
    judge_ready()  # while they import on the other core


def judge_ready() -> None:
    """The judge's openai types (the replies' and requests' shapes: a second of imports), imported now, not by the
    first example's verdict, with the cyclic collector off (its passes over them as they are made are a tenth of
    that, and find nothing); then one collection, and what is left frozen (gc.freeze): the run's later collections,
    pytest's two at its end among them, no longer go through the modules imported so far."""
    gc.disable()
    try:
        for name in ("branddocs.examples.responses.exchange", "branddocs.examples.responses.samples"):
            import_module(name)
        chat_params()
    finally:
        gc.enable()
    gc.collect()
    gc.freeze()


def _close_unused(config: pytest.Config) -> None:
    target = config.stash.get(_EARLY, None)
    if target is not None:
        del config.stash[_EARLY]
        for _ in _closing(target):
            pass
