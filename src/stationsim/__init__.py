"""stationsim: agent-based simulation of space-station partnerships.

The Python API the CLI is thin over::

    import stationsim
    scn = stationsim.load_scenario("scenarios/baseline.toml")
    res = stationsim.run(scn, seed=1, replications=20)
    res.runs, res.steps, res.membership   # pandas DataFrames
"""

from importlib.metadata import PackageNotFoundError, version

from stationsim.model.core import StationModel
from stationsim.model.outcomes import OUTCOMES, Outcome
from stationsim.model.params import PARAMETERS
from stationsim.model.scenario import Scenario, ScenarioError, load_scenario, with_overrides
from stationsim.running.batch import Results, run, run_one, run_seed
from stationsim.running.results import load_results
from stationsim.running.sweep import Sweep, load_sweep, run_sweep

try:
    __version__ = version("stationsim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "OUTCOMES",
    "PARAMETERS",
    "Outcome",
    "Results",
    "Scenario",
    "ScenarioError",
    "StationModel",
    "Sweep",
    "__version__",
    "load_results",
    "load_scenario",
    "load_sweep",
    "run",
    "run_one",
    "run_seed",
    "run_sweep",
    "with_overrides",
]
