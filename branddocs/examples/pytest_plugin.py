"""pytest side of the example checks: options, the endpoint under test, the brand-by-language summary."""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from branddocs.examples.collect import Example, collect_examples
from branddocs.examples.proxy import RecordingProxy
from branddocs.examples.runners import Target
from branddocs.shard import parse_shard, shard_of
from branddocs.site import Project

__all__ = ["ENDPOINT_ENV", "KEY_ENV", "collected_examples", "endpoint_target"]

ENDPOINT_ENV = "BRANDDOCS_ENDPOINT"
KEY_ENV = "BRANDDOCS_API_KEY"
_RESULTS = "branddocs_results"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("branddocs")
    group.addoption("--brand", action="append", default=[], metavar="ID", help="only these brands (repeatable)")
    group.addoption("--page", action="append", default=[], metavar="PAGE", help="only examples on these pages")
    group.addoption("--shard", default=None, metavar="K/N", help="only the brands of shard K of N (as branddocs build)")


def collected_examples(config: pytest.Config, project: Project) -> list[Example]:
    """Every selected brand's examples, collected once per pytest process."""
    cached = getattr(config, "_branddocs_examples", None)
    if cached is None:
        ids = config.getoption("brand") or project.brand_ids()
        shard = config.getoption("shard")
        ids = shard_of(ids, parse_shard(shard) if shard else None)
        pages = [p.removeprefix("docs/") for p in config.getoption("page")] or None
        cached = [e for brand_id in ids for e in collect_examples(project, project.brand(brand_id), pages)]
        config._branddocs_examples = cached
    return cached


@pytest.fixture(scope="session")
def endpoint_target(project: Project) -> Iterator[Target]:
    """The endpoint under test behind a recording proxy: $BRANDDOCS_ENDPOINT, else the reference endpoint."""
    from branddocs.endpoint.server import app_for_brands, running_endpoint

    upstream = os.environ.get(ENDPOINT_ENV, "").rstrip("/")
    if upstream:
        key = os.environ.get(KEY_ENV, "")
        if not key:
            pytest.exit(f"{ENDPOINT_ENV} is set but {KEY_ENV} is not: give the key for {upstream}", returncode=4)
        _reachable_or_exit(upstream, key)
        proxy = RecordingProxy(upstream)
        with running_endpoint(proxy.app) as proxy_server:
            yield Target(proxy, proxy_server.url, key, exact=False)
        return
    key = os.environ.get(KEY_ENV) or "sk-branddocs-" + secrets.token_hex(12)
    app, _, _ = app_for_brands(project, None, [key])
    with running_endpoint(app) as reference:
        proxy = RecordingProxy(f"{reference.url}/v1")
        with running_endpoint(proxy.app) as proxy_server:
            yield Target(proxy, proxy_server.url, key, exact=True)


def _reachable_or_exit(upstream: str, key: str) -> None:
    # One clear message up front instead of a timeout in every example.
    try:
        httpx.get(f"{upstream}/models", headers={"Authorization": f"Bearer {key}"}, timeout=5, trust_env=False)
    except httpx.HTTPError as exc:
        pytest.exit(f"{ENDPOINT_ENV}={upstream} is unreachable ({type(exc).__name__}: {exc}); no example was run",
                    returncode=3)  # fmt: skip


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    props = dict(report.user_properties)
    if "brand" not in props or not (report.when == "call" or (report.when == "setup" and report.outcome != "passed")):
        return
    outcome = "skipped" if report.skipped else report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "failed"
    _results.setdefault(_RESULTS, Counter())[(props["brand"], props["language"], outcome)] += 1


_results: dict[str, Counter] = {}


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    counts = _results.get(_RESULTS)
    if not counts or hasattr(config, "workerinput"):
        return
    brands = sorted({b for b, _, _ in counts})
    langs = sorted({lang for _, lang, _ in counts})
    write = terminalreporter.write_line
    terminalreporter.section("examples: passed / failed / skipped (xfailed)")
    write(f"{'brand':<20}" + "".join(f"{lang:>16}" for lang in langs))
    for brand in brands:
        cells = []
        for lang in langs:
            c = {o: counts[(brand, lang, o)] for o in ("passed", "failed", "skipped", "xfailed")}
            cell = f"{c['passed']}/{c['failed']}/{c['skipped']}" + (f" ({c['xfailed']})" if c["xfailed"] else "")
            cells.append(f"{cell:>16}")
        write(f"{brand:<20}" + "".join(cells))
    totals = Counter()
    for (_, _, outcome), n in counts.items():
        totals[outcome] += n
    write(f"examples: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped, "
          f"{totals['xfailed']} xfailed")  # fmt: skip


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from branddocs.examples.update import apply_updates

    if session.config.getoption("update_examples", False):
        for where in apply_updates():
            print(f"\nupdated {where}")
