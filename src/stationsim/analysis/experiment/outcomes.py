"""Derived outcomes of experiment tests: one value per run, from the runs,
steps or membership table (``guest_share``, ``step_mean``, ``state_value``, ...;
see :mod:`stationsim.analysis.experiment`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis.experiment.files import OutcomeSpec
from stationsim.model.outcomes import MEMBER_CLASSES


def _key(table: pd.DataFrame) -> list[str]:
    return [k for k in ("point", "replication") if k in table.columns]


def outcome_values(outcome: str | OutcomeSpec, runs: pd.DataFrame, steps: pd.DataFrame,
                   membership: pd.DataFrame, params: Mapping[str, Any]) -> pd.Series:
    """One value per run of ``outcome``, indexed by the run's replication (and point).

    ``params`` are the run's model parameters (thresholds, ``regional_scope``).
    """
    key = _key(runs)
    index = pd.MultiIndex.from_frame(runs[key]) if len(key) > 1 else pd.Index(
        runs[key[0]], name=key[0])
    if isinstance(outcome, str):
        col = runs[outcome]
        vals = col.astype("Float64") if pd.api.types.is_bool_dtype(col) else col
        return pd.Series(pd.to_numeric(vals, errors="coerce").to_numpy(dtype=float,
                                                                      na_value=np.nan),
                         index=index, name=outcome)
    if outcome.kind == "channel_is":
        col = runs[f"{outcome.station.lower()}_channel"].astype(str)
        return pd.Series((col == outcome.value).to_numpy(dtype=float), index=index)
    if outcome.kind == "state_value":
        mem = membership[(membership["station"] == outcome.station)
                         & (membership["iso3"] == outcome.state)]
        out = mem.groupby(key)[str(outcome.column)].sum()
        return out.reindex(index).astype(float)
    if outcome.kind == "step_mean":
        st = steps[(steps["station"] == outcome.station) & steps["open"].astype(bool)]
        out = st.groupby(key)[str(outcome.column)].mean()
        return out.reindex(index).astype(float)
    mem = membership[membership["station"] == outcome.station]
    host = mem[mem["role"] == "host"]
    guests = mem[mem["role"] != "host"]
    guests = guests[guests["n_joins"] > 0] if outcome.among == "ever" else \
        guests[guests["member_at_end"].astype(bool)]
    ok = pd.Series(True, index=guests.index)
    for cond in outcome.where:
        neg = cond.startswith("not:")
        c = _condition(cond.removeprefix("not:"), guests, host, membership, params, key)
        ok &= ~c if neg else c
    g = pd.DataFrame({**{k: guests[k] for k in key}, "ok": ok.astype(float)})
    grp = g.groupby(key)["ok"]
    if outcome.kind == "guest_share":
        out = grp.mean().reindex(index)
    elif outcome.kind == "guest_count":
        out = grp.sum().reindex(index).fillna(0.0)
    else:
        out = (grp.sum() > 0).astype(float).reindex(index).fillna(0.0)
    return out.astype(float)


def _condition(term: str, guests: pd.DataFrame, host: pd.DataFrame, membership: pd.DataFrame,
               params: Mapping[str, Any], key: list[str]) -> pd.Series:
    if term in MEMBER_CLASSES:  # the classes the run row counts (stationsim.OUTCOMES)
        mask = MEMBER_CLASSES[term](guests["capability"].to_numpy(dtype=float),
                                    guests["developing"].to_numpy(dtype=bool), params)
        return pd.Series(mask, index=guests.index)
    if term == "aligned":  # on the host's side of the alignment axis
        place = host[[*key, "alignment"]].rename(columns={"alignment": "_host_al"})
        merged = guests[[*key, "alignment"]].merge(place, on=key, how="left")
        prod = merged["alignment"].to_numpy(dtype=float) * merged["_host_al"].to_numpy(dtype=float)
        return pd.Series(prod > 0, index=guests.index)
    if term == "regional":
        scope = "continent" if params["regional_scope"] == "continent" else "region"
        place = host[[*key, scope]].rename(columns={scope: "_host_place"})
        merged = guests[[*key, scope]].merge(place, on=key, how="left")
        return pd.Series((merged[scope].to_numpy() == merged["_host_place"].to_numpy()),
                         index=guests.index)
    station = term.split(":", 1)[1]  # member_of:<STATION>
    other = membership[(membership["station"] == station) & (membership["role"] != "host")
                       & (membership["n_joins"] > 0)]
    was = other[[*key, "iso3"]].drop_duplicates().assign(_was=True)
    merged = guests[[*key, "iso3"]].merge(was, on=[*key, "iso3"], how="left")
    return pd.Series(merged["_was"].fillna(False).astype(bool).to_numpy(), index=guests.index)


def _outcome_label(oc: str | OutcomeSpec) -> str:
    if isinstance(oc, str):
        return oc
    bits = [oc.kind, oc.station]
    if oc.column:
        bits.append(oc.column)
    if oc.state:
        bits.insert(2, oc.state)
    if oc.value:
        bits.append(oc.value)
    if oc.where:
        bits.append("&".join(oc.where))
    if oc.kind.startswith("guest_"):
        bits.append(oc.among)
    return ":".join(bits)
