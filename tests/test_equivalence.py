"""The optimised core is the same model: outcome distributions match the frozen fixture.

``tests/fixtures/equivalence_runs.parquet`` holds the runs table (every
per-run outcome) of ``scenarios/baseline.toml`` and
``scenarios/css_vs_iss.toml``, 200 replications each from fixed master seeds,
made by ``tests/fixtures/make_equivalence_fixture.py`` *before* the core was
optimised (issue 6).  The tests re-run both scenarios with the same seeds and
check:

1. **Distributions** (the guard that survives a change of the random
   stream).  For every outcome that varies, two tests of "same
   distribution": a two-sample Kolmogorov-Smirnov test (``scipy.stats.ks_2samp``,
   asymptotic p-value; conservative for integer counts) and
   Welch's t-test of equal means (the current mean lies within the
   confidence interval of the difference).  All p-values of a scenario form
   one family, corrected by Holm-Bonferroni; the test fails if any is
   rejected at family-wise level ``ALPHA = 0.01``.  A deliberate model change
   (:func:`test_distribution_test_detects_a_model_change`) is rejected, so
   the guard has power.
2. **Exact equality**: the optimisation kept the random stream, so for the
   same seeds every outcome equals the fixture (floats to ``rtol = 1e-9``,
   which allows summation reordering).  If a later change alters the
   stream on purpose, this test is the one to drop or re-baseline; the
   distribution test stays the guard.
3. **Determinism**: for a fixed seed the core gives identical tables,
   also for a generated world of a few hundred states.

Runtime: the 400 replications of the two scenarios run once per module
(3.4 s on the 2-core development machine at low load; the whole module
about 5 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy import stats

import stationsim
from stationsim.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE = FIXTURES / "equivalence_runs.parquet"
#: family-wise significance level, per scenario (Holm-Bonferroni)
ALPHA = 0.01


def _load_maker():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_equivalence_fixture", FIXTURES / "make_equivalence_fixture.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MAKER = _load_maker()


@pytest.fixture(scope="module")
def frozen() -> pd.DataFrame:
    return pd.read_parquet(FIXTURE)


@pytest.fixture(scope="module")
def current(frozen: pd.DataFrame) -> pd.DataFrame:
    """The current runs, restricted to the fixture's columns (later outcomes, such as the
    refusals by reason, are new columns the fixture cannot hold)."""
    runs = MAKER.make(MAKER.REPLICATIONS)
    return runs[list(frozen.columns)]


def holm_rejections(pvalues: dict[str, float], alpha: float) -> list[str]:
    """Names whose hypothesis Holm-Bonferroni rejects at family-wise level ``alpha``."""
    items = sorted(pvalues.items(), key=lambda kv: kv[1])
    m = len(items)
    out = []
    for k, (name, p) in enumerate(items):
        if p > alpha / (m - k):
            break
        out.append(name)
    return out


def distribution_pvalues(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, float]:
    """KS and Welch p-values for every numeric outcome column that varies in a or b."""
    out: dict[str, float] = {}
    for c in a.columns:
        if c in ("scenario_file", "replication", "run_seed") or not pd.api.types.is_numeric_dtype(
                a[c]):
            continue
        x = a[c].to_numpy(dtype=float)
        y = b[c].to_numpy(dtype=float)
        if np.ptp(np.concatenate((x, y))) == 0:
            continue  # constant outcome: equal by inspection below
        out[f"{c} (KS)"] = float(stats.ks_2samp(x, y, method="asymp").pvalue)
        if x.std() == 0 and y.std() == 0:
            out[f"{c} (mean)"] = 0.0 if x[0] != y[0] else 1.0
        else:
            out[f"{c} (mean)"] = float(stats.ttest_ind(x, y, equal_var=False).pvalue)
    return out


@pytest.mark.parametrize("stem", list(MAKER.SCENARIOS))
def test_outcome_distributions_match_fixture(stem: str, frozen: pd.DataFrame,
                                             current: pd.DataFrame) -> None:
    a = frozen[frozen["scenario_file"] == stem].reset_index(drop=True)
    b = current[current["scenario_file"] == stem].reset_index(drop=True)
    assert len(a) == len(b) == MAKER.REPLICATIONS
    assert list(a.columns) == list(b.columns)
    pv = distribution_pvalues(a, b)
    assert len(pv) >= 20  # most outcomes vary across replications
    rejected = holm_rejections(pv, ALPHA)
    assert not rejected, f"{stem}: distributions differ from the fixture: {rejected}"
    # outcomes constant in the fixture stay that constant
    for c in a.columns:
        if pd.api.types.is_numeric_dtype(a[c]) and a[c].nunique() == 1:
            assert (b[c] == a[c].iloc[0]).all(), c


def test_outcomes_equal_fixture_exactly_for_fixed_seeds(frozen: pd.DataFrame,
                                                        current: pd.DataFrame) -> None:
    """The optimised core keeps the random stream: same seeds, same outcomes."""
    assert_frame_equal(current, frozen, check_exact=False, rtol=1e-9, atol=1e-12)


def test_distribution_test_detects_a_model_change(frozen: pd.DataFrame) -> None:
    """The guard has power: a tripled default penalty (0.05 -> 0.15) is rejected.

    The changed model runs from another master seed (and half as many
    replications), so the two samples are independent as they would be after
    a change of the random stream.
    """
    scn = stationsim.load_scenario(ROOT / "scenarios" / "css_vs_iss.toml")
    changed = stationsim.with_overrides(scn, {"parameters.default_penalty": 0.15})
    runs = stationsim.run(changed, seed=MAKER.SCENARIOS["css_vs_iss"] + 1,
                          replications=MAKER.REPLICATIONS // 2).runs
    b = runs[[c for c in frozen.columns if c in runs.columns]].astype(
        {c: np.int64 for c in runs.columns if runs[c].dtype == bool})
    a = frozen[frozen["scenario_file"] == "css_vs_iss"]
    assert holm_rejections(distribution_pvalues(a, b), ALPHA)


def test_holm_correction() -> None:
    assert holm_rejections({"a": 0.001, "b": 0.006, "c": 0.5}, 0.01) == ["a"]
    assert holm_rejections({"a": 0.001, "b": 0.004}, 0.01) == ["a", "b"]
    assert holm_rejections({"a": 0.2}, 0.01) == []


def _small_world(n: int) -> Scenario:
    base = stationsim.load_scenario(ROOT / "scenarios" / "scale_1000.toml")
    asia = (n - 2) * 2 // 5
    return stationsim.with_overrides(base, {"generate.0.count": asia,
                                            "generate.1.count": n - 2 - asia})


@pytest.mark.parametrize("stem", [*MAKER.SCENARIOS, "scale_300"])
def test_core_is_deterministic_for_a_fixed_seed(stem: str) -> None:
    scn = (_small_world(300) if stem == "scale_300"
           else stationsim.load_scenario(ROOT / "scenarios" / f"{stem}.toml"))
    a = stationsim.run(scn, seed=123, replications=2)
    stationsim.run(scn, seed=124, replications=1)  # no state carried between runs
    b = stationsim.run(scn, seed=123, replications=2)
    for name in ("runs", "steps", "membership"):
        assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.steps["admissions"].sum() > 0  # something happened
