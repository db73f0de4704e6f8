"""Figures of a results folder: functions ``DataFrame(s) -> matplotlib Figure``.

Every function takes the tables of :func:`stationsim.load_results` (or of a
sweep) and returns a :class:`matplotlib.figure.Figure` built without
``pyplot``: no global figure registry, no interactive backend, so notebooks,
the CLI and tests share the same code and nothing leaks between calls.  Save
with ``fig.savefig(...)`` or :func:`save`.

Grouping: ``by`` is a column of the runs table (``css_rule``, ``scenario``, a
sweep's varied parameter such as ``stations.CSS.rule``, ``folder`` when
folders are combined) or the alias ``rule``; see :mod:`stationsim.analysis.groups`.
The steps and membership tables get the group column by a join on the run
keys, so pass ``runs=`` with them when the column is not already there.

Colours (Okabe-Ito, colour-blind safe) are fixed per station
(:data:`STATION_COLOURS`) and per rule (:data:`RULE_COLOURS`) across all
figures; other groups take :data:`GROUP_CYCLE`, or the cividis colour map when
the groups are numbers (a sweep's levels).

The package, one figure family per module (the public names are re-exported
here): ``style`` (colours), ``labels`` (outcome titles, units, key outcomes),
``layout`` (shared figure helpers), ``censoring`` (censored durations, discrete
outcomes), ``distributions``, ``timeseries``, ``membership``, ``comparison``
(forest plots), ``network`` (the partnership network), ``sweeps``, and
``builders`` (the figures of a results folder by name, :func:`save`).
"""

from stationsim.present.plots.builders import figure_builders, figures, save, sweep_stem
from stationsim.present.plots.censoring import (
    CENSORED,
    DISCRETE_MAX_LEVELS,
    censor_flag,
    censored_median,
    is_discrete,
    is_integer_valued,
)
from stationsim.present.plots.comparison import comparison_figures, fmt_diff, forest_plot
from stationsim.present.plots.distributions import outcome_distributions, outcome_ecdfs
from stationsim.present.plots.labels import (
    KEY_METRICS,
    KEY_SYSTEM,
    STEP_UNITS,
    SWEEP_METRICS,
    key_outcomes,
    outcome_label,
    split_outcome,
    station_prefixes,
)
from stationsim.present.plots.layout import _grid as _grid  # analysis.sensitivity draws on it
from stationsim.present.plots.layout import describe_runs
from stationsim.present.plots.membership import membership_heatmap, membership_probability
from stationsim.present.plots.network import (
    EDGE_WIDTH_MAX,
    network_layout,
    partnership_graph,
    partnership_network,
    spoke_size,
)
from stationsim.present.plots.style import (
    ALIGNMENT_CMAP,
    ALIGNMENT_NORM,
    DPI,
    GROUP_CYCLE,
    NEUTRAL,
    OKABE_ITO,
    RULE_COLOURS,
    STATION_COLOURS,
    group_colours,
    station_colour,
)
from stationsim.present.plots.sweeps import outcomes_vs_parameter
from stationsim.present.plots.timeseries import station_capacity, station_time_series

__all__ = [
    "ALIGNMENT_CMAP",
    "ALIGNMENT_NORM",
    "CENSORED",
    "DISCRETE_MAX_LEVELS",
    "DPI",
    "EDGE_WIDTH_MAX",
    "GROUP_CYCLE",
    "KEY_METRICS",
    "KEY_SYSTEM",
    "NEUTRAL",
    "OKABE_ITO",
    "RULE_COLOURS",
    "STATION_COLOURS",
    "STEP_UNITS",
    "SWEEP_METRICS",
    "censor_flag",
    "censored_median",
    "comparison_figures",
    "describe_runs",
    "figure_builders",
    "figures",
    "fmt_diff",
    "forest_plot",
    "group_colours",
    "is_discrete",
    "is_integer_valued",
    "key_outcomes",
    "membership_heatmap",
    "membership_probability",
    "network_layout",
    "outcome_distributions",
    "outcome_ecdfs",
    "outcome_label",
    "outcomes_vs_parameter",
    "partnership_graph",
    "partnership_network",
    "save",
    "split_outcome",
    "spoke_size",
    "station_capacity",
    "station_colour",
    "station_prefixes",
    "station_time_series",
    "sweep_stem",
]
