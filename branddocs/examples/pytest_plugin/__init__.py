"""pytest side of the example checks: options, the endpoint under test, the brand-by-language summary."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from branddocs.errors import EXIT_FENCE, EXIT_REFUSED, EXIT_UNREACHABLE, BranddocsError
from branddocs.examples import sandbox
from branddocs.examples.collect import Example, collect_examples
from branddocs.examples.pool import Pool
from branddocs.examples.proxy import DEFAULT_TIMEOUT
from branddocs.examples.proxy_process import ProxyClient, running_proxy, without_secrets
from branddocs.examples.responses.errors import error_summary
from branddocs.examples.run import Target
from branddocs.settings import API_KEY, ENDPOINT, EXAMPLE_TIMEOUT, NO_SANDBOX, PROXY
from branddocs.site import Project
from branddocs.site.shard import parse_shard, shard_of

__all__ = [
    "ENDPOINT_ENV",
    "KEY_ENV",
    "NO_SANDBOX_ENV",
    "CollectionProblem",
    "collected_examples",
    "endpoint_target",
    "preflight",
    "proxy_settings",
]

# The variables' names, for messages (branddocs.settings reads and documents them).
ENDPOINT_ENV = ENDPOINT.name
KEY_ENV = API_KEY.name
NO_SANDBOX_ENV = NO_SANDBOX.name
_RESULTS = "branddocs_results"
_SHARE = "branddocs_examples"
"""xdist workerinput: the folder where workers share the brands' collected examples."""
_SHARE_WAIT = 300.0
"""Seconds a worker waits for another's share of the examples before collecting that share itself."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("branddocs")
    group.addoption("--brand", action="append", default=[], metavar="ID", help="only these brands (repeatable)")
    group.addoption("--page", action="append", default=[], metavar="PAGE", help="only examples on these pages")
    group.addoption("--shard", default=None, metavar="K/N", help="only the brands of shard K of N (as branddocs build)")
    group.addoption(
        "--example-timeout", type=float, default=None, metavar="SECONDS",
        help=f"seconds one example may run (default ${EXAMPLE_TIMEOUT.name}, else {DEFAULT_TIMEOUT:g})",
    )  # fmt: skip
    group.addoption(
        "--conformance", choices=["openai"], default=None,
        help="also report every departure from OpenAI's published schema (strict; off by default)",
    )  # fmt: skip


def example_timeout(config: pytest.Config) -> float:
    """`--example-timeout`, else `$BRANDDOCS_EXAMPLE_TIMEOUT`, else 60 s."""
    given = config.getoption("example_timeout", None) or EXAMPLE_TIMEOUT.get() or DEFAULT_TIMEOUT
    try:
        value = float(given)
    except ValueError:
        raise pytest.UsageError(f"${EXAMPLE_TIMEOUT.name}={given!r}: expected a number of seconds") from None
    if value <= 0:
        raise pytest.UsageError(f"the example timeout must be more than 0 s, not {value:g}")
    return value


def collected_examples(config: pytest.Config, project: Project) -> list[Example]:
    """Every selected brand's examples, collected once per pytest process; a fence mistake stops the run.

    Under xdist each worker collects its share of the brands and takes the others' from them (`_shared`)."""
    cached = getattr(config, "_branddocs_examples", None)
    if cached is None:
        ids = config.getoption("brand") or project.brand_ids()
        shard = config.getoption("shard")
        ids = shard_of(ids, parse_shard(shard) if shard else None)
        pages = [p.removeprefix("docs/") for p in config.getoption("page")] or None
        worker = getattr(config, "workerinput", {})
        try:
            if worker.get(_SHARE):
                by_brand = _shared(Path(worker[_SHARE]), worker["workerid"], worker["workercount"], project, ids, pages)
            else:
                by_brand = _collect(project, ids, pages)
            cached = [e for brand_id in ids for e in by_brand[brand_id]]
        except (BranddocsError, FileNotFoundError) as exc:
            cached = [CollectionProblem(str(exc))]  # one clean failure naming the file and line, no traceback
        config._branddocs_examples = cached
    return cached


def _collect(project: Project, ids: list[str], pages: list[str] | None) -> dict[str, list[Example]]:
    return {brand_id: collect_examples(project, project.brand(brand_id), pages) for brand_id in ids}


def _shared(
    folder: Path, worker_id: str, count: int, project: Project, ids: list[str], pages: list[str] | None
) -> dict[str, list[Example]]:  # fmt: skip
    """All brands' examples, this worker collecting every `count`th brand and the other workers the rest.

    Each share is pickled into `folder`, a private folder the controller made for this run alone (never one in the
    project: a pickle is code). A share no worker wrote within _SHARE_WAIT seconds is collected here."""
    index = int(worker_id.removeprefix("gw")) if worker_id.removeprefix("gw").isdigit() else None
    if index is None or index >= count:
        return _collect(project, ids, pages)
    part = folder / f"{index}.pickle"
    if not part.exists():  # a worker xdist restarted finds its share already collected
        try:
            found: dict = {"examples": _collect(project, ids[index::count], pages)}
        except (BranddocsError, FileNotFoundError) as exc:
            found = {"problem": str(exc)}
        written = folder / f".{index}-{os.getpid()}"
        written.write_bytes(pickle.dumps(found))
        os.replace(written, part)
    by_brand: dict[str, list[Example]] = {}
    deadline = time.monotonic() + _SHARE_WAIT
    for k in range(count):
        path = folder / f"{k}.pickle"
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        if path.exists():  # written by this run's workers, in the controller's private folder
            share = pickle.loads(path.read_bytes())  # noqa: S301
        else:
            share = {"examples": _collect(project, ids[k::count], pages)}
        if "problem" in share:
            raise BranddocsError(share["problem"])
        by_brand.update(share["examples"])
    return by_brand


def pytest_configure(config: pytest.Config) -> None:
    # The xdist controller: a private folder where its workers share the brands' examples (_shared).
    if not hasattr(config, "workerinput") and getattr(config.option, "numprocesses", None):
        config._branddocs_share = tempfile.mkdtemp(prefix="branddocs-examples-")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # xdist's, in the controller: what each worker is started with
    share = getattr(node.config, "_branddocs_share", None)
    if share:
        node.workerinput[_SHARE] = share


def pytest_unconfigure(config: pytest.Config) -> None:
    share = getattr(config, "_branddocs_share", None)
    if share:
        shutil.rmtree(share, ignore_errors=True)


@dataclass(frozen=True)
class CollectionProblem:
    """Stands in for the examples when they cannot be collected: its test fails with `message` alone."""

    message: str
    id: str = "collecting-examples"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One example may take its limit for the request block and again for itself: the test gets both, and more.
    limit = example_timeout(config) * 2 + 30
    for item in items:
        if "example" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(limit))


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


def pytest_report_header(config: pytest.Config) -> str:
    """Once per run: whether examples run in the sandbox."""
    ok, why = sandbox.available()
    if ok and not NO_SANDBOX.is_set():
        return ("branddocs: each example runs in a sandbox (bubblewrap: a user of its own, its own PID and network "
                "namespaces, its scratch folder only; its only way out: the recording proxy)")  # fmt: skip
    return f"branddocs: WARNING: examples run WITHOUT a sandbox: {why or f'${NO_SANDBOX_ENV} is set'}"


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
