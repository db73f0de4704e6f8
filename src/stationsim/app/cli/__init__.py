"""Command-line interface: a thin layer over the Python API.

Exit codes: 0 done, 2 bad input (a message naming the file and field, no
traceback, nothing written), 1 internal error.

The package, one family of commands per module (the public names are re-exported here):
``root`` (the Typer ``app`` and ``main``, the console script's entry point), ``errors``
(the bad-input boundary: exit codes, :class:`BadInput`, :func:`expect_kind`), ``jobs``
(the default results folder, a job through the executor), ``running`` (run, sweep),
``results`` (plot, compare, report), ``analyses`` (sensitivity, discover, experiment),
``history`` (validate, calibrate), ``info`` (params, outcomes, data) and ``explore``.
``__main__`` runs ``python -m stationsim.app.cli``.

Each family registers its commands on ``app`` as it is imported (every one is, below);
:data:`COMMANDS` is the order ``stationsim --help`` lists them in, whatever the order of
the modules.
"""

from stationsim.app.cli.analyses import discover_cmd, experiment_cmd, sensitivity_cmd
from stationsim.app.cli.errors import BadInput, expect_kind, file_kind
from stationsim.app.cli.explore import explore_cmd
from stationsim.app.cli.history import calibrate_cmd, validate_cmd
from stationsim.app.cli.info import data_cmd, outcomes_cmd, params_cmd, params_table
from stationsim.app.cli.jobs import default_out
from stationsim.app.cli.results import compare_cmd, plot_cmd, report_cmd
from stationsim.app.cli.root import app, main
from stationsim.app.cli.running import run_cmd, summary, sweep_cmd

#: The commands in the order ``stationsim --help`` lists them.
COMMANDS = ("run", "sweep", "plot", "compare", "report", "params", "explore", "sensitivity",
            "discover", "experiment", "outcomes", "validate", "calibrate", "data")

app.registered_commands.sort(
    key=lambda c: COMMANDS.index(c.name) if c.name in COMMANDS else len(COMMANDS))

__all__ = [
    "COMMANDS",
    "BadInput",
    "app",
    "calibrate_cmd",
    "compare_cmd",
    "data_cmd",
    "default_out",
    "discover_cmd",
    "expect_kind",
    "experiment_cmd",
    "explore_cmd",
    "file_kind",
    "main",
    "outcomes_cmd",
    "params_cmd",
    "params_table",
    "plot_cmd",
    "report_cmd",
    "run_cmd",
    "sensitivity_cmd",
    "summary",
    "sweep_cmd",
    "validate_cmd",
]
