"""Messages a new user meets: "did you mean", --set blamed as typed, one line for a file of
the wrong kind, long lists shortened with a pointer, `stationsim params`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from analysis_data import write_run_folder

from stationsim.model.names import did_you_mean
from stationsim.model.params import PARAMETERS
from stationsim.model.scenario import short_list

ROOT = Path(__file__).resolve().parents[1]
SCN = "scenarios/css_vs_iss.toml"
SWEEP = "scenarios/sweeps/css_rule_comparison.toml"
EXPERIMENT = "scenarios/experiments/h2_qpq_low_capability.toml"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stationsim", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def test_did_you_mean_and_short_lists() -> None:
    assert did_you_mean("learn_rat", PARAMETERS) == " (did you mean 'learn_rate'?)"
    assert did_you_mean("zzzz", PARAMETERS) == ""
    text = short_list([f"n{i}" for i in range(30)], 5, more=": see x")
    assert text == "n0, n1, n2, n3, n4, ... and 25 more: see x"


@pytest.mark.slow
@pytest.mark.parametrize("override, want", [
    ("parameters.learn_rat=0.3", "error: --set parameters.learn_rat=0.3: unknown parameter "
                                 "(did you mean 'learn_rate'?); every parameter with its "
                                 "bounds and default: `stationsim params`"),
    ("states.CHX.transparency=0.5", "error: --set states.CHX.transparency=0.5: no state named "
                                    "'CHX' (did you mean 'CHN'"),
    ("stations.CSX.rule=hub_and_spoke", "error: --set stations.CSX.rule=hub_and_spoke: no "
                                        "station named 'CSX' (did you mean 'CSS'?); "
                                        "stations: ISS, CSS"),
    ("stations.CSS.rule=hub_and_spok", "error: --set stations.CSS.rule=hub_and_spok: unknown "
                                       "rule 'hub_and_spok' (did you mean 'hub_and_spoke'?)"),
    ("states.CHN.transparncy=0.5", "error: --set states.CHN.transparncy=0.5: unknown field "
                                   "(did you mean 'transparency'?)"),
    ("stations.CSS.capcity=3", "error: --set stations.CSS.capcity=3: unknown field (did you "
                               "mean 'capacity'?)"),
    ("parameters.learn_rate=7", "error: --set parameters.learn_rate=7: must be a number in "
                                "[0, 1], got 7"),
])
def test_set_errors_name_the_set_argument_and_suggest(tmp_path: Path, override: str,
                                                       want: str) -> None:
    r = _cli("run", SCN, "--set", override, "--out", str(tmp_path / "o"), "-q")
    assert r.returncode == 2
    assert r.stderr.startswith(want), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Value error" not in r.stderr and "states[" not in r.stderr
    assert "stations[" not in r.stderr and SCN not in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_unknown_names_in_a_scenario_file_get_suggestions(tmp_path: Path) -> None:
    text = (ROOT / SCN).read_text(encoding="utf-8")
    bad = ROOT / "scenarios" / f".test_messages_{tmp_path.name}.toml"  # beside its CSV
    bad.write_text(text.replace("[parameters]", "[parameters]\nlearn_rat = 0.3")
                   .replace('rule = "quid_pro_quo"', 'rule = "quid_pro_qou"'), encoding="utf-8")
    try:
        r = _cli("run", str(bad), "-q", "--out", str(tmp_path / "o"))
    finally:
        bad.unlink()
    assert r.returncode == 2
    assert "unknown rule 'quid_pro_qou' (did you mean 'quid_pro_quo'?)" in r.stderr
    assert "Value error" not in r.stderr
    bad2 = tmp_path / "fields.toml"
    bad2.write_text('name = "x"\nsteps = 2\nstart_yaer = 2000\n[[states]]\niso3 = "AAA"\n'
                    'capabilty = 0.5\n', encoding="utf-8")
    r2 = _cli("run", str(bad2), "-q", "--out", str(tmp_path / "o2"))
    assert r2.returncode == 2
    assert "start_yaer: unknown field (did you mean 'start_year'?)" in r2.stderr
    assert "states[0].capabilty: unknown field (did you mean 'capability'?)" in r2.stderr


@pytest.mark.slow
@pytest.mark.parametrize("args, want", [
    (("sweep", SCN), f"error: {SCN}: this is a scenario file, not a sweep file; use it with "
                     f"`stationsim run {SCN}`"),
    (("run", SWEEP), f"error: {SWEEP}: this is a sweep file, not a scenario file; use it "
                     f"with `stationsim sweep {SWEEP}`"),
    (("experiment", SCN), f"error: {SCN}: this is a scenario file, not an experiment file"),
    (("run", EXPERIMENT), f"error: {EXPERIMENT}: this is an experiment file, not a scenario "
                          "file"),
    (("report", SCN), f"error: {SCN}: this is a scenario file, not a results folder"),
])
def test_a_file_of_another_kind_is_one_clear_line(args: tuple[str, ...], want: str) -> None:
    r = _cli(*args)
    assert r.returncode == 2
    assert r.stderr.startswith(want), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_results_folder_given_to_run(tmp_path: Path) -> None:
    folder = write_run_folder(tmp_path / "res", reps=2)
    r = _cli("run", str(folder))
    assert r.returncode == 2
    assert f"{folder}: this is a results folder, not a scenario file" in r.stderr


@pytest.mark.slow
def test_unknown_by_column_suggests_and_wraps(tmp_path: Path) -> None:
    folder = write_run_folder(tmp_path / "res", reps=2)
    r = _cli("plot", str(folder), "--by", "css_rul", "-q")
    assert r.returncode == 2
    assert "unknown --by column 'css_rul' (did you mean 'css_rule'" in r.stderr
    assert max(len(line) for line in r.stderr.splitlines()[1:]) <= 92  # wrapped


@pytest.mark.slow
def test_params_lists_every_parameter_with_bounds_default_and_source() -> None:
    r = _cli("params")
    assert r.returncode == 0, r.stderr
    for name in PARAMETERS:
        assert f"\n{name}  default " in "\n" + r.stdout
    lr = PARAMETERS["learn_rate"]
    line = next(x for x in r.stdout.splitlines() if x.startswith("learn_rate "))
    assert f"bounds [{lr.low:g}, {lr.high:g}]" in line and f"source: {lr.source}" in line
    assert f"{len(PARAMETERS)} parameter(s)" in r.stdout
    bad = _cli("params", "zzzz")
    assert bad.returncode == 2 and "no parameter name contains 'zzzz'" in bad.stderr


@pytest.mark.slow
@pytest.mark.parametrize("override, want", [
    ("stations.CSS.rul=x", "error: --set stations.CSS.rul=x: unknown field (did you mean "
                           "'rule'?)"),
    ("stations.CSS.rule=quid_pro_quoo", "error: --set stations.CSS.rule=quid_pro_quoo: unknown "
                                        "rule 'quid_pro_quoo' (did you mean 'quid_pro_quo'?)"),
    ("parameters.learn_rate=7", "error: --set parameters.learn_rate=7: must be a number in "
                                "[0, 1], got 7"),
])
def test_experiment_set_errors_name_the_set_argument_not_the_file(tmp_path: Path,
                                                                  override: str,
                                                                  want: str) -> None:
    r = _cli("experiment", EXPERIMENT, "--set", override, "--out", str(tmp_path / "o"), "-q")
    assert r.returncode == 2
    assert r.stderr.startswith(want), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert "baseline.toml" not in r.stderr and "stations[" not in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_unknown_names_inside_timeline_events_get_suggestions(tmp_path: Path) -> None:
    def cli_with(*bodies: str) -> subprocess.CompletedProcess[str]:
        events = "".join(f"\n[[events]]\nyear = 2024\n{b}\n" for b in bodies)
        bad = ROOT / "scenarios" / f".test_messages_events_{tmp_path.name}.toml"  # beside CSV
        bad.write_text(text + events, encoding="utf-8")
        try:
            return _cli("run", str(bad), "-q", "--out", str(tmp_path / "o"))
        finally:
            bad.unlink()

    text = (ROOT / SCN).read_text(encoding="utf-8")
    k = text.count("[[events]]")  # the index of the first added event
    # the type is read first (the fields an event needs depend on it)
    r = cli_with('type = "bann"\nstate = "USA"\ntarget = "CHN"')
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: {ROOT / 'scenarios'}"), r.stderr
    assert (f"events[{k}].type: unknown event type 'bann' (did you mean 'ban'?); "
            "allowed: ban, lift_ban, open, close, set, set_station, leave, join, "
            "set_parameter") in r.stderr
    r = cli_with('type = "leave"\nstate = "JPM"\nstation = "ISS"',
                 'type = "leave"\nstate = "JPN"\nstation = "ISSS"',
                 'type = "set"\nstate = "JPN"\nattribute = "transparancy"\nvalue = 0.5',
                 'type = "set_station"\nstation = "CSS"\nattribute = "capacty"\nvalue = 3',
                 'type = "set_station"\nstation = "CSS"\nattribute = "rule"\n'
                 'value = "hub_and_spok"',
                 'type = "set_parameter"\nattribute = "learn_rat"\nvalue = 0.3')
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"events[{k}].state: unknown state 'JPM' (did you mean 'JPN'" in r.stderr
    assert (f"events[{k + 1}].station: unknown station 'ISSS' (did you mean 'ISS'?); "
            "allowed: ISS, CSS") in r.stderr
    assert (f"events[{k + 2}].attribute: 'transparancy' cannot be set (did you mean "
            "'transparency'?)") in r.stderr
    assert (f"events[{k + 3}].attribute: 'capacty' cannot be set on a station (did you "
            "mean 'capacity'?)") in r.stderr
    assert (f"events[{k + 4}].value: unknown rule 'hub_and_spok' (did you mean "
            "'hub_and_spoke'?)") in r.stderr
    assert (f"events[{k + 5}].attribute: unknown parameter 'learn_rat' (did you mean "
            "'learn_rate'?)") in r.stderr
    assert not (tmp_path / "o").exists()
