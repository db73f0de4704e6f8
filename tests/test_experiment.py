"""Experiments (issue 5): verdict logic on constructed results, outcomes, every shipped file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stationsim.analysis import experiment as E
from stationsim.model.scenario import ScenarioError
from stationsim.present.report import write_report

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted((ROOT / "scenarios" / "experiments").glob("h*.toml"))
#: Every shipped experiment file: H1-H6 and the claims added by issue 14.
ALL_EXPERIMENTS = sorted((ROOT / "scenarios" / "experiments").glob("*.toml"))


# ----------------------------------------------------------------- verdict logic


@pytest.mark.parametrize(("lo", "hi", "direction", "thr", "want"), [
    (0.2, 0.9, "greater", 0.0, "supported"),
    (-0.9, -0.2, "greater", 0.0, "not supported"),
    (-0.2, 0.3, "greater", 0.0, "inconclusive"),
    (0.0, 0.0, "greater", 0.0, "not supported"),      # no effect at all is not "greater"
    (0.0, 0.4, "greater", 0.0, "inconclusive"),       # touching the threshold is not above it
    (0.55, 0.7, "greater", 0.5, "supported"),
    (0.3, 0.5, "greater", 0.5, "not supported"),
    (-0.9, -0.2, "less", 0.0, "supported"),
    (0.2, 0.9, "less", 0.0, "not supported"),
    (-0.2, 0.3, "less", 0.0, "inconclusive"),
    (0.0, 0.0, "less", 0.05, "supported"),            # never happens: below a 5 % threshold
    (0.1, 0.3, "less", 0.05, "not supported"),
    (0.9, 0.2, "greater", 0.0, "supported"),          # bounds in either order
    (float("nan"), 1.0, "greater", 0.0, "inconclusive"),
])
def test_verdict_known_answers(lo: float, hi: float, direction: str, thr: float,
                               want: str) -> None:
    assert E.verdict(lo, hi, direction, thr) == want


def test_verdict_rejects_unknown_direction() -> None:
    with pytest.raises(ValueError, match="direction"):
        E.verdict(0.0, 1.0, "up", 0.0)


def test_combine() -> None:
    assert E.combine(["supported", "supported"]) == "supported"
    assert E.combine(["supported", "not supported", "inconclusive"]) == "not supported"
    assert E.combine(["supported", "inconclusive"]) == "inconclusive"
    assert E.combine([]) == "inconclusive"


def _series(x: np.ndarray) -> pd.Series:
    return pd.Series(x, index=pd.Index(np.arange(x.size), name="replication"))


def _decide(values: dict[str, pd.Series], weights: dict[str, float], direction: str,
            thr: float = 0.0, paired: bool = True) -> tuple[E.Estimate, str]:
    est = E.estimate(values, weights, paired=paired, rng=np.random.default_rng(0), n_boot=2000)
    return est, E.verdict(est.ci_low, est.ci_high, direction, thr)


@pytest.mark.parametrize("paired", [True, False])
def test_estimate_two_arms_known_difference(paired: bool) -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 1.0, 400)
    b = a + 1.0 + rng.normal(0.0, 0.5, 400)      # B exceeds A by 1 on average
    vals = {"A": _series(a), "B": _series(b)}
    est, v = _decide(vals, {"B": 1.0, "A": -1.0}, "greater", paired=paired)
    assert est.ci_low < 1.0 < est.ci_high or abs(est.effect - 1.0) < 0.15
    assert abs(est.effect - (b.mean() - a.mean())) < 1e-12
    assert v == "supported"
    assert est.cliffs_delta > 0.3
    # the same data against the opposite claim, and in the other direction
    assert _decide(vals, {"B": 1.0, "A": -1.0}, "less", paired=paired)[1] == "not supported"
    assert _decide(vals, {"A": 1.0, "B": -1.0}, "less", paired=paired)[1] == "supported"


def test_estimate_no_difference_is_inconclusive() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.0, 1.0, 300), rng.normal(0.0, 1.0, 300)
    est, v = _decide({"A": _series(a), "B": _series(b)}, {"B": 1.0, "A": -1.0}, "greater")
    assert est.ci_low < 0.0 < est.ci_high
    assert v == "inconclusive"


def test_paired_estimate_uses_replication_pairs() -> None:
    # a large common component per replication cancels only when arms are paired
    rng = np.random.default_rng(3)
    common = rng.normal(0.0, 10.0, 200)
    a, b = common, common + 0.5
    vals = {"A": _series(a), "B": _series(b)}
    paired, _ = _decide(vals, {"B": 1.0, "A": -1.0}, "greater", paired=True)
    apart, v_apart = _decide(vals, {"B": 1.0, "A": -1.0}, "greater", paired=False)
    assert paired.ci_low == pytest.approx(0.5) and paired.ci_high == pytest.approx(0.5)
    assert apart.ci_high - apart.ci_low > 1.0
    assert v_apart == "inconclusive"


def test_paired_estimate_drops_missing_replications() -> None:
    a = _series(np.array([1.0, 2.0, np.nan, 4.0]))
    b = _series(np.array([2.0, 3.0, 100.0, 5.0]))
    est, _ = _decide({"A": a, "B": b}, {"B": 1.0, "A": -1.0}, "greater")
    assert est.n == 3 and est.effect == pytest.approx(1.0)


def test_single_arm_and_interaction_contrasts() -> None:
    rng = np.random.default_rng(4)
    share = _series(rng.uniform(0.6, 0.8, 300))
    est, v = _decide({"X": share}, {"X": 1.0}, "greater", thr=0.5)
    assert v == "supported" and 0.6 < est.ci_low < est.ci_high < 0.8
    assert _decide({"X": share}, {"X": 1.0}, "greater", thr=0.9)[1] == "not supported"
    # difference in differences: the gap (w - wo) is -2 at 'cur' and 0 at 'hi'
    n = 300
    base = rng.normal(0.0, 1.0, n)
    vals = {"wo_cur": _series(base), "w_cur": _series(base - 2.0),
            "wo_hi": _series(base + 1.0), "w_hi": _series(base + 1.0)}
    est, v = _decide(vals, {"w_hi": 1, "wo_hi": -1, "w_cur": -1, "wo_cur": 1}, "greater")
    assert est.effect == pytest.approx(2.0) and v == "supported"


def test_robustness_summary() -> None:
    grid = pd.DataFrame({"a": [0, 0, 1, 1], "b": ["x", "y", "x", "y"],
                         "verdict": ["supported"] * 4})
    s = E.robustness_summary(grid, ["a", "b"])
    assert s["robust"] and s["deciding"] == [] and s["text"].startswith("robust: supported")
    grid["verdict"] = ["supported", "supported", "not supported", "not supported"]
    s = E.robustness_summary(grid, ["a", "b"])
    assert not s["robust"] and s["deciding"] == ["a"]
    assert s["text"].startswith("depends on a")
    assert s["supported_at"] == [{"a": 0, "b": "x"}, {"a": 0, "b": "y"}]
    grid["verdict"] = ["supported", "inconclusive", "supported", "inconclusive"]
    s = E.robustness_summary(grid, ["a", "b"])
    assert s["deciding"] == ["b"] and s["text"].startswith("varies with b, no flip")


# ----------------------------------------------------------------- derived outcomes


def _membership() -> pd.DataFrame:
    """Two replications; CSS hosted by CHN (Asia), ISS by USA."""
    rows = []

    def add(rep: int, iso: str, st: str, role: str, joins: int, end: bool, cap: float,
            dev: bool, cont: str) -> None:
        rows.append({"replication": rep, "iso3": iso, "station": st, "role": role,
                     "n_joins": joins, "member_at_end": end, "capability": cap,
                     "developing": dev, "continent": cont, "region": cont + "-sub"})

    for rep in (0, 1):
        add(rep, "CHN", "CSS", "host", 0, True, 0.75, True, "Asia")
        add(rep, "USA", "ISS", "host", 0, True, 1.0, False, "America")
        add(rep, "PAK", "CSS", "guest", 1, True, 0.1, True, "Asia")
        add(rep, "PAK", "ISS", "guest", 0, False, 0.1, True, "Asia")
        add(rep, "NGA", "CSS", "guest", 1, rep == 0, 0.05, True, "Africa")
        add(rep, "NGA", "ISS", "guest", 0, False, 0.05, True, "Africa")
        # Russia: CSS member only in replication 1, and an ISS member in both
        add(rep, "RUS", "CSS", "guest", rep, rep == 1, 0.7, False, "Europe")
        add(rep, "RUS", "ISS", "founder", 1, False, 0.7, False, "Europe")
    return pd.DataFrame(rows)


def _params(**kw: object) -> dict[str, object]:
    p: dict[str, object] = {"major_power_threshold": 0.6, "capable_threshold": 0.4,
                            "low_capability_threshold": 0.2, "regional_scope": "continent"}
    p.update(kw)
    return p


def _spec(**kw: object) -> E.OutcomeSpec:
    return E.OutcomeSpec.model_validate({"station": "CSS", **kw})


def test_guest_outcomes_on_a_constructed_membership_table() -> None:
    mem = _membership()
    runs = pd.DataFrame({"replication": [0, 1]})
    steps = pd.DataFrame(columns=["replication", "station", "open", "host_cost_share"])

    def val(spec: E.OutcomeSpec, **p: object) -> list[float]:
        return E.outcome_values(spec, runs, steps, mem, _params(**p)).tolist()

    # replication 0: PAK, NGA; replication 1: PAK, NGA, RUS
    assert val(_spec(kind="guest_share", where=["regional"])) == [0.5, pytest.approx(1 / 3)]
    assert val(_spec(kind="guest_share", where=["regional"]), regional_scope="region") == \
        [0.5, pytest.approx(1 / 3)]
    assert val(_spec(kind="guest_share", where=["developing", "not:member_of:ISS"])) == \
        [1.0, pytest.approx(2 / 3)]
    assert val(_spec(kind="guest_count", where=["low_capability"])) == [2.0, 2.0]
    assert val(_spec(kind="guest_any", where=["major_power"])) == [0.0, 1.0]
    assert val(_spec(kind="guest_any", where=["major_power"]), major_power_threshold=0.8) == \
        [0.0, 0.0]
    assert val(_spec(kind="guest_count", where=["capable"], among="end")) == [0.0, 1.0]
    assert val(_spec(kind="guest_share", among="end", where=["regional"])) == \
        [0.5, pytest.approx(1 / 2)]


def test_aligned_condition_state_value_and_channel_outcomes() -> None:
    mem = _membership()
    # CHN +1; PAK aligned (+0.5), NGA neutral (0), RUS aligned (+0.4); USA -1
    mem["alignment"] = mem["iso3"].map({"CHN": 1.0, "USA": -1.0, "PAK": 0.5, "NGA": 0.0,
                                        "RUS": 0.4})
    mem["net_utility"] = np.where(mem["iso3"] == "RUS", 2.5, 0.0) + mem["replication"]
    runs = pd.DataFrame({"replication": [0, 1], "css_channel": ["un", "bilateral"]})
    steps = pd.DataFrame(columns=["replication", "station", "open"])
    share = E.outcome_values(_spec(kind="guest_share", where=["aligned"]), runs, steps, mem,
                             _params())
    assert share.tolist() == [0.5, pytest.approx(2 / 3)]
    ch = E.outcome_values(_spec(kind="channel_is", value="un"), runs, steps, mem, _params())
    assert ch.tolist() == [1.0, 0.0]
    sv = E.outcome_values(E.OutcomeSpec(kind="state_value", station="ISS", state="RUS",
                                        column="net_utility"), runs, steps, mem, _params())
    assert sv.tolist() == [2.5, 3.5]


def test_guest_share_without_members_is_missing_and_step_mean() -> None:
    mem = _membership()
    mem = mem[~((mem["replication"] == 1) & (mem["station"] == "CSS") & (mem["role"] != "host"))]
    runs = pd.DataFrame({"replication": [0, 1]})
    steps = pd.DataFrame({"replication": [0, 0, 0, 1, 1, 1], "station": ["ISS"] * 6,
                          "open": [True, True, False, True, False, False],
                          "host_cost_share": [0.8, 0.6, 1.0, 0.5, 1.0, 1.0]})
    share = E.outcome_values(_spec(kind="guest_share", where=["developing"]), runs, steps, mem,
                             _params())
    assert share.iloc[0] == 1.0 and np.isnan(share.iloc[1])
    sm = E.outcome_values(E.OutcomeSpec(kind="step_mean", station="ISS",
                                        column="host_cost_share"), runs, steps, mem, _params())
    assert sm.tolist() == [pytest.approx(0.7), pytest.approx(0.5)]


# ----------------------------------------------------------------- shipped files


def test_one_file_per_claim() -> None:
    claims = [E.load_experiment(p).spec.claim for p in EXPERIMENTS]
    assert sorted(claims) == list(E.CLAIMS)
    for p in EXPERIMENTS:
        exp = E.load_experiment(p)
        assert p.name.startswith(exp.spec.claim.lower() + "_")
        assert exp.points, f"{p.name}: no robustness grid"


def test_every_file_declares_its_deciding_parameters_and_papers() -> None:
    names = {p.stem for p in ALL_EXPERIMENTS}
    assert {"s001_transparency_legal", "s003_iss_end", "s004_channel_choice",
            "foley_interkosmos"} <= names
    flagged = {}
    for p in ALL_EXPERIMENTS:
        exp = E.load_experiment(p)
        assert exp.deciding and exp.spec.papers, p.name
        assert all(d.source for d in exp.spec.deciding)
        if exp.spec.by_construction is not None:
            flagged[exp.spec.claim] = exp.spec.by_construction.term
    assert flagged["H5"] == "parameters.un_trust_relief" and "spoke" in flagged["H6"]


@pytest.mark.parametrize("path", ALL_EXPERIMENTS, ids=lambda p: p.stem)
def test_every_experiment_runs_small(path: Path, tmp_path: Path) -> None:
    exp = E.load_experiment(path)
    res = E.run_experiment(exp, tmp_path / "out", replications=4, steps=3, workers=1,
                           robustness=False, claim_map=False)
    assert res.verdict in E.VERDICTS
    assert [t.name for t in res.tests] == [t.name for t in exp.spec.tests]
    for t in res.tests:
        assert t.verdict in E.VERDICTS
        assert set(t.estimate.arm_means) == set(exp.contrasts[t.name])
    saved = json.loads((tmp_path / "out" / E.RESULT_FILE).read_text(encoding="utf-8"))
    assert saved["verdict"] == res.verdict and saved["replications"] == 4
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert len(runs) == 4 * len(exp.arms)
    assert list(runs["arm"].cat.categories) == list(exp.arms)


def test_robustness_grid_and_report(tmp_path: Path) -> None:
    path = tmp_path / "h.toml"
    path.write_text(_SMALL.format(base=(ROOT / "scenarios" / "css_vs_iss.toml").as_posix()),
                    encoding="utf-8")
    res = E.run_experiment(path, tmp_path / "out", steps=2, workers=1)
    write_report(tmp_path / "out", by="arm")
    rob = res.robustness
    assert rob is not None and len(rob) == 2
    assert set(rob["verdict"]) <= set(E.VERDICTS)
    assert res.summary["text"]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="experiment"' in html and "Robustness" in html and "small_h2" in html
    assert (tmp_path / "out" / "robustness.csv").is_file()


_SMALL = """
name = "small_h2"
claim = "H2"
statement = "a small check"
base = "{base}"
replications = 3
seed = 5

