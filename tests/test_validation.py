"""Validation against history (issue 12): cases, fixed splits, the leak check, baselines,
the table, and ``stationsim validate`` in a real process."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli, scenario_dict, state, station

from stationsim.analysis import metrics as mt
from stationsim.analysis import validation as v
from stationsim.analysis.validation import pipeline
from stationsim.inputs import dated
from stationsim.model.scenario import load_scenario, scenario_from_dict


def _facts(name: str) -> pd.DataFrame:
    case = v.get_cases([name])[0]
    return v.case_facts(case, load_scenario(case.scenario_path()))


def _positives(f: pd.DataFrame, split: str) -> list[str]:
    return sorted(f.loc[(f["set"] == split) & (f["observed"] == 1), "iso3"])


def test_unknown_case_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"'nope'.*allowed: iss_partners, iss_guests, css, "
                                         r"interkosmos"):
        v.get_cases(["css", "nope"])
    assert [c.name for c in v.get_cases(None)] == list(v.CASE_NAMES)


def test_the_splits_are_fixed() -> None:
    """The splits of issue 12, pinned: changing them fails here (they must not move)."""
    f = _facts("iss_partners")
    assert set(f["set"]) == {"fit"}
    assert _positives(f, "fit") == ["BEL", "BRA", "CAN", "CHE", "DEU", "DNK", "ESP", "FRA",
                                    "GBR", "ITA", "JPN", "NLD", "NOR", "SUN", "SWE"]
    f = _facts("iss_guests")
    assert _positives(f, "fit") == ["BRA", "KAZ", "KOR", "MYS", "ZAF"]
    assert _positives(f, "held_out") == ["ARE", "BLR", "HUN", "IND", "ISR", "POL", "SAU",
                                         "TUR"]
    assert set(f.loc[f["set"] == "held_out", "hi"]) == {2025}
    f = _facts("css")
    assert _positives(f, "fit") == ["IND", "KEN", "MEX", "PAK"]
    assert _positives(f, "held_out") == ["PER", "POL", "SAU"]  # as docs/calibration.md
    assert (f.loc[f["observed"] == 1].set_index("iso3")["subject"].drop("PAK")
            == "institution").all()
    assert "USA" not in set(f["iso3"]) and "RUS" not in set(f["iso3"])  # banned; ISS partner
    f = _facts("interkosmos")
    assert _positives(f, "fit") == ["BGR", "CSK", "CUB", "DDR", "HUN", "MNG", "POL", "ROU",
                                    "VNM"]
    assert _positives(f, "held_out") == ["AFG", "FRA", "IND", "SYR"]
    assert "SUN" not in set(f["iso3"])


@pytest.mark.parametrize("name", v.CASE_NAMES)
def test_no_case_leaks(name: str) -> None:
    assert v.leak_problems(v.get_cases([name])[0]) == []


def test_the_leak_check_fails_on_a_leaking_case() -> None:
    """iss_guests on the world of 2025: people flown count the guest flights it scores."""
    case = v.get_cases(["iss_guests"])[0]
    leaky = dated.dated_world(2025)
    problems = v.leak_problems(case, leaky)
    assert any("capability counts the scored flights" in p and "ZAF" in p for p in problems)
    assert any("differs from the dated world of 2001" in p for p in problems)
    # the same case claiming to be dated 2025: its facts predate its world
    late = dataclasses.replace(case, inputs_year=2025)
    assert any("facts dated before the world" in p for p in v.leak_problems(late, leaky))


def test_validate_refuses_a_leaking_case_before_running(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "leak_problems", lambda case: [f"{case.name}: leaks"])
    with pytest.raises(v.LeakError, match="css: leaks"):
        v.validate(["css"], tmp_path / "out", replications=2, workers=1)
    assert not (tmp_path / "out").exists()


def test_interkosmos_world_counts_no_guest_cosmonaut() -> None:
    w = dated.dated_world(1978).set_index("iso3")
    assert (w.loc[["CSK", "POL", "DDR", "BGR", "FRA", "IND"], "capability"] == 0).all()
    assert w.at["SUN", "alignment"] == 1.0 and w.at["USA", "alignment"] == -1.0
    assert "WARSAW_PACT" in w.at["CSK", "blocs"] and "NAM" in w.at["IND", "blocs"]


def test_dated_files_are_up_to_date() -> None:
    assert dated.stale_files() == []


def _constructed(decider: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A world of 40 states where ``decider`` alone decides who joined."""
    rng = np.random.default_rng(3)
    states = [state("HUB", capability=1.0, alignment=-1.0, blocs=["B"], continent="C1")]
    for k in range(40):
        joined = k % 4 == 0
        kw = {"capability": float(rng.uniform(0, 0.5)), "alignment": float(rng.uniform(-1, 1)),
              "developing": bool(rng.integers(2)), "continent": "C2"}
        if decider == "developing":
            kw["developing"] = joined
        else:
            kw["capability"] = float(rng.uniform(0.6, 1.0)) if joined else kw["capability"]
        states.append(state(f"S{k:02d}", **kw))
    scn = scenario_from_dict(scenario_dict(states=states, stations=[station("ST", "HUB")]))
    facts = pd.DataFrame({"iso3": [f"S{k:02d}" for k in range(40)],
                          "set": ["fit" if k < 24 else "held_out" for k in range(40)],
                          "observed": [int(k % 4 == 0) for k in range(40)]})
    return facts, v.features(scn, "ST", list(facts["iso3"]))


