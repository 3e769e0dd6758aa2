"""The brands' examples, collected once per pytest process; under xdist each worker collects its share of the brands
and takes the others' from them, pickled into a private folder the controller made for the run."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from branddocs.errors import BranddocsError
from branddocs.examples.collection.collect import collect_examples
from branddocs.examples.example import Example
from branddocs.site import Project
from branddocs.site.shard import parse_shard, shard_of

__all__ = [
    "CollectionProblem",
    "collected_examples",
    "pytest_configure",
    "pytest_configure_node",
    "pytest_unconfigure",
]

_SHARE = "branddocs_examples"
"""xdist workerinput: the folder where workers share the brands' collected examples."""
_SHARE_WAIT = 300.0
"""Seconds a worker waits for another's share of the examples before collecting that share itself."""


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
