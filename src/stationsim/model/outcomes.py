"""Outcomes of a finished run: the per-run row, the step table and the membership table.

Column meanings are listed in the README (*Outputs*).  Conventions, also in
docs/odd.md: shares over an empty station are 0 (its member count says it
is empty); the years to the first non-founding guest of a station that never
had one are right-censored at the years it was open during the run, with
``<station>_first_guest_censored = True``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from stationsim.model.core import StationModel


def station_prefix(name: str) -> str:
    """Column prefix of a station in the runs table (lower-case name)."""
    return name.lower()


def run_row(model: StationModel) -> dict[str, Any]:
    """One row of per-run outcomes: per station, then system-wide figures."""
    p = model.p
    cap = model.capability
    row: dict[str, Any] = {}
    in_any = np.zeros(model.n, dtype=np.int64)
    guest_welfare = 0.0
    host_welfare = 0.0
    last_year = model.start_year + model.t - 1
    for s in model.stations:
        pre = station_prefix(s.name)
        m = s.members
        parts = s.participants
        n_m = int(m.size)
        in_any += s.member
        is_open = s.is_open(last_year)
        guest_welfare += float(s.cum_utility.sum())
        host_welfare += s.host_cum_utility
        open_years = max(0, min(s.close_at, last_year + 1) - max(s.open_from, model.start_year))
        if s.first_guest_year is not None:
            first, censored = float(s.first_guest_year - s.open_from), False
        else:
            first, censored = float(open_years), True
        ever = int(((s.n_joins > 0) & ~s.founder).sum())
        row.update({
            f"{pre}_open": is_open,
            f"{pre}_rule": s.rule_name,
            f"{pre}_channel": s.channel,
            f"{pre}_members": n_m,
            f"{pre}_member_list": ";".join(model.states.iso3[i] for i in m.tolist()),
            f"{pre}_pooled_capability": float(cap[parts].sum()) if is_open else 0.0,
            f"{pre}_host_cost_share": s.host_share(),
            f"{pre}_mean_member_trust": model.trust.mean_among(parts) if n_m else 0.0,
            f"{pre}_applications": s.totals.applications,
            f"{pre}_admissions": s.totals.admissions,
            f"{pre}_refusals": s.totals.refusals,
            f"{pre}_defaults": s.totals.defaults,
            f"{pre}_exits": s.totals.exits,
            f"{pre}_ever_guests": ever,
            f"{pre}_years_to_first_guest": first,
            f"{pre}_first_guest_censored": censored,
            f"{pre}_regional_share": float(model.regional(m, s.host).mean()) if n_m else 0.0,
            f"{pre}_developing_share": float(model.developing[m].mean()) if n_m else 0.0,
            f"{pre}_capacity_used": n_m / s.capacity if s.capacity else 0.0,
            f"{pre}_capable_members": int((cap[m] >= p["capable_threshold"]).sum()),
            f"{pre}_major_power_guests": int((cap[m] >= p["major_power_threshold"]).sum()),
            f"{pre}_low_capability_members": int((cap[m] <= p["low_capability_threshold"]).sum()),
            f"{pre}_host_utility": s.host_cum_utility,
            f"{pre}_guest_utility": float(s.cum_utility.sum()),
        })
    row["states_in_partnership"] = int((in_any > 0).sum())
    row["states_in_multiple"] = int((in_any > 1).sum())
    row["guest_welfare"] = guest_welfare
    row["host_welfare"] = host_welfare
    row["total_welfare"] = guest_welfare + host_welfare
    return row


def step_table(model: StationModel) -> pd.DataFrame:
    """The replication's step x station time series."""
    return pd.DataFrame(model.step_records)


def membership_table(model: StationModel) -> pd.DataFrame:
    """State x station: role, membership at the end, first join, last exit, net utility.

    ``join_step``/``exit_step`` are step indices (step 0 is ``start_year``);
    missing values (never joined, never left) are ``<NA>``.  A state's net
    utility is what it realised from that station over the run.  Built from
    whole columns (one DataFrame), since every replication makes one.
    """
    st = model.states
    start = model.start_year
    stations = model.stations
    k = len(stations)
    role = []
    member_end = []
    for s in stations:
        r = np.where(s.founder, "founder", "guest").astype(object)
        r[s.host] = "host"
        role.append(r)
        end = s.member.copy()
        if s.is_open(start + model.t - 1):
            end[s.host] = True
        member_end.append(end)

    def cat(name: str) -> npt.NDArray[Any]:
        return np.concatenate([getattr(s, name) for s in stations])

    def steps(values: npt.NDArray[np.int64], offset: int = 0) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(values + offset, values < 0)

    joined, exited = cat("first_join_step"), cat("exit_step")
    reasons = [r or None for s in stations for r in s.exit_reason]
    return pd.DataFrame({
        "iso3": st.iso3 * k,
        "station": np.repeat(np.array([s.name for s in stations], dtype=object), model.n),
        "host_iso3": np.repeat(np.array([st.iso3[s.host] for s in stations], dtype=object),
                               model.n),
        "role": np.concatenate(role),
        "member_at_end": np.concatenate(member_end),
        "join_step": steps(joined),
        "join_year": steps(joined, start),
        "exit_step": steps(exited),
        "exit_year": steps(exited, start),
        "exit_reason": pd.array(reasons, dtype="string"),
        "n_joins": cat("n_joins"),
        "years_member": cat("years_member"),
        "net_utility": cat("cum_utility"),
        "capability": np.tile(st.capability, k),
        "alignment": np.tile(st.alignment[:, 0], k),
        "developing": np.tile(st.developing, k),
        "region": st.region * k,
        "continent": st.continent * k,
    })
