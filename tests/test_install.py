"""A plain (non-editable) install works from any folder: data and scenarios ship inside.

``pip install --no-deps --target DIR .`` builds the wheel (``setup.py`` copies
``data/`` and ``scenarios/`` into ``stationsim/resources``); the installed
package, run from an empty folder with only DIR on the path, finds its
shipped files and runs a shipped scenario.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--target", str(target), str(ROOT)],
                          capture_output=True, text=True, timeout=600, cwd=build, check=False)
    assert proc.returncode == 0, proc.stderr
    return target


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=600, cwd=cwd, env=env, check=False)


def test_installed_package_carries_its_data_and_scenarios(installed: Path,
                                                           tmp_path: Path) -> None:
    res = installed / "stationsim" / "resources"
    for name in ("data/states.csv", "data/states_model.csv", "scenarios/baseline.toml",
                 "scenarios/two_blocs_2020s.toml", "scenarios/experiments"):
        assert (res / name).exists(), name
    proc = _run(installed, tmp_path, "-c",
                "import stationsim, stationsim.inputs.files as f; "
                "print(stationsim.__file__); print(f.scenarios_dir()); print(f.data_dir())")
    assert proc.returncode == 0, proc.stderr
    where, scen, data = proc.stdout.split()
    assert where.startswith(str(installed)), "the installed copy is imported, not the checkout"
    assert scen == str(res / "scenarios") and data == str(res / "data")


def test_installed_package_runs_a_shipped_real_world_scenario(installed: Path,
                                                               tmp_path: Path) -> None:
    scenario = installed / "stationsim" / "resources" / "scenarios" / "css_2021.toml"
    proc = _run(installed, tmp_path, "-m", "stationsim", "run", str(scenario),
                "--replications", "2", "--steps", "3", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "runs.parquet").is_file()
