"""Under xdist the workers share the collecting of examples: each collects its share of the brands, once.

`branddocs check -n N` (and `make test`) start N workers that must all see the same tests; each collects every
Nth brand and reads the others' shares from a private folder the controller made (pytest_plugin/share.py).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from branddocs.errors import BranddocsError
from branddocs.examples.pytest_plugin import share
from branddocs.examples.pytest_plugin.share import _collect, _shared
from branddocs.site import Project

from .conftest import ROOT


def ids_of(by_brand: dict) -> dict[str, list[str]]:
    return {brand: [e.id for e in examples] for brand, examples in by_brand.items()}


def test_a_worker_collects_its_share_and_reads_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project(ROOT)
    ids = project.brand_ids()
    whole = _collect(project, ids, None)
    theirs = {brand: whole[brand][:1] for brand in ids[1::2]}  # marked: only their first example each
    (tmp_path / "1.pickle").write_bytes(pickle.dumps({"examples": theirs}))
    collected: list[str] = []
    real = share.collect_examples

    def counted(p: Project, brand, pages):
        collected.append(brand.id)
        return real(p, brand, pages)

    monkeypatch.setattr(share, "collect_examples", counted)
    got = _shared(tmp_path, "gw0", 2, project, ids, None)
    assert collected == ids[0::2]  # its own share alone
    assert ids_of(got) == {**ids_of({b: whole[b] for b in ids[0::2]}), **ids_of(theirs)}
    assert (tmp_path / "0.pickle").exists()  # for the other worker
    # The negative: with no share from the other worker (it died), this one collects that share too.
    (tmp_path / "1.pickle").unlink()
    monkeypatch.setattr(share, "_SHARE_WAIT", 0.0)
    collected.clear()
    assert ids_of(_shared(tmp_path, "gw0", 2, project, ids, None)) == ids_of(whole)
    assert collected == ids[1::2]  # its own share was on disk already


def test_a_fence_mistake_in_another_share_stops_every_worker(tmp_path: Path) -> None:
    project = Project(ROOT)
    (tmp_path / "1.pickle").write_bytes(pickle.dumps({"problem": "docs/page.md:3: an unclosed fence"}))
    with pytest.raises(BranddocsError, match="unclosed fence"):
        _shared(tmp_path, "gw0", 2, project, project.brand_ids(), None)
