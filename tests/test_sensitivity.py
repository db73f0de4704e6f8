"""Sensitivity analysis (issue 7): the whole pipeline on a model with known indices.

The Ishigami function (a = 7, b = 0.1) stands in for the simulation: a test
double replaces :func:`stationsim.running.batch.run_parts` inside the executor and maps
each point's scenario parameters to the function's value, so the sweep file,
the SALib design, the executor (chunks, Parquet parts, consolidation), the
results folder, the per-point averaging, the analysis and the written files
are the code ``stationsim sensitivity`` runs.  Known indices (Saltelli et al.
2008, Global Sensitivity Analysis: The Primer, 4.6): S1 = 0.314, 0.442, 0;
ST = 0.558, 0.442, 0.244.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli
from numpy.testing import assert_allclose

import stationsim.running.executor.chunk as chunk
from stationsim.analysis import sensitivity
from stationsim.analysis import test_functions as TF
from stationsim.model.scenario import Scenario, ScenarioError
from stationsim.present import report, sections
from stationsim.running.batch import RunParts
from stationsim.running.sweep import sweep_from_text

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = ROOT / "scenarios" / "sweeps"

#: Sweep fields that carry x1, x2, x3 (each [0, 1] mapped to [-pi, pi]); the fourth is inert.
X_PATHS = ("parameters.learn_rate", "parameters.trust_relief", "parameters.tft_weight")
DUMMY = "parameters.un_reputation"
S1_TRUE = list(TF.ISHIGAMI_S1)
ST_TRUE = list(TF.ISHIGAMI_ST)

TINY = """
name = "ishigami"
seed = 1
steps = 1
start_year = 2000
replications = 1

[[states]]
iso3 = "HUB"
capability = 1.0
reciprocity = 1.0
transparency = 0.8
military_fusion = 0.0
alignment = 0.0

