"""Live views as SVG text, redrawn after every step (a few milliseconds, where
matplotlib takes a few hundred): members of each station over time and the
partnership network, with the colours of :mod:`stationsim.present.plots`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.colors import to_hex

from stationsim.model.core import StationModel
from stationsim.present import plots

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
