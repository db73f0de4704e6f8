"""The bounds of the numbers that define a run, shared by the scenario file's fields
and the options that override them (:func:`check_run_options`)."""

from __future__ import annotations

from stationsim.model.scenario.errors import ScenarioError

#: Bounds of the numbers that define a run, shared by the file fields and the CLI options
#: that override them (``--steps``, ``--seed``, ``--replications``, ``--workers``).
STEPS_MAX = 10_000
SEED_MAX = 2**63 - 1
REPLICATIONS_MAX = 10_000_000
WORKERS_MAX = 1024


def check_run_options(*, seed: object = None, steps: object = None,
                      replications: object = None, workers: object = None,
                      prefix: str = "--") -> None:
    """Check the numbers that override a scenario's run (CLI options, API arguments)
    against the same bounds as the file's fields; ``None`` is not checked.

    Raises
    ------
    ScenarioError
        Naming each option (``--steps``, ...; ``prefix`` ``""`` for API arguments) and
        what is allowed.
    """
    bounds = {"seed": (seed, 0, SEED_MAX), "steps": (steps, 1, STEPS_MAX),
              "replications": (replications, 1, REPLICATIONS_MAX),
              "workers": (workers, 1, WORKERS_MAX)}
    errors = []
    for name, (val, lo, hi) in bounds.items():
        if val is None:
            continue
        if isinstance(val, bool) or not isinstance(val, int) or not lo <= val <= hi:
            errors.append(f"{prefix}{name} {val}: must be an integer from {lo} to {hi}"
                          + (" (2**63 - 1)" if hi == SEED_MAX else ""))
    if errors:
        raise ScenarioError("\n".join(errors))
