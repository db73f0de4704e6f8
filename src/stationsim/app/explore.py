"""Interactive exploration in the browser: ``stationsim explore`` (Mesa's SolaraViz).

The page is Mesa's :func:`~mesa.visualization.SolaraViz` around an
:class:`ExplorerModel` (a :class:`~stationsim.model.core.StationModel` built from a
scenario file and the values of the page's controls):

* a scenario picker over ``scenarios/*.toml`` (and the file given on the
  command line): links that open the page anew on a scenario (``?scenario=``),
  with that scenario's controls;
* SolaraViz's controls, one per main parameter: the rule and the channel of
  each station, the transparency and reciprocity of each host, the seed, and
  free ``PATH=VALUE`` overrides (as ``stationsim run --set``).  Every value
  goes through :func:`stationsim.model.scenario.with_overrides`, so the page accepts
  exactly what a scenario file accepts; a bad value is shown as the
  :class:`~stationsim.model.scenario.ScenarioError` message and the model does not
  step.  New values apply on *Reset*, as in any SolaraViz page;
* SolaraViz's play / pause / step / reset;
* live views: members of each station over time and the partnership network
  (drawn by :mod:`stationsim.present.plots` from the live model's step and membership
  tables, the same code as ``stationsim plot``), and the last step's
  applications, admissions (with the accepted offer), refusals and exits with
  the reason for each (:func:`reasons_table`, from ``model.last_log``);
* an export that writes the scenario on screen, with the values applied, as a
  self-contained TOML file that ``stationsim run`` accepts.

The model on the page is seeded with ``run_seed(seed, 0)``: it is replication
0 of ``stationsim run`` on the exported file.

:func:`serve` runs ``solara run stationsim.app.explore`` (this module's
:func:`Page`) in a child process bound to the given host and port; the
command-line options reach the page through environment variables
(:data:`ENV_SCENARIO`, :data:`ENV_SCENARIOS_DIR`, :data:`ENV_EXPORT_DIR`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import types
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
import solara
import tomli_w
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from stationsim.inputs import files
from stationsim.model.core import StationModel
from stationsim.model.outcomes import membership_table, step_table
from stationsim.model.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_set,
    with_overrides,
)
from stationsim.present import plots
from stationsim.rules import RULES
from stationsim.rules.base import NEVER
from stationsim.running.batch import run_seed
from stationsim.running.results import atomic_write

#: Environment variable: the scenario file the page opens with.
ENV_SCENARIO = "STATIONSIM_EXPLORE_SCENARIO"
#: Environment variable: the folder whose ``*.toml`` files the scenario picker offers.
ENV_SCENARIOS_DIR = "STATIONSIM_EXPLORE_SCENARIOS"
#: Environment variable: the folder exported scenarios are written to.
ENV_EXPORT_DIR = "STATIONSIM_EXPLORE_EXPORT_DIR"
#: The scenario opened when none is given (if it is in the scenarios folder).
DEFAULT_SCENARIO = "css_vs_iss.toml"
#: Name of the control holding free ``PATH=VALUE`` overrides.
OVERRIDES = "overrides"
#: Order of the actions in :func:`reasons_table`.
ACTIONS = ("applied", "admitted", "refused", "exit")
#: What each (action, reason) of ``model.last_log`` means (docs/odd.md).
EXPLANATIONS: dict[tuple[str, str], str] = {
    ("applied", ""): "joining this station had the highest utility, and it is positive",
    ("admitted", ""): "admitted by the station's rule on the terms shown",
    ("admitted", "forced"): "founding member, or a join event of the timeline",
    ("refused", "trust"): "the host's trust in the applicant is below the rule's threshold",
    ("refused", "value"): "strategic value to the hub below hub_value_threshold",
    ("refused", "veto"): "a partner whose trust in the applicant is below veto_threshold "
                         "vetoed it",
    ("refused", "host_gain"): "the host's expected gain from admitting it is not positive",
    ("refused", "capacity"): "no guest slot left",
    ("refused", "host_share"): "the host's share of the cost would fall below host_share_min",
    ("refused", "price"): "its willingness to pay is below the host's reservation price",
    ("refused", "ban"): "banned with a state admitted before it",
    ("refused", "ineligible"): "already a member, banned with a participant, a guest "
                               "elsewhere, or the station is not open",
    ("exit", "closed"): "the station closed",
    ("exit", "ban"): "a ban with a participant came into force",
    ("exit", "expelled"): "expelled by the host (defaults, or trust below expel_trust)",
    ("exit", "contract_end"): "its contract ended and was not renewed",
    ("exit", "utility"): "its utility stayed below exit_threshold for patience years",
    ("exit", "event"): "a leave event of the timeline",
    ("exit", "capacity"): "a capacity cut left no slot for it (latest non-founders leave first)",
    ("flight", "host"): "its national flew as a guest on a seat the host sold",
    ("flight", "partner"): "its national flew as a guest on a partner's seat (its own vehicle)",
    ("flight", "commercial"): "its national flew as a guest on a commercial provider's seat",
    ("payload", ""): "its experiment was selected in the station's announcement of "
                     "opportunity",
}
#: Columns of :func:`reasons_table`.
REASON_COLUMNS = ("year", "station", "iso3", "state", "action", "reason", "why", "terms")


class ServeError(ValueError):
    """The server cannot start as asked (a port in use, a bad host): a user error."""


# ------------------------------------------------------------------ scenarios


def scenarios_dir() -> Path:
    """The folder the picker lists: :data:`ENV_SCENARIOS_DIR`, else ``./scenarios``,
    else the shipped scenarios (:func:`stationsim.inputs.files.scenarios_dir`)."""
    env = os.environ.get(ENV_SCENARIOS_DIR)
    if env:
        return Path(env)
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here
    return files.scenarios_dir()


def initial_scenario(folder: Path | None = None) -> Path:
    """The scenario the page opens with: :data:`ENV_SCENARIO`, else ``css_vs_iss.toml``
    in ``folder``, else the first scenario there."""
    env = os.environ.get(ENV_SCENARIO)
    if env:
        return Path(env)
    folder = folder if folder is not None else scenarios_dir()
    if (folder / DEFAULT_SCENARIO).is_file():
        return folder / DEFAULT_SCENARIO
    found = sorted(folder.glob("*.toml"))
    if not found:
        raise ServeError(f"{folder}: no scenario files (*.toml); give a SCENARIO file")
    return found[0]


def scenario_choices(folder: Path, extra: Path | None = None) -> dict[str, Path]:
    """Picker label -> file: every ``*.toml`` of ``folder`` (by file name), then ``extra``
    (by its path) when it is not one of them."""
    out = {p.name: p for p in sorted(folder.glob("*.toml"))}
    if extra is not None and extra.resolve() not in {p.resolve() for p in out.values()}:
        out[str(extra)] = extra
    return out


# ------------------------------------------------------------------- controls


@dataclass(frozen=True)
class Control:
    """One input of the page: the scenario field it sets (a ``--set`` path) and its widget.

    ``kind`` is a Mesa ``model_params`` input type: ``Select`` (``values``),
    ``SliderFloat`` (``low``, ``high``, ``step``) or ``InputText``.
    """

    path: str
    label: str
    kind: str
    value: Any
    values: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05

    def mesa(self) -> dict[str, Any]:
        """The control as an entry of SolaraViz's ``model_params``."""
        out: dict[str, Any] = {"type": self.kind, "value": self.value, "label": self.label}
        if self.kind == "Select":
            out["values"] = list(self.values)
        elif self.kind == "SliderFloat":
            out.update(min=self.low, max=self.high, step=self.step)
        return out


