"""Which outcomes a sensitivity analysis takes: the numeric outcome columns of the runs
table, checked names, and the default outcomes of the bar figure."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from stationsim.analysis.sensitivity.design import SensitivityError

#: Outcomes of the bar figure, per station (in this order), then system-wide ones.
FIGURE_METRICS = ("members", "capable_members", "low_capability_members", "mean_member_trust",
                  "host_cost_share")
FIGURE_SYSTEM = ("states_in_partnership", "total_welfare")
#: At most this many outcomes in the bar figure.
MAX_BAR_OUTCOMES = 12


def allowed_outcomes(runs: pd.DataFrame) -> list[str]:
    """Numeric outcome columns of a runs table (identifiers and varied fields left out)."""
    from stationsim.analysis.groups import outcome_columns

    return outcome_columns(runs)


def check_outcomes(outcomes: Sequence[str], allowed: Sequence[str]) -> None:
    """:class:`SensitivityError` naming the first unknown outcome and the allowed ones."""
    for oc in outcomes:
        if oc not in allowed:
            raise SensitivityError(f"--outcome {oc!r}: not a numeric outcome column of the runs "
                                   f"table; allowed: {', '.join(allowed)}")


def figure_outcomes(outcomes: Sequence[str]) -> list[str]:
    """Default outcomes of the bar figure among ``outcomes``: :data:`FIGURE_METRICS` per
    station, then :data:`FIGURE_SYSTEM` (at most :data:`MAX_BAR_OUTCOMES`)."""
    prefixes = list(dict.fromkeys(o.split("_", 1)[0] for o in outcomes
                                  if o.endswith("_members") and "_" in o))
    want = [f"{p}_{m}" for p in prefixes for m in FIGURE_METRICS] + list(FIGURE_SYSTEM)
    chosen = [o for o in want if o in outcomes]
    return (chosen or list(outcomes))[:MAX_BAR_OUTCOMES]
