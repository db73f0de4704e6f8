"""The partnership network: stations as hubs, states as spokes, a link's width
the share of runs in which it held; the layout and the graph.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from stationsim.analysis import groups as G
from stationsim.present.plots.layout import (
    _grid,
    _n_runs,
    _prepare,
    _scenario,
    _title,
    describe_runs,
)
from stationsim.present.plots.style import ALIGNMENT_CMAP, ALIGNMENT_NORM, NEUTRAL, station_colour

#: Edge width (points) of a link that held in every run, in :func:`partnership_network`.
EDGE_WIDTH_MAX = 8.0



def partnership_graph(membership: pd.DataFrame) -> nx.Graph:
    """The partnership network of a membership table, as a networkx graph.

    Nodes: each station (``'station:<name>'``, ``kind='hub'``, with its ``host``
    and the host's ``alignment``) and each state that is a guest member of some
    station at the end of at least one run (its ISO3 code, ``kind='spoke'``,
    with ``alignment`` and ``capability``).  Edges station-state carry ``station`` and ``share``:
    the share of runs in which the state is a member at the end.  Hosts are
    the hubs themselves, not spokes.
    """
    g = nx.Graph()
    m = membership[membership["role"] != "host"]
    n_runs = {st: _n_runs(part) for st, part in membership.groupby("station", sort=False)}
    hosts = membership.groupby("station", sort=False)["host_iso3"].first().to_dict()
    align = membership.groupby("iso3")["alignment"].mean().to_dict()
    cap = (membership.groupby("iso3")["capability"].mean().to_dict()
           if "capability" in membership.columns else {})
    for st, host in hosts.items():
        g.add_node(f"station:{st}", kind="hub", station=str(st), host=str(host),
                   alignment=float(align.get(host, 0.0)))
    held = m[m["member_at_end"].eq(True)].groupby(["station", "iso3"], sort=False).size()
    for key, k in held.items():
        st, iso = str(key[0]), str(key[1])  # type: ignore[index]
        g.add_node(iso, kind="spoke", alignment=float(align[iso]),
                   capability=float(cap.get(iso, np.nan)))
        g.add_edge(f"station:{st}", iso, station=st, share=float(k) / max(1, n_runs[st]))
    return g


def spoke_size(capability: float) -> float:
    """Marker area (points²) of a spoke sized by capability: 40 at 0 to 400 at 1."""
    return 40.0 + 360.0 * float(np.nan_to_num(capability, nan=0.0))


def _primary_hub(g: nx.Graph, node: str) -> str:
    """The hub a spoke is linked to in most runs (ties: by name)."""
    return str(max(g[node].items(), key=lambda kv: (kv[1]["share"], kv[0]))[0])


def network_layout(g: nx.Graph, spacing: float = 2.7) -> dict[str, tuple[float, float]]:
    """Positions: hubs on a row ordered by their host's alignment (U.S.-aligned left);
    each spoke on a unit circle around the hub it joins most, its x growing with
    its alignment (alternately on the upper and lower half)."""
    hubs = sorted((n for n, d in g.nodes(data=True) if d["kind"] == "hub"),
                  key=lambda h: (g.nodes[h]["alignment"], h))
    pos: dict[str, tuple[float, float]] = {}
    for i, h in enumerate(hubs):
        pos[h] = (spacing * (i - (len(hubs) - 1) / 2), 0.0)
    primary: dict[str, list[str]] = {h: [] for h in hubs}
    for n, d in g.nodes(data=True):
        if d["kind"] == "spoke":
            primary[_primary_hub(g, n)].append(n)
    for h, spokes in primary.items():
        spokes.sort(key=lambda s: (g.nodes[s]["alignment"], s))
        hx, hy = pos[h]
        for half, sign in ((spokes[0::2], 1.0), (spokes[1::2], -1.0)):
            k = len(half)
            if not k:
                continue
            ang = np.pi - np.pi * (np.arange(k) + 0.5) / k
            for s, a in zip(half, ang, strict=True):
                pos[s] = (hx + float(np.cos(a)), hy + sign * float(np.sin(a)))
    return pos


def partnership_network(membership: pd.DataFrame, by: str | None = None,
                        runs: pd.DataFrame | None = None, *, title: str | None = None,
                        scenario: str | None = None, spokes: str = "station") -> Figure:
    """Hubs (stations, with their host) and spokes (member states); edge width is the
    share of runs in which the link held at the end (:data:`EDGE_WIDTH_MAX` points = all runs).

    One panel per group, with the same layout in all panels; spokes are
    outlined in the colour of the station they join most.  With
    ``spokes='alignment'`` (used by ``stationsim explore``) each spoke is also
    filled by its alignment (:data:`ALIGNMENT_CMAP`, with a colour bar) and
    sized by its capability (:func:`spoke_size`).  The edges of
    station ``S`` in group ``g`` form one LineCollection with the gid
    ``edges:<S>:<g>``; its ``get_linewidths()`` are ``share * EDGE_WIDTH_MAX`` in
    the order of its ``edge_nodes`` attribute (a list of state codes).
    """
    if spokes not in ("station", "alignment"):
        raise ValueError(f"spokes={spokes!r}: allowed: 'station', 'alignment'")
    membership, col = _prepare(membership, by, runs)
    parts = G.split(membership, col)
    whole = partnership_graph(membership)
    layout = network_layout(whole)
    pts = np.array(list(layout.values())) if layout else np.zeros((1, 2))
    xspan = float(np.ptp(pts[:, 0])) + 1.2
    fig, axes = _grid(len(parts), 1, min(15.0, 1.4 * xspan + 1.0), 4.8)
    hub_xy = {h: layout[h] for h, d in whole.nodes(data=True) if d["kind"] == "hub"}
    for ax, (lev, part) in zip(axes, parts, strict=True):
        g = partnership_graph(part)
        name = "all" if col is None else G.level_label(lev)
        hubs = [n for n, d in g.nodes(data=True) if d["kind"] == "hub"]
        for h in hubs:
            st = g.nodes[h]["station"]
            edges = sorted(g.edges(h, data=True), key=lambda e: e[1])
            segs = [[layout[h], layout[v]] for _, v, _ in edges]
            widths = [EDGE_WIDTH_MAX * d["share"] for _, _, d in edges]
            lc = LineCollection(segs, linewidths=widths, colors=station_colour(st), alpha=0.55,
                                zorder=1, capstyle="butt")
            lc.set_gid(f"edges:{st}:{name}")
            lc.edge_nodes = [v for _, v, _ in edges]  # type: ignore[attr-defined]
            ax.add_collection(lc)
        for n, d in g.nodes(data=True):
            x, y = layout[n]
            if d["kind"] == "hub":
                c = station_colour(d["station"])
                if not g.degree(n):
                    ax.text(x, y - 0.45, "no members at end", ha="center", va="center",
                            fontsize=8, color=NEUTRAL)
                ax.scatter([x], [y], s=2300, color=c, zorder=3, edgecolors="black")
                ax.text(x, y + 0.05, d["station"], ha="center", va="center", fontsize=10,
                        color="white", fontweight="bold", zorder=4)
                ax.text(x, y - 0.12, f"host {d['host']}", ha="center", va="center",
                        fontsize=7, color="white", zorder=4)
            else:
                by_align = spokes == "alignment"
                ax.scatter([x], [y], s=spoke_size(d["capability"]) if by_align else 80,
                           color=ALIGNMENT_CMAP(ALIGNMENT_NORM(d["alignment"])) if by_align
                           else "white", lw=1.6, zorder=3,
                           edgecolors=station_colour(g.nodes[_primary_hub(whole, n)]["station"]))
                hx, hy = hub_xy[_primary_hub(whole, n)]
                dx, dy = x - hx, y - hy
                r = float(np.hypot(dx, dy)) or 1.0
                ax.text(x + 0.2 * dx / r, y + 0.16 * dy / r, n, ha="center", va="center",
                        fontsize=8, zorder=4)
        ax.set_xlim(pts[:, 0].min() - 0.5, pts[:, 0].max() + 0.5)
        ax.set_ylim(pts[:, 1].min() - 0.3, pts[:, 1].max() + 0.3)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(("" if col is None else f"{col} = {name}: ") + f"{_n_runs(part)} runs",
                     fontsize=10)
    handles: list[Any] = [Line2D([], [], color=NEUTRAL, lw=EDGE_WIDTH_MAX * s, alpha=0.55,
                                 label=f"{s:.0%} of runs") for s in (0.25, 0.5, 1.0)]
    handles += [Line2D([], [], lw=0, marker="o", markersize=8, markerfacecolor="white",
                       markeredgecolor=station_colour(d["station"]), markeredgewidth=1.6,
                       label=f"member state, joins {d['station']} most (edge colour: "
                             f"{d['station']})")
                for _, d in sorted(whole.nodes(data=True), key=lambda nd: str(nd[0]))
                if d["kind"] == "hub"]
    if spokes == "alignment":
        cb = fig.colorbar(mpl.cm.ScalarMappable(ALIGNMENT_NORM, ALIGNMENT_CMAP), ax=axes,
                          shrink=0.7, pad=0.01)
        cb.set_label("alignment (-1 U.S. .. +1 China); size: capability", fontsize=8)
        cb.ax.tick_params(labelsize=8)
    fig.legend(handles=handles, title="edge width: link held at the end of", ncols=3,
               loc="outside lower center", frameon=False, fontsize=8, title_fontsize=8)
    scn = scenario or _scenario(membership, runs)
    fig.suptitle(_title("Partnership network: stations (hubs) and member states (spokes)",
                        scn, describe_runs(membership, col), title), fontsize=11)
    return fig
