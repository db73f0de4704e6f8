"""The validation metrics against hand-computed cases (ties included) and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.metrics import log_loss as sk_log_loss

from stationsim.analysis import metrics as mt

Y = np.array([1, 1, 0, 0, 0], dtype=float)
P = np.array([0.9, 0.4, 0.4, 0.2, 0.1])


def test_auc_by_hand_with_a_tie() -> None:
    # positive 0.9 beats all three negatives (3); positive 0.4 ties one (0.5), beats two (2)
    assert mt.auc(Y, P) == pytest.approx(5.5 / 6)


def test_auc_perfect_reversed_all_tied_and_one_class() -> None:
    assert mt.auc([1, 0], [0.7, 0.2]) == 1.0
    assert mt.auc([1, 0], [0.2, 0.7]) == 0.0
    assert mt.auc([1, 0, 0], [0.5, 0.5, 0.5]) == 0.5
    assert np.isnan(mt.auc([0, 0], [0.1, 0.2]))


def test_brier_and_log_loss_by_hand() -> None:
    assert mt.brier([1, 0], [0.8, 0.3]) == pytest.approx((0.2**2 + 0.3**2) / 2)
    assert mt.log_loss([1, 0], [0.8, 0.3]) == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2)
    # clipped: a certain miss costs -log(eps), not infinity
    assert mt.log_loss([1], [0.0]) == pytest.approx(-np.log(mt.LOG_LOSS_EPS))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_metrics_agree_with_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random(60) < 0.3).astype(float)
    p = np.round(rng.random(60), 1)  # rounded: many ties
    p = np.clip(p, 0.05, 0.95)
    assert mt.auc(y, p) == pytest.approx(roc_auc_score(y, p))
    assert mt.brier(y, p) == pytest.approx(brier_score_loss(y, p))
    assert mt.log_loss(y, p) == pytest.approx(sk_log_loss(y, p))


def _delong_slow(y: np.ndarray, p: np.ndarray) -> float:
    """DeLong's variance from its definition (structural components, O(mn))."""
    pos, neg = p[y == 1], p[y == 0]

    def psi(a: float, b: float) -> float:
        return 1.0 if a > b else 0.5 if a == b else 0.0

    v10 = np.array([np.mean([psi(x, z) for z in neg]) for x in pos])
    v01 = np.array([np.mean([psi(x, z) for x in pos]) for z in neg])
    return float(np.var(v10, ddof=1) / pos.size + np.var(v01, ddof=1) / neg.size)


def test_delong_variance_matches_its_definition() -> None:
    rng = np.random.default_rng(7)
    y = np.array([1] * 8 + [0] * 20, dtype=float)
    p = np.round(rng.random(28), 1)
    a, var = mt.delong(y, p)
    assert a == pytest.approx(roc_auc_score(y, p))
    assert var == pytest.approx(_delong_slow(y, p))
    lo, hi = mt.delong_ci(y, p)
    assert 0 <= lo < a < hi <= 1


def test_delong_interval_undefined_with_one_positive() -> None:
    assert all(np.isnan(mt.delong_ci([1, 0, 0], [0.9, 0.1, 0.2])))


def test_stratified_bootstrap_keeps_the_classes_and_is_seeded() -> None:
    draws = mt._strata_resamples(Y, np.random.default_rng(0), 50)
    assert draws.shape == (50, 5)
    assert (Y[draws].sum(axis=1) == 2).all()  # every resample: two positives
    a = mt.bootstrap_ci(mt.brier, Y, P, np.random.default_rng(5), 500)
    b = mt.bootstrap_ci(mt.brier, Y, P, np.random.default_rng(5), 500)
    assert a == b
    assert a[0] <= mt.brier(Y, P) <= a[1]


def test_paired_difference() -> None:
    rng = np.random.default_rng(1)
    d, lo, hi = mt.paired_difference_ci(mt.brier, Y, P, P, rng, 200)
    assert (d, lo, hi) == (0.0, 0.0, 0.0)
    perfect = Y.copy()
    d, lo, hi = mt.paired_difference_ci(mt.auc, Y, perfect, P, rng, 200)
    assert d == pytest.approx(1 - 5.5 / 6)
    assert lo >= 0.0 and hi <= 1.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        mt.brier([2, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="probabilities"):
        mt.log_loss([1, 0], [1.2, 0.2])
