"""`branddocs check`'s own process (the engine, up to starting pytest) imports neither openai, nor pytest, nor
pytest-examples: a second and more of start-up that only pytest, which imports them itself, has use for.

import-linter cannot say this (it counts the imports inside functions that only pytest calls); so the engine is run
for real, up to pytest's start, and the modules it holds then are listed. The negatives: the same probe, with the
pytest plugin imported first, sees pytest; with the replies' judge (responses/exchange.py) imported first, openai.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .support.project import ROOT

HEAVY = ("openai", "pytest", "_pytest", "pytest_examples", "black", "rich", "uvicorn")
"""Top-level packages the engine has no use for (rich: httpx's command line's, which proxy/__init__.py leaves out;
uvicorn: the proxy's process serves, the engine hands it the brands as data)."""

PROBE = r"""
import json, subprocess, sys
from branddocs.examples.isolation import harness

held = []
def instead_of_pytest(*args, **kwargs):  # where the engine starts pytest (in its harness, or not): list, run nothing
    held.append(sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY)))
    return 0

harness.run = subprocess.call = instead_of_pytest
for name in FIRST:
    __import__(name)
from branddocs.cli import main

code = main(["check", "--brand", "acme"])
print(json.dumps({"code": code, "held": held}))
"""


def _probe(first: list[str]) -> dict:
    script = f"HEAVY = {HEAVY!r}\nFIRST = {first!r}\n{PROBE}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDDOCS_")}  # the reference endpoint
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ([], []),
        (["branddocs.examples.pytest_plugin"], ["_pytest", "pytest"]),
        (["branddocs.examples.responses.exchange"], ["openai"]),
        (["httpx"], ["rich"]),
    ],
    ids=["engine", "negative-plugin-imported", "negative-judge-imported", "negative-httpx-imported-first"],
)
def test_engine_imports_no_openai_nor_pytest(first: list[str], expected: list[str]) -> None:
    found = _probe(first)
    assert found["code"] == 0
    assert len(found["held"]) == 1, "the engine reached pytest's start once"
    held = found["held"][0]
    assert set(expected) <= set(held)
    if not expected:
        assert held == []


PROXY_PROBE = r"""
import json, sys
for name in FIRST:
    __import__(name)
import branddocs.examples.proxy.process
print(json.dumps(sorted({".".join(name.split(".")[:2]) for name in sys.modules} & {"pydantic", "branddocs.brand"})))
"""


@pytest.mark.parametrize(
    ("first", "expected"),
    [([], []), (["branddocs.brand"], ["branddocs.brand", "pydantic"])],
    ids=["proxy", "negative-brand-imported"],
)
def test_proxy_process_builds_no_brand_model(first: list[str], expected: list[str]) -> None:
    """The recording proxy (started first, and waited for before pytest starts) reads REQUEST_PATTERN without
    building the brand model, a third of a second of pydantic: the engine hands it the brands' lists already read.
    On the code before text/grammar.py held the pattern, the first case found both."""
    script = f"FIRST = {first!r}\n{PROXY_PROBE}"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected


SERVING_PROBE = r"""
import json, sys
from branddocs.examples.proxy import process

def where(*args, **kwargs):  # the line saying where it serves: the proxy is up, its reference endpoint too
    held = sorted({".".join(name.split(".")[:2]) for name in sys.modules} & {"pydantic", "branddocs.brand"})
    print(json.dumps([held]), file=sys.stderr, flush=True)
process.print = where
for name in FIRST:
    __import__(name)
process.main()
"""


@pytest.mark.parametrize(
    ("first", "expected"),
    [([], []), (["branddocs.brand"], ["branddocs.brand", "pydantic"])],
    ids=["proxy-serving", "negative-brand-imported"],
)
def test_proxy_serves_the_reference_endpoint_without_the_brand_model(first: list[str], expected: list[str]) -> None:
    """Against the reference endpoint the proxy's process serves the brands `branddocs check` read (proxy_settings'
    `served`): it builds no brand model (a third of a second of pydantic, and the brand files read a second time)
    before it serves. On the code before, it loaded the brands itself, and the first case found both."""
    from branddocs.examples.run.first_run import proxy_settings
    from branddocs.site import Project

    settings = proxy_settings(Project.find(ROOT), "", "", 10.0, ["acme"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRANDDOCS_")}
    script = f"FIRST = {first!r}\n{SERVING_PROBE}"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, input=json.dumps(settings) + "\n",
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == [expected]


JUDGE_PROBE = r"""
import gc, json, sys
from branddocs.examples.pytest_plugin.target import judge_ready

seen = [["openai" in sys.modules, gc.get_freeze_count() > 0, gc.isenabled()]]
judge_ready()
seen.append(["openai" in sys.modules, gc.get_freeze_count() > 0, gc.isenabled()])
print(json.dumps(seen))
"""


def test_the_judge_is_ready_once_collection_is_over() -> None:
    """pytest_collection_finish (once the pool's processes are started) imports the judge's openai types with the
    collector off, then freezes what the process holds: the collector is on again, the first verdict imports nothing.
    The negative: the plugin's import alone imports no openai and freezes nothing (collection pays neither)."""
    done = subprocess.run([sys.executable, "-c", JUDGE_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [[False, False, True], [True, True, True]]
