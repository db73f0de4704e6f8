"""Scenario discovery (issue 7): PRIM finds a known box; outcome expressions; CLI errors.

The data are constructed: parameters drawn uniformly, the outcome true exactly
inside a known box (two numeric limits and one rule), so the box PRIM should
find is known.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli

from stationsim.analysis import discovery
from stationsim.analysis import test_functions as TF
from stationsim.present import report, sections

A, B, C, RULE = ("parameters.learn_rate", "parameters.w_access", "parameters.contract_steps",
                 "stations.CSS.rule")
#: The known box: 0.3 <= learn_rate <= 0.7, w_access >= 1.5 (of [0, 3]), CSS rule quid_pro_quo.
BOX = {A: (0.3, 0.7), B: (1.5, 3.0)}


def runs_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "run_id": np.arange(n), "point": np.arange(n), "replication": 0,
        "run_seed": rng.integers(0, 2**62, n),
        A: rng.random(n), B: 3 * rng.random(n), C: rng.integers(1, 9, n),
        RULE: rng.choice(["quid_pro_quo", "hub_and_spoke"], n),
    })
    limits = {**BOX, RULE: "quid_pro_quo"}
    inside = np.array([TF.known_box(row, limits) for row in df[[A, B, RULE]].to_dict("records")])
    df["css_capable_members"] = np.where(inside, 6, 2) + rng.integers(0, 2, n)
    df["iss_members"] = rng.integers(0, 20, n)
    return df


def results_folder(path: Path, runs: pd.DataFrame) -> Path:
    """A complete sweep results folder holding ``runs`` (the other tables minimal)."""
    path.mkdir(parents=True)
    runs.to_parquet(path / "runs.parquet", index=False)
    ids = runs[["run_id", "point", "replication", "run_seed"]]
    ids.to_parquet(path / "steps.parquet", index=False)
    ids.to_parquet(path / "membership.parquet", index=False)
    dims = [{"path": A, "column": A, "kind": "real", "low": 0.0, "high": 1.0},
            {"path": B, "column": B, "kind": "real", "low": 0.0, "high": 3.0},
            {"path": C, "column": C, "kind": "int", "low": 1, "high": 8},
            {"path": RULE, "column": RULE, "kind": "values",
             "values": ["quid_pro_quo", "hub_and_spoke"]}]
    (path / "manifest.json").write_text(json.dumps({
        "kind": "sweep", "scenario": {"name": "constructed"},
        "sweep": {"name": "constructed", "sampler": "random", "dimensions": dims},
        "progress": {"status": "complete"}}), encoding="utf-8")
    return path


def test_prim_finds_the_known_box() -> None:
    d = discovery.discover(runs_table(), "css_capable_members >= 5", [A, B, C, RULE])
    assert d.n_cases == int((runs_table()["css_capable_members"] >= 5).sum())
    [box] = d.boxes
    lim = box.limits.set_index("parameter")
    # Numeric limits within 0.05 of the box (PRIM peels in 5 % quantile steps); the
    # unrelated integer parameter unrestricted; the rule narrowed to quid_pro_quo.
    assert lim.loc[A, "restricted"] and lim.loc[B, "restricted"]
    assert abs(lim.loc[A, "low"] - 0.3) < 0.05 and abs(lim.loc[A, "high"] - 0.7) < 0.05
    assert abs(lim.loc[B, "low"] - 1.5) < 0.05 * 3 and lim.loc[B, "high"] > 2.9
    assert not lim.loc[C, "restricted"]
    assert lim.loc[RULE, "restricted"] and lim.loc[RULE, "values"] == "quid_pro_quo"
    assert lim.loc[RULE, "full_values"] == "hub_and_spoke;quid_pro_quo"
    # the chosen box: densest with coverage >= 0.5
    assert box.stats["density"] > 0.95 and box.stats["coverage"] >= 0.5
    traj = box.trajectory
    assert box.chosen == discovery.choose(traj, 0.5)
    assert traj["coverage"].iloc[0] == 1.0 and traj["mass"].iloc[0] == 1.0
    assert "quid_pro_quo" in d.summary()


def test_box_choice_and_more_boxes() -> None:
    traj = pd.DataFrame({"id": [0, 1, 2, 3], "coverage": [1.0, 0.9, 0.6, 0.3],
                         "density": [0.2, 0.5, 0.8, 1.0], "res_dim": [0, 1, 2, 2]})
    assert discovery.choose(traj, 0.5) == 2
    assert discovery.choose(traj, 0.2) == 3
    assert discovery.choose(traj, 1.0) == 0
    runs = runs_table()
    d = discovery.discover(runs, "css_capable_members >= 5", [A, B, C, RULE], box=3)
    assert d.boxes[0].chosen == 3 and d.boxes[0].stats["res_dim"] >= 1
    with pytest.raises(discovery.DiscoveryError, match="--box 999"):
        discovery.discover(runs, "css_capable_members >= 5", [A, B, C, RULE], box=999)
    second = runs.assign(css_capable_members=np.where((runs[C] >= 7) & (runs[A] < 0.2), 9,
                                                      runs["css_capable_members"]))
    d2 = discovery.discover(second, "css_capable_members >= 5", [A, B, C, RULE], boxes=2)
    assert len(d2.boxes) == 2
    lim2 = d2.boxes[1].limits.set_index("parameter")
    assert lim2.loc[C, "restricted"] and lim2.loc[C, "low"] > 6
    assert lim2.loc[A, "high"] < 0.25


def test_outcome_expressions() -> None:
    runs = runs_table(50)
    m = discovery.outcome_mask(runs, "css_capable_members >= 5 and `stations.CSS.rule` == "
                                     "'quid_pro_quo'")
    want = (runs["css_capable_members"] >= 5) & (runs[RULE] == "quid_pro_quo")
    assert m.tolist() == want.tolist()
    assert discovery.outcome_mask(runs, "css_capable_members - iss_members > 0").tolist() == \
        (runs["css_capable_members"] > runs["iss_members"]).tolist()
    with pytest.raises(discovery.DiscoveryError, match=r"unknown column 'css_nonsense'; "
                                                       r"allowed: .*css_capable_members"):
        discovery.outcome_mask(runs, "css_nonsense >= 5")
    with pytest.raises(discovery.DiscoveryError, match=r"backticks: `stations\.CSS\.rule`"):
        discovery.outcome_mask(runs, "stations.CSS.rule == 'quid_pro_quo'")
    with pytest.raises(discovery.DiscoveryError, match="a function call is not allowed"):
        discovery.outcome_mask(runs, "css_capable_members.abs() > 1")
    with pytest.raises(discovery.DiscoveryError, match="a function call is not allowed"):
        discovery.outcome_mask(runs, "__import__('os') == 1")
    with pytest.raises(discovery.DiscoveryError, match="not a condition"):
        discovery.outcome_mask(runs, "css_capable_members + 1")
    with pytest.raises(discovery.DiscoveryError, match="not a valid expression"):
        discovery.outcome_mask(runs, "css_capable_members >=")
    with pytest.raises(discovery.DiscoveryError, match="holds in none"):
        discovery.discover(runs, "css_capable_members > 100", [A, B])
    with pytest.raises(discovery.DiscoveryError, match="no varied parameters"):
        discovery.discover(runs[["css_capable_members"]], "css_capable_members > 3")
    assert discovery.slug("css_capable_members >= 5") == "css_capable_members_ge_5"


def test_cli_discover_writes_the_box_and_report_section(tmp_path: Path) -> None:
    folder = results_folder(tmp_path / "res", runs_table())
    proc = run_cli("discover", str(folder), "--outcome", "css_capable_members >= 5")
    assert proc.returncode == 0, proc.stderr
    assert "stations.CSS.rule in {quid_pro_quo}" in proc.stdout
    out = folder / "discovery" / "css_capable_members_ge_5"
    lim = pd.read_csv(out / "box_limits.csv").set_index("parameter")
    assert abs(lim.loc[A, "low"] - 0.3) < 0.05 and abs(lim.loc[A, "high"] - 0.7) < 0.05
    assert {"box_limits.md", "trajectory.csv", "discovery.json", "tradeoff.png",
            "tradeoff.svg"} <= {p.name for p in out.iterdir()}
    loaded = discovery.load(out)
    assert loaded is not None and loaded.boxes[0].limits.equals(
        discovery.load(out).boxes[0].limits)  # type: ignore[union-attr]
    assert "discovery" in report.section_names()
    sec = sections.discovery_section(SimpleNamespace(path=folder))  # type: ignore[arg-type]
    assert sec is not None and sec.title == "Scenario discovery"
    assert "data:image/png;base64," in sec.body and "css_capable_members &gt;= 5" in sec.body


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    folder = results_folder(tmp_path / "res", runs_table(200))
    proc = run_cli("discover", str(folder), "--outcome", "css_nonsense >= 5")
    assert proc.returncode == 2, proc.stderr
    assert "unknown column 'css_nonsense'; allowed:" in proc.stderr
    assert "css_capable_members" in proc.stderr and "Traceback" not in proc.stderr
    assert not (folder / "discovery").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli("discover", str(empty), "--outcome", "css_members >= 5")
    assert proc.returncode == 2 and "is empty" in proc.stderr, proc.stderr
    proc = run_cli("discover", str(tmp_path / "missing"), "--outcome", "css_members >= 5")
    assert proc.returncode == 2 and "no such results folder" in proc.stderr, proc.stderr
