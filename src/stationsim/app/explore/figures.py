"""The live model's tables and matplotlib figures (members over time, the
partnership network: :mod:`stationsim.present.plots`, the code of ``stationsim plot``).
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure

from stationsim.model.core import StationModel
from stationsim.model.outcomes import membership_table, step_table
from stationsim.present import plots


def members_now(model: StationModel) -> dict[str, int]:
    """Guest members of each station now (host excluded)."""
    return {s.name: int(s.members.size) for s in model.stations}


def steps_frame(model: StationModel) -> pd.DataFrame:
    """The steps table of the live model so far (one replication)."""
    st = step_table(model)
    st.insert(0, "replication", 0)
    return st


def membership_frame(model: StationModel) -> pd.DataFrame:
    """The membership table of the live model now (one replication)."""
    mem = membership_table(model)
    mem.insert(0, "replication", 0)
    return mem


def _subtitle(model: StationModel) -> str:
    when = f"end of {model.year - 1}" if model.t else f"start of {model.start_year}"
    return f"{model.spec.name}, seed {model.spec.seed}, {when}"


def members_figure(model: StationModel) -> Figure | None:
    """Members of each station over time (:func:`stationsim.present.plots.station_time_series`);
    ``None`` before the first step."""
    if model.t == 0:
        return None
    return plots.station_time_series(
        steps_frame(model), title=f"Members per station over time\n{_subtitle(model)}")


def network_figure(model: StationModel) -> Figure:
    """Stations (hubs) and their members (spokes) now, states coloured by alignment and
    sized by capability (:func:`stationsim.present.plots.partnership_network`)."""
    return plots.partnership_network(
        membership_frame(model), spokes="alignment",
        title=f"Partnership network: stations (hubs) and members (spokes)\n{_subtitle(model)}")


def figure_png(fig: Figure | None, dpi: int = 100) -> bytes | None:
    """``fig`` as PNG bytes (``None`` for no figure); the figure is cleared afterwards."""
    if fig is None:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    fig.clear()
    return buf.getvalue()