@pytest.mark.parametrize("decider", ["capability", "developing"])
def test_the_deciding_input_scores_auc_one(decider: str) -> None:
    facts, feats = _constructed(decider)
    probs = v.baseline_probabilities(facts, feats, seed=1)
    for split in ("fit", "held_out"):
        m = (facts["set"] == split).to_numpy()
        y = facts.loc[m, "observed"].to_numpy(float)
        assert mt.auc(y, probs[f"baseline:{decider}"][m]) == 1.0
        other = "developing" if decider == "capability" else "capability"
        assert mt.auc(y, probs[f"baseline:{other}"][m]) < 1.0


def test_score_case_table_and_best_baseline() -> None:
    """Scoring fake runs in which exactly the observed states join: model AUC 1."""
    case = v.get_cases(["interkosmos"])[0]
    scn = load_scenario(case.scenario_path())
    facts = v.case_facts(case, scn)
    rows = []
    for rep in range(3):
        for r in facts[facts["set"] == "fit"].itertuples():
            year = r.observed_year if r.observed_year == r.observed_year else None
            rows.append({"replication": rep, "iso3": r.iso3, "station": "SALYUT",
                         "join_year": year})
    mem = pd.DataFrame(rows)
    res = v.score_case(case, scn, mem, seed=4, n_boot=50)
    t = res.table
    assert list(t.columns) == list(v.COLUMNS)
    assert set(t["split"]) == {"fit", "held_out"}
    assert {"model", "baseline:capability", "baseline:logistic_all",
            v.DIFF_SCORER} <= set(t["scorer"])
    auc = t[(t["scorer"] == "model") & (t["metric"] == "auc")].set_index("split")["value"]
    assert auc["fit"] == 1.0 and auc["held_out"] == 1.0
    assert res.best.startswith("baseline:")
    fit_pos = t[(t["scorer"] == "model") & (t["split"] == "fit")]["n_pos"].iloc[0]
    assert fit_pos == 9


@pytest.mark.slow
def test_cli_bad_case_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("validate", "--cases", "css,atlantis", "--out", str(out))
    assert proc.returncode == 2
    assert "atlantis" in proc.stderr and "iss_partners, iss_guests, css, interkosmos" in \
        proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    proc = run_cli("validate", "--replications", "0", "--out", str(out))
    assert proc.returncode == 2 and "--replications" in proc.stderr and not out.exists()
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    proc = run_cli("validate", "--out", str(blocker / "out"))
    assert proc.returncode == 2 and "cannot write there" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]


