"""Issue 17: nothing a user can type or a machine can do mixes, mislabels or damages
results, or ends in a traceback.

One section per class of fault, worst first: one writer per folder; a job's
identity is its meaning; one boundary for every input; output places checked
before any work; results that verify themselves; faults that end cleanly;
designs sized before they run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import run_cli
from typer.testing import CliRunner

import stationsim
from stationsim.app.cli import app, default_out
from stationsim.running.executor import OutputError, consolidate, run_chunk, run_job, write_part
from stationsim.running.lock import LOCK_NAME, FolderBusy, FolderLock
from stationsim.running.results import load_results

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "css_vs_iss.toml"
TABLES = ("runs", "steps", "membership")
pytestmark = pytest.mark.filterwarnings(
    "ignore:This process .* is multi-threaded:DeprecationWarning")


def cli(*args: str) -> tuple[int, str]:
    """Run the CLI in this process; exit code and all its output."""
    r = CliRunner().invoke(app, list(args))
    return r.exit_code, r.output


def no_traceback(text: str) -> None:
    assert "Traceback" not in text and "internal error" not in text, text


def tables(out: Path) -> dict[str, pd.DataFrame]:
    res = load_results(out)
    return {t: getattr(res, t) for t in TABLES}


def assert_same_tables(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    for t in TABLES:
        pd.testing.assert_frame_equal(ta[t], tb[t])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run of css_vs_iss: seed 7, 6 replications, 3 steps."""
    out = tmp_path_factory.mktemp("ref") / "out"
    code, text = cli("run", str(BASE), "--seed", "7", "-r", "6", "--steps", "3", "--out",
                     str(out), "-q")
    assert code == 0, text
    return out


RUN = ("run", str(BASE), "--seed", "7", "-r", "6", "--steps", "3", "-q")


# ----------------------------------------------------------------------------- 1. one writer


def test_second_writer_is_refused_at_once_and_touches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with FolderLock(out):  # another process is writing here (a lock on another descriptor)
        code, text = cli(*RUN, "--out", str(out))
        assert code == 2, text
        assert "another stationsim process" in text and str(os.getpid()) in text
        no_traceback(text)
        code, text = cli(*RUN, "--out", str(out), "--resume")
        assert code == 2 and "another stationsim process" in text, text
        assert [p.name for p in out.iterdir()] == [LOCK_NAME]  # nothing written
    assert not any(out.iterdir())  # the lock file goes with its holder


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with FolderLock(tmp_path), pytest.raises(FolderBusy):
        FolderLock(tmp_path).acquire()
    with FolderLock(tmp_path):  # free again
        pass