[[arms]]
name = "hub"
set = {{ "stations.CSS.rule" = "hub_and_spoke" }}
[[arms]]
name = "qpq"
set = {{ "stations.CSS.rule" = "quid_pro_quo" }}

[[tests]]
name = "low_cap"
outcome = "css_low_capability_members"
direction = "greater"

[robustness]
replications = 2
[[robustness.vary]]
path = "stations.CSS.capacity"
values = [12, 30]
"""


# ----------------------------------------------------------------- bad files


@pytest.mark.parametrize(("edit", "field"), [
    (('direction = "greater"', 'direction = "up"'), "tests[0].direction"),
    (('name = "hub"\n', 'name = "hub"\ncolour = 1\n'), "arms[0].colour"),
    (('outcome = "css_low_capability_members"', 'outcome = "css_nothing"'), "tests[0].outcome"),
    (('"stations.CSS.rule" = "hub_and_spoke"', '"stations.CSS.rule" = "autocracy"'),
     "arms[0].set"),
    (('values = [12, 30]', 'values = [12, -3]'), "robustness point 1"),
    (('replications = 3', 'replications = 1'), "replications"),
])
def test_bad_experiment_file_exits_2_naming_the_field(tmp_path: Path, edit: tuple[str, str],
                                                      field: str) -> None:
    text = _SMALL.format(base=(ROOT / "scenarios" / "css_vs_iss.toml").as_posix())
    assert edit[0] in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match=field.replace("[", r"\[").replace("]", r"\]")):
        E.load_experiment(path)


def _console_script() -> str:
    exe = Path(sys.executable).parent / "stationsim"
    return str(exe) if exe.exists() else (shutil.which("stationsim") or "stationsim")


def test_cli_bad_file_exit_2_and_good_file_verdict(tmp_path: Path) -> None:
    text = _SMALL.format(base=(ROOT / "scenarios" / "css_vs_iss.toml").as_posix())
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('direction = "greater"', 'direction = "sideways"'),
                   encoding="utf-8")
    out = tmp_path / "out_bad"
    proc = subprocess.run([_console_script(), "experiment", str(bad), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert str(bad) in proc.stderr and "tests[0].direction" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
    good = tmp_path / "good.toml"
    good.write_text(text, encoding="utf-8")
    out = tmp_path / "out_good"
    proc = subprocess.run([_console_script(), "experiment", str(good), "--out", str(out),
                           "--steps", "2", "--workers", "1", "--no-robustness", "-q"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "verdict:" in proc.stdout and "95% CI" in proc.stdout
    assert (out / "report.html").is_file()
    proc = subprocess.run([_console_script(), "experiment", str(good), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "not empty" in proc.stderr


# ----------------------------------------------------------------- claim maps (issue 14)

_MAP = """
name = "map_check"
claim = "constructed"
statement = "the CSS is open at the end of the run"
base = "{base}"
replications = 8
seed = 3
steps = 2

