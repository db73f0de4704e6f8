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
from helpers import children_of, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import stationsim
from stationsim.app.cli import app, default_out
from stationsim.model.scenario import scenario_from_dict
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
    import stationsim.running.executor.chunk as ex  # where run_chunk looks run_parts up

    real = ex.run_parts

    def flaky(scn: stationsim.Scenario, seed: int, r: int, *a: object) -> object:
        if r == rep and scn.stations[1].rule == "hub_and_spoke":
            raise ValueError("boom")
        return real(scn, seed, r, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(ex, "run_parts", flaky)


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


# ----------------------------------------------------------------------------- 3. one boundary

BAD_OPTIONS = {
    "--steps": st.one_of(st.integers(max_value=0), st.integers(min_value=10_001)),
    "--seed": st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63)),
    "--replications": st.one_of(st.integers(max_value=0), st.integers(min_value=10_000_001)),
    "--workers": st.one_of(st.integers(max_value=0), st.integers(min_value=1025)),
}
#: the options each command takes, and the arguments it needs
COMMANDS = {
    "run": (("--steps", "--seed", "--replications", "--workers"), (str(BASE),)),
    "sweep": (("--workers",), (str(ROOT / "scenarios" / "sweeps" / "css_rule_comparison.toml"),)),
    "experiment": (("--steps", "--replications", "--workers"),
                   (str(next((ROOT / "scenarios" / "experiments").glob("*.toml"))),)),
    "sensitivity": (("--workers",), (str(ROOT / "scenarios" / "sweeps"
                                         / "css_rule_comparison.toml"),)),
}


@st.composite
def bad_command(draw: st.DrawFn) -> tuple[list[str], str]:
    cmd = draw(st.sampled_from(sorted(COMMANDS)))
    options, args = COMMANDS[cmd]
    opt = draw(st.sampled_from(options))
    value = draw(BAD_OPTIONS[opt])
    return [cmd, *args, opt, str(value)], opt


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=bad_command())
def test_cli_options_out_of_bounds_exit_2_naming_the_option(
        case: tuple[list[str], str], tmp_path: Path) -> None:
    argv, opt = case
    out = tmp_path / "never"
    code, text = cli(*argv, "--out", str(out), "-q")
    assert code == 2, text
    no_traceback(text)
    assert opt in text or opt.lstrip("-") in text, text
    assert not out.exists()


@settings(max_examples=60, deadline=None)
@given(steps=st.integers(-5, 20_000), seed=st.integers(-5, 2**64),
       reps=st.integers(-5, 20_000_000))
def test_options_and_file_fields_share_one_boundary(steps: int, seed: int, reps: int) -> None:
    from helpers import scenario_dict

    from stationsim.model.scenario import ScenarioError, check_run_options
    from stationsim.running.batch import run

    for field, value in (("steps", steps), ("seed", seed), ("replications", reps)):
        try:
            check_run_options(**{field: value})
            option_ok = True
        except ScenarioError:
            option_ok = False
        try:
            scenario_from_dict({**scenario_dict(), field: value})
            file_ok = True
        except ScenarioError:
            file_ok = False
        assert option_ok == file_ok, (field, value)
    if not (0 <= seed < 2**63):  # the Python API too: a message, not a numpy traceback
        with pytest.raises(ScenarioError, match="seed"):
            run(scenario_from_dict(scenario_dict()), seed=seed, replications=1)


@pytest.mark.parametrize("change, needle", [
    ({"start_year": 10**20}, "start_year"),
    ({"start_year": 1200}, "start_year"),
    ({"stations": [{"operating_cost": float("inf")}]}, "operating_cost"),
    ({"stations": [{"open_from": 10**19}]}, "open_from"),
    ({"states": [{"assets": {"money": float("inf")}}]}, "assets"),
    ({"states": [{"capability": float("nan")}]}, "capability"),
    ({"parameters": {"learn_rate": float("inf")}}, "learn_rate"),
])
def test_numbers_must_be_finite_and_in_bounds(change: dict[str, object], needle: str) -> None:
    from helpers import scenario_dict

    from stationsim.model.scenario import ScenarioError

    data = scenario_dict()
    for k, v in change.items():
        if isinstance(v, list):
            data[k][0].update(v[0])
        else:
            data[k] = v
    with pytest.raises(ScenarioError, match=needle):
        scenario_from_dict(data)