def controls(scn: Scenario) -> list[Control]:
    """The page's inputs for a scenario, with its values: seed; rule and channel of each
    station; transparency and reciprocity of each host; free overrides."""
    out = [Control("seed", "Seed (master seed; the page runs replication 0)", "InputText",
                   str(scn.seed))]
    for st in scn.stations:
        out.append(Control(f"stations.{st.name}.rule", f"{st.name} rule", "Select", st.rule,
                           (*sorted(RULES), "auto")))
        out.append(Control(f"stations.{st.name}.channel", f"{st.name} channel", "Select",
                           st.channel, ("bilateral", "un", "auto")))
    states = {s.iso3: s for s in scn.states}
    for host in dict.fromkeys(st.host for st in scn.stations):
        if host not in states:  # a generated host: drawn in each replication
            continue
        for attr in ("transparency", "reciprocity"):
            out.append(Control(f"states.{host}.{attr}", f"{host} (host) {attr}", "SliderFloat",
                               float(getattr(states[host], attr))))
    out.append(Control(OVERRIDES, "More overrides: PATH=VALUE; ... (as run --set)",
                       "InputText", ""))
    return out


def model_params(scenario_file: Path | str, scn: Scenario) -> dict[str, Any]:
    """SolaraViz's ``model_params``: the scenario file (fixed) and every control."""
    return {"scenario_file": str(scenario_file), **{c.path: c.mesa() for c in controls(scn)}}


def _value(path: str, value: Any) -> Any:
    if path == "seed" and isinstance(value, str):
        text = value.strip()
        if not text:
            return None  # an empty field: the scenario's seed
        try:
            return int(text)
        except ValueError:
            return text  # with_overrides says what is allowed
    if isinstance(value, float):
        return round(value, 6)  # slider steps, not 0.30000000000000004
    return value


def parse_overrides(text: str, source: str) -> dict[str, Any]:
    """``PATH=VALUE`` items separated by ``;`` or new lines (VALUE read as in ``--set``)."""
    items = [s.strip() for s in text.replace("\n", ";").split(";") if s.strip()]
    for item in items:
        if "=" not in item:
            raise ScenarioError(f"{source}: more overrides: {item!r}: expected PATH=VALUE, "
                                "e.g. parameters.learn_rate=0.4")
    return parse_set(items, source)


def apply_values(base: Scenario, values: Mapping[str, Any]) -> tuple[Scenario, dict[str, Any]]:
    """The scenario with the page's values, and the values that differ from ``base``.

    ``values`` maps control paths (:func:`controls`) to values as the widgets
    give them; ``overrides`` holds free ``PATH=VALUE`` text, applied last.

    Raises
    ------
    ScenarioError
        If a path is unknown or a value is not allowed (the message of
        :func:`stationsim.model.scenario.with_overrides`).
    """
    ov = {p: _value(p, v) for p, v in values.items() if p != OVERRIDES}
    ov = {p: v for p, v in ov.items() if v is not None}
    ov.update(parse_overrides(str(values.get(OVERRIDES) or ""), base.source))
    scn = with_overrides(base, ov)
    before, after = base.raw(), scn.raw()
    changed = {p: v for p, v in ov.items() if _get(before, p) != _get(after, p)}
    return scn, changed