[[arms]]
name = "as_is"

[[tests]]
name = "open"
outcome = "css_open"
direction = "greater"
threshold = 0.5

[by_construction]
term = "stations.CSS.open_from"

[map]
replications = 8
levels_2d = 2

[[deciding]]
path = "stations.CSS.open_from"
low = 2022
high = 2025
levels = 4
source = "constructed: open within the run's two years (2022, 2023) on exactly half the range"

[[deciding]]
path = "parameters.learn_rate"
low = 0.1
high = 0.5
levels = 2
source = "the parameter's bounds (model/params.py); not fitted"
"""


def test_claim_map_holds_on_the_known_half(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(_MAP.format(base=(ROOT / "scenarios" / "css_vs_iss.toml").as_posix()),
                    encoding="utf-8")
    exp = E.load_experiment(path)
    assert [d.grid() for d in exp.deciding] == [[2022, 2023, 2024, 2025], [0.1, 0.5]]
    lines: list[str] = []
    res = E.run_experiment(exp, tmp_path / "out", workers=1, log=lines.append)
    out = tmp_path / "out"
    one = pd.read_csv(out / "claim_map_open_from.csv")
    assert one["stations.CSS.open_from"].tolist() == [2022, 2023, 2024, 2025]
    assert one["verdict"].tolist() == ["supported", "supported", "not supported",
                                       "not supported"]
    assert set(one["open.method"]) == {"wilson"}
    maps = {m.stem: m for m in res.maps}
    assert maps["open_from"].share_supported() == 0.5
    assert maps["learn_rate"].share_supported() == 1.0   # open_from as in the scenario
    two = maps["open_from__learn_rate"]
    assert len(two.table) == 4 and two.share_supported() == 0.5
    for stem in ("open_from", "learn_rate", "open_from__learn_rate"):
        assert (out / f"claim_map_{stem}.png").is_file()
        assert (out / f"claim_map_{stem}.csv").is_file()
    tests = pd.read_csv(out / "tests.csv")
    assert {"ci_low", "ci_high", "method", "stopped_by"} <= set(tests.columns)
    assert tests["assumption"].iloc[0] == "assumption: by construction of stations.CSS.open_from"
    assert "assumption" in res.text()
    # progress: runs done / planned, arms and grid points, as plain lines
    total = 8 + 8 * (4 + 2 + 4)
    assert lines[0].endswith(f"{total} runs planned")
    assert lines[-1].startswith(f"map_check: [{total}/{total} runs]")
    assert any("4 grid points" in ln for ln in lines)
    write_report(out)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "claim_map_open_from.png" in html and "by construction" in html


def test_deciding_parameter_set_by_an_arm_is_refused(tmp_path: Path) -> None:
    text = _MAP.format(base=(ROOT / "scenarios" / "css_vs_iss.toml").as_posix()).replace(
        'name = "as_is"', 'name = "as_is"\nset = { "parameters.learn_rate" = 0.2 }')
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"deciding\[1\].path"):
        E.load_experiment(path)


_PREC = _SMALL.replace("[robustness]\n", "[precision]\nhalf_width = {hw}\nmax_replications = "
                       "{cap}\n\n[robustness]\n", 1)


@pytest.mark.parametrize(("hw", "cap", "stopped"), [(1000.0, 12, "precision"),
                                                     (1e-9, 7, "cap")])
def test_precision_grows_replications_until_target_or_cap(tmp_path: Path, hw: float, cap: int,
                                                          stopped: str) -> None:
    text = _PREC.format(base=(ROOT / "scenarios" / "css_vs_iss.toml").as_posix(), hw=hw,
                        cap=cap)
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    res = E.run_experiment(path, tmp_path / "out", steps=2, workers=1, robustness=False)
    assert res.stopped_by == stopped
    assert res.replications == (3 if stopped == "precision" else cap)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert len(runs) == 2 * res.replications
    assert runs.groupby("arm", observed=True)["replication"].apply(sorted).map(list).tolist() \
        == [list(range(res.replications))] * 2
    assert runs["run_id"].is_unique
    if stopped == "cap":
        # the grown experiment's runs are those of a fixed one with as many replications
        fixed = E.run_experiment(path, tmp_path / "fixed", steps=2, workers=1,
                                 robustness=False, replications=cap)
        assert fixed.stopped_by == "cap"
        direct = pd.read_parquet(tmp_path / "fixed" / "runs.parquet")
        assert runs["run_seed"].tolist() == direct["run_seed"].tolist()


def test_cli_progress_lines_when_not_a_terminal_and_quiet(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(_SMALL.format(base=(ROOT / "scenarios" / "css_vs_iss.toml").as_posix()),
                    encoding="utf-8")
    base = [sys.executable, "-m", "stationsim", "experiment", str(good), "--steps", "2",
            "--workers", "1", "--no-robustness"]
    proc = subprocess.run([*base, "--out", str(tmp_path / "a")], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "6 runs planned" in proc.stderr                 # 2 arms x 3 replications
    assert "small_h2: [6/6 runs] arms: arm qpq (3 runs)" in proc.stderr
    proc = subprocess.run([*base, "--out", str(tmp_path / "b"), "-q"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "runs]" not in proc.stderr
