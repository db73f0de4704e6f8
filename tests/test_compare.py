"""Comparisons on inputs with a known answer, and the compare command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analysis_data import RULE_COL, sweep_tables, write_folder, write_run_folder

from stationsim.analysis import compare as C
from stationsim.analysis.groups import GroupingError


def two_groups(diff: float, n: int = 400, seed: int = 7) -> pd.DataFrame:
    """Runs of two groups: x ~ N(5, 1) and N(5 + diff, 1); y is 0/1; z constant."""
    rng = np.random.default_rng(seed)
    a = rng.normal(5.0, 1.0, n)
    b = rng.normal(5.0 + diff, 1.0, n)
    return pd.DataFrame({
        "replication": np.r_[np.arange(n), np.arange(n)],
        RULE_COL: ["hub_and_spoke"] * n + ["quid_pro_quo"] * n,
        "x": np.r_[a, b],
        "flag": np.r_[np.zeros(n, bool), np.ones(n, bool)],
        "z": 3.0,
    })


def test_known_mean_difference_is_estimated_with_a_ci_that_covers_it() -> None:
    runs = two_groups(diff=1.0)
    comp = C.compare(runs, RULE_COL, ["x"])
    row = comp.table.iloc[0]
    a = runs.loc[runs[RULE_COL] == "hub_and_spoke", "x"]
    b = runs.loc[runs[RULE_COL] == "quid_pro_quo", "x"]
    assert row["reference"] == "hub_and_spoke" and row["group"] == "quid_pro_quo"
    assert row["diff_mean"] == pytest.approx(b.mean() - a.mean())
    assert row["mean"] == pytest.approx(b.mean()) and row["median_ref"] == pytest.approx(a.median())
    assert row["ci_low"] < 1.0 < row["ci_high"]
    # the bootstrap SE of a difference of two means of 400 N(.,1) draws is sqrt(2/400) = 0.0707
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * 1.96 * np.sqrt(2 / 400), rel=0.15)
    # Cliff's delta of two unit normals one SD apart: 2 * Phi(1/sqrt 2) - 1 = 0.52
    assert row["cliffs_delta"] == pytest.approx(0.52, abs=0.06)
    assert row["magnitude"] == "large"


def test_zero_difference_ci_covers_zero_and_delta_is_negligible() -> None:
    comp = C.compare(two_groups(diff=0.0), RULE_COL, ["x", "z"])
    x, z = comp.table.set_index("outcome").loc[["x", "z"]].to_dict("index").values()
    assert x["ci_low"] < 0 < x["ci_high"]
    assert x["magnitude"] == "negligible"
    assert (z["diff_mean"], z["ci_low"], z["ci_high"], z["cliffs_delta"]) == (0, 0, 0, 0)


def test_booleans_compare_as_shares_and_reference_can_be_chosen() -> None:
    comp = C.compare(two_groups(0.0), RULE_COL, ["flag"], reference="quid_pro_quo")
    row = comp.table.iloc[0]
    assert (row["reference"], row["group"]) == ("quid_pro_quo", "hub_and_spoke")
    assert row["diff_mean"] == -1.0 and row["cliffs_delta"] == -1.0


def test_cliffs_delta_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 6, 37).astype(float), rng.integers(1, 7, 23).astype(float)
    brute = np.mean(np.sign(b[:, None] - a[None, :]))
    assert C.cliffs_delta(a, b) == pytest.approx(brute)
    assert C.cliffs_delta([1, 2, 3], [4, 5, 6]) == 1.0
    assert C.cliffs_delta([4, 5, 6], [1, 2, 3]) == -1.0
    assert C.cliffs_delta([1, 2], [1, 2]) == 0.0
    assert np.isnan(C.cliffs_delta([], [1.0]))
    assert [C.magnitude(d) for d in (0.1, -0.2, 0.4, -0.9)] == [
        "negligible", "small", "medium", "large"]


def test_bootstrap_is_seeded_reported_and_independent_of_other_outcomes() -> None:
    runs = two_groups(0.3, n=60)
    c1 = C.compare(runs, RULE_COL, ["x"], seed=11)
    c2 = C.compare(runs, RULE_COL, ["z", "x"], seed=11)
    c3 = C.compare(runs, RULE_COL, ["x"], seed=12)
    x2 = c2.table.set_index("outcome").loc["x"]
    x1 = c1.table.iloc[0]
    assert (x1["ci_low"], x1["ci_high"]) == (x2["ci_low"], x2["ci_high"])
    assert c1.table.iloc[0]["ci_low"] != c3.table.iloc[0]["ci_low"]
    assert c1.seed == 11 and "seed 11" in c1.to_text() and "seed 11" in c1.to_markdown()
    assert C.compare(runs, RULE_COL, ["x"]).seed == C.DEFAULT_SEED
    assert "Cliff's delta" in c1.to_markdown()


def test_save_writes_csv_and_markdown(tmp_path: Path) -> None:
    comp = C.compare(two_groups(1.0, n=50), RULE_COL, ["x", "z"], seed=5, n_boot=500)
    csv, md = comp.save(tmp_path, "cmp")
    back = pd.read_csv(csv)
    assert list(back["outcome"]) == ["x", "z"]
    assert set(back["boot_seed"]) == {5} and set(back["n_boot"]) == {500}
    assert set(back["effect_size"]) == {"Cliff's delta"} and set(back["by"]) == {RULE_COL}
    np.testing.assert_allclose(back["diff_mean"], comp.table["diff_mean"])
    text = md.read_text()
    assert "| outcome | group |" in text and text.count("\n| x |") == 1


def test_summarise_one_group_and_errors() -> None:
    runs = two_groups(1.0, n=20)
    s = C.summarise(runs, None, ["x"])
    assert list(s["group"]) == ["all"] and s["n"].iloc[0] == 40
    assert s["mean"].iloc[0] == pytest.approx(runs["x"].mean())
    with pytest.raises(GroupingError, match="only one group"):
        C.compare(runs.assign(k="same"), "k", ["x"])
    with pytest.raises(GroupingError, match=r"'nope'.*allowed"):
        C.compare(runs, "nope")
    with pytest.raises(GroupingError, match="reference 'other' is not a group"):
        C.compare(runs, RULE_COL, ["x"], reference="other")


def test_compare_by_rule_alias_on_real_sweep_tables() -> None:
    runs = sweep_tables(reps=3)[0]
    comp = C.compare(runs, "rule", n_boot=200)
    assert comp.by == "css_rule"
    t = comp.table.set_index("outcome")
    assert RULE_COL not in t.index and "run_id" not in t.index
    a = runs.loc[runs["css_rule"] == "hub_and_spoke", "css_members"]
    b = runs.loc[runs["css_rule"] == "quid_pro_quo", "css_members"]
    assert t.loc["css_members", "diff_mean"] == pytest.approx(b.mean() - a.mean())
    assert t.loc["css_members", "median_ref"] == pytest.approx(a.median())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stationsim", *args], capture_output=True,
                          text=True, timeout=300)


def test_cli_compare_two_folders_and_by_column(tmp_path: Path) -> None:
    a = write_run_folder(tmp_path / "qpq", "quid_pro_quo", reps=3)
    b = write_run_folder(tmp_path / "hs", "hub_and_spoke", reps=3)
    r = _cli("compare", str(a), str(b), "--seed", "9", "--n-boot", "300")
    assert r.returncode == 0, r.stderr
    assert "reference group: qpq" in r.stdout and "seed 9" in r.stdout
    csv = a / "comparison_qpq_vs_hs.csv"
    assert csv.is_file() and (a / "comparison_qpq_vs_hs.md").is_file()
    t = pd.read_csv(csv)
    assert set(t["group"]) == {"hs"} and set(t["boot_seed"]) == {9}

    sw = write_folder(tmp_path / "sw", *sweep_tables(reps=3))
    r = _cli("compare", str(sw), "--by", "rule", "-q")
    assert r.returncode == 0, r.stderr
    assert (sw / "comparison_by_css_rule.csv").is_file()


def test_cli_compare_bad_input_exits_2(tmp_path: Path) -> None:
    a = write_run_folder(tmp_path / "run", reps=2)
    one = _cli("compare", str(a))
    assert one.returncode == 2 and "--by" in one.stderr
    bad = _cli("compare", str(a), "--by", "flavour")
    assert bad.returncode == 2 and "'flavour'" in bad.stderr and "css_rule" in bad.stderr
    single = _cli("compare", str(a), "--by", "css_rule")
    assert single.returncode == 2 and "only one group" in single.stderr
    missing = _cli("compare", str(tmp_path / "none"), "--by", "css_rule")
    assert missing.returncode == 2 and "none" in missing.stderr
    for r in (one, bad, single, missing):
        assert "Traceback" not in r.stderr
    assert not list(a.glob("comparison*"))
