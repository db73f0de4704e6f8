"""The state panel: one state's attributes and, per station, its standing
(member, guest slot, last decision and its reason).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from stationsim.app.explore.reasons import EXPLANATIONS
from stationsim.app.explore.svg import _esc
from stationsim.model.core import StationModel
from stationsim.rules.base import NEVER

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