def _get(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if isinstance(node, list):
            hits = [x for x in node if isinstance(x, dict) and part in (x.get("name"),
                                                                          x.get("iso3"))]
            node = hits[0] if hits else (node[int(part)] if part.isdigit() else None)
        elif isinstance(node, dict):
            node = node.get(part)
        if node is None:
            return None
    return node


# ---------------------------------------------------------------------- model


class ExplorerModel(StationModel):
    """The model on the page: a scenario file plus the page's values.

    Parameters
    ----------
    scenario_file : str
        The scenario TOML file (default: :func:`initial_scenario`).
    seed : int or str, optional
        Master seed; the model is seeded with ``run_seed(seed, 0)``, so it is
        replication 0 of ``stationsim run``.
    overrides : str
        Free ``PATH=VALUE`` overrides separated by ``;``.
    **values
        Control values by dotted path (``stations.CSS.rule`` ...).

    Attributes
    ----------
    error : str or None
        The validation message when a value is not allowed; the model then
        holds the unchanged scenario and does not step.
    changed : dict
        The values that differ from the scenario file.
    """

    def __init__(self, scenario_file: str = "", seed: int | str | None = None,
                 overrides: str = "", **values: Any) -> None:
        values.pop("scenario", None)  # SolaraViz's reset passes Mesa's own scenario object
        self.scenario_file = Path(scenario_file) if scenario_file else initial_scenario()
        base = load_scenario(self.scenario_file)
        error: str | None = None
        try:
            scn, changed = apply_values(base, {"seed": seed, OVERRIDES: overrides, **values})
        except ScenarioError as exc:
            scn, changed, error = with_overrides(base, {}), {}, str(exc)
        super().__init__(scn, rng=run_seed(scn.seed, 0), log_events=True)
        self.error = error
        self.changed = changed
        if error is not None:
            self.running = False

    def step(self) -> None:
        """One year; nothing while a value is not allowed."""
        if self.error is not None:
            self.running = False
            return
        super().step()


# ----------------------------------------------------------- tables, figures


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


# ------------------------------------------------------------- live views (SVG)
# The page redraws after every step: SVG built as text (a few milliseconds), not matplotlib
# (a second or more per figure), so a step shows in every view at once.  Colours and
# conventions are those of :mod:`stationsim.present.plots`.


def _esc(text: Any) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _int_ticks(top: int, most: int = 6) -> list[int]:
    """Whole-number ticks from 0 to at least ``top``, at most about ``most`` of them."""
    top = max(1, int(top))
    step = 1
    for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        step = s
        if top / s <= most:
            break
    return list(range(0, top + step, step)) if top % step else list(range(0, top + 1, step))


def station_history(model: StationModel) -> dict[str, dict[str, list[Any]]]:
    """Per station, the years run so far: ``year``, ``open``, ``members`` and ``capacity``
    (guest slots, from ``members / capacity_used`` where known, else the station's now)."""
    rec = model.step_records
    out: dict[str, dict[str, list[Any]]] = {
        s.name: {"year": [], "open": [], "members": [], "capacity": []} for s in model.stations}
    now = {s.name: int(s.capacity) for s in model.stations}
    for year, st, is_open, members, used in zip(rec["year"], rec["station"], rec["open"],
                                                rec["members"], rec["capacity_used"],
                                                strict=True):
        h = out[str(st)]
        h["year"].append(int(year))
        h["open"].append(bool(is_open))
        h["members"].append(int(members))
        h["capacity"].append(round(members / used) if used else now[str(st)])
    return out


def members_svg(model: StationModel, width: int = 330, height: int = 230) -> str:
    """Members of each station in this run, one panel per station, as SVG.

    Fixed axes: x the whole run (``start_year`` .. last year), y whole numbers
    from 0 to above the station's guest slots, so one state more or less never
    looks like a collapse; the slots are a dashed line.  A station not yet open
    says when it opens.  Each panel is a ``<g class="panel" data-station=...>``
    whose ``polyline.members`` holds ``year,members`` points in ``data-values``.
    """
    hist = station_history(model)
    first, last = model.start_year, model.start_year + model.n_steps - 1
    year_now = model.year - 1 if model.t else model.start_year
    ml, mr, mt, mb = 44, 12, 40, 34
    pw, ph = width - ml - mr, height - mt - mb
    panels = []
    for k, s in enumerate(model.stations):
        h = hist[s.name]
        cap_top = max([int(s.capacity), *h["capacity"], *h["members"], 1])
        ticks = _int_ticks(cap_top + max(1, cap_top // 10))
        ymax = ticks[-1]

        def x(year: float) -> float:
            return ml + pw * (year - first) / max(1, last - first)

        def y(v: float, ymax: int = ymax) -> float:
            return mt + ph * (1 - v / ymax)

        colour = plots.station_colour(s.name)
        host = model.states.iso3[s.host]
        parts = [f'<g class="panel" data-station="{_esc(s.name)}" '
                 f'transform="translate({k * width},0)">',
                 f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="#fafafa" '
                 f'stroke="#ccc"/>']
        for t in ticks:
            parts.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                         f'stroke="#e4e4e4"/><text x="{ml - 5}" y="{y(t) + 4:.1f}" '
                         f'text-anchor="end" font-size="11">{t}</text>')
        span = last - first
        xstep = 1 if span <= 8 else 2 if span <= 16 else 5
        for yr in range(first, last + 1):
            if (yr - first) % xstep == 0:
                parts.append(f'<text x="{x(yr):.1f}" y="{mt + ph + 15}" text-anchor="middle" '
                             f'font-size="11">{yr}</text>')
        # guest slots: a dashed step line over the years run, then the slots now
        cy = [*h["capacity"], int(s.capacity)]
        cx = [*h["year"], year_now + 1] if h["year"] else [first, last]
        if not h["year"]:
            cy = [int(s.capacity), int(s.capacity)]
        pts = []
        for i, (yr, c) in enumerate(zip(cx, cy, strict=True)):
            if i:
                pts.append(f"{x(yr):.1f},{y(cy[i - 1]):.1f}")
            pts.append(f"{x(yr):.1f},{y(c):.1f}")
        pts.append(f"{x(last):.1f},{y(cy[-1]):.1f}")
        parts.append(f'<polyline class="capacity" points="{" ".join(pts)}" fill="none" '
                     f'stroke="#000" stroke-width="1.2" stroke-dasharray="4 3"/>')
        openp = [(yr, m) for yr, o, m in zip(h["year"], h["open"], h["members"], strict=True)
                 if o]
        values = ";".join(f"{yr},{m}" for yr, m in openp)
        line = " ".join(f"{x(yr):.1f},{y(m):.1f}" for yr, m in openp)
        parts.append(f'<polyline class="members" data-values="{values}" points="{line}" '
                     f'fill="none" stroke="{colour}" stroke-width="2.2"/>')
        parts += [f'<circle cx="{x(yr):.1f}" cy="{y(m):.1f}" r="2.6" fill="{colour}"/>'
                  for yr, m in openp]
        if not s.is_open(year_now if model.t else first) and year_now < s.open_from:
            parts.append(f'<text class="not-open" x="{ml + pw / 2}" y="{mt + ph / 2}" '
                         f'text-anchor="middle" font-size="13" fill="#555">not open yet: '
                         f'opens in {s.open_from}</text>')
        elif year_now >= s.close_at:
            parts.append(f'<text class="not-open" x="{ml + pw / 2}" y="{mt + ph / 2}" '
                         f'text-anchor="middle" font-size="13" fill="#555">closed in '
                         f'{s.close_at}</text>')
        n_now = int(s.members.size)
        head = (f"{s.name} (host {host}): {n_now} member{'s' if n_now != 1 else ''}, "
                f"{int(s.capacity)} slots")
        parts.append(f'<text x="{ml}" y="16" font-size="13" font-weight="bold" '
                     f'fill="{colour}">{_esc(head)}</text>')
        parts.append(f'<text x="{ml}" y="31" font-size="11" fill="#555">'
                     f'{"end of " + str(year_now) if model.t else "start of " + str(first)}'
                     f'</text>')
        parts.append('</g>')
        panels.append("".join(parts))
    total_w = width * len(model.stations)
    legend_y = height + 14
    legend = (f'<g class="legend" font-size="12"><line x1="10" x2="34" y1="{legend_y - 4}" '
              f'y2="{legend_y - 4}" stroke="#555" stroke-width="2.2"/>'
              f'<text x="40" y="{legend_y}">members of each station in this run (guests; '
              f'host excluded)</text><line x1="380" x2="404" y1="{legend_y - 4}" '
              f'y2="{legend_y - 4}" stroke="#000" stroke-dasharray="4 3"/>'
              f'<text x="410" y="{legend_y}">guest slots (capacity)</text></g>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="stationsim-members-svg" '
            f'data-year="{year_now}" viewBox="0 0 {total_w} {height + 22}" '
            f'width="100%" style="max-width:{total_w}px" font-family="sans-serif">'
            + "".join(panels) + legend + "</svg>")


def _alignment_hex(a: float) -> str:
    return str(to_hex(plots.ALIGNMENT_CMAP(plots.ALIGNMENT_NORM(a))))


def network_svg(model: StationModel, width: int = 1000, height: int = 560) -> str:
    """The partnership network now, as SVG: stations (hubs, with their host) in the middle
    ordered by their host's alignment, every state on a ring by alignment (-1 U.S.-aligned
    left .. +1 China-aligned right), members filled by alignment and sized by capability,
    an edge from each station to each member in the station's colour; other states faint.

    Edges are ``<line class="edge" data-station=S data-state=ISO3>``.
    """
    st = model.states
    cx, cy = width / 2, height / 2 - 10
    rx, ry = width / 2 - 70, height / 2 - 50
    a1 = np.asarray(st.alignment, dtype=float)[:, 0]
    hosts = {s.host for s in model.stations}
    order = [i for i in np.argsort(a1, kind="stable").tolist() if i not in hosts]
    pos: dict[int, tuple[float, float]] = {}
    for k, i in enumerate(order):  # alternately on the upper and the lower half
        half = order[k % 2::2]
        j = half.index(i)
        ang = np.pi - np.pi * (j + 0.5) / max(1, len(half))
        sign = -1.0 if k % 2 == 0 else 1.0
        pos[i] = (cx + rx * float(np.cos(ang)), cy + sign * ry * float(np.sin(ang)))
    hubs = sorted(model.stations, key=lambda s: (float(a1[s.host]), s.name))
    hub_xy = {s.name: (cx + (k - (len(hubs) - 1) / 2) * min(240.0, rx * 1.2 / max(1, len(hubs)
                                                                              - 1 or 1)), cy)
              for k, s in enumerate(hubs)}
    member_of: dict[int, list[str]] = {}
    for s in model.stations:
        for i in s.members.tolist():
            member_of.setdefault(int(i), []).append(s.name)
    cap = np.asarray(model.capability, dtype=float)
    parts = []
    for s in model.stations:
        hx, hy = hub_xy[s.name]
        colour = plots.station_colour(s.name)
        for i in s.members.tolist():
            x, y = pos.get(int(i), (hx, hy))
            parts.append(f'<line class="edge" data-station="{_esc(s.name)}" '
                         f'data-state="{_esc(st.iso3[i])}" x1="{hx:.1f}" y1="{hy:.1f}" '
                         f'x2="{x:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-opacity="0.5" '
                         f'stroke-width="2"/>')
    for i in order:
        x, y = pos[i]
        joined = member_of.get(i, [])
        iso = _esc(st.iso3[i])
        if joined:
            r = 4 + 8 * float(np.clip(cap[i], 0, 1))
            parts.append(f'<circle class="state member" data-state="{iso}" cx="{x:.1f}" '
                         f'cy="{y:.1f}" r="{r:.1f}" fill="{_alignment_hex(a1[i])}" '
                         f'stroke="{plots.station_colour(joined[0])}" stroke-width="2"/>'
                         f'<text x="{x:.1f}" y="{y - r - 3:.1f}" text-anchor="middle" '
                         f'font-size="10">{iso}</text>')
        else:
            parts.append(f'<circle class="state" data-state="{iso}" cx="{x:.1f}" '
                         f'cy="{y:.1f}" r="2.5" fill="#ccc"/>'
                         f'<text x="{x:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
                         f'font-size="8" fill="#aaa">{iso}</text>')
    year_now = model.year - 1 if model.t else model.start_year
    for s in model.stations:
        hx, hy = hub_xy[s.name]
        colour = plots.station_colour(s.name)
        is_open = s.is_open(year_now)
        parts.append(f'<circle cx="{hx:.1f}" cy="{hy:.1f}" r="34" fill="{colour}" '
                     f'fill-opacity="{1.0 if is_open else 0.35}" stroke="#000"/>'
                     f'<text x="{hx:.1f}" y="{hy + 1:.1f}" text-anchor="middle" '
                     f'font-size="14" font-weight="bold" fill="#fff">{_esc(s.name)}</text>'
                     f'<text x="{hx:.1f}" y="{hy + 15:.1f}" text-anchor="middle" '
                     f'font-size="10" fill="#fff">host {_esc(st.iso3[s.host])}</text>')
        if not is_open:
            what = (f"opens in {s.open_from}" if year_now < s.open_from
                    else f"closed in {s.close_at}")
            parts.append(f'<text class="not-open" x="{hx:.1f}" y="{hy + 50:.1f}" '
                         f'text-anchor="middle" font-size="11" fill="#555">{what}</text>')
    when = f"end of {year_now}" if model.t else f"start of {model.start_year}"
    title = (f'<text x="10" y="18" font-size="14" font-weight="bold">Partnership network, '
             f'{when} (this run)</text><text x="10" y="{height - 8}" font-size="11" '
             f'fill="#555">members: filled by alignment (blue -1 U.S.-aligned .. vermillion +1 '
             f'China-aligned), sized by capability, outlined and linked in their station\'s '
             f'colour; grey: not a member</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="stationsim-network-svg" '
            f'data-year="{year_now}" viewBox="0 0 {width} {height}" width="100%" '
            f'style="max-width:{width}px" font-family="sans-serif">{title}'
            + "".join(parts) + "</svg>")


def network_summary(model: StationModel) -> str:
    """One line naming the links of the network now, e.g. ``ISS: CAN, JPN | CSS: PAK``."""
    parts = []
    for s in model.stations:
        names = sorted(model.states.iso3[i] for i in s.members.tolist())
        parts.append(f"{s.name}: {', '.join(names) if names else '(no members)'}")
    return " | ".join(parts)


def reasons_table(model: StationModel) -> pd.DataFrame:
    """The last step's applications, admissions, refusals and exits, with the reason of each.

    Columns :data:`REASON_COLUMNS`: ``reason`` is the model's code, ``why`` what
    it means, ``terms`` the offer an admitted state accepted (its due per
    year, utilisation rights and contract end).  Rows are in the order of
    :data:`ACTIONS` within each station, in scenario order.  Before the first
    step, the founders admitted when the model was built (stations open at the
    start).
    """
    year = model.start_year + max(model.t - 1, 0)
    rows = []
    for station, iso, action, reason in model.last_log:
        s = model.station_by_name[station]
        i = model.index[iso]
        terms = ""
        if action == "admitted" and s.member[i]:
            terms = f"due {s.due[i]:.3g}/year, rights {s.rights[i]:.2f}"
            if s.contract_end[i] < NEVER:
                terms += f", contract to {model.start_year + int(s.contract_end[i])}"
        why = EXPLANATIONS.get((action, reason), reason)
        rows.append((year, station, iso, model.states.name[i] or iso, action, reason, why,
                     terms))
    df = pd.DataFrame(rows, columns=list(REASON_COLUMNS))
    order = {name: k for k, name in enumerate(s.name for s in model.stations)}
    key = df["station"].map(order) * len(ACTIONS) + df["action"].map(ACTIONS.index)
    return df.iloc[key.argsort(kind="stable")].reset_index(drop=True)


def count_line(table: pd.DataFrame) -> str:
    """``'ISS applied 3, admitted 1; CSS applied 2, refused 2'`` from :func:`reasons_table`."""
    parts = []
    for station, part in table.groupby("station", sort=False):
        n = part.groupby("action", sort=False).size()
        parts.append(f"{station} " + ", ".join(f"{a} {int(n[a])}" for a in ACTIONS if a in n))
    return "; ".join(parts)


# ------------------------------------------------------------------ one state


#: Columns of :func:`state_stations`.
STATE_STATION_COLUMNS = ("station", "host", "membership", "trust_in_host", "host_trust",
                         "last_decision", "why")


def state_choices(model: StationModel) -> dict[str, str]:
    """Selector label (``'CHN China'``) -> iso3 for every state, by iso3."""
    st = model.states
    out = {}
    for iso in sorted(st.iso3):
        name = st.name[model.index[iso]]
        out[f"{iso} {name}" if name and name != iso else iso] = iso
    return out


def state_attributes(model: StationModel, iso3: str) -> list[tuple[str, str]]:
    """The state's attributes now (events may have changed them), as (name, value) text:
    capability, reciprocity, political reciprocity, transparency, military fusion,
    dual-use risk, alignment, developing, region, continent, blocs, assets held."""
    st, i = model.states, model.index[iso3]
    align = np.asarray(st.alignment[i], dtype=float)
    assets = [f"{a} {v:.2f}" for a, v in zip(st.asset_names, st.assets[i], strict=True) if v]
    return [
        ("capability", f"{st.capability[i]:.2f}"),
        ("reciprocity", f"{st.reciprocity[i]:.2f}"),
        ("political reciprocity", f"{st.political_reciprocity[i]:.2f}"),
        ("transparency", f"{st.transparency[i]:.2f}"),
        ("military fusion", f"{st.military_fusion[i]:.2f}"),
        ("dual-use risk", f"{float(model.dual_use(i)):.2f}"),
        ("alignment", ", ".join(f"{a:+.2f}" for a in align)
         + " (-1 U.S.-aligned .. +1 China-aligned)"),
        ("developing", "yes" if st.developing[i] else "no"),
        ("region", f"{st.region[i]} ({st.continent[i]})"),
        ("blocs", ", ".join(st.blocs[i]) or "none"),
        ("assets", ", ".join(assets) or "none"),
    ]


def _not_eligible(model: StationModel, s: Any, i: int) -> list[str]:
    """Why state ``i`` (not a member) may not apply to station ``s`` in the coming year
    (the conditions of the model's evaluation phase)."""
    year, out = model.year, []
    if not s.is_open(year):
        out.append(f"the station opens in {s.open_from}" if year < s.open_from
                   else f"the station closed in {s.close_at}")
    if s.cooldown_until[i] > model.t:
        out.append(f"refused or left recently: may apply again from "
                   f"{model.start_year + int(s.cooldown_until[i])}")
    if model.banned_with(s.participants)[i]:
        out.append("banned with a participant")
    if model.exclusive and model.guest_elsewhere(s)[i]:
        out.append("a guest of another station (membership is exclusive)")
    return out


def state_stations(model: StationModel, iso3: str) -> pd.DataFrame:
    """The state at each station (columns :data:`STATE_STATION_COLUMNS`).

    ``membership`` is host / member (since when, on what terms) / not a member
    and whether it may apply in the coming year; ``trust_in_host`` its trust
    in the station's host, ``host_trust`` the host's trust in it (what the
    rules screen on); ``last_decision`` its last action there (applied,
    admitted, refused, exit) with the year and reason code, from
    :meth:`~stationsim.model.stations.Station.last_decision`, and ``why``
    what the reason means (:data:`EXPLANATIONS`).
    """
    i = model.index[iso3]
    rows = []
    for s in model.stations:
        h = s.host
        host_iso = model.states.iso3[h]
        if i == h:
            rows.append((s.name, host_iso, "host", "", "", "", ""))
            continue
        if s.member[i]:
            since = model.start_year + int(s.join_step[i])
            how = "founding member" if s.founder[i] else f"member since {since}"
            terms = f"due {s.due[i]:.3g}/year, rights {s.rights[i]:.2f}"
            if s.contract_end[i] < NEVER:
                terms += f", contract to {model.start_year + int(s.contract_end[i])}"
            membership = f"{how} ({terms})"
        else:
            why_not = _not_eligible(model, s, i)
            membership = ("not a member; not eligible to apply in "
                          f"{model.year}: " + "; ".join(why_not) if why_not else
                          f"not a member; may apply in {model.year}")
        pair = np.array([i, h], dtype=np.int64)
        trust_in = float(model.trust_between(pair[:1], pair[1:])[0])
        trust_of = float(model.trust_between(pair[1:], pair[:1])[0])
        action, reason, step = s.last_decision(i)
        if step < 0:
            last, why = "none yet", ""
        else:
            last = f"{model.start_year + step}: {action}" + (f" ({reason})" if reason else "")
            why = EXPLANATIONS.get((action, reason), reason)
        rows.append((s.name, host_iso, membership, f"{trust_in:.2f}", f"{trust_of:.2f}", last,
                     why))
    return pd.DataFrame(rows, columns=list(STATE_STATION_COLUMNS))


def state_html(model: StationModel, iso3: str) -> str:
    """The state panel as HTML: its attributes, then a row per station
    (:func:`state_attributes`, :func:`state_stations`)."""
    i = model.index[iso3]
    when = f"end of {model.year - 1}" if model.t else f"start of {model.start_year}"
    attrs = "".join(f'<tr><th style="text-align:left;padding:1px 8px 1px 0;'
                    f'font-weight:normal;color:#555">{_esc(k)}</th><td>{_esc(v)}</td></tr>'
                    for k, v in state_attributes(model, iso3))
    heads = ("Station", "Host", "Membership", "Trust in host", "Host's trust in it",
             "Last decision", "Why")
    cell = 'style="border-top:1px solid #ddd;padding:3px 6px;vertical-align:top"'
    body = "".join(
        f'<tr class="stationsim-state-station" data-station="{_esc(r.station)}">'
        + "".join(f"<td {cell}>{_esc(v)}</td>" for v in r) + "</tr>"
        for r in state_stations(model, iso3).itertuples(index=False))
    head = "".join(f'<th style="text-align:left;padding:3px 6px">{h}</th>' for h in heads)
    return (f'<div class="stationsim-state-panel" data-state="{_esc(iso3)}" '
            f'data-year="{model.year - 1 if model.t else model.start_year}" '
            f'style="font-size:0.9em;line-height:1.35">'
            f'<div style="font-weight:bold;margin-bottom:4px">{_esc(iso3)} '
            f'{_esc(model.states.name[i])}, {when}</div>'
            f'<div style="display:flex;flex-wrap:wrap;gap:16px">'
            f'<table class="stationsim-state-attributes">{attrs}</table>'
            f'<div style="flex:1;min-width:420px;overflow-x:auto">'
            f'<table class="stationsim-state-stations" '
            f'style="border-collapse:collapse;width:100%">'
            f'<tr>{head}</tr>{body}</table></div></div></div>')


# --------------------------------------------------------------------- export


def export_text(model: ExplorerModel) -> str:
    """The model's scenario as TOML that ``stationsim run`` accepts (states inlined)."""
    changed = ", ".join(f"{p} = {json.dumps(v)}" for p, v in model.changed.items()) or "none"
    head = (f"# Exported by `stationsim explore` from {model.scenario_file}\n"
            f"# Values changed on the page: {changed}\n"
            "# Run it: stationsim run THIS_FILE (the page showed its replication 0)\n\n")
    return head + tomli_w.dumps(model.spec.raw())


def export_scenario(model: ExplorerModel, folder: Path | str) -> Path:
    """Write :func:`export_text` to ``folder/<scenario>_explore_<hash>.toml`` (atomically).

    The name carries a hash of the content, so the same values give the same
    file and different values never overwrite each other.
    """
    text = export_text(model)
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    path = Path(folder) / f"{model.spec.name}_explore_{digest}.toml"

    def _write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, _write)
    return path


def export_dir() -> Path:
    """Where the export button writes: :data:`ENV_EXPORT_DIR`, else ``./exports``."""
    return Path(os.environ.get(ENV_EXPORT_DIR) or "exports")


# ----------------------------------------------------------------------- page


CARD = {"height": "100%", "overflow": "auto"}


@solara.component
def StatusView(model: ExplorerModel) -> None:
    """Year, members per station, rules and hosts; the validation message, if any."""
    update_counter.get()
    with solara.Card("Now", classes=["stationsim-now"], style=CARD):
        if model.error is not None:
            solara.Error(f"Not applied: {model.error}. The page shows the scenario file "
                         "unchanged and does not step; fix the value and press Reset.",
                         classes=["stationsim-error"])
        solara.v.Html(tag="div", class_="stationsim-apply", style_="font-size: 0.85em; "
                      "color: #444; margin-bottom: 4px", children=[
                          "A changed control applies when you press Reset: the run then "
                          "restarts from its first year with the new values. Step and ▶ "
                          "continue the run shown here."])
        when = (f"year {model.year - 1} done" if model.t
                else f"starts in {model.start_year} (press Step or ▶)")
        # plain HTML, not solara.Markdown: that loads mermaid from the CDN (not in the cache)
        solara.v.Html(tag="div", children=[
            solara.v.Html(tag="b", children=[model.spec.name]),
            f", seed {model.spec.seed}: {when}, step {model.t} of {model.n_steps}"])
        solara.v.Html(tag="div", class_="stationsim-members", style_="font-weight: bold",
                      children=["Members: " + ", ".join(f"{k} {v}" for k, v in
                                                         members_now(model).items())])
        lines = [f"{s.name}: {s.rule_name}, {s.channel} channel, host "
                 f"{model.states.iso3[s.host]}" for s in model.stations]
        hosts = dict.fromkeys(s.host for s in model.stations)
        lines.append("Hosts: " + "; ".join(
            f"{model.states.iso3[h]} transparency {model.transparency[h]:.2f}, "
            f"reciprocity {model.reciprocity[h]:.2f}" for h in hosts))
        if model.changed:
            lines.append("Changed: " + ", ".join(f"{p} = {v}" for p, v in
                                                 model.changed.items()))
        for line in lines:
            solara.v.Html(tag="div", children=[line])


@solara.component
def MembersView(model: ExplorerModel) -> None:
    """Members of each station in this run, on fixed whole-number axes with the guest slots
    (:func:`members_svg`: drawn in a millisecond, so every step shows at once)."""
    update_counter.get()
    svg = solara.use_memo(lambda: members_svg(model), [model, model.t])
    with solara.Card(classes=["stationsim-members-view"], style=CARD):
        widgets.HTML.element(value=svg, layout=widgets.Layout(width="100%"))


@solara.component
def NetworkView(model: ExplorerModel) -> None:
    """The partnership network now (:func:`network_svg`) and its links in words."""
    update_counter.get()
    svg = solara.use_memo(lambda: network_svg(model), [model, model.t])
    with solara.Card(classes=["stationsim-network-view"], style=CARD):
        widgets.HTML.element(value=svg, layout=widgets.Layout(width="100%"))
        solara.v.Html(tag="div", class_="stationsim-network", style_="font-size: 0.8em",
                      children=["Links: " + network_summary(model)])


@solara.component
def ReasonsView(model: ExplorerModel) -> None:
    """The last step's applications, admissions (and the accepted offer), refusals, exits."""
    update_counter.get()
    df = solara.use_memo(lambda: reasons_table(model), [model, model.t])
    with solara.Card(style=CARD):
        title = (f"{model.year - 1}: applications, admissions (with the accepted offer), "
                 "refusals and exits" if model.t else
                 f"Start of {model.start_year}: founding members of the open stations")
        solara.v.Html(tag="div", class_="stationsim-reasons-title text-h6", children=[title])
        if model.t == 0 and df.empty:
            solara.Info("Nothing yet: after each step this table shows its applications, "
                        "admissions, refusals and exits.")
        elif df.empty:
            solara.Text(f"Nothing happened in {model.year - 1}: no applications, admissions, "
                        "refusals or exits.")
        else:
            solara.Text(count_line(df))
            # a wide table scrolls inside the card rather than widen the page (width 0 and
            # min-width 100%: it fills the card but adds nothing to the page's minimum width)
            with solara.Div(classes=["stationsim-reasons"],
                            style={"overflow-x": "auto", "width": "0", "min-width": "100%"}):
                solara.DataFrame(df.drop(columns=["year"]), items_per_page=15)


@solara.component
def StateView(model: ExplorerModel) -> None:
    """One state, chosen in a selector: its attributes, its trust in each host (and the
    host's in it), its membership and its last decision at each station
    (:func:`state_html`); redrawn only for this state (a few milliseconds a step)."""
    update_counter.get()
    chosen = solara.use_reactive("")
    choices = solara.use_memo(lambda: state_choices(model), [model])
    iso = choices.get(chosen.value, "")
    html = solara.use_memo(lambda: state_html(model, iso) if iso else "",
                           [model, model.t, iso])
    with solara.Card(classes=["stationsim-state"], style=CARD):
        solara.v.Html(tag="div", class_="text-h6", children=["A state"])
        with solara.Div(style={"max-width": "360px"}):
            solara.Select(label="State", values=list(choices), value=chosen)
        if iso:
            widgets.HTML.element(value=html, layout=widgets.Layout(width="100%"))
        else:
            solara.Info("Choose a state to see its attributes, its trust in each station's "
                        "host, its membership and the reasons of its last decision at "
                        "each station.")


@solara.component
def ExportView(model: ExplorerModel) -> None:
    """Write the scenario on screen as a TOML file for ``stationsim run``; or download it."""
    update_counter.get()
    written = solara.use_reactive("")
    failed = solara.use_reactive("")

    def _forget() -> None:  # a new model (Reset, another scenario): nothing written for it yet
        written.set("")
        failed.set("")

    solara.use_effect(_forget, [model])

    def do_export() -> None:
        try:
            written.set(str(export_scenario(model, export_dir())))
            failed.set("")
        except OSError as exc:
            failed.set(f"cannot write to {export_dir()}: {exc}")

    with solara.Card("Export", style=CARD):
        solara.Text("The scenario on screen (the values applied by the last Reset) as a "
                    "TOML file for `stationsim run FILE`; its replication 0 is this run.")
        with solara.Row():
            solara.Button("Export scenario", color="primary", on_click=do_export,
                          disabled=model.error is not None)
            solara.FileDownload(lambda: export_text(model),
                                filename=f"{model.spec.name}_explore.toml",
                                label="Download", mime_type="application/toml")
        if written.value:
            solara.Success(f"Written: {written.value} (run it: stationsim run {written.value})",
                           classes=["stationsim-exported"])
        if failed.value:
            solara.Error(failed.value, classes=["stationsim-error"])


def _load_base(path: Path) -> tuple[Scenario | None, str | None]:
    try:
        return load_scenario(path), None
    except ScenarioError as exc:
        return None, str(exc)


def chosen_label(search: str | None, choices: Mapping[str, Path], first: Path) -> str:
    """The picker label the page opens: ``?scenario=LABEL`` of the address when it is one
    of ``choices``, else the label of ``first``."""
    wanted = urllib.parse.parse_qs(search or "").get("scenario", [""])[0]
    if wanted in choices:
        return wanted
    return next((k for k, p in choices.items() if p.resolve() == first.resolve()), str(first))


@solara.component
def ScenarioPicker(choices: Mapping[str, Path], current: str, description: str) -> None:
    """The scenarios as links: each opens the page anew on that scenario (``?scenario=``),
    so SolaraViz starts fresh with that scenario's controls."""
    with solara.Card("Scenario", classes=["stationsim-picker"]):
        for label in choices:
            if label == current:
                solara.v.Html(tag="div", class_="font-weight-bold", children=[f"▸ {label}"])
            else:
                href = "?scenario=" + urllib.parse.quote(label)
                solara.v.Html(tag="div", children=[
                    solara.v.Html(tag="a", attributes={"href": href}, children=[label],
                                  style_="color: #0072B2; text-decoration: underline")])
        if description:
            solara.v.Html(tag="div", style_="font-size: 0.85em; margin-top: 8px",
                          children=[description])


class _SolaraShowingValues(types.ModuleType):
    """``solara`` as SolaraViz's controls see it: the same, but float sliders show their value
    beside the thumb at all times (``thumb_label="always"``), not only while dragged."""

    def __getattr__(self, name: str) -> Any:
        return getattr(solara, name)


def show_slider_values() -> None:
    """Make SolaraViz's float sliders show their values, its play button ▶ once the run has
    ended, and hide its "Information" card ("Time: 9.0": the page shows the year)
    (:class:`_SolaraShowingValues`); only Mesa's page module sees the change."""
    import mesa.visualization.solara_viz as viz

    if isinstance(viz.solara, _SolaraShowingValues):
        return
    proxy = _SolaraShowingValues("solara")
    proxy.SliderFloat = functools.partial(solara.SliderFloat,  # type: ignore[attr-defined]
                                          thumb_label="always")
    proxy.Button = _play_button  # type: ignore[attr-defined]
    proxy.Card = _card_without_time  # type: ignore[attr-defined]
    viz.solara = proxy  # type: ignore[assignment]


def _card_without_time(*args: Any, **kwargs: Any) -> Any:
    """SolaraViz's cards; its "Information" card (Mesa's ``model.time``, "Time: 9.0", beside
    the page's own year and step) is hidden."""
    title = args[0] if args else kwargs.get("title")
    if title == "Information":
        return solara.Div(classes=["stationsim-mesa-time"], style={"display": "none"})
    return solara.Card(*args, **kwargs)


def _play_button(*args: Any, **kwargs: Any) -> Any:
    """SolaraViz's buttons; its play button shows ▶ (disabled), not ❚❚, once the run has
    ended (SolaraViz leaves it "playing" when the model stops by itself)."""
    if kwargs.get("label") == "❚❚" and kwargs.get("disabled"):
        kwargs["label"] = "▶"
    return solara.Button(*args, **kwargs)


@solara.component
def Page() -> None:
    """The page: scenario picker, then SolaraViz with the scenario's controls and views."""
    folder = scenarios_dir()
    first = solara.use_memo(lambda: initial_scenario(folder), [])
    choices = solara.use_memo(lambda: scenario_choices(folder, first), [])
    router = solara.use_router()
    label = solara.use_memo(lambda: chosen_label(router.search, choices, first), [])
    path = choices.get(label, first)
    base, error = solara.use_memo(lambda: _load_base(path), [])
    # SolaraViz's Reset replaces the reactive's value; the views read it
    model = solara.use_memo(
        lambda: solara.reactive(ExplorerModel(str(path)) if base is not None else None), [])
    with solara.Sidebar():
        ScenarioPicker(choices, label, base.description if base is not None else "")
    if base is None or model.value is None:
        solara.Error(f"Cannot open {label}: {error}", classes=["stationsim-error"])
        return
    # SolaraViz gives the app bar, the controls, play/pause/step/reset and the parameters;
    # the views are laid out here rather than in its draggable grid (components=[]), whose
    # grid-layout script does not load under ipyvue 3
    show_slider_values()
    SolaraViz(model, components=[], model_params=model_params(path, base),
              name=f"stationsim explore: {base.name}", play_interval=400)
    Views(model.value)


@solara.component
def Views(model: ExplorerModel) -> None:
    """The live views of the model on the page."""
    with solara.Column(style={"width": "100%"}):
        with solara.Columns([3, 2]):
            StatusView(model)
            ExportView(model)
        MembersView(model)
        NetworkView(model)
        StateView(model)
        ReasonsView(model)


# --------------------------------------------------------------------- assets
# The page's scripts and styles are npm packages that solara serves through its
# CDN proxy (/_solara/cdn/<package>@<version>/...): on the first request it
# fetches them from a public CDN into its cache folder.  Where that CDN cannot
# be reached (offline machines, CI) but the npm registry can, `npm pack` fills
# the same cache beforehand, so the page loads entirely from this machine.

_CDN_REF = re.compile(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d[\w.+-]*)/")


def cdn_packages() -> list[str]:
    """The npm packages (``name@version``) the page loads through solara's CDN proxy:
    the vuetify app that matches the installed ipyvue, require.js and Font Awesome."""
    import ipyvue
    import solara.server.settings as settings

    template = Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2"
    found = dict.fromkeys(f"{n}@{v}" for n, v in _CDN_REF.findall(template.read_text()))
    app = "solara-vuetify3-app@" if str(ipyvue.__version__).startswith("3") else \
        "solara-vuetify-app@"
    out = [p for p in found if "solara-vuetify" not in p or f"/{app}" in p]
    if settings.assets.fontawesome_enabled:
        out += [f"{n}@{v}" for n, v in _CDN_REF.findall("{{cdn}}"
                                                        + settings.assets.fontawesome_path)]
    return out


def asset_cache() -> Path:
    """Solara's CDN proxy cache (``SOLARA_ASSETS_PROXY_CACHE_DIR`` or its default)."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def ensure_assets(cache: Path | None = None, echo: Any = print) -> list[str]:
    """Put every package of :func:`cdn_packages` missing from ``cache`` there with
    ``npm pack``; return those still missing (solara's proxy then tries the CDN)."""
    import shutil
    import tarfile
    import tempfile

    cache = cache if cache is not None else asset_cache()
    missing = [p for p in cdn_packages() if not (cache / p / "package.json").is_file()]
    npm = shutil.which("npm")
    if not missing or npm is None:
        return missing
    echo(f"fetching the page's scripts with npm (once, into {cache}): {', '.join(missing)}")
    left = []
    for spec in missing:
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run([npm, "pack", "--silent", "--pack-destination", tmp, spec],
                                  capture_output=True, text=True, timeout=300, check=False)
            tars = sorted(Path(tmp).glob("*.tgz"))
            if proc.returncode != 0 or not tars:
                left.append(spec)
                continue
            unpacked = Path(tmp) / "unpacked"
            with tarfile.open(tars[0]) as tar:
                tar.extractall(unpacked, filter="data")
            target = cache / spec
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)
            roots = list(unpacked.iterdir())  # npm's tarballs hold one folder, "package/"
            shutil.move(str(roots[0] if len(roots) == 1 else unpacked), str(target))
    if left:
        echo(f"warning: npm could not fetch {', '.join(left)}; the page loads them through "
             "the public CDN instead")
    return left


# ---------------------------------------------------------------------- serve


def check_listen(host: str, port: int) -> None:
    """Raise :class:`ServeError` unless ``host:port`` can be listened on now."""
    if not 0 < port < 65536:
        raise ServeError(f"--port {port}: must be in 1..65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ServeError(f"--host {host!r}: cannot resolve it ({exc})") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(addr)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                             "choose another --port") from None


def server_command(host: str, port: int) -> list[str]:
    """The ``solara run`` command serving :func:`Page` (production mode, nothing fetched)."""
    return [sys.executable, "-m", "solara", "run", "stationsim.app.explore", "--host", host,
            "--port", str(port), "--production", "--no-open", "--no-check-version",
            "--log-level", "warning"]


def serve(scenario: Path | None = None, *, host: str = "127.0.0.1", port: int = 8765,
          export: Path | str = "exports", scenarios: Path | None = None,
          echo: Any = print) -> int:
    """Serve the page until interrupted; return the server's exit code.

    Parameters
    ----------
    scenario : Path, optional
        The scenario to open (default: ``css_vs_iss.toml`` of ``scenarios``).
    host, port
        Where to listen (default: loopback only).
    export : Path
        Folder the export button writes to.
    scenarios : Path, optional
        Folder whose ``*.toml`` files the picker offers (default:
        :func:`scenarios_dir`; with ``scenario`` given: its folder).

    Raises
    ------
    ScenarioError
        If the scenario file is missing or invalid.
    ServeError
        If the port or host cannot be used.
    """
    folder = scenarios if scenarios is not None else (
        scenario.parent if scenario is not None else scenarios_dir())
    first = scenario if scenario is not None else initial_scenario(folder)
    load_scenario(first)  # a bad file: exit 2 before anything starts
    if not folder.is_dir():
        raise ServeError(f"--scenarios {folder}: not a folder")
    check_listen(host, port)
    ensure_assets(echo=echo)
    env = {**os.environ,
           ENV_SCENARIO: str(first.resolve()),
           ENV_SCENARIOS_DIR: str(folder.resolve()),
           ENV_EXPORT_DIR: str(Path(export).resolve()),
           "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "MPLBACKEND": "Agg",
           # solara warns about iframe cookies on every plain-http address but localhost
           "PYTHONWARNINGS": ",".join(filter(None, [
               os.environ.get("PYTHONWARNINGS"),
               "ignore:Cookies with samesite=none require https:UserWarning"]))}
    proc = subprocess.Popen(server_command(host, port), env=env)

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and SIGTERM stop the server (also when started where SIGINT is ignored)
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    shown = f"[{host}]" if ":" in host else host
    echo(f"stationsim explore: {first} on http://{shown}:{port}/ (Ctrl-C to stop)")
    if host not in ("127.0.0.1", "::1", "localhost"):
        echo(f"warning: listening on {host}: anyone who can reach it can run models and "
             f"write exports to {export}")
    try:
        return proc.wait()
    except KeyboardInterrupt:
        _terminate(proc)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            _terminate(proc)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