def test_set_and_sweep_values_are_bounded_too(tmp_path: Path) -> None:
    code, text = cli(*RUN, "--out", str(tmp_path / "o"), "--set",
                     "start_year=100000000000000000000")
    assert code == 2 and "start_year" in text, text
    code, text = cli(*RUN, "--out", str(tmp_path / "o"), "--set",
                     "stations.CSS.operating_cost=inf")
    assert code == 2 and "operating_cost" in text, text
    sw = sweep_file(tmp_path, extra='[[vary]]\npath = "start_year"\n'
                                     'values = [2022, 100000000000000000000]\n')
    code, text = cli("sweep", str(sw), "--out", str(tmp_path / "o"), "-q")
    assert code == 2 and "start_year" in text, text
    no_traceback(text)
    assert not (tmp_path / "o").exists()


def test_contradictions_are_refused_naming_both_places() -> None:
    from helpers import scenario_dict, state, station

    from stationsim.model.scenario import ScenarioError

    states = [state("HUB"), state("HB2"), state("GST")]
    two = scenario_dict(states, [station("A", "HUB", founding_members=["GST"]),
                                 station("B", "HB2", founding_members=["GST"])])
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(two)
    assert "stations[1].founding_members[0]" in str(err.value) and "stations[0]" in str(err.value)
    # a host founding another station is no contradiction (exclusivity counts guests; H4's
    # counterfactual makes China an ISS partner while it hosts the CSS)
    scenario_from_dict(scenario_dict(states, [station("A", "HUB"),
                                              station("B", "HB2", founding_members=["HUB"])]))
    # not a contradiction when a state may belong to several stations, or they never overlap
    scenario_from_dict({**two, "exclusive": False})
    apart = scenario_dict(states, [station("A", "HUB", founding_members=["GST"], close_at=2005),
                                   station("B", "HB2", founding_members=["GST"], open_from=2005)])
    scenario_from_dict(apart)


def _csv_scenario(folder: Path, csv_text: str, bom: bool = False) -> Path:
    (folder / "states.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + csv_text.encode())
    toml = ('name = "csvtest"\nsteps = 2\nstart_year = 2000\nstates_csv = "states.csv"\n'
            '[[stations]]\nname = "S"\nhost = "AAA"\nrule = "hub_and_spoke"\ncapacity = 3\n'
            'operating_cost = 1.0\nopen_from = 2000\nclose_at = 2010\n')
    p = folder / "s.toml"
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + toml.encode())
    return p


HEADER = "iso3,name,capability,reciprocity,transparency,military_fusion,alignment,developing\n"


def test_bom_is_tolerated_in_toml_and_csv(tmp_path: Path) -> None:
    rows = "AAA,A,0.5,0.5,0.5,0.5,0.0,0\nBBB,B,0.4,0.5,0.5,0.5,0.1,1\n"
    p = _csv_scenario(tmp_path, HEADER + rows, bom=True)
    scn = stationsim.load_scenario(p)
    assert [s.iso3 for s in scn.states] == ["AAA", "BBB"]
    sw = sweep_file(tmp_path)
    sw.write_bytes(b"\xef\xbb\xbf" + sw.read_bytes())
    from stationsim.running.sweep import load_sweep

    assert load_sweep(sw).name == "rel_sweep"


def test_csv_faults_are_named(tmp_path: Path) -> None:
    from stationsim.model.scenario import ScenarioError

    p = _csv_scenario(tmp_path, HEADER + "AAA,A, Inc.,0.5,0.5,0.5,0.5,0.0,0\n")
    with pytest.raises(ScenarioError, match=r"line 2: 9 cells, but the header has 8 columns"):
        stationsim.load_scenario(p)
    p = _csv_scenario(tmp_path, HEADER.replace("\n", ",capability\n")
                      + "AAA,A,0.5,0.5,0.5,0.5,0.0,0,0.9\n")
    with pytest.raises(ScenarioError, match="'capability' appears twice"):
        stationsim.load_scenario(p)
    p = _csv_scenario(tmp_path, HEADER + "AAA,A,inf,0.5,0.5,0.5,0.0,0\n")
    with pytest.raises(ScenarioError, match="finite"):
        stationsim.load_scenario(p)


