"""Issue 5, part 4: the states most likely in each partnership of a
``two_blocs_2020s`` run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from stationsim.analysis.calibration.report import markdown_table
from stationsim.inputs.mapping import STATES_CSV, read_states
from stationsim.running.results import load_results


def bloc_probabilities(membership: pd.DataFrame,
                       stations: Sequence[str] = ("US_LED", "CN_LED")) -> pd.DataFrame:
    """Per state and partnership: the share of replications in which it ever joined, the
    share in which it is a member at the end, and its median first-join year (over the
    replications in which it joined), from ``membership.parquet``."""
    m = membership[membership["station"].isin(stations)]
    g = m.groupby(["station", "iso3"])
    out = pd.DataFrame({"p_ever": g["join_year"].apply(lambda s: float(s.notna().mean())),
                        "p_end": g["member_at_end"].apply(lambda s: float(s.eq(True).mean())),
                        "median_join_year": g["join_year"].median()}).reset_index()
    return out


def blocs_text(results: Path, top: int = 15) -> str:
    """Markdown tables of the ``top`` states per partnership of a ``two_blocs_2020s`` run."""
    res = load_results(results)
    mem = res.membership
    reps = int(mem["replication"].nunique())
    probs = bloc_probabilities(mem)
    names = read_states(STATES_CSV).set_index("iso3")["name"]
    wide = probs.pivot(index="iso3", columns="station", values="p_ever")
    lines = [f"{reps} replications of {res.meta.get('scenario', {}).get('name', results)}.\n"]
    for st in ("US_LED", "CN_LED"):
        g = probs[probs["station"] == st].sort_values(["p_ever", "p_end", "iso3"],
                                                      ascending=[False, False, True]).head(top)
        other = "CN_LED" if st == "US_LED" else "US_LED"
        t = pd.DataFrame({"state": g["iso3"] + " " + g["iso3"].map(names),
                          "P(ever joins)": g["p_ever"], "P(member at end)": g["p_end"],
                          "median join year": [str(int(y)) if pd.notna(y) else "–"
                                               for y in g["median_join_year"]],
                          f"P(ever joins {other})": g["iso3"].map(wide[other])})
        p_st = probs[probs["station"] == st]["p_ever"]
        lines += [f"## {st}: top {top} by P(ever joins), then P(member at end) "
                  f"({int((p_st >= 0.5).sum())} states with P(ever joins) >= 0.5, "
                  f"{int((p_st == 1).sum())} with 1)\n",
                  markdown_table(t, nd=2), ""]
    return "\n".join(lines)
