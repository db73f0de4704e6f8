"""Calibration against history (issue 5, part 3): metrics, facts, predictions, and a
regression pin of the whole pipeline at a tiny size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from stationsim.analysis import calibration as C
from stationsim.inputs.mapping import ISS_GUEST_FLYERS, MODEL_CSV, STATES_CSV, read_states
from stationsim.model.scenario import load_scenario, with_overrides

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- metrics


def test_auc_perfect_reversed_tied_and_known() -> None:
    assert C.auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert C.auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert C.auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5  # ties count half
    # pairs (pos, neg): 0.2>0.3 no, 0.2>0.1 yes, 0.6>0.3 yes, 0.6>0.1 yes -> 3/4
    assert C.auc([1, 0, 1, 0], [0.2, 0.3, 0.6, 0.1]) == 0.75
    assert np.isnan(C.auc([1, 1], [0.2, 0.3]))


def test_auc_random_ranking_is_half_and_matches_mann_whitney() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 4000)
    p = rng.random(4000)
    a = C.auc(y, p)
    assert a == pytest.approx(0.5, abs=0.03)
    u = mannwhitneyu(p[y == 1], p[y == 0]).statistic
    assert a == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()))


def test_brier_balanced_brier_log_loss() -> None:
    assert C.brier([1, 0], [0.8, 0.3]) == pytest.approx((0.2**2 + 0.3**2) / 2)
    assert C.brier([1, 0, 1], [1.0, 0.0, 1.0]) == 0.0
    # positives: (1 - 0.5)^2 = 0.25; negatives: mean(0, 0, 0.04); mean of the two
    assert C.balanced_brier([1, 0, 0, 0], [0.5, 0, 0, 0.2]) == pytest.approx(
        (0.25 + 0.04 / 3) / 2)
    assert C.balanced_brier([1, 0, 0, 0, 0], [0.5] * 5) == pytest.approx(0.25)
    assert C.balanced_brier([0, 0, 1], [0.0, 0.0, 0.0]) == pytest.approx(0.5)  # nobody joins
    assert C.log_loss([1], [0.5]) == pytest.approx(np.log(2))
    with pytest.raises(ValueError):
        C.brier([1, 2], [0.1, 0.2])
    with pytest.raises(ValueError):
        C.brier([1, 0], [0.1, 1.2])


def test_precision_recall_f1_at_threshold() -> None:
    # predicted (p >= 0.5): 1 0 1 0 1 -> tp 2 (0, 4), fp 1 (2), fn 1 (1), tn 1 (3)
    c = C.classification([1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.1, 0.5])
    assert (c["tp"], c["fp"], c["fn"], c["tn"]) == (2, 1, 1, 1)
    assert c["precision"] == pytest.approx(2 / 3)
    assert c["recall"] == pytest.approx(2 / 3)
    assert c["f1"] == pytest.approx(2 / 3)
    none = C.classification([1, 0], [0.1, 0.2])
    assert np.isnan(none["precision"]) and none["recall"] == 0.0 and np.isnan(none["f1"])
    wrong = C.classification([1, 0], [0.1, 0.9])
    assert wrong["f1"] == 0.0


def test_reliability_bins() -> None:
    rel = C.reliability([0, 0, 1, 1, 1], [0.05, 0.1, 0.5, 0.9, 1.0], bins=5)
    assert rel["bin"].tolist() == ["[0.0, 0.2)", "[0.4, 0.6)", "[0.8, 1.0]"]
    assert rel["n"].tolist() == [2, 1, 2]
    assert rel["observed"].tolist() == [0.0, 1.0, 1.0]
    assert rel["mean_predicted"].tolist() == pytest.approx([0.075, 0.5, 0.95])


# ----------------------------------------------------------------------------- facts


@pytest.fixture(scope="module")
def states() -> pd.DataFrame:
    return read_states(STATES_CSV)


def test_iss_facts(states: pd.DataFrame) -> None:
    scn = load_scenario(ROOT / "scenarios/iss_1993.toml")
    t = C.iss_target(scn, states)
    fit = t.facts[t.facts["set"] == "fit"]
    founders = {"CAN", "JPN", "BEL", "DNK", "FRA", "DEU", "ITA", "NLD", "NOR", "ESP", "SWE",
                "CHE", "GBR"}
    assert founders | {"USA"} == set(t.excluded)
    assert len(fit) == 95 - 14
    assert set(fit.loc[fit["observed"] == 1, "iso3"]) == {"RUS", "ZAF", "BRA", "MYS", "KOR",
                                                          "KAZ"}
    ho = t.facts[t.facts["set"] == "held_out"]
    assert set(ho.loc[ho["observed"] == 1, "iso3"]) == {"ARE", "ISR", "SAU", "TUR", "IND",
                                                        "POL", "HUN"}
    assert set(ho["iso3"]) == set(fit.loc[fit["observed"] == 0, "iso3"])
    assert (fit["hi"] == 2015).all() and (ho["lo"] == 2016).all() and (ho["hi"] == 2025).all()
    ever = t.facts[t.facts["set"] == "held_out_ever"]
    assert (ever["lo"] == 1993).all() and ever["observed"].tolist() == ho["observed"].tolist()


def test_css_facts_score_only_possible_guests(states: pd.DataFrame) -> None:
    scn = load_scenario(ROOT / "scenarios/css_2021.toml")
    t = C.css_target(scn, states)
    iss_partners = {"RUS", "JPN", "CAN", "BEL", "DNK", "FRA", "DEU", "ITA", "NLD", "NOR", "ESP",
                    "SWE", "CHE", "GBR"}
    assert set(t.excluded) == iss_partners | {"CHN", "USA"}
    assert len(t.facts) == 95 - 16
    pos = t.facts[t.facts["observed"] == 1]
    assert set(pos["iso3"]) == {"IND", "KEN", "MEX", "PER", "POL", "SAU", "PAK"}
    # stratified split: half of each class (rounded down) held out, fixed by the seed
    assert (pos["set"] == "held_out").sum() == 3
    assert (t.facts["set"] == "held_out").sum() == 3 + 72 // 2
    again = C.css_target(scn, states)
    assert again.facts.equals(t.facts)


def test_guest_flights_are_out_of_the_shipped_iss_1993(states: pd.DataFrame) -> None:
    scn = load_scenario(ROOT / "scenarios/iss_1993.toml")
    assert C.guest_flights_removed(scn, states) == {}  # the shipped inputs are clean
    # the leak comparison puts back exactly the values of data/states_model.csv
    leak = C.guest_flights_left_in(scn, states)
    assert {k.split(".")[1] for k in leak} == set(ISS_GUEST_FLYERS)
    caps = {s.iso3: s.capability for s in scn.states}
    leaky_csv = pd.read_csv(MODEL_CSV).set_index("iso3")["capability"]
    for key, v in leak.items():
        iso = key.split(".")[1]
        assert v == leaky_csv[iso] > caps[iso]
    assert caps["ZAF"] == 0.0  # its only person flown was its ISS guest
    # and taking them out again gives the shipped scenario back
    leaky = with_overrides(scn, leak)
    assert C.guest_flights_removed(leaky, states) == {
        f"states.{k.split('.')[1]}.capability": caps[k.split(".")[1]] for k in leak}
    css = load_scenario(ROOT / "scenarios/css_2021.toml")
    assert C.guest_flights_removed(css, states) == {} == C.guest_flights_left_in(css, states)


def test_predictions_count_first_joins_in_the_window() -> None:
    facts = pd.DataFrame({"iso3": ["AAA", "BBB", "BBB"], "name": ["A", "B", "B"],
                          "set": ["fit", "fit", "held_out"], "observed": [1, 0, 1],
                          "lo": [1993, 1993, 2016], "hi": [2015, 2015, 2025],
                          "observed_year": [2002.0, np.nan, 2019.0], "fact": ["", "", ""]})
    t = C.Target("x", "ISS", facts)
    rows = []
    for point in (0, 1):
        for rep, (ja, jb) in enumerate([(2000, 2020), (None, 2010), (2016, None), (1999, 2016)]):
            rows += [{"point": point, "replication": rep, "iso3": "AAA", "station": "ISS",
                      "join_year": ja if point == 0 else None},
                     {"point": point, "replication": rep, "iso3": "BBB", "station": "ISS",
                      "join_year": jb},
                     {"point": point, "replication": rep, "iso3": "AAA", "station": "CSS",
                      "join_year": 2000}]
    mem = pd.DataFrame(rows).astype({"join_year": "Int64"})
    pr = C.predictions(mem, t).set_index(["point", "iso3", "set"])["p"]
    assert pr[(0, "AAA", "fit")] == 0.5  # 2000 and 1999 in 1993-2015; 2016 is not
    assert pr[(0, "BBB", "fit")] == 0.25
    assert pr[(0, "BBB", "held_out")] == 0.5  # 2020 and 2016
    assert pr[(1, "AAA", "fit")] == 0.0
    losses = C.point_losses(C.predictions(mem, t)).set_index("point")
    assert losses.loc[0, "fit_balanced_brier"] == pytest.approx((0.25 + 0.0625) / 2)


def test_bloc_probabilities() -> None:
    mem = pd.DataFrame({"replication": [0, 1, 0, 1], "iso3": ["AAA"] * 4,
                        "station": ["US_LED", "US_LED", "CN_LED", "CN_LED"],
                        "join_year": pd.array([2020, None, 2021, 2022], dtype="Int64"),
                        "member_at_end": [True, False, False, True]})
    b = C.bloc_probabilities(mem).set_index(["station", "iso3"])
    assert b.loc[("US_LED", "AAA"), "p_ever"] == 0.5
    assert b.loc[("CN_LED", "AAA"), "p_ever"] == 1.0
    assert b.loc[("CN_LED", "AAA"), "p_end"] == 0.5


def test_command_bad_sweep_exits_2(tmp_path: Path) -> None:
    assert C.main(["run", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o")]) == 2


# ----------------------------------------------------------------------------- pipeline pin


def test_calibration_reproduces_its_reported_fit_at_small_size(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Regression pin: the numbers below are what this exact command printed
    (``python -m stationsim.analysis.calibration run --out DIR --workers 1 --samples 4
    --replications 2 --refine-points 2 --refine-replications 3
    --confirm-replications 4``) when the test was written.  A change means the
    model, the seeds, the sweep files or the loss changed: rerun the command,
    check why, and re-pin."""
    out = tmp_path / "cal"
    code = C.main(["run", "--out", str(out), "--workers", "1", "--samples", "4",
                   "--replications", "2", "--refine-points", "2", "--refine-replications", "3",
                   "--confirm-replications", "4"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Chosen: stage-1 point 3 (stage-1 rank 1, loss 0.3674; refined loss 0.3104)" \
        in printed
    assert "Confirmation: 4 replications, fresh seeds, loss 0.2916." in printed
    assert ("| css_2021 | fit | 40 | 4 | 6.500 | 0.094 | 0.191 | 0.354 | 0.819 | 0.333 | "
            "0.750 | 0.462 | 3/6/1 |") in printed
    s = json.loads((out / "calibration.json").read_text())
    assert s["chosen"] == {
        "parameters.trust_base_slope": 0.7775, "parameters.hub_trust_threshold": 0.0955,
        "parameters.hub_value_threshold": 1.1442, "parameters.w_strategic": 1.1058,
        "parameters.w_soft_power": 0.5835, "parameters.hub_alignment_value": 1.9633,
        "parameters.w_regional": 0.1587, "parameters.un_trust_relief": 0.361}
    assert s["confirm_loss"] == pytest.approx(0.29163194444444446, abs=1e-12)
    assert s["fit"]["iss_1993"]["fit"]["auc"] == pytest.approx(0.5355555555555556, abs=1e-12)
    assert s["fit"]["iss_1993"]["held_out"]["balanced_brier"] == pytest.approx(
        0.4556197478991597, abs=1e-12)
    assert s["fit"]["css_2021"]["held_out"]["auc"] == pytest.approx(0.3611111111111111,
                                                                    abs=1e-12)
    # the reported numbers are recomputed from the saved predictions
    pr = pd.read_csv(out / "predictions_css_2021.csv")
    fit = pr[pr["set"] == "fit"]
    assert C.balanced_brier(fit["observed"], fit["p"]) == pytest.approx(
        s["fit"]["css_2021"]["fit"]["balanced_brier"])
    # rerunning on the finished folder reuses every stage and reports the same
    assert C.main(["run", "--out", str(out), "--workers", "1", "--samples", "4",
                   "--replications", "2", "--refine-points", "2", "--refine-replications", "3",
                   "--confirm-replications", "4"]) == 0
    assert json.loads((out / "calibration.json").read_text())["fit"] == s["fit"]
