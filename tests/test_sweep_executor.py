"""The executor: equal tables whatever the backend, resume after SIGKILL and Ctrl-C, bad parts."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import children_of
from typer.testing import CliRunner

import stationsim
from stationsim.app.cli import app
from stationsim.running.executor import check_part, part_path, run_chunk, write_part
from stationsim.running.results import load_results
from stationsim.running.sweep import load_sweep, run_sweep, sweep_job

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "css_vs_iss.toml"
TABLES = ("runs", "steps", "membership")
# forking from the (multi-threaded) test process is what the local backend does here
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning")
CHUNK = 4
#: 4 points x 100 replications = 400 runs of 4 steps, in 100 chunks (a few seconds: time
#: enough to interrupt it on a loaded machine)
SWEEP = f"""name = "exec_test"
base = "{BASE.as_posix()}"
steps = 4
sampler = "grid"
replications = 100
seed = 3
[[vary]]
path = "stations.CSS.rule"
[[vary]]
path = "parameters.learn_rate"
values = [0.1, 0.4]
"""


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("sweep") / "exec_test.toml"
    p.write_text(SWEEP)
    return p


@pytest.fixture(scope="module")
def reference(sweep_file: Path, tmp_path_factory: pytest.TempPathFactory) -> stationsim.Results:
    """The uninterrupted sweep, run serially in this process."""
    out = tmp_path_factory.mktemp("ref") / "out"
    run_sweep(sweep_file, out, workers=1, progress=False, chunk_runs=CHUNK)
    return load_results(out)


def assert_same(out: Path, ref: stationsim.Results) -> None:
    got = load_results(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(ref, name))
    assert got.meta["progress"]["status"] == "complete"
    assert not (out / "parts").exists()
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "membership.parquet", "runs.parquet", "steps.parquet"]


def test_reference_is_complete_and_seeded(reference: stationsim.Results) -> None:
    runs = reference.runs
    assert len(runs) == 400 and list(runs["run_id"]) == list(range(400))
    assert list(runs["run_seed"]) == [stationsim.run_seed(3, i) for i in range(400)]
    assert reference.meta["run_seeds"] == list(runs["run_seed"])
    assert runs["run_seed"].is_unique
    assert reference.steps.groupby("run_id").size().eq(4 * 2).all()  # 4 steps x 2 stations


def test_two_processes_equal_serial(sweep_file: Path, reference: stationsim.Results,
                                    tmp_path: Path) -> None:
    out = tmp_path / "out"
    man = run_sweep(sweep_file, out, workers=2, progress=False, chunk_runs=CHUNK)
    assert man["backend"]["workers"] == 2
    assert_same(out, reference)


def test_other_chunking_gives_equal_tables(sweep_file: Path, reference: stationsim.Results,
                                           tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_sweep(sweep_file, out, workers=2, progress=False, chunk_runs=7)
    assert_same(out, reference)


def test_dask_local_cluster_equals_serial(sweep_file: Path, reference: stationsim.Results,
                                          tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    run_sweep(sweep_file, out, workers=2, backend="dask", progress=False, chunk_runs=CHUNK)
    assert_same(out, reference)


def test_run_command_uses_executor(tmp_path: Path) -> None:
    scn = stationsim.load_scenario(BASE)
    ref = stationsim.run(scn, seed=4, replications=6, steps=3)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["run", str(BASE), "--seed", "4", "-r", "6", "--steps", "3",
                                 "--workers", "2", "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    got = load_results(out)
    for name in TABLES:  # exactly the tables of the Python API
        pd.testing.assert_frame_equal(getattr(got, name), getattr(ref, name))
    assert got.meta["kind"] == "run" and got.meta["run_seeds"] == ref.meta["run_seeds"]
    r = CliRunner().invoke(app, ["run", str(BASE), "--seed", "4", "-r", "6", "--steps", "3",
                                 "--out", str(out)])
    assert r.exit_code == 2 and "not empty" in r.output
    r = CliRunner().invoke(app, ["run", str(BASE), "--seed", "5", "-r", "6", "--steps", "3",
                                 "--out", str(out), "--resume"])
    assert r.exit_code == 2 and "different" in r.output


def test_truncated_part_is_detected(sweep_file: Path, tmp_path: Path) -> None:
    job = sweep_job(load_sweep(sweep_file), CHUNK)
    k, tables = run_chunk(job, 3)
    for name in TABLES:
        write_part(tmp_path, job, k, name, tables[name])
        assert check_part(part_path(tmp_path, name, k), job, k, name) is None
    p = part_path(tmp_path, "steps", k)
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    assert "unreadable" in (check_part(p, job, k, "steps") or "")
    # a good part of another chunk, renamed, is not taken for this one
    q = part_path(tmp_path, "runs", k)
    assert check_part(q, job, 4, "runs") is not None
    other = sweep_job(load_sweep(sweep_file), CHUNK + 1)
    assert check_part(q, other, k, "runs") == "written by another job or chunk"


# ----------------------------------------------------------------------------- interruptions


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_and_stop(sweep_file: Path, out: Path, sig: int) -> subprocess.Popen[str]:
    """Start ``stationsim sweep`` on 2 workers; send ``sig`` once a few chunks are written.

    On a loaded machine the sweep (a few seconds) can finish between the check and the
    signal; then it is started again in a fresh folder (at most three times), so the
    test always judges a sweep that the signal really interrupted."""
    for _ in range(3):
        proc = _start_and_signal(sweep_file, out, sig)
        if proc.returncode != 0:
            return proc
        shutil.rmtree(out)  # it finished before the signal: not the case under test
    raise AssertionError("the sweep finished before the signal three times")


def _start_and_signal(sweep_file: Path, out: Path, sig: int) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "stationsim", "sweep", str(sweep_file), "--out", str(out),
           "--workers", "2", "--chunk-runs", str(CHUNK)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parts = out / "parts" / "membership"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 3:
            break
        time.sleep(0.005)
    assert proc.poll() is None, f"sweep ended before it could be interrupted: {proc.stderr}"
    workers = children_of(proc.pid)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    # the workers do not outlive their parent, however it ended
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)
    return proc


def _resume(sweep_file: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stationsim", "sweep", str(sweep_file), "--out", str(out),
         "--workers", "2", "--chunk-runs", str(CHUNK), "--resume"],
        capture_output=True, text=True, timeout=300, check=False)


def test_sigkill_then_resume_equals_uninterrupted(sweep_file: Path,
                                                  reference: stationsim.Results,
                                                  tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _start_and_stop(sweep_file, out, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    man = json.loads((out / "manifest.json").read_text())
    assert man["progress"]["status"] == "running"  # killed: it could not say otherwise
    assert not (out / "runs.parquet").exists()
    with pytest.raises(FileNotFoundError, match="unfinished"):
        load_results(out)
    partial = load_results(out, partial=True)  # what is done so far, from good parts only
    assert 0 < len(partial.runs) < 400
    assert partial.runs["run_id"].is_unique
    r = _resume(sweep_file, out)
    assert r.returncode == 0, r.stderr
    assert_same(out, reference)
    assert load_results(out).meta["resumed"]


def test_ctrl_c_leaves_resumable_folder_and_bad_part_is_redone(
        sweep_file: Path, reference: stationsim.Results, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _start_and_stop(sweep_file, out, signal.SIGINT)
    assert proc.returncode == 130, proc.stderr.read() if proc.stderr else ""
    err = proc.stderr.read() if proc.stderr else ""
    assert "--resume" in err and "Traceback" not in err
    man = json.loads((out / "manifest.json").read_text())
    assert man["progress"]["status"] == "interrupted"
    done = sorted((out / "parts" / "runs").glob("part-*.parquet"))
    assert done
    # damage a finished part: truncate it, as a crash on a careless filesystem might
    victim = done[0]
    victim.write_bytes(victim.read_bytes()[:100])
    chunk = int(victim.stem.split("-")[1])
    r = _resume(sweep_file, out)
    assert r.returncode == 0, r.stderr
    assert f"redoing chunk {chunk}" in r.stderr
    assert_same(out, reference)


def test_failing_run_is_named_and_folder_resumes(sweep_file: Path, reference: stationsim.Results,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import stationsim.running.executor as ex
    from stationsim.running.executor import chunk

    real = chunk.run_parts

    def flaky(scn: stationsim.Scenario, seed: int, rep: int, *a: object) -> object:
        if rep == 5 and scn.stations[1].rule == "hub_and_spoke":
            raise ValueError("boom")
        return real(scn, seed, rep, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(chunk, "run_parts", flaky)
    out = tmp_path / "out"
    with pytest.raises(ex.RunFailed, match=r"run_id 5 \(point 0 .*replication 5, run_seed \d+\)"):
        run_sweep(sweep_file, out, workers=1, progress=False, chunk_runs=CHUNK)
    assert json.loads((out / "manifest.json").read_text())["progress"]["status"] == "failed"
    monkeypatch.setattr(chunk, "run_parts", real)
    run_sweep(sweep_file, out, workers=1, progress=False, chunk_runs=CHUNK, resume=True)
    assert_same(out, reference)


@pytest.mark.parametrize("name", ["sensitivity_css_rule", "host_transparency_reciprocity",
                                  "main_parameters_lhs", "css_rule_comparison"])
def test_point_scenarios_are_with_overrides(name: str) -> None:
    """The executor's per-point scenario is ``with_overrides``' scenario, field for field, for
    every point of the shipped sweeps (the sensitivity sweep with 8 base samples), and
    ``with_overrides`` (which validates its own dump of the scenario without copying it)
    leaves the base scenario as it was and refuses bad overrides with its message."""
    import re

    from stationsim.model.scenario import ScenarioError, scenario_from_dict, with_overrides
    from stationsim.running.executor.chunk import _point_scenario
    from stationsim.running.sweep import sweep_from_text

    path = ROOT / "scenarios" / "sweeps" / f"{name}.toml"
    text = re.sub(r"(?m)^samples = \d+", "samples = 8", path.read_text(encoding="utf-8"))
    sw = sweep_from_text(text, str(path), base_dir=path.parent)
    job = sweep_job(sw)
    base = job.base_scenario()
    before = base.model_dump()
    for k, values in enumerate(job.points):
        ov = dict(zip(job.columns, values, strict=True))
        got, want = _point_scenario(job, k), with_overrides(base, ov)
        assert got == want and got.overrides == want.overrides == ov
        assert got.model_dump() == want.model_dump() and got.text_hash == want.text_hash
        assert (got.source, got.text) == (want.source, want.text)
    assert base.model_dump() == before
    data = base.raw()
    data.pop("states_csv", None)
    copied = scenario_from_dict(data, source=base.source, text=base.text)
    assert copied.model_dump() == with_overrides(base, {}).model_dump()
    data["stations"][0]["name"] = "CHANGED"  # the caller's dict is not the scenario's
    data.setdefault("parameters", {})["learn_rate"] = 0.123
    assert copied.model_dump() == with_overrides(base, {}).model_dump()
    for bad, where in (({"parameters.learn_rate": 7.0}, "learn_rate"),
                       ({"stations.CSS.rule": "nonsense"}, "rule"),
                       ({"stations.NOPE.rule": "hub_and_spoke"}, "NOPE"),
                       ({"stations.CSS.close_at": 1900}, "close_at"),
                       ({"parameters.learn_rate": 0.5, "stations.ISS.capacity": -1},
                        "capacity")):
        with pytest.raises(ScenarioError, match=where):
            with_overrides(base, bad)
