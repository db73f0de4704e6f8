"""Sweep files: validation, samplers, sizes and columns; the CLI's bad-input contract."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stationsim.app.cli import app
from stationsim.model.params import PARAMETERS
from stationsim.model.scenario import ScenarioError
from stationsim.running.results import load_results
from stationsim.running.sweep import load_sweep, run_sweep, sweep_from_text

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "css_vs_iss.toml"
ID_COLUMNS = ["run_id", "point", "replication", "run_seed"]


def write_sweep(tmp: Path, body: str, head: str = "", name: str = "sw.toml") -> Path:
    """A sweep file on css_vs_iss (absolute base path) with ``body`` appended."""
    p = tmp / name
    p.write_text(f'name = "t"\nbase = "{BASE.as_posix()}"\nsteps = 2\n{head}\n{body}\n')
    return p


RULE = '[[vary]]\npath = "stations.CSS.rule"\n'
LEARN = '[[vary]]\npath = "parameters.learn_rate"\nlow = 0.1\nhigh = 0.5\n'
CONTRACT = '[[vary]]\npath = "parameters.contract_steps"\n'


@pytest.mark.parametrize(("head", "body", "points"), [
    ('sampler = "grid"',
     RULE + '[[vary]]\npath = "parameters.learn_rate"\nvalues = [0.1, 0.2, 0.3]', 6),
    ('sampler = "random"\nsamples = 5', RULE + LEARN + CONTRACT, 5),
    ('sampler = "lhs"\nsamples = 5', RULE + LEARN + CONTRACT, 5),
    ('sampler = "sobol"\nsamples = 2', RULE + LEARN + CONTRACT, 2 * (2 * 3 + 2)),
    ('sampler = "sobol"\nsamples = 2\nsecond_order = false', RULE + LEARN, 2 * (2 + 2)),
])
def test_sampler_size_and_columns(tmp_path: Path, head: str, body: str, points: int) -> None:
    sw = load_sweep(write_sweep(tmp_path, body, head + "\nreplications = 2\nseed = 5"))
    assert len(sw.points) == points
    cols = [d.column for d in sw.dimensions]
    res_meta = run_sweep(sw, tmp_path / "out", workers=1, progress=False)
    res = load_results(tmp_path / "out")
    assert res_meta["counts"]["runs"] == points * 2
    assert len(res.runs) == points * 2
    for name in ("runs", "steps", "membership"):
        df = getattr(res, name)
        assert list(df.columns[:4]) == ID_COLUMNS
        assert list(df.columns[4:4 + len(cols)]) == cols
        assert df["run_id"].is_monotonic_increasing
        assert set(df["run_id"]) == set(range(points * 2))
    runs = res.runs
    assert (runs["point"] == runs["run_id"] // 2).all()
    assert (runs["replication"] == runs["run_id"] % 2).all()
    # the varied values are the sweep's points, in order
    for c in cols:
        assert list(runs[c][::2]) == [p[c] for p in sw.points]
    # the scenario really changed: the CSS rule column agrees with the model's own record
    assert (runs["stations.CSS.rule"] == runs["css_rule"]).all()


def test_ranges_bounds_kinds_and_determinism(tmp_path: Path) -> None:
    body = RULE + LEARN + CONTRACT + '[[vary]]\npath = "states.CHN.transparency"\n'
    p = write_sweep(tmp_path, body, 'sampler = "lhs"\nsamples = 40\nseed = 9')
    sw = load_sweep(p)
    lr = np.array([pt["parameters.learn_rate"] for pt in sw.points])
    assert ((lr >= 0.1) & (lr <= 0.5)).all()
    # Latin hypercube: exactly one point in each of the 40 equal strata
    assert sorted(np.floor((lr - 0.1) / 0.4 * 40).astype(int).tolist()) == list(range(40))
    cs = [pt["parameters.contract_steps"] for pt in sw.points]
    prm = PARAMETERS["contract_steps"]
    assert all(isinstance(x, int) and prm.low <= x <= prm.high for x in cs)
    assert {pt["stations.CSS.rule"] for pt in sw.points} == {"hub_and_spoke", "quid_pro_quo"}
    tr = [pt["states.CHN.transparency"] for pt in sw.points]
    assert all(0.0 <= x <= 1.0 for x in tr)
    assert load_sweep(p).points == sw.points  # same seed, same points
    other = write_sweep(tmp_path, body, 'sampler = "lhs"\nsamples = 40\nseed = 10', "o.toml")
    assert load_sweep(other).points != sw.points


def test_grid_levels(tmp_path: Path) -> None:
    body = ('[[vary]]\npath = "states.CHN.transparency"\nlevels = 5\n'
            '[[vary]]\npath = "states.CHN.reciprocity"\nlow = 0.2\nhigh = 1.0\nlevels = 3\n')
    sw = load_sweep(write_sweep(tmp_path, body))
    assert len(sw.points) == 15
    assert sorted({p["states.CHN.transparency"] for p in sw.points}) == [0, 0.25, 0.5, 0.75, 1]
    assert sorted({p["states.CHN.reciprocity"] for p in sw.points}) == pytest.approx([0.2, 0.6, 1])


def test_shipped_sweeps_validate() -> None:
    sizes = {}
    for p in sorted((ROOT / "scenarios" / "sweeps").glob("*.toml")):
        sw = load_sweep(p)
        sizes[sw.name] = (len(sw.points), sw.total_runs)
    assert sizes["css_rule_comparison"] == (2, 200)
    assert sizes["host_transparency_reciprocity"][0] == 25
    assert sizes["main_parameters_lhs"][1] == 2000


BAD = [
    # (head, body, words the message must contain)
    ('sampler = "halton"', RULE, ["sampler", "grid", "lhs"]),
    ('sampler = "lhs"', RULE, ["samples", "required"]),
    ('sampler = "grid"\nsamples = 3', RULE, ["samples", "grid"]),
    ("", '[[vary]]\npath = "stations.XYZ.rule"', ["vary[0].path", "XYZ"]),
    ("", '[[vary]]\npath = "parameters.nope"', ["vary[0].path", "nope"]),
    ("", '[[vary]]\npath = "parameters.learn_rate"\nvalues = [0.1, 7.0]',
     ["point 1", "parameters.learn_rate", "[0, 1]"]),
    ("", '[[vary]]\npath = "parameters.learn_rate"\nlow = 0.1\nhigh = 3.0\nlevels = 3',
     ["vary[0]", "learn_rate", "[0, 1]"]),
    ("", '[[vary]]\npath = "stations.CSS.rule"\nvalues = ["quid_pro_quo", "barter"]',
     ["stations", "rule", "barter", "hub_and_spoke"]),
    ("", '[[vary]]\npath = "stations.CSS.rule"\nvalues = ["quid_pro_quo", 1]',
     ["vary[0].values", "one type"]),
    ("", '[[vary]]\npath = "parameters.learn_rate"', ["vary[0].levels", "grid"]),
    ('sampler = "lhs"\nsamples = 3', '[[vary]]\npath = "parameters.learn_rate"\nlevels = 3',
     ["vary[0].levels"]),
    ("colour = 1", RULE, ["colour", "unknown field"]),
    ("", "", ["vary", "required"]),
    ("", '[[vary]]\npath = "seed"\nvalues = [1, 2]', ["vary[0].path", "seed"]),
    ("replications = 0", RULE, ["replications"]),
]


@pytest.mark.parametrize(("head", "body", "words"), BAD)
def test_bad_sweep_exit_2_names_field_writes_nothing(tmp_path: Path, head: str, body: str,
                                                      words: list[str]) -> None:
    p = write_sweep(tmp_path, body, head)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["sweep", str(p), "--out", str(out), "--workers", "1"])
    assert r.exit_code == 2, r.output
    msg = r.output
    assert str(p) in msg
    for w in words:
        assert w in msg, (w, msg)
    assert "Traceback" not in msg
    assert not out.exists()
    with pytest.raises(ScenarioError):
        load_sweep(p)


def test_bad_base_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "sw.toml"
    p.write_text('name = "t"\nbase = "nowhere.toml"\n' + RULE)
    r = CliRunner().invoke(app, ["sweep", str(p), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "base" in r.output and "nowhere.toml" in r.output
    r = CliRunner().invoke(app, ["sweep", str(tmp_path / "missing.toml")])
    assert r.exit_code == 2 and "file not found" in r.output
    assert not (tmp_path / "o").exists()


def test_cli_refuses_non_empty_out_and_bad_backend(tmp_path: Path) -> None:
    p = write_sweep(tmp_path, RULE)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    r = CliRunner().invoke(app, ["sweep", str(p), "--out", str(out)])
    assert r.exit_code == 2 and "not empty" in r.output
    r = CliRunner().invoke(app, ["sweep", str(p), "--out", str(tmp_path / "o2"),
                                 "--backend", "mpi"])
    assert r.exit_code == 2 and "--backend" in r.output
    # --resume on a folder that is not a results folder
    r = CliRunner().invoke(app, ["sweep", str(p), "--out", str(out), "--resume"])
    assert r.exit_code == 2 and "manifest" in r.output
    assert sorted(x.name for x in out.iterdir()) == ["keep.txt"]


def test_resume_refuses_another_sweep(tmp_path: Path) -> None:
    p = write_sweep(tmp_path, RULE, "replications = 2")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["sweep", str(p), "--out", str(out), "--workers", "1", "-q"])
    assert r.exit_code == 0, r.output
    q = write_sweep(tmp_path, RULE, "replications = 3", "other.toml")
    r = CliRunner().invoke(app, ["sweep", str(q), "--out", str(out), "--resume", "-q"])
    assert r.exit_code == 2 and "different" in r.output
    # resuming a finished sweep does nothing and succeeds
    r = CliRunner().invoke(app, ["sweep", str(p), "--out", str(out), "--resume"])
    assert r.exit_code == 0 and "already complete" in r.output


def test_readme_sweep_example_validates() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S) if "[[vary]]" in b]
    assert blocks, "README has no sweep example"
    sw = sweep_from_text(blocks[0], source="README.md", base_dir=ROOT / "scenarios" / "sweeps")
    assert sw.spec.sampler == "lhs" and len(sw.points) == 40 and sw.total_runs == 200
    assert [d.path for d in sw.dimensions] == ["stations.CSS.rule", "parameters.learn_rate",
                                               "states.CHN.transparency"]
