"""Baselines the calibrated model is compared with: ranking states by one
attribute, and the model with the guest flights' capability removed or left in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from stationsim.analysis.calibration.scores import auc
from stationsim.analysis.calibration.targets import Target, _station
from stationsim.inputs.mapping import ISS_GUEST_FLYERS, map_states
from stationsim.model.scenario import Scenario


def attribute_baselines(scn: Scenario, target: Target) -> dict[str, dict[str, float]]:
    """AUC of ranking the scored states by one input attribute alone, per set of facts.

    A yardstick for the model's AUC: how well would capability (or money,
    or minus the alignment distance to the host) rank the states that joined,
    with no mechanism at all?
    """
    st = _station(scn, target.station)
    attrs = {s.iso3: s for s in scn.states}
    host_a = attrs[st.host].alignment
    out: dict[str, dict[str, float]] = {}
    for name in target.sets:
        f = target.facts[target.facts["set"] == name]
        isos = f["iso3"].tolist()
        cols = {
            "capability": [attrs[i].capability for i in isos],
            "money": [attrs[i].assets.get("money", 0.0) for i in isos],
            "alignment with host": [-float(np.linalg.norm(np.subtract(
                np.atleast_1d(attrs[i].alignment), np.atleast_1d(host_a)))) for i in isos],
        }
        out[name] = {k: auc(f["observed"], _unit(v)) for k, v in cols.items()}
    return out


def _unit(values: Sequence[float]) -> npt.NDArray[np.float64]:
    """Values rescaled to [0, 1] (order kept), so :func:`auc` accepts them."""
    v = np.asarray(values, dtype=float)
    span = v.max() - v.min() if v.size else 0.0
    return (v - v.min()) / span if span > 0 else np.zeros_like(v)


def _guest_capabilities(states: pd.DataFrame) -> tuple[dict[str, float], dict[str, float]]:
    """Capability of the states with ISS guest flights, with the flights left in and
    taken out, as ``data/states_model.csv`` and ``data/states_model_iss1993.csv`` hold it."""
    def caps(remove: bool) -> dict[str, float]:
        m = map_states(states, remove_iss_guest_flights=remove).set_index("iso3")["capability"]
        return {iso: float(f"{m[iso]:.4f}") for iso in ISS_GUEST_FLYERS if iso in m.index}
    return caps(False), caps(True)


def _swap_capability(scn: Scenario, frm: dict[str, float],
                     to: dict[str, float]) -> dict[str, float]:
    """Overrides ``states.<ISO3>.capability`` from ``frm``'s value to ``to``'s, for the
    states of the scenario whose capability is ``frm``'s (others are left alone)."""
    caps = {s.iso3: s.capability for s in scn.states}
    return {f"states.{iso}.capability": to[iso] for iso in to
            if iso in caps and abs(caps[iso] - frm[iso]) < 1e-9 and to[iso] != frm[iso]}


def guest_flights_removed(scn: Scenario, states: pd.DataFrame) -> dict[str, float]:
    """Overrides that take the ISS guest flights out of capability, for a scenario whose
    facts are those flights (iss_1993; else empty).

    ``people_in_space_2025`` (TASS, April 2025), one of the three indicators
    of capability (docs/data.md), counts the nationals flown to the ISS as
    guests (:data:`stationsim.inputs.mapping.ISS_GUEST_FLYERS`): part of the very
    outcome ``iss_1993`` is scored on.  The shipped scenario loads
    ``data/states_model_iss1993.csv``, mapped without them, so this is empty
    for it; a scenario on ``data/states_model.csv`` gets the nine states'
    capability of the clean file (every other state is unchanged).
    """
    if scn.name != "iss_1993":
        return {}
    left_in, taken_out = _guest_capabilities(states)
    return _swap_capability(scn, left_in, taken_out)


def guest_flights_left_in(scn: Scenario, states: pd.DataFrame) -> dict[str, float]:
    """The reverse of :func:`guest_flights_removed`: overrides that put the ISS guest
    flights back into capability (the values of ``data/states_model.csv``), to measure
    the leak (iss_1993; else empty)."""
    if scn.name != "iss_1993":
        return {}
    left_in, taken_out = _guest_capabilities(states)
    return _swap_capability(scn, taken_out, left_in)
