"""Small results for the plot, compare and report tests.

``run_folder`` and ``sweep_tables`` run ``css_vs_iss`` for a few replications
in this process (well under a second); ``sweep_tables`` builds the tables a
sweep over ``stations.CSS.rule`` has (``run_id``, ``point`` and the varied
column in every table) by hand, so these tests do not depend on the sweep
machinery.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

import stationsim
from stationsim.running.batch import Results
from stationsim.running.results import write_json, write_table

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "css_vs_iss.toml"
RULES = ("quid_pro_quo", "hub_and_spoke")
RULE_COL = "stations.CSS.rule"


def results(rule: str = "quid_pro_quo", reps: int = 4, seed: int = 3) -> Results:
    """``css_vs_iss`` with the CSS under ``rule``."""
    scn = stationsim.load_scenario(SCENARIO)
    scn = stationsim.with_overrides(scn, {"stations.CSS.rule": rule})
    return stationsim.run(scn, seed=seed, replications=reps)


def sweep_tables(reps: int = 4) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                         dict[str, Any]]:
    """Runs, steps, membership and manifest of a (hand-built) sweep over the CSS rule."""
    tabs: dict[str, list[pd.DataFrame]] = {"runs": [], "steps": [], "membership": []}
    for point, rule in enumerate(RULES):
        res = results(rule, reps, seed=10 + point)
        for name, frames in tabs.items():
            df = getattr(res, name).copy()
            df.insert(0, RULE_COL, rule)
            df.insert(0, "point", point)
            df.insert(0, "run_id", point * reps + df["replication"])
            frames.append(df)
    meta = {"kind": "sweep", "scenario": {"name": "css_vs_iss", "text": SCENARIO.read_text()},
            "sweep": {"name": "rule_test", "dimensions": [
                {"path": RULE_COL, "column": RULE_COL, "kind": "values", "values": list(RULES)}]},
            "replications": reps}
    return (*(pd.concat(tabs[n], ignore_index=True) for n in ("runs", "steps", "membership")),
            meta)


def write_folder(path: Path, runs: pd.DataFrame, steps: pd.DataFrame,
                 membership: pd.DataFrame, meta: dict[str, Any]) -> Path:
    """A results folder with these tables and manifest."""
    for name, df in (("runs", runs), ("steps", steps), ("membership", membership)):
        write_table(df, path / f"{name}.parquet")
    write_json(meta, path / "manifest.json")
    return path


def write_run_folder(path: Path, rule: str = "quid_pro_quo", reps: int = 4) -> Path:
    """A results folder of ``css_vs_iss`` as ``stationsim run`` writes it (tables + manifest)."""
    res = results(rule, reps)
    scn = stationsim.load_scenario(SCENARIO)
    meta = {"kind": "run", "scenario": {"name": scn.name, "source": str(SCENARIO),
                                        "sha256": scn.text_hash, "text": scn.text},
            **res.meta}
    return write_folder(path, res.runs, res.steps, res.membership, meta)
