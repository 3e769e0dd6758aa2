"""Lookalike tenants: names, ids, key variables and host names a reader cannot tell apart are refused.

Mechanism: each value is folded to its UTS #39 confusable skeleton (branddocs/text/skeleton.py, Unicode's
confusables.txt vendored with its provenance), as written and case-folded; two brand files with a shared
skeleton are refused by `check-brands` and wherever all brands are loaded (`load_brands`: the reference
endpoint), naming both files. Negative: comparing the
values as strings lets each pair through.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from branddocs.brand import BrandError, load_brands
from branddocs.site import Project
from branddocs.text import skeleton

from ..conftest import run_branddocs

ACME = {"user_name": "Acme Cloud", "resource_dir_name": "acme", "api": {"base_url": "https://api.acme.example/v1"},
        "models": ["m1"], "site_url": "https://docs.acme.example/"}  # fmt: skip
PAIRS = {
    # what the lookalike brand changes: (field named in the error, its values)
    "a Greek capital Alpha in the name": ("user_name", {"user_name": "\u0391cme Cloud"}),
    "a Cyrillic o and e in the name": ("user_name", {"user_name": "Acm\u0435 Cl\u043eud"}),
    "a capital I for an l": ("user_name", {"user_name": "Acme CIoud"}),
    "the same name in capitals": ("user_name", {"user_name": "ACME CLOUD"}),
    "rn for m in the host": ("host name", {"api": {"base_url": "https://api.acrne.example/v1"}}),
    "a digit 0 for an o in the host": ("host name", {"site_url": "https://d0cs.acme.example/"}),
    "the same key variable, chosen": ("api.key_env", {"api": {"base_url": "https://api.other.example/v1",
                                                               "key_env": "ACME_CLOUD_API_KEY"}}),
}  # fmt: skip


def _write(folder: Path, brand_id: str, values: dict) -> Path:
    path = folder / f"{brand_id}.yml"
    path.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    return path


def _other(change: dict) -> dict:
    api, site = {"base_url": "https://api.other.example/v1"}, "https://docs.other.example/"
    other = {**ACME, "user_name": "Other Co", "resource_dir_name": "other", "api": api, "site_url": site}
    return {**other, **change}


@pytest.mark.parametrize("case", PAIRS)
def test_a_lookalike_tenant_is_refused_naming_both_files(tmp_path: Path, case: str) -> None:
    field, change = PAIRS[case]
    acme, other = _write(tmp_path, "acme", ACME), _write(tmp_path, "acme2", _other(change))
    with pytest.raises(BrandError, match=rf"^{re.escape(str(acme))} and {re.escape(str(other))}: {field}: expected"):
        load_brands(tmp_path)


@pytest.mark.parametrize("case", [c for c in PAIRS if PAIRS[c][0] != "api.key_env"])
def test_a_string_comparison_lets_each_through(case: str) -> None:
    # The negative: the values differ as strings; only their skeletons agree.
    field, change = PAIRS[case]
    flat = {**change, **change.get("api", {})}
    value = next(v for v in flat.values() if isinstance(v, str))
    original = {"user_name": "Acme Cloud", "host name": "api.acme.example"}[field]
    if "site_url" in change:
        original, value = "docs.acme.example", "d0cs.acme.example"
    elif field == "host name":
        value = "api.acrne.example"
    assert value != original
    assert lookalike_brands_keys(value) & lookalike_brands_keys(original)


def lookalike_brands_keys(value: str) -> set[str]:
    """The skeletons the mechanism compares (as written, case-folded, case-folded after the mapping)."""
    return {skeleton(value), skeleton(value.casefold()), skeleton(skeleton(value).casefold())}


def test_tenants_may_share_a_host_but_not_a_lookalike(tmp_path: Path) -> None:
    _write(tmp_path, "acme", ACME)
    _write(tmp_path, "two", _other({"api": {"base_url": "https://api.acme.example/tenant-two/v1"}}))
    assert [b.id for b in load_brands(tmp_path)] == ["acme", "two"]


def test_check_brands_names_both_files_and_the_hidden_letter(scratch: Project) -> None:
    _write(scratch.brands_dir, "acme2", _other(PAIRS["a Greek capital Alpha in the name"][1]))
    shutil.copytree(scratch.docs_dir / "images" / "acme", scratch.docs_dir / "images" / "other")
    done = run_branddocs("check-brands", cwd=scratch.root)
    assert done.returncode == 1
    assert f"{scratch.brands_dir / 'acme.yml'} and {scratch.brands_dir / 'acme2.yml'}: user_name:" in done.stderr
    assert "U+0391 GREEK CAPITAL LETTER ALPHA" in done.stderr


def test_the_endpoint_refuses_to_serve_lookalikes_naming_both_files(scratch: Project) -> None:
    _write(scratch.brands_dir, "acme2", _other(PAIRS["a Greek capital Alpha in the name"][1]))
    shutil.copytree(scratch.docs_dir / "images" / "acme", scratch.docs_dir / "images" / "other")
    done = run_branddocs("endpoint", "--port", "0", cwd=scratch.root)
    assert done.returncode == 2
    assert f"{scratch.brands_dir / 'acme.yml'} and {scratch.brands_dir / 'acme2.yml'}: user_name:" in done.stderr
    assert "U+0391 GREEK CAPITAL LETTER ALPHA" in done.stderr
