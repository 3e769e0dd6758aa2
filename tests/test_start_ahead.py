"""What a check's examples need, started before the first of them (branddocs/examples/run/ahead.py): the very processes
the examples would have started themselves, so that the first example of each kind takes the one started ahead.

The negative of each: with nothing named, nothing is started, and each example starts its own as before.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from branddocs.examples.run import sandbox
from branddocs.examples.run.ahead import start_ahead
from branddocs.examples.run.pool import Pool
from branddocs.examples.run.process import Target, example_env, example_node
from branddocs.settings import ROWS_ORDER

pytestmark = [
    pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1] or "available"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),  # the processes' pipes, closed by their end
]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    """A target whose pool's processes reach a Unix socket nobody answers (nothing here makes a request)."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "proxy.sock"))
    pool = Pool(str(tmp_path / "proxy.sock"), 48080)  # a port inside the sandbox only
    found = Target(None, "http://127.0.0.1:48080", exact=True, sandbox_socket=pool.socket_path, pool=pool)  # type: ignore[arg-type]
    try:
        yield found
    finally:
        found.close()
        listener.close()


def test_what_the_pages_need_is_started_and_taken_by_the_first_example(target: Target) -> None:
    assert target.pool is not None
    started = start_ahead(target, ["bash", "errors", "javascript", "python"], ROOT)
    assert started == ["python", "javascript", "errors"]
    zygote = target.pool.zygotes[sys.executable]
    assert zygote.alive()
    assert target.pool.zygote(sys.executable) is zygote, "the first Python example forks from it"
    node, modules = example_node(ROOT)
    assert len(target.pool.standbys) == 1
    ahead = next(iter(target.pool.standbys.values()))
    # What javascript.py asks for: the example's environment less its key (prepare() in the sandbox).
    taken = target.pool.standby(os.path.realpath(node), modules.resolve(), example_env(Path(sandbox.SCRATCH) / "home"))
    assert taken is ahead, "the first JavaScript example takes the standby started ahead"
    target.pool.done(taken)
    assert sorted(target.clients) == ["javascript", "python"]
    assert all(client.alive() for client in target.clients.values())


def test_nothing_named_nothing_started(target: Target) -> None:
    assert target.pool is not None
    assert start_ahead(target, ["bash"], ROOT) == []
    assert (target.pool.zygotes, target.pool.standbys, target.clients) == ({}, {}, {})


def test_the_python_rows_client_is_the_zygotes_unit(target: Target) -> None:
    """In the sandbox the error tables' curl and Python client is no process of its own (which imported openai again):
    each table's order is run by a unit the worker's zygote forks, the zygote the Python examples fork from. An order
    without rows is answered end to end (curl, given no URL, shows nothing). The negative: without the sandbox's
    pool, the client is a process of its own, as before."""
    from branddocs.examples.run import rows_client as client_file
    from branddocs.examples.run.rows import ForkedRows, RowsClient, rows_client

    assert target.pool is not None
    started = start_ahead(target, ["errors"], ROOT)
    assert started == ["errors"]
    client = target.clients["python"]
    assert isinstance(client, ForkedRows)
    assert client.zygote is target.pool.zygotes[sys.executable], "the Python examples' zygote"
    assert sorted(target.pool.zygotes) == [sys.executable]
    run = {"base_url": target.proxy_url, "key": "sk-none", "wrong_key": "sk-wrong", "timeout": 5, "rows": []}
    client.send({"curl": run, "python": run})
    assert client.answer(60) == {"id": 1, "python": [], "curl": []}
    assert client.alive(), "the zygote forks the next table's unit, or the next example's"
    assert ROWS_ORDER.name == client_file.ORDER_ENV  # the name rows.py sets, which that file cannot import
    plain = Target(None, "http://127.0.0.1:48080", exact=True)  # type: ignore[arg-type]
    try:
        assert isinstance(rows_client(plain, "python", ROOT), RowsClient)
    finally:
        plain.close()