[[stations]]
name = "S"
host = "HUB"
rule = "hub_and_spoke"
capacity = 2
operating_cost = 1.0
open_from = 2000
close_at = 2100
"""


ishigami = TF.ishigami


#: Replication noise of the test double: "gauss" (independent, sd NOISE_SD, from the run's
#: seed) or "alternate" (+3 for even replications, -3 for odd ones).
NOISE = {"kind": "gauss"}
NOISE_SD = 2.0


def fake_run_parts(scn: Scenario, seed: int, replication: int = 0, steps: int | None = None,
                   master_seed: int | None = None) -> RunParts:
    """The test double: the run's outcome is Ishigami of its parameters plus noise.

    ``alternate`` noise cancels exactly in the mean of two replications, so
    the exact analytic values come out only if replications are averaged per
    point before the analysis; ``gauss`` noise is a stochastic model's
    replication noise.
    """
    prm = scn.parameters
    x = np.array([-np.pi + 2 * np.pi * float(prm[p.split(".")[1]]) for p in X_PATHS])
    if NOISE["kind"] == "gauss":
        noise = NOISE_SD * float(np.random.default_rng(seed).standard_normal())
    else:
        noise = 3.0 if replication % 2 == 0 else -3.0
    ids = {"replication": replication, "run_seed": seed}
    row = {**ids, "master_seed": master_seed, "scenario": scn.name,
           "ishigami": ishigami(x) + noise, "constant": 1.0}
    return RunParts(row, {"step": [0]}, {"station": ["X"]}, replication, seed)


def write_sweep(tmp: Path, sampler: str, samples: int, replications: int,
                dummy: bool = False) -> Path:
    (tmp / "ishigami.toml").write_text(TINY, encoding="utf-8")
    vary = "".join(f'[[vary]]\npath = "{p}"\n' for p in (*X_PATHS, *([DUMMY] if dummy else [])))
    path = tmp / f"sweep_{sampler}.toml"
    path.write_text(f'name = "ishigami_{sampler}"\nbase = "ishigami.toml"\n'
                    f'sampler = "{sampler}"\nsamples = {samples}\n'
                    f"replications = {replications}\nseed = 5\n{vary}", encoding="utf-8")
    return path


@pytest.fixture
def ishigami_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunk, "run_parts", fake_run_parts)
    monkeypatch.setitem(NOISE, "kind", "gauss")


def test_sobol_recovers_ishigami_indices(tmp_path: Path, ishigami_model: None) -> None:
    # lhs in the file: the sobol method re-samples it (N * (D + 2) points, S1 and ST)
    sweep = write_sweep(tmp_path, "lhs", samples=1024, replications=2)
    res = sensitivity.run(sweep, tmp_path / "out", method="sobol", workers=1, progress=False)
    assert res.settings["points"] == 1024 * (3 + 2)
    assert res.settings["runs"] == 2 * 1024 * 5
    assert res.skipped == {"constant": "the same at every point"}
    t = res.table.set_index("parameter").loc[list(X_PATHS)]
    # Noise sd 2, mean of 2 replications: variance 2 against Ishigami's 13.84, so the
    # noise share eta is about 2 / 15.84 = 0.126, estimated from the replications.
    eta = t["replication_noise"].iloc[0]
    assert_allclose(eta, 2.0 / (13.8446 + 2.0), atol=0.01)
    # Net of the noise the analytic indices come back.  Tolerance 0.04: with N = 1024
    # the estimators are within about 0.02 of them here; the rest leaves room for other
    # SALib versions' sequences.
    assert_allclose(t["S1_net"], S1_TRUE, atol=0.04)
    assert_allclose(t["ST_net"], ST_TRUE, atol=0.04)
    # SALib's raw indices carry the noise as the module docstring says
    assert_allclose(t["S1"], (1 - eta) * np.array(S1_TRUE), atol=0.04)
    assert_allclose(t["ST"], (1 - eta) * np.array(ST_TRUE) + eta, atol=0.04)
    assert (t["S1_conf"] > 0).all() and (t["ST_conf"] < 0.15).all()
    # the files, and the same analysis again from the folder
    files = {p.name for p in (tmp_path / "out" / "sensitivity").iterdir()}
    assert {"sobol_indices.csv", "sobol_indices.md", "sobol_analysis.json", "sobol_bars.png",
            "sobol_bars.svg", "sobol_heatmap.png", "sobol_heatmap.svg"} <= files
    again = sensitivity.analyse(tmp_path / "out")
    pd.testing.assert_frame_equal(again.table, res.table)
    loaded = sensitivity.load(tmp_path / "out" / "sensitivity", "sobol")
    assert loaded is not None
    assert_allclose(loaded.table["ST"], res.table["ST"], rtol=1e-12)
    # the report section finds the analysis and embeds both figures
    assert "sensitivity" in report.section_names()
    sec = sections.sensitivity_section(SimpleNamespace(path=tmp_path / "out"))  # type: ignore[arg-type]
    assert sec is not None and sec.title == "Sensitivity"
    assert sec.body.count("data:image/png;base64,") == 2
    assert "learn_rate" in sec.body


def test_morris_ranks_ishigami_parameters(tmp_path: Path, ishigami_model: None) -> None:
    NOISE["kind"] = "alternate"  # cancels in the point mean: exact elementary effects
    sweep = write_sweep(tmp_path, "morris", samples=300, replications=2, dummy=True)
    res = sensitivity.run(sweep, tmp_path / "out", workers=1, progress=False)
    assert res.method == "morris" and res.settings["points"] == 300 * (4 + 1)
    mu = res.table.set_index("parameter")["mu_star"]
    # On SALib's 4-level grid the analytic mu* (effect per full range) are:
    # x2: 7 * |sin^2(pi/3) - sin^2(pi)| / (2/3) = 7.875 exactly (every trajectory);
    # x1: 1.5 * sin(pi/3) * E|1 + 0.1 x3^4| ~ 7.70; x3: 1.5 * 0.1 * 96.2 * E|sin x1| ~ 6.25;
    # the inert parameter: 0.  Morris screening: the three act, the dummy does not, and
    # x3 (smallest total index) is ranked below x1 and x2; x1 and x2 are 2 % apart on this
    # grid, too close for Morris to order.  A trajectory's x3 effect is 0 or 12.5, so
    # mu*_3 needs many trajectories: with 300, SALib's designs for seeds 0-39 all give
    # this ranking (mu*_3 from 5.8 to 6.4).
    assert_allclose(mu[X_PATHS[1]], 7.875, rtol=1e-9)
    assert_allclose(mu[X_PATHS[0]], 7.70, rtol=0.1)
    assert_allclose(mu[X_PATHS[2]], 6.25, rtol=0.15)
    assert mu[DUMMY] == 0.0
    ranked = mu.sort_values(ascending=False).index.tolist()
    assert set(ranked[:2]) == {X_PATHS[0], X_PATHS[1]}
    assert ranked[2:] == [X_PATHS[2], DUMMY]
    assert (tmp_path / "out" / "sensitivity" / "morris_heatmap.png").is_file()


def test_design_follows_the_method(tmp_path: Path) -> None:
    (tmp_path / "ishigami.toml").write_text(TINY, encoding="utf-8")
    path = tmp_path / "sw.toml"
    path.write_text('name = "d"\nbase = "ishigami.toml"\nsampler = "lhs"\nsamples = 8\n'
                    '[[vary]]\npath = "stations.S.rule"\n'
                    '[[vary]]\npath = "parameters.contract_steps"\nlow = 1\nhigh = 4\n'
                    '[[vary]]\npath = "parameters.learn_rate"\n', encoding="utf-8")
    sobol = sensitivity.design(path, "sobol")
    assert sobol.spec.sampler == "sobol" and len(sobol.points) == 8 * (3 + 2)
    morris = sensitivity.design(path, "morris")
    assert morris.spec.sampler == "morris" and len(morris.points) == 8 * (3 + 1)
    # a categorical and an integer field on the Morris grid: both rules, integer steps
    assert {p["stations.S.rule"] for p in morris.points} == {"hub_and_spoke", "quid_pro_quo"}
    assert all(isinstance(p["parameters.contract_steps"], int) for p in morris.points)
    with pytest.raises(sensitivity.SensitivityError, match="allowed: sobol, morris"):
        sensitivity.design(path, "fast")
    with pytest.raises(sensitivity.SensitivityError, match="give --method"):
        sensitivity.design(path)
    grid = tmp_path / "grid.toml"
    grid.write_text('name = "g"\nbase = "ishigami.toml"\n[[vary]]\npath = "stations.S.rule"\n',
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match="samples: the sobol design needs samples"):
        sensitivity.design(grid, "sobol")


def test_shipped_sensitivity_sweep_is_valid() -> None:
    path = SWEEPS / "sensitivity_css_rule.toml"
    text = path.read_text(encoding="utf-8")
    spec = tomllib.loads(text)
    assert spec["sampler"] == "sobol" and spec["second_order"] is False
    assert spec["samples"] & (spec["samples"] - 1) == 0  # a power of 2
    # the same file with 8 base samples: every point of both designs is a valid scenario
    small = re.sub(r"(?m)^samples = \d+", "samples = 8", text)
    sw = sensitivity.design(sweep_from_text(small, str(path), base_dir=SWEEPS))
    d = len(sw.dimensions)
    assert len(sw.points) == 8 * (d + 2)
    assert {p["stations.CSS.rule"] for p in sw.points} == {"quid_pro_quo", "hub_and_spoke"}
    assert len(sensitivity.design(sw, "morris").points) == 8 * (d + 1)


def _meta(sampler: str) -> dict[str, Any]:
    return {"kind": "sweep", "master_seed": 5, "replications": 1,
            "sweep": {"name": "x", "sampler": sampler, "samples": 4, "second_order": False,
                      "dimensions": [{"path": "parameters.learn_rate", "kind": "real",
                                      "low": 0.0, "high": 1.0}]}}


def test_analyse_refuses_what_it_cannot_analyse() -> None:
    runs = pd.DataFrame({"point": range(12), "parameters.learn_rate": np.linspace(0, 1, 12),
                         "y": np.arange(12.0)})
    with pytest.raises(sensitivity.SensitivityError, match="a lhs sweep"):
        sensitivity.analyse((runs, _meta("lhs")))
    with pytest.raises(sensitivity.SensitivityError, match="holds a sobol design"):
        sensitivity.analyse((runs, _meta("sobol")), method="morris")
    with pytest.raises(sensitivity.SensitivityError, match="not a sweep folder"):
        sensitivity.analyse((runs, {"kind": "run"}))
    # the recorded points must be the design's
    with pytest.raises(sensitivity.SensitivityError, match="differ from the design"):
        sensitivity.analyse((runs, _meta("sobol")))


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    sweep = SWEEPS / "sensitivity_css_rule.toml"
    proc = run_cli("sensitivity", str(sweep), "--method", "fast", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2, proc.stderr
    assert "unknown method; allowed: sobol, morris" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "o").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli("sensitivity", str(empty))
    assert proc.returncode == 2 and "is empty" in proc.stderr, proc.stderr
    proc = run_cli("sensitivity", str(sweep), "--outcome", "css_nonsense", "--out",
                   str(tmp_path / "o"))
    assert proc.returncode == 2, proc.stderr
    assert "'css_nonsense': not a numeric outcome column" in proc.stderr
    assert "css_capable_members" in proc.stderr and not (tmp_path / "o").exists()


def test_written_settings_say_replications_were_averaged(tmp_path: Path,
                                                         ishigami_model: None) -> None:
    sweep = write_sweep(tmp_path, "morris", samples=4, replications=2)
    sensitivity.run(sweep, tmp_path / "out", workers=1, progress=False)
    info = json.loads((tmp_path / "out" / "sensitivity" / "morris_analysis.json").read_text())
    assert info["settings"]["averaged_over_replications"] is True
    assert any("averaged over the replications" in h for h in info["header"])
    md = (tmp_path / "out" / "sensitivity" / "morris_indices.md").read_text()
    assert "| outcome | parameter | mu | mu_star |" in md


@pytest.mark.parametrize(("d", "second_order"), [(7, False), (3, True), (1, False)])
def test_sobol_indices_are_salibs_bit_for_bit(d: int, second_order: bool) -> None:
    """The hoisted estimator gives SALib's ``sobol.analyze`` numbers exactly (same bytes), on
    noise, on ties, and where ``[A; B]`` or its resamples are constant (SALib's zeros)."""
    import warnings

    from SALib.analyze import sobol

    rng = np.random.default_rng(3)
    n = 32
    size = n * (2 * d + 2 if second_order else d + 2)
    ones_first = np.zeros(size)
    ones_first[: size // n] = 1.0  # the first row of A and B vary: most resamples constant
    only_ab = np.zeros(size)
    only_ab[1] = 5.0  # A and B constant, one AB point varies
    cases = [rng.standard_normal(size), rng.integers(0, 3, size).astype(float), ones_first,
             only_ab]
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0, 1]] * d}
    for y in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = sobol.analyze(problem, y, calc_second_order=second_order, num_resamples=150,
                                 conf_level=0.9, seed=11)
        got = sensitivity.sobol_first_total(y, d, second_order, 150, 0.9, 11)
        for k in ("S1", "S1_conf", "ST", "ST_conf"):
            assert np.asarray(got[k]).tobytes() == np.asarray(want[k]).tobytes(), k
