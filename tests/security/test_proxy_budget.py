"""A real-key check spends a bounded amount in all, not only per run (red team round 7, R7-6: the checks' process,
which runs the repository's code, asked for 60 runs of 20 requests and all 1,200 went out with the real key).

Mechanism: proxy/budget.py, held by the proxy (the one process with the key), from the fenced blocks the engine
counted in the guide's pages before any repository code ran (first_run.budget): past it a new run is refused and a
request answered 429, each with one line. The negative: the proxy without a budget forwards every run's requests.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator

import httpx
import pytest

from branddocs.endpoint.server import running_endpoint
from branddocs.examples.proxy.allowed import Allowed
from branddocs.examples.proxy.body import Bodies
from branddocs.examples.proxy.budget import Budget
from branddocs.examples.proxy.recording import PathRefused, RecordingProxy
from branddocs.examples.run.first_run import REQUESTS_PER_BLOCK, RUNS_PER_BLOCK, budget
from branddocs.site import Project

from ..support.platform import REAL_KEY

MODEL = "acme-chat"
BODY = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}).encode()


@contextlib.contextmanager
def proxying(server, spend: Budget | None) -> Iterator[tuple[RecordingProxy, str]]:
    proxy = RecordingProxy(f"{server.url}/v1", REAL_KEY, timeout=10, allowed=Allowed(),
                           bodies=Bodies({"acme": [MODEL]}), budget=spend)  # fmt: skip
    with running_endpoint(proxy.app) as front:
        yield proxy, front.url


def _spend(proxy: RecordingProxy, url: str, runs: int, each: int) -> list[int]:
    """What `runs` runs of `each` requests got: each status, and 0 for a run refused."""
    got = []
    for _ in range(runs):
        try:
            token = proxy.new_token("", "acme")
        except PathRefused as exc:
            got.append(0 if "runs are made" in str(exc) else -1)
            continue
        for _ in range(each):
            got.append(httpx.post(f"{url}/_x/{token}/chat/completions", content=BODY, timeout=10,
                                  headers={"Authorization": f"Bearer {proxy.run_key(token)}"}).status_code)  # fmt: skip
    return got


def test_past_the_checks_budget_nothing_goes_out_with_the_key(platform) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server, Budget(runs=3, requests=5)) as (proxy, url):
        got = _spend(proxy, url, runs=6, each=2)
    assert got.count(200) == 5
    assert got.count(429) == 1
    assert got.count(0) == 3
    assert len(found.seen) - before == 5


def test_the_negative_without_a_budget_every_run_is_forwarded(platform) -> None:
    found, server = platform
    before = len(found.seen)
    with proxying(server, None) as (proxy, url):
        got = _spend(proxy, url, runs=6, each=2)
    assert got == [200] * 12
    assert len(found.seen) - before == 12


def test_the_budget_comes_from_the_guides_blocks(scratch: Project) -> None:
    spent = budget(scratch)
    blocks = (spent["runs"] - 16) // RUNS_PER_BLOCK
    assert blocks > 10
    assert spent["requests"] == REQUESTS_PER_BLOCK * blocks + 64
    (scratch.docs_dir / "more.md").write_text("```bash\necho one\n```\n\n```bash\necho two\n```\n")
    assert budget(scratch)["runs"] == spent["runs"] + 2 * RUNS_PER_BLOCK


@pytest.mark.parametrize("page", ["fifo", "link"])
def test_the_count_reads_no_page_a_build_would_refuse(scratch: Project, tmp_path, page: str) -> None:
    spent = budget(scratch)
    if page == "fifo":
        os.mkfifo(scratch.docs_dir / "x.md")
    else:
        (tmp_path / "outside.md").write_text("```bash\necho\n```\n" * 50)
        (scratch.docs_dir / "x.md").symlink_to(tmp_path / "outside.md")
    assert budget(scratch) == spent
