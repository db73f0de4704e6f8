"""The figures a results folder gets (``stationsim plot``, the report): the
builders by name, and saving a figure with its metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

from stationsim.analysis import groups as G
from stationsim.present.plots.comparison import comparison_figures
from stationsim.present.plots.distributions import outcome_distributions, outcome_ecdfs
from stationsim.present.plots.membership import membership_heatmap
from stationsim.present.plots.network import partnership_network
from stationsim.present.plots.style import DPI
from stationsim.present.plots.sweeps import outcomes_vs_parameter
from stationsim.present.plots.timeseries import station_time_series


def figure_builders(data: G.Data, by: str | None = None, *, seed: int | None = None,
                    n_boot: int | None = None) -> list[tuple[str, Callable[[], Figure]]]:
    """The standard figures of a results folder (or folders) as ``[(stem, build)]``, in
    report order: each ``build()`` draws one figure (so callers can show progress).

    ``by`` defaults to :func:`stationsim.analysis.groups.default_by` (the folder, a
    sweep's first varied parameter, or the varying rule).  With two groups or
    more, the forest plot of the comparison (``comparison_forest``) follows the
    distributions.
    """
    col = G.resolve_by(data.runs, by) if by is not None else G.default_by(data)
    scn = data.scenario
    runs = data.runs
    out: list[tuple[str, Callable[[], Figure]]] = [
        ("outcomes_distributions", lambda: outcome_distributions(runs, by=col))]
    if col is not None and runs[col].nunique(dropna=False) > 1:
        c = col
        out.append(("comparison_forest", lambda: comparison_figures(
            data, c, seed=seed, n_boot=n_boot)["comparison_forest"]))
    out += [
        ("outcomes_ecdf", lambda: outcome_ecdfs(runs, by=col)),
        ("members_over_time", lambda: station_time_series(data.steps, col, runs, scenario=scn)),
        ("membership_heatmap", lambda: membership_heatmap(data.membership, col, runs,
                                                          scenario=scn)),
        ("partnership_network", lambda: partnership_network(data.membership, col, runs,
                                                            scenario=scn)),
    ]
    for p in data.varied:
        out.append((sweep_stem(p), lambda p=p: outcomes_vs_parameter(runs, p)))  # type: ignore[misc]
    return out


def figures(data: G.Data, by: str | None = None) -> dict[str, Figure]:
    """The standard figures of a results folder (or folders), by file stem
    (:func:`figure_builders`, all drawn)."""
    return {stem: build() for stem, build in figure_builders(data, by)}


def sweep_stem(parameter: str) -> str:
    """File stem of the sweep figure of ``parameter``: ``sweep_stations_CSS_rule``."""
    return "sweep_" + "".join(ch if ch.isalnum() else "_" for ch in parameter).strip("_")


def save(fig: Figure, out_dir: str | Path, stem: str,
         formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Write ``fig`` as ``<out_dir>/<stem>.<fmt>`` for each format (atomically); return them."""
    from stationsim.running.results import atomic_write

    paths = []
    engine = fig.get_layout_engine()
    try:
        for i, fmt in enumerate(formats):
            path = Path(out_dir) / f"{stem}.{fmt}"

            def _write(tmp: Path, f: str = fmt) -> None:
                # a fixed salt: SVG element ids are then the same in every process (matplotlib
                # salts them with a random uuid by default)
                with mpl.rc_context({"svg.hashsalt": "stationsim"}):
                    fig.savefig(tmp, format=f, dpi=DPI, metadata=_metadata(f))
            atomic_write(path, _write)
            paths.append(path)
            if i == 0:
                fig.set_layout_engine("none")  # keep the first layout: same figure, half the work
    finally:
        fig.set_layout_engine(engine)
    return paths


def _metadata(fmt: str) -> dict[str, Any]:
    # no creation date: the same data give byte-identical SVG/PNG files
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {}
