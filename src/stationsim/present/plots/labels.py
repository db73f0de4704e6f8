"""Which outcomes a figure draws and how they are labelled: titles and units from
the outcome registry (:data:`stationsim.OUTCOMES`), the default key outcomes,
station prefixes of columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from stationsim.analysis import groups as G
from stationsim.model.outcomes import OUTCOMES

#: Labels and units come from the outcome registry (:data:`stationsim.OUTCOMES`).
#: The per-step metrics of the steps table a figure may draw -> unit (per step, not summed).
STEP_UNITS: dict[str, str] = {o.name: o.unit for o in OUTCOMES.scope("step")
                              if o.dtype in ("int", "float")}
#: Outcomes of the distribution and ECDF figures, per station (in this order), ...
KEY_METRICS = ("members", "ever_guests", "pooled_capability", "host_cost_share",
               "mean_member_trust", "years_to_first_guest", "developing_share",
               "low_capability_members", "host_utility")
#: ... then these system-wide ones.
KEY_SYSTEM = ("states_in_partnership", "total_welfare")
#: Outcomes of the sweep figures (per station, then system-wide).
SWEEP_METRICS = ("members", "ever_guests", "host_cost_share", "mean_member_trust")


station_prefixes = G.station_prefixes


def split_outcome(col: str, prefixes: Sequence[str]) -> tuple[str | None, str]:
    """``'css_members'`` -> ``('css', 'members')``; system outcomes -> ``(None, col)``."""
    for pre in sorted(prefixes, key=len, reverse=True):
        if col.startswith(pre + "_"):
            return pre, col[len(pre) + 1:]
    return None, col


def outcome_label(col: str, runs: pd.DataFrame | None = None) -> tuple[str, str, str | None]:
    """``(title, unit, station)`` of an outcome column, e.g. ``('CSS members at end',
    'states (host excluded)', 'CSS')``; unknown columns keep their name."""
    prefixes = station_prefixes(runs) if runs is not None else {}
    found = OUTCOMES.of_column(col, list(prefixes))
    if found is None:
        return col.replace("_", " "), "value", None
    o, pre = found
    if pre is not None:
        name = prefixes[pre]
        return f"{name} {o.label}", o.unit, name
    return o.label, o.unit, None


def key_outcomes(runs: pd.DataFrame, metrics: Sequence[str] = KEY_METRICS,
                 system: Sequence[str] = KEY_SYSTEM) -> list[str]:
    """Default outcomes of a figure: each metric for each station, then system outcomes."""
    prefixes = list(station_prefixes(runs))
    cols = [f"{pre}_{m}" for m in metrics for pre in prefixes if f"{pre}_{m}" in runs.columns]
    return cols + [c for c in system if c in runs.columns]
