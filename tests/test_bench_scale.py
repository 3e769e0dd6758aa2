"""bench/scale.py's verdict: a goal about 1,000 brands, or the ratio of two sizes, is NOT MEASURED (and the run's
goal not met) when no such size ran; measured, each is met or missed on its figures."""

from __future__ import annotations

import importlib.util
import sys

from .support.project import ROOT


def _scale():
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "bench"))
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "bench"))
        del sys.modules[spec.name]
    return module


def _run(scale, brands: int, seconds_per_brand: float, shared_mb_per_1000: float):
    return scale.Run(brands, seconds_per_brand * brands, 1.0, 300.0, 150.0, 0.0, shared_mb_per_1000 * brands / 1000,
                     1, 1, 2.0, 1)  # fmt: skip


def _verdicts(checks: dict) -> dict[str, bool | None]:
    """The checks keyed by their first words, which stay the same when a goal's figure changes."""
    return {" ".join(goal.split()[:3]): ok for goal, ok in checks.items()}


def test_a_run_without_1000_brands_leaves_those_goals_not_measured_and_the_run_not_met() -> None:
    scale = _scale()
    # 200 brands well inside every goal's figures: the old verdict, all() of no large run, called this met.
    checks = scale.goals([_run(scale, 200, 0.01, 10.0)])
    verdicts = _verdicts(checks)
    assert verdicts["1,000 brands or"] is None
    assert verdicts["at most 150"] is None
    assert verdicts["time per brand"] is None  # one size: no ratio
    assert verdicts["peak memory (PSS"] is True
    assert verdicts["one brand file"] is True
    assert scale.met(checks) is False


def test_a_run_with_1000_brands_is_met_or_missed_on_its_figures() -> None:
    scale = _scale()
    fast = scale.goals([_run(scale, 20, 0.04, 3000.0), _run(scale, 1000, 0.04, 140.0)])
    assert all(ok is True for ok in fast.values())
    assert scale.met(fast) is True
    # Negative: the same sizes, 1,000 brands in 60 s and 160 MB: missed, not "not measured".
    slow = _verdicts(scale.goals([_run(scale, 20, 0.06, 3000.0), _run(scale, 1000, 0.06, 160.0)]))
    assert slow["1,000 brands or"] is False
    assert slow["at most 150"] is False
    assert slow["time per brand"] is True
    assert scale.met(scale.goals([_run(scale, 20, 0.06, 3000.0), _run(scale, 1000, 0.06, 160.0)])) is False
