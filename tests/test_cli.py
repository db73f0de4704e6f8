"""The ``stationsim run`` command in real processes: outputs, manifest, overrides, refusals."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import tomli_w
from helpers import run_cli, scenario_dict, state, station

import stationsim

ROOT = Path(__file__).resolve().parents[1]
CSS_VS_ISS = ROOT / "scenarios" / "css_vs_iss.toml"
TABLES = ("runs", "steps", "membership")


@pytest.fixture(scope="module")
def good_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of a small two-station scenario with 3 replications."""
    folder = tmp_path_factory.mktemp("good")
    data = scenario_dict(
        states=[state("USA", capability=1.0, alignment=-1.0),
                state("CHN", capability=0.8, alignment=1.0),
                *[state(f"G{k}", capability=0.1 * k, alignment=0.3 * k - 0.9) for k in range(6)]],
        stations=[station("ISS", "USA", founding_members=["G0"]),
                  station("CSS", "CHN", rule="quid_pro_quo")],
        name="cli_good", steps=4, seed=42, replications=3)
    path = folder / "good.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    out = folder / "out"
    proc = run_cli("run", str(path), "--out", str(out))
    return {"proc": proc, "path": path, "out": out,
            "tables": {t: pd.read_parquet(out / f"{t}.parquet") for t in TABLES}
            if proc.returncode == 0 else {}}


def test_good_run_exits_0_and_prints_a_summary(good_run: dict[str, Any]) -> None:
    proc = good_run["proc"]
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "cli_good" in proc.stdout
    assert "ISS" in proc.stdout and "CSS" in proc.stdout
    assert "members at end" in proc.stdout


def test_good_run_writes_the_tables_and_manifest(good_run: dict[str, Any]) -> None:
    out = good_run["out"]
    for name in ("runs.parquet", "steps.parquet", "membership.parquet", "manifest.json"):
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0


def test_runs_table_has_one_row_per_replication(good_run: dict[str, Any]) -> None:
    runs = good_run["tables"]["runs"]
    assert len(runs) == 3
    assert runs["replication"].tolist() == [0, 1, 2]
    assert runs["run_seed"].is_unique
    assert runs["run_seed"].tolist() == [stationsim.run_seed(42, i) for i in range(3)]
    assert (runs["iss_rule"] == "hub_and_spoke").all()
    assert (runs["css_rule"] == "quid_pro_quo").all()


def test_membership_table_columns_and_shape(good_run: dict[str, Any]) -> None:
    mem = good_run["tables"]["membership"]
    for col in ("replication", "iso3", "station", "host_iso3", "member_at_end", "join_step",
                "exit_step"):
        assert col in mem.columns, col
    assert len(mem) == 3 * 8 * 2  # replication x state x station
    hosts = mem.drop_duplicates("station").set_index("station")["host_iso3"].to_dict()
    assert hosts == {"ISS": "USA", "CSS": "CHN"}
    # the ISS founder is a member from step 0 in every replication
    g0 = mem[(mem["station"] == "ISS") & (mem["iso3"] == "G0")]
    assert (g0["join_step"] == 0).all()


def test_steps_table_covers_every_step_and_station(good_run: dict[str, Any]) -> None:
    steps = good_run["tables"]["steps"]
    assert len(steps) == 3 * 4 * 2
    assert set(steps["station"]) == {"ISS", "CSS"}
    assert sorted(steps["step"].unique().tolist()) == [0, 1, 2, 3]