def test_stale_lock_of_a_killed_process_is_taken_over(tmp_path: Path,
                                                      reference: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # a process that took the lock and was killed (the OS released its flock)
    proc = subprocess.Popen([sys.executable, "-c",
                             "import sys, time; from pathlib import Path; "
                             "from stationsim.running.lock import FolderLock; "
                             f"FolderLock(Path({str(out)!r})).acquire(); print('held', "
                             "flush=True); time.sleep(60)"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    code, text = cli(*RUN, "--out", str(out))
    assert code == 2 and f"pid {proc.pid}" in text, text
    proc.kill()
    proc.wait()
    assert (out / LOCK_NAME).exists()  # left behind by the killed holder
    code, text = cli(*RUN, "--out", str(out))
    assert code == 0, text
    assert_same_tables(out, reference)
    assert not (out / LOCK_NAME).exists()


@pytest.mark.slow
def test_two_processes_on_one_folder_never_mix(tmp_path: Path, reference: Path) -> None:
    """Two writers started together on one --out: one writes, the other is refused (exit 2)
    with a message and no traceback; the folder holds exactly one job's tables."""
    out = tmp_path / "out"
    args = [sys.executable, "-m", "stationsim", "run", str(BASE), "-r", "6", "--steps", "3",
            "-q", "--out", str(out)]
    procs = [subprocess.Popen([*args, "--seed", s], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for s in ("7", "8")]
    results = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
    codes = sorted(c for c, _ in results)
    for _, err in results:
        no_traceback(err)
    assert codes == [0, 2], results
    winner = next(i for i, (c, _) in enumerate(results) if c == 0)
    assert any("another stationsim process" in e or "not empty" in e for _, e in results)
    got = tables(out)
    assert got["runs"]["master_seed"].nunique() == 1
    assert int(got["runs"]["master_seed"].iloc[0]) == (7, 8)[winner]
    man = json.loads((out / "manifest.json").read_text())
    assert man["progress"]["status"] == "complete"
    if winner == 0:
        assert_same_tables(out, reference)


def test_default_output_folders_are_unique(tmp_path: Path) -> None:
    scn = stationsim.load_scenario(BASE)
    names = {default_out(scn) for _ in range(200)}
    assert len(names) == 200


def test_consolidation_refuses_parts_of_another_job(tmp_path: Path) -> None:
    scn = stationsim.load_scenario(BASE)
    mine = run_job(scn, seed=1, replications=2, steps=2, chunk_runs=1)
    other = run_job(scn, seed=2, replications=2, steps=2, chunk_runs=1)
    for k in range(2):
        job = mine if k == 0 else other  # chunk 1 written by another job
        _, tabs = run_chunk(job, k)
        for name in TABLES:
            write_part(tmp_path, job, k, name, tabs[name])
    with pytest.raises(OutputError, match="not a part of this job"):
        consolidate(tmp_path, mine, "runs")
    assert not (tmp_path / "runs.parquet").exists()


def test_cli_waits_for_nothing_when_refused(tmp_path: Path) -> None:
    """The refusal is immediate: no worker pool started, no manifest written."""
    out = tmp_path / "out"
    out.mkdir()
    with FolderLock(out):
        t0 = time.monotonic()
        proc = run_cli(*RUN, "--out", str(out), "--workers", "2")
        assert proc.returncode == 2, proc.stderr
        assert time.monotonic() - t0 < 60
        no_traceback(proc.stderr)
        assert not (out / "manifest.json").exists()


# ----------------------------------------------------------------------------- 2. identity

SWEEP = """name = "rel_sweep"
base = "{base}"
steps = 2
replications = 3
seed = 5
[[vary]]
path = "stations.CSS.rule"
"""


def sweep_file(folder: Path, base: str | None = None, extra: str = "") -> Path:
    p = folder / "rel_sweep.toml"
    p.write_text(SWEEP.format(base=base or BASE.as_posix()) + extra, encoding="utf-8")
    return p


def _fail_once(monkeypatch: pytest.MonkeyPatch, rep: int = 2) -> None:
    """Make replication ``rep`` of the hub_and_spoke point raise (a crashed run)."""
    import stationsim.running.executor as ex

    real = ex.run_one

    def flaky(scn: stationsim.Scenario, seed: int, r: int, *a: object) -> object:
        if r == rep and scn.stations[1].rule == "hub_and_spoke":
            raise ValueError("boom")
        return real(scn, seed, r, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(ex, "run_one", flaky)


def test_resume_from_another_folder_by_another_spelling_with_a_comment_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    shutil.copy(BASE, work / "base.toml")
    shutil.copy(BASE.parent / "stylised_states.csv", work)
    ref = tmp_path / "ref"
    sw = sweep_file(work, base="base.toml")
    code, text = cli("sweep", str(sw), "--out", str(ref), "--workers", "1", "-q",
                     "--chunk-runs", "1")
    assert code == 0, text
    # an interrupted sweep, started from work/ with relative paths
    monkeypatch.chdir(work)
    with monkeypatch.context() as m:
        _fail_once(m)
        code, text = cli("sweep", "rel_sweep.toml", "--out", "out", "--workers", "1", "-q",
                         "--chunk-runs", "1")
    assert code != 0
    assert (work / "out" / "manifest.json").is_file()
    # resumed from another folder, by an absolute path, the file changed only in a comment
    monkeypatch.chdir(work / "sub")
    sw.write_text("# a note added later\n" + sw.read_text() + "# and another\n")
    code, text = cli("sweep", str(sw.resolve()), "--out", "../out", "--resume", "--workers",
                     "1", "-q", "--chunk-runs", "1")
    assert code == 0, text
    assert_same_tables(work / "out", ref)


def test_fingerprint_ignores_source_but_not_meaning(tmp_path: Path) -> None:
    from stationsim.running.sweep import load_sweep, sweep_job

    a = sweep_job(load_sweep(sweep_file(tmp_path)))
    b = sweep_job(load_sweep(sweep_file(tmp_path, extra="# comment\n")))
    assert a.fingerprint == b.fingerprint
    c = sweep_job(load_sweep(sweep_file(tmp_path, extra='[[vary]]\npath = "parameters.learn_rate"\n'
                                        'values = [0.1, 0.2]\n')))
    assert c.fingerprint != a.fingerprint
    scn = stationsim.load_scenario(BASE)
    rel = stationsim.load_scenario(os.path.relpath(BASE))
    assert run_job(scn).fingerprint == run_job(rel).fingerprint
    assert run_job(scn, seed=1).fingerprint != run_job(scn, seed=2).fingerprint


@pytest.mark.parametrize("extra, needle", [
    ('[[vary]]\npath = "stations.1.rule"\n', "the same field"),
    ('[[vary]]\npath = "stations.CSS.rule"\n', "already varied"),
    ('[[vary]]\npath = "steps"\nvalues = [1, 3]\n', "fixed by the sweep file"),
])
def test_sweep_refuses_one_field_twice(tmp_path: Path, extra: str, needle: str) -> None:
    code, text = cli("sweep", str(sweep_file(tmp_path, extra=extra)), "--out",
                     str(tmp_path / "out"), "-q")
    assert code == 2 and needle in text, text
    no_traceback(text)
    assert not (tmp_path / "out").exists()
