"""BENCHMARKS.md is assembled from the benchmarks' printed figures (bench/report.py): a benchmark run this time
replaces its section; one not run keeps the section its last run wrote (a fresh clone has no .cache/bench/);
one never run says so. No figure is ever typed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .support.project import ROOT


def _report():
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "bench" / "report.py")
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return module


def test_a_benchmark_not_run_keeps_its_last_runs_section_and_one_run_replaces_it(tmp_path: Path) -> None:
    report = _report()
    titles = list(report.BENCHES.items())
    (first, first_title), (second, second_title) = titles[0], titles[1]
    previous = report.render(tmp_path / "none")  # every section "Not run"
    previous = previous.replace(
        f"## {first_title}\n\nNot run", f"## {first_title}\n\n`bench/{first}.py` at commit abc1234: 7 req/s\n\nNot run"
    )
    fragments = tmp_path / "fragments"
    fragments.mkdir()
    (fragments / f"{second}.md").write_text(f"## {second_title}\n\nfresh figures: 42 s\n", encoding="utf-8")
    text = report.render(fragments, previous)
    kept = report.sections(text)
    assert "fresh figures: 42 s" in kept[second_title]  # run this time: its new figures
    assert "Not run, or it stopped" in kept[titles[2][1]]  # never run: said so
    # Not run this time, but its last run's section had only "Not run": nothing to keep, said again.
    assert "abc1234" not in kept[first_title]
    previous = previous.replace("\n\nNot run, or it stopped before printing its figures (`bench/endpoint.py`).", "")
    assert "abc1234: 7 req/s" in report.sections(report.render(fragments, previous))[first_title]