def test_manifest_records_scenario_versions_seeds_rows_and_times(
        good_run: dict[str, Any]) -> None:
    man = json.loads((good_run["out"] / "manifest.json").read_text(encoding="utf-8"))
    text = good_run["path"].read_text(encoding="utf-8")
    assert man["scenario"]["text"] == text
    assert man["scenario"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert man["environment"]["stationsim"] == stationsim.__version__
    assert man["master_seed"] == 42
    runs = good_run["tables"]["runs"]
    assert man["run_seeds"] == runs["run_seed"].tolist()
    for t in TABLES:
        assert man["rows"][t] == len(good_run["tables"][t])
    started = datetime.fromisoformat(man["started"])
    finished = datetime.fromisoformat(man["finished"])
    assert started <= finished


def test_set_overrides_the_rule_recorded_in_runs(tmp_path: Path) -> None:
    assert stationsim.load_scenario(CSS_VS_ISS).stations[1].rule == "quid_pro_quo"
    out = tmp_path / "out"
    proc = run_cli("run", str(CSS_VS_ISS), "--out", str(out), "-r", "2", "--steps", "2",
                   "--set", "stations.CSS.rule=hub_and_spoke", "-q")
    assert proc.returncode == 0, proc.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 2
    assert (runs["css_rule"] == "hub_and_spoke").all()
    assert (runs["iss_rule"] == "hub_and_spoke").all()
    # the manifest keeps the file as written plus the override, hashed together
    man = json.loads((out / "manifest.json").read_text())
    text = CSS_VS_ISS.read_text(encoding="utf-8")
    assert man["scenario"]["text"] == text
    assert man["scenario"]["overrides"] == {"stations.CSS.rule": "hub_and_spoke"}
    assert man["scenario"]["sha256"] != hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("override, field", [
    ("stations.CSS.rule=first_come", "rule"),
    ("stations.MIR.rule=hub_and_spoke", "stations.MIR.rule"),
])
def test_bad_set_is_refused_with_exit_2(tmp_path: Path, override: str, field: str) -> None:
    out = tmp_path / "out"
    proc = run_cli("run", str(CSS_VS_ISS), "--out", str(out), "--set", override)
    assert proc.returncode == 2, proc.stderr
    # blamed on the --set argument as typed, not on the scenario file
    assert field in proc.stderr and f"error: --set {override}: " in proc.stderr
    assert str(CSS_VS_ISS) not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() or not any(out.iterdir())


def _console_script() -> str:
    found = shutil.which("stationsim", path=str(Path(sys.executable).parent))
    assert found, "the stationsim console script is installed beside the interpreter"
    return found


def test_non_empty_out_folder_is_refused(tmp_path: Path) -> None:
    """Through the console script: exit 2, and the folder is left as it was."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine\n", encoding="utf-8")
    proc = subprocess.run([_console_script(), "run", str(CSS_VS_ISS), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr
    assert str(out) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine\n"


def test_help_lists_every_command_in_the_fixed_order() -> None:
    """The CLI package's families register their commands module by module;
    ``cli.COMMANDS`` names every command and fixes the order ``--help`` lists them in."""
    from stationsim.app.cli import COMMANDS, app

    assert [c.name for c in app.registered_commands] == list(COMMANDS)
    proc = run_cli("--help")
    assert proc.returncode == 0, proc.stderr
    listed = [line.split()[1] for line in proc.stdout.splitlines()
              if line.startswith("│ ") and line[2:3].strip() and line.split()[1] in COMMANDS]
    assert listed == list(COMMANDS)


def test_help_texts_keep_their_bracketed_names() -> None:
    """Rich reads ``[name]`` in help text as markup and drops it: every ``[table]`` a
    command's help names (``[parameters]``, ``[[deciding]]``, ``[map]``) must be escaped."""
    import re

    import typer.main
    from typer.testing import CliRunner

    from stationsim.app.cli import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert "params" in commands and "experiment" in commands
    for name, cmd in commands.items():
        texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
        wanted = {m.replace("\\", "") for t in texts
                  for m in re.findall(r"\\?\[(?:\\?\[)?[a-z_]+\]\]?", t)}
        if not wanted:
            continue
        res = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "400"})
        assert res.exit_code == 0, res.output
        out = " ".join(res.output.split())
        for w in wanted:
            assert w in out, f"{name} --help lost {w!r}"
