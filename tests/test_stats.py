"""Intervals (issue 14): proportions and bootstrap means against known values."""

from __future__ import annotations

import numpy as np
import pytest

from stationsim.analysis import experiment as E
from stationsim.analysis import stats as ST


def test_zero_of_thirty_is_not_zero_zero() -> None:
    w = ST.proportion_ci(0, 30)
    assert w.low == 0.0 and w.high == pytest.approx(3.8414588 / (30 + 3.8414588), rel=1e-5)
    cp = ST.proportion_ci(0, 30, method="clopper-pearson")
    assert cp.low == 0.0 and cp.high == pytest.approx(1 - 0.025 ** (1 / 30), rel=1e-6)
    assert w.method == "wilson" and cp.method == "clopper-pearson"


def test_thirty_of_thirty_mirrors_zero() -> None:
    for m in ("wilson", "clopper-pearson"):
        lo = ST.proportion_ci(0, 30, method=m)  # type: ignore[arg-type]
        hi = ST.proportion_ci(30, 30, method=m)  # type: ignore[arg-type]
        assert hi.high == 1.0 and hi.low == pytest.approx(1 - lo.high, rel=1e-9)


def test_proportion_known_half_and_no_data() -> None:
    ci = ST.proportion_ci(50, 100)
    assert ci.low == pytest.approx(0.4038, abs=1e-4) and ci.high == pytest.approx(0.5962, abs=1e-4)
    assert np.isnan(ST.proportion_ci(0, 0).low)
    with pytest.raises(ValueError):
        ST.proportion_ci(5, 3)


def test_bootstrap_mean_known_value_and_seeded() -> None:
    x = np.random.default_rng(11).normal(3.0, 1.0, 400)
    a = ST.bootstrap_mean_ci(x, np.random.default_rng(5))
    b = ST.bootstrap_mean_ci(x, np.random.default_rng(5))
    assert a == b and a.method == "percentile bootstrap"
    se = x.std(ddof=1) / np.sqrt(x.size)
    assert a.low < 3.0 < a.high
    assert a.half_width == pytest.approx(1.96 * se, rel=0.15)
    assert a.low < x.mean() < a.high


def test_bootstrap_contrast_matches_difference() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 300), rng.normal(1, 1, 300)
    ci = ST.bootstrap_diff_ci(a, b, np.random.default_rng(1))
    assert ci.low < 1.0 < ci.high and ci.low > 0.6
    const = ST.bootstrap_contrast_ci([np.ones(5), np.zeros(7)], [1, -1], np.random.default_rng(0))
    assert (const.low, const.high) == (1.0, 1.0)


def test_estimate_uses_wilson_for_a_share_of_runs() -> None:
    import pandas as pd

    never = pd.Series(np.zeros(30), index=pd.RangeIndex(30, name="replication"))
    est = E.estimate({"X": never}, {"X": 1.0}, paired=True, rng=np.random.default_rng(0))
    assert est.method == "wilson" and est.ci_low == 0.0 and est.ci_high > 0.1
    # "fewer than 5 % of runs" is not supported by 30 runs that never saw it ...
    assert E.verdict(est.ci_low, est.ci_high, "less", 0.05) == "inconclusive"
    # ... and is by 200
    many = pd.Series(np.zeros(200), index=pd.RangeIndex(200, name="replication"))
    est = E.estimate({"X": many}, {"X": 1.0}, paired=True, rng=np.random.default_rng(0))
    assert E.verdict(est.ci_low, est.ci_high, "less", 0.05) == "supported"
    cp = E.estimate({"X": never}, {"X": 1.0}, paired=True, rng=np.random.default_rng(0),
                    proportion="clopper-pearson")
    assert cp.method == "clopper-pearson"
    two = E.estimate({"A": never, "B": never + 1}, {"B": 1.0, "A": -1.0}, paired=True,
                     rng=np.random.default_rng(0))
    assert two.method == "paired percentile bootstrap" and two.ci_low == two.ci_high == 1.0