# ----------------------------------------------------------------------------- 4. places


def test_out_under_a_file_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for argv in (RUN, ("sweep", str(sweep_file(tmp_path)), "-q")):
        code, text = cli(*argv, "--out", str(tmp_path / "file" / "sub" / "out"))
        assert code == 2, text
        assert "is under" in text and "which is a file" in text, text
        no_traceback(text)
    code, text = cli(*RUN, "--out", str(tmp_path / "file"))
    assert code == 2 and "not a folder" in text, text


def test_unwritable_out_is_refused_and_nothing_is_left(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only file system (simulated: root ignores permission bits)."""
    import errno

    real_mkdir = Path.mkdir

    def ro_mkdir(self: Path, *a: object, **k: object) -> None:
        if str(self).startswith(str(tmp_path / "ro")):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        real_mkdir(self, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", ro_mkdir)
    code, text = cli(*RUN, "--out", str(tmp_path / "ro" / "a" / "b"))
    assert code == 2 and "Read-only file system" in text and str(tmp_path / "ro") in text, text
    no_traceback(text)
    assert not (tmp_path / "ro").exists()


def test_plot_and_report_to_an_unwritable_place_exit_2(tmp_path: Path, reference: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, text = cli("plot", str(reference), "--out", str(tmp_path / "file" / "plots"), "-q")
    assert code == 2 and "which is a file" in text, text
    code, text = cli("report", str(reference), "--out", str(tmp_path / "file" / "r.html"))
    assert code == 2 and "is a file" in text, text
    code, text = cli("compare", str(reference), "--by", "replication", "--out",
                     str(tmp_path / "file" / "c"), "-q")
    assert code == 2, text
    no_traceback(text)


# ----------------------------------------------------------------------------- 5. self-checks


def test_manifest_records_each_tables_rows_and_checksum(reference: Path) -> None:
    from stationsim.running.results import file_sha256

    man = json.loads((reference / "manifest.json").read_text())
    assert man["progress"]["status"] == "complete"
    for t in TABLES:
        stamp = man["tables"][t]
        assert stamp["rows"] == len(pd.read_parquet(reference / f"{t}.parquet"))
        assert stamp["sha256"] == file_sha256(reference / f"{t}.parquet")


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_damaged_table_is_refused_then_rebuilt_by_resume(tmp_path: Path, reference: Path,
                                                         damage: str) -> None:
    from stationsim.running.results import DamagedResults

    out = tmp_path / "out"
    shutil.copytree(reference, out)
    victim = out / "steps.parquet"
    data = victim.read_bytes()
    if damage == "truncate":
        victim.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        victim.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    else:
        victim.unlink()
    with pytest.raises(DamagedResults, match=r"steps\.parquet"):
        load_results(out)
    code, text = cli("plot", str(out), "-q")
    assert code == 2 and "damaged" in text and "--resume" in text, text
    no_traceback(text)
    code, text = cli(*RUN[:-1], "--out", str(out), "--resume")
    assert code == 0, text
    assert "rebuilding" in text
    assert_same_tables(out, reference)


def test_temporary_files_are_cleaned_on_resume(tmp_path: Path, reference: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        import stationsim.running.executor.chunk as ex  # where run_chunk looks it up

        real = ex.run_parts

        def flaky(scn: stationsim.Scenario, seed: int, r: int, *a: object) -> object:
            if r == 4:
                raise ValueError("boom")
            return real(scn, seed, r, *a)  # type: ignore[arg-type]

        m.setattr(ex, "run_parts", flaky)
        code, text = cli(*RUN, "--out", str(out))
        assert code == 1
    # what a kill during a write leaves behind
    (out / ".runs.parquet.abc123.tmp").write_bytes(b"half")
    (out / ".manifest.json.x.tmp").write_bytes(b"{")
    code, text = cli(*RUN, "--out", str(out), "--resume")
    assert code == 0, text
    assert not list(out.rglob("*.tmp"))
    assert_same_tables(out, reference)


# ----------------------------------------------------------------------------- 6. faults


def _enospc(path: object = "x") -> OSError:
    import errno

    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


def test_full_disk_while_writing_parts_ends_cleanly_and_resumes(
        tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stationsim.running.executor as ex
    import stationsim.running.executor.loop as loop  # where execute looks write_part up

    out = tmp_path / "out"
    real = loop.write_part
    calls = {"n": 0}

    def full(out_: Path, job: object, chunk: int, table: str, data: object) -> None:
        calls["n"] += 1
        if calls["n"] > 9:  # three chunks fit, then the disk is full
            raise _enospc(ex.part_path(out_, table, chunk))
        real(out_, job, chunk, table, data)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(loop, "write_part", full)
        code, text = cli(*RUN, "--out", str(out))
    assert code == 1, text
    no_traceback(text)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1 and "No space left on device" in lines[0], text
    assert "3 of 6 runs done are kept" in text and "--resume" in text
    assert len(list((out / "parts" / "runs").glob("part-*.parquet"))) == 3
    man = json.loads((out / "manifest.json").read_text())
    assert man["progress"]["status"] == "failed"
    code, text = cli(*RUN, "--out", str(out), "--resume")
    assert code == 0, text
    assert_same_tables(out, reference)


def test_full_disk_during_consolidation_ends_cleanly_and_resumes(
        tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stationsim.running.executor.loop as loop
    import stationsim.running.executor.pool as pool

    out = tmp_path / "out"
    real = loop.consolidate

    def full(out_: Path, job: object, table: str) -> int:
        if table == "steps":
            (out_ / ".steps.parquet.half.tmp").write_bytes(b"PAR1")
            raise _enospc(out_ / "steps.parquet")
        return real(out_, job, table)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(loop, "consolidate", full)  # serial
        m.setattr(pool, "consolidate", full)  # the local pool's workers and this process
        code, text = cli(*RUN, "--out", str(out))
    assert code == 1 and "No space left on device" in text, text
    no_traceback(text)
    code, text = cli(*RUN, "--out", str(out), "--resume")
    assert code == 0, text
    assert not list(out.rglob("*.tmp"))
    assert_same_tables(out, reference)


def _die_in_worker(monkeypatch: pytest.MonkeyPatch, chunk: int, marker: Path | None) -> None:
    """The worker running ``chunk`` is killed (SIGKILL, as the OOM killer does): once when
    ``marker`` is given (it records the death), else every time."""
    import signal

    import stationsim.running.executor.pool as ex  # where the pool's workers look it up

    real = ex.run_chunk

    def dying(job: object, k: int) -> object:
        if k == chunk and (marker is None or not marker.exists()):
            if marker is not None:
                marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(job, k)  # type: ignore[arg-type]

    monkeypatch.setattr(ex, "run_chunk", dying)


def test_local_pool_retries_a_chunk_whose_worker_died(
        tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _die_in_worker(m, 2, tmp_path / "died")
        code, text = cli(*RUN, "--out", str(out), "--workers", "2")
    assert code == 0, text
    assert (tmp_path / "died").exists()  # a worker did die
    assert_same_tables(out, reference)


def test_worker_that_always_dies_ends_cleanly_and_resumes(
        tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _die_in_worker(m, 4, None)
        code, text = cli(*RUN, "--out", str(out), "--workers", "2")
    assert code == 1, text
    no_traceback(text)
    assert "worker process died" in text and "--resume" in text, text
    assert json.loads((out / "manifest.json").read_text())["progress"]["status"] == "failed"
    code, text = cli(*RUN, "--out", str(out), "--resume", "--workers", "2")
    assert code == 0, text
    assert_same_tables(out, reference)


EXPERIMENT = ROOT / "scenarios" / "experiments" / "h5_un_channel.toml"


def test_experiment_resume_keeps_finished_arms(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import stationsim.analysis.experiment as E
    from stationsim.analysis.experiment import runner

    kw = {"replications": 3, "steps": 2, "workers": 1, "robustness": False}
    ref = tmp_path / "ref"
    E.run_experiment(EXPERIMENT, ref, **kw)  # type: ignore[arg-type]
    out = tmp_path / "out"
    real = runner.execute  # looked up by runner._run_arms
    calls: list[str] = []

    def second_arm_fails(job: object, target: Path, *a: object, **k: object) -> object:
        calls.append(target.name)
        if len(calls) == 2 and not k.get("resume"):
            raise _enospc(target / "runs.parquet")
        return real(job, target, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "execute", second_arm_fails)
    with pytest.raises(OSError):
        E.run_experiment(EXPERIMENT, out, **kw)  # type: ignore[arg-type]
    man = json.loads((out / "manifest.json").read_text())
    assert man["kind"] == "experiment" and man["progress"]["status"] == "failed"
    with pytest.raises(FileNotFoundError, match="unfinished"):
        load_results(out)
    first = out / "arms" / calls[0]
    finished = json.loads((first / "manifest.json").read_text())["finished"]
    # without --resume the folder is refused; with it the first arm is kept, not rerun
    with pytest.raises(OutputError, match="--resume"):
        E.run_experiment(EXPERIMENT, out, **kw)  # type: ignore[arg-type]
    with pytest.raises(OutputError, match="different experiment"):
        E.run_experiment(EXPERIMENT, out, resume=True,  # type: ignore[arg-type]
                         **{**kw, "replications": 4})
    E.run_experiment(EXPERIMENT, out, resume=True, **kw)  # type: ignore[arg-type]
    assert json.loads((first / "manifest.json").read_text())["finished"] == finished
    assert json.loads((out / "manifest.json").read_text())["progress"]["status"] == "complete"
    assert_same_tables(out, ref)


def test_experiment_cli_resume_and_machine_fault_exit_1(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import stationsim.running.executor.loop as ex  # where execute looks write_part up

    out = tmp_path / "out"
    argv = ("experiment", str(EXPERIMENT), "-r", "3", "--steps", "2", "--workers", "1",
            "--no-robustness", "-q", "--out", str(out))
    real = ex.write_part

    def full(out_: Path, job: object, chunk: int, table: str, data: object) -> None:
        if "arms" in out_.parts and out_.name != sorted(p.name for p in out_.parent.iterdir())[0]:
            raise _enospc(out_)
        real(out_, job, chunk, table, data)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(ex, "write_part", full)
        code, text = cli(*argv)
    assert code == 1, text
    no_traceback(text)
    assert "No space left on device" in text and f"--out {out} --resume" in text
    assert "finished arms are kept" in text
    code, text = cli(*argv, "--resume")
    assert code == 0, text
    assert (out / "report.html").is_file()
    assert json.loads((out / "manifest.json").read_text())["progress"]["status"] == "complete"


def test_unfinished_message_counts_the_finished_parts(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        import stationsim.running.executor.chunk as ex  # where run_chunk looks it up

        real = ex.run_parts

        def flaky(scn: stationsim.Scenario, seed: int, r: int, *a: object) -> object:
            if r == 5:
                raise ValueError("boom")
            return real(scn, seed, r, *a)  # type: ignore[arg-type]

        m.setattr(ex, "run_parts", flaky)
        assert cli(*RUN, "--out", str(out), "--workers", "1")[0] == 1
    man = json.loads((out / "manifest.json").read_text())  # as a kill -9 leaves it
    man["progress"].update(status="running", runs_done=0)
    (out / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(FileNotFoundError, match="5 of 6 runs done"):
        load_results(out)


# ----------------------------------------------------------------------------- 7. sizes

SIZED = """name = "sized"
base = "{base}"
sampler = "{sampler}"
{samples}
replications = {reps}
seed = 1
[[vary]]
path = "parameters.learn_rate"
{levels}
[[vary]]
path = "stations.CSS.rule"
"""


def _sized(folder: Path, sampler: str, samples: int | None, reps: int,
           levels: int | None = None) -> Path:
    p = folder / f"sized_{sampler}.toml"
    p.write_text(SIZED.format(base=BASE.as_posix(), sampler=sampler, reps=reps,
                              samples="" if samples is None else f"samples = {samples}",
                              levels="" if levels is None else f"levels = {levels}"))
    return p


def test_huge_design_is_refused_before_sampling(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import stationsim.running.sweep as S

    def never(*a: object, **k: object) -> None:
        raise AssertionError("sampled before the size was checked")

    monkeypatch.setattr(S, "_sample", never)
    for p in (_sized(tmp_path, "random", 5_000_000, 2),
              _sized(tmp_path, "sobol", 100_000, 2),
              _sized(tmp_path, "grid", None, 1000, levels=1000)):
        code, text = cli("sweep", str(p), "--out", str(tmp_path / "o"), "-q")
        assert code == 2, text
        assert "runs" in text and "--allow-large" in text, text
        no_traceback(text)
    p = _sized(tmp_path, "random", 10_000_000, 2)
    code, text = cli("sweep", str(p), "--out", str(tmp_path / "o"), "-q", "--allow-large")
    assert code == 2 and "at most 10,000,000" in text, text
    assert not (tmp_path / "o").exists()


def test_large_design_runs_with_allow_large_and_is_validated_per_dimension(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stationsim.running.sweep as S

    calls = {"n": 0}
    real = S.with_overrides

    def counted(*a: object, **k: object) -> object:
        calls["n"] += 1
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(S, "with_overrides", counted)
    p = _sized(tmp_path, "lhs", 250_001, 4)  # 1,000,004 runs: past the cap
    with pytest.raises(stationsim.ScenarioError, match="allow-large"):
        S.load_sweep(p)
    sw = S.load_sweep(p, allow_large=True)
    assert sw.total_runs == 1_000_004
    assert calls["n"] <= 10  # per dimension and corner, not per point


def test_manifest_does_not_grow_with_the_design(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import stationsim.running.executor.loop as ex  # where execute reads it

    monkeypatch.setattr(ex, "MANIFEST_SEEDS", 4)
    sizes = []
    for reps in (6, 12):
        out = tmp_path / f"o{reps}"
        code, text = cli("run", str(BASE), "-r", str(reps), "--steps", "1", "-q", "--out",
                         str(out))
        assert code == 0, text
        man = json.loads((out / "manifest.json").read_text())
        assert man["run_seeds"] is None and man["counts"]["runs"] == reps
        sizes.append(len(json.dumps({k: v for k, v in man.items()
                                     if k not in ("timing", "environment")})))
    assert abs(sizes[0] - sizes[1]) < 200


VARY_PATHS = ["stations.CSS.rule", "stations.1.rule", "stations.ISS.rule", "stations.0.rule",
              "parameters.learn_rate", "steps", "stations.CSS.capacity", "stations.1.capacity"]


@st.composite
def sweep_texts(draw: st.DrawFn) -> str:
    paths = draw(st.lists(st.sampled_from(VARY_PATHS), min_size=1, max_size=4))
    fixed_steps = draw(st.booleans())
    lines = ['name = "gen"', f'base = "{BASE.as_posix()}"', 'sampler = "grid"',
             f"replications = {draw(st.integers(1, 3))}"]
    if fixed_steps:
        lines.append(f"steps = {draw(st.integers(1, 4))}")
    for p in paths:
        lines.append(f'[[vary]]\npath = "{p}"')
        if p == "steps":
            lines.append(f"values = {sorted(draw(st.sets(st.integers(1, 4), min_size=1)))}")
        elif p.endswith("capacity"):
            lines.append(f"values = {sorted(draw(st.sets(st.integers(12, 30), min_size=1)))}")
        elif p.startswith("parameters"):
            lines.append("values = [0.1, 0.5]")
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(text=sweep_texts())
def test_generated_sweeps_never_mislabel(text: str) -> None:
    """Any sweep file is refused with a message, or every column says what its runs use."""
    from stationsim.running.sweep import canonical_path, get_path, sweep_from_text, sweep_job

    try:
        sw = sweep_from_text(text, source="gen.toml")
    except stationsim.ScenarioError as exc:
        assert "gen.toml" in str(exc)
        return
    data = sw.base.raw()
    fields = [canonical_path(data, d.path) for d in sw.dimensions]
    assert len(set(fields)) == len(fields)
    job = sweep_job(sw)
    for pt in sw.points[:8]:
        scn = stationsim.with_overrides(sw.base, pt)
        for col, value in pt.items():
            if col == "steps":
                assert job.steps is None  # not fixed by the file: the point's steps are used
            used = scn.raw() if not col.startswith("parameters.") else {
                "parameters": scn.params()}
            assert get_path(used, col) == value


@pytest.mark.slow
def test_two_default_runs_in_one_second_get_their_own_folders(tmp_path: Path) -> None:
    """The first fault of issue 17: two runs of one scenario with different --set, started
    together without --out, each in its own folder, each labelled by what it ran."""
    args = [sys.executable, "-m", "stationsim", "run", str(BASE), "-r", "3", "--steps", "2", "-q"]
    rules = ("hub_and_spoke", "quid_pro_quo")
    procs = [subprocess.Popen([*args, "--set", f"stations.CSS.rule={r}"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for r in rules]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    folders = sorted((tmp_path / "results" / "css_vs_iss").iterdir())
    assert len(folders) == 2
    seen = set()
    for f in folders:
        runs = load_results(f).runs
        assert len(runs) == 3 and runs["css_rule"].nunique() == 1
        seen.add(runs["css_rule"].iloc[0])
    assert seen == set(rules)


def test_bootstrap_seed_out_of_bounds_exit_2(reference: Path) -> None:
    for cmd in ("compare", "report"):
        extra = ("--by", "replication") if cmd == "compare" else ()
        code, text = cli(cmd, str(reference), *extra, "--seed", "-1")
        assert code == 2 and "--seed" in text, text
        no_traceback(text)


def test_sensitivity_design_is_sized_before_sampling(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import stationsim.analysis.sensitivity as S

    def never(*a: object, **k: object) -> None:
        raise AssertionError("the design was sampled before its size was checked")

    monkeypatch.setattr(S, "design", never)
    p = _sized(tmp_path, "random", 100_000, 3)  # 300,000 runs; as sobol: 1,200,000
    code, text = cli("sensitivity", str(p), "--method", "sobol", "--out", str(tmp_path / "o"),
                     "-q")
    assert code == 2 and "--allow-large" in text and "1,200,000 runs" in text, text
    no_traceback(text)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_worker_killed_by_the_os_is_retried_in_a_real_sweep(tmp_path: Path) -> None:
    """kill -9 of one pool worker (as the OOM killer does) mid-sweep: the chunk is rerun on a
    fresh pool, the sweep exits 0 with the tables of an uninterrupted run."""
    import signal

    from stationsim.running.sweep import run_sweep

    sw = tmp_path / "big.toml"
    sw.write_text(SWEEP.format(base=BASE.as_posix()).replace("steps = 2", "steps = 4")
                  .replace("replications = 3", "replications = 40"))
    ref = tmp_path / "ref"
    run_sweep(sw, ref, workers=1, progress=False, chunk_runs=4)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "stationsim", "sweep", str(sw), "--out",
                             str(out), "--workers", "2", "--chunk-runs", "4", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parts = out / "parts" / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 2:
            break
        time.sleep(0.005)
    workers = children_of(proc.pid)
    assert proc.poll() is None and workers, "the sweep ended before a worker could be killed"
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    no_traceback(err)
    assert_same_tables(out, ref)


def test_a_job_that_would_not_fit_on_the_disk_is_refused_before_any_work(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Class 4: the output place needs room for about what the job writes."""
    import collections

    from stationsim.running.executor import place

    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(place.shutil, "disk_usage", lambda p: usage(10**9, 10**9, 1000))
    out = tmp_path / "deep" / "out"
    r = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "baseline.toml"), "-r", "3",
                                 "--out", str(out)])
    assert r.exit_code == 2
    assert "would not fit" in r.output and "MB free" in r.output
    assert "Traceback" not in r.output
    assert not out.exists()
    monkeypatch.setattr(place.shutil, "disk_usage",
                        lambda p: usage(10**12, 0, 10**12))
    r = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "baseline.toml"), "-r", "3",
                                 "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