@pytest.mark.slow
def test_cli_data_check() -> None:
    proc = run_cli("data", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "states_model_1978.csv: up to date" in proc.stdout


@pytest.mark.slow
def test_cli_validate_writes_the_table(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("validate", "--cases", "interkosmos", "-r", "3", "--workers", "1",
                   "--out", str(out), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "[1/1] interkosmos" in proc.stderr
    assert "interkosmos  held_out baseline:capability" in proc.stdout
    t = pd.read_csv(out / "validation.csv")
    assert list(t.columns) == list(v.COLUMNS)
    assert {"auc", "brier", "log_loss"} <= set(t["metric"])
    assert {"model", v.DIFF_SCORER} <= set(t["scorer"])
    assert (out / "interkosmos" / "states.csv").is_file()
    assert (out / "interkosmos" / "validation.png").stat().st_size > 10_000


@pytest.mark.slow
def test_cli_calibrate_reads_only_fit_facts(tmp_path: Path) -> None:
    out = tmp_path / "cal"
    proc = run_cli("calibrate", "--cases", "interkosmos", "--samples", "3", "-r", "2",
                   "--refine-points", "2", "--refine-replications", "2", "--workers", "1",
                   "--out", str(out), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "trust_base_slope = " in proc.stdout
    pts = pd.read_csv(out / "points.csv")
    assert len(pts) == 3 and "interkosmos_fit_loss" in pts.columns
    assert not any("held_out" in c for c in pts.columns)
    iv = pd.read_csv(out / "intervals.csv")
    assert len(iv) == 8 and (iv["lo"] <= iv["chosen"]).all() and (iv["chosen"] <= iv["hi"]).all()
    assert "intervals (95 %" in proc.stdout and "standard error" in proc.stdout
    proc = run_cli("calibrate", "--cases", "mir", "--out", str(tmp_path / "bad"))
    assert proc.returncode == 2 and "allowed: iss_partners" in proc.stderr


@pytest.mark.slow
def test_validate_from_an_installed_package_in_another_folder(tmp_path: Path) -> None:
    """``pip install --target`` (no dependencies: those of this interpreter), then
    ``stationsim validate`` from an unrelated folder finds the shipped cases."""
    import os
    import shutil
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    src = tmp_path / "src"
    shutil.copytree(root, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "results", "build", "*.egg-info", "__pycache__", "benchmarks"))
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--target", str(target), str(src)], capture_output=True, text=True,
                          timeout=600, check=False)
    if proc.returncode != 0:
        pytest.skip(f"pip cannot build here: {proc.stderr[-300:]}")
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, "-m", "stationsim", "validate", "--cases", "css",
                           "-r", "2", "--workers", "1", "--out", "out", "-q"], cwd=work,
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (work / "out" / "validation.csv").is_file()


def test_participation_is_the_first_membership_or_guest_flight() -> None:
    import pandas as pd

    from stationsim.analysis.validation import participation

    mem = pd.DataFrame({"replication": [0, 0, 0, 0], "iso3": ["A", "B", "C", "D"],
                        "station": "ISS",
                        "join_year": pd.array([2005, None, 2010, None], dtype="Int64"),
                        "first_flight_year": pd.array([2008, 2003, 2004, None],
                                                      dtype="Int64")})
    got = participation(mem)
    assert got["join_year"].tolist()[:3] == [2005, 2003, 2004]
    assert got["join_year"].isna().tolist() == [False, False, False, True]
    assert "first_flight_year" not in got.columns


# --------------------------------------------------------------- calibration intervals


def _hits(p: list[float], y: np.ndarray, reps: int, seed: int) -> np.ndarray:
    """hits[point, rep, fact]: each point predicts ``y`` with accuracy ``p[point]``."""
    rng = np.random.default_rng(seed)
    correct = rng.random((len(p), reps, y.size)) < np.asarray(p)[:, None, None]
    return np.where(correct, y[None, None, :], 1 - y[None, None, :]).astype(float)


@pytest.mark.parametrize("loss", ["balanced_brier", "log_loss"])
def test_bootstrap_argmin_finds_a_clearly_better_point(loss: str) -> None:
    y = np.array([1.0] * 5 + [0.0] * 40)
    hits = _hits([0.55, 0.95, 0.6], y, reps=40, seed=1)
    arg = v.bootstrap_argmin([(hits, y)], 300, np.random.default_rng(2), loss=loss)
    assert np.mean(arg == 1) > 0.95


def test_bootstrap_argmin_shares_a_tie_between_identical_points() -> None:
    """A parameter that changes nothing (identical runs at every value) gets the whole grid
    as its interval, not the first value."""
    y = np.array([1.0] * 5 + [0.0] * 40)
    h = _hits([0.8], y, reps=20, seed=5)
    hits = np.concatenate([h, h, h, _hits([0.5], y, reps=20, seed=6)])
    arg = v.bootstrap_argmin([(hits, y)], 600, np.random.default_rng(7), loss="log_loss")
    share = np.bincount(arg, minlength=4) / arg.size
    assert share[3] == 0 and all(0.2 < share[k] < 0.45 for k in range(3))


def test_bootstrap_argmin_names_an_unknown_loss() -> None:
    y = np.array([1.0, 0.0])
    with pytest.raises(ValueError, match="allowed balanced_brier, log_loss"):
        v.bootstrap_argmin([(np.zeros((1, 2, 2)), y)], 2, np.random.default_rng(0), loss="auc")


def test_bootstrap_argmin_cannot_tell_equal_points_apart() -> None:
    y = np.array([1.0] * 5 + [0.0] * 40)
    hits = _hits([0.8, 0.8], y, reps=10, seed=3)
    arg = v.bootstrap_argmin([(hits, y)], 400, np.random.default_rng(4))
    assert 0.2 < np.mean(arg == 0) < 0.8


def test_parameter_intervals_span_the_winners() -> None:
    pts = pd.DataFrame({"point": [7, 3, 9], "parameters.a": [0.1, 0.5, 0.9]})
    iv = v.parameter_intervals(pts, ["parameters.a"], 3, np.array([1, 1, 1, 0, 2] * 20))
    row = iv.iloc[0]
    assert row["parameter"] == "a" and row["chosen"] == 0.5
    assert row["min"] == 0.1 and row["max"] == 0.9
    assert row["chosen_point_wins"] == pytest.approx(0.6)
    assert row["distinct_winners"] == 3


def test_fit_hits_reads_only_fit_facts() -> None:
    case = v.get_cases(["interkosmos"])[0]
    scn = load_scenario(case.scenario_path())
    facts = v.case_facts(case, scn)
    fit = facts[facts["set"] == "fit"].sort_values("iso3")
    rows = [{"point": pt, "replication": r, "iso3": iso, "station": case.station,
             "join_year": (1979 if (iso == fit["iso3"].iloc[0] and r == 0) else pd.NA)}
            for pt in (0, 1) for r in (0, 1, 2) for iso in facts["iso3"]]
    mem = pd.DataFrame(rows)
    mem["join_year"] = mem["join_year"].astype("Int64")
    hits, y = v.fit_hits(case, scn, mem)
    assert hits.shape == (2, 3, len(fit))
    assert y.tolist() == fit["observed"].astype(float).tolist()
    assert hits[:, 0, 0].tolist() == [1.0, 1.0] and hits.sum() == 2.0


def test_grid_choice_text_names_the_lowest_point_and_the_intervals() -> None:
    grid = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.1, 0.1, 0.3],
                         "log_loss": [0.5, 0.4, 0.6]})
    text = v.grid_choice_text(grid, ["a", "b"], np.array([1, 1, 0, 1]))
    assert text.splitlines()[0] == ("lowest fit log_loss: a 2, b 0.1; "
                                    "it wins 75% of 4 bootstrap worlds")
    assert "  a: 95 % interval [1.075, 2]" in text
