"""The last step's applications, admissions, refusals and exits, each with its
reason explained (:func:`reasons_table`, from ``model.last_log``).
"""

from __future__ import annotations

import pandas as pd

from stationsim.model.core import StationModel
from stationsim.rules.base import NEVER

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
