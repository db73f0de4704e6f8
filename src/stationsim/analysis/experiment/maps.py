"""Grids of an experiment: the claim maps over the deciding parameters' ranges
(one per parameter, and the first two together) and the verdict table of a grid
(robustness or claim map), one row per point.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from stationsim.analysis.experiment.files import Experiment
from stationsim.analysis.experiment.results import _evaluate, overall
from stationsim.running.sweep import Dimension


def _map_plan(ex: Experiment) -> list[tuple[str, list[dict[str, Any]], list[Dimension]]]:
    """The claim maps: one per deciding parameter, and the first two together."""
    dims = list(ex.deciding)
    stems = _stems([d.path for d in dims])
    plan = [(stems[d.path], [{d.path: v} for v in _tidy(d.grid())], [d]) for d in dims]
    if len(dims) >= 2 and ex.spec.map.two_d:
        a, b = dims[0], dims[1]
        ga = _regrid(a, ex.spec.map.levels_2d)
        gb = _regrid(b, ex.spec.map.levels_2d)
        pts = [{a.path: x, b.path: y} for x in ga for y in gb]
        plan.append((f"{stems[a.path]}__{stems[b.path]}", pts, [a, b]))
    return plan


def _regrid(d: Dimension, levels: int) -> list[Any]:
    return _tidy(Dimension(d.path, d.kind, d.low, d.high, d.values, levels).grid())


def _tidy(values: Sequence[Any]) -> list[Any]:
    """Grid values without float noise (0.4625, not 0.46249999999999997)."""
    return [float(f"{v:.10g}") if isinstance(v, float) else v for v in values]


def _stems(paths: Sequence[str]) -> dict[str, str]:
    """File-name stem of each parameter: its last path component, unless two share it."""
    last = [p.split(".")[-1] for p in paths]
    return {p: (n if last.count(n) == 1 else p.replace(".", "_"))
            for p, n in zip(paths, last, strict=True)}


def _grid_table(ex: Experiment, rtabs: dict[str, dict[str, pd.DataFrame]],
                points: Sequence[dict[str, Any]], salt: str = "") -> pd.DataFrame:
    """One row per grid point: its values, each test's estimate and verdict, the verdict."""
    rows = []
    for p, pt in enumerate(points):
        sub = {a: {n: df[df["point"] == p] for n, df in tb.items()} for a, tb in rtabs.items()}
        tests = _evaluate(ex, sub, pt, salt=f"{salt}point{p}")
        row: dict[str, Any] = {"point": p, **pt}
        for t in tests:
            e = t.estimate
            row.update({f"{t.name}.effect": e.effect, f"{t.name}.ci_low": e.ci_low,
                        f"{t.name}.ci_high": e.ci_high, f"{t.name}.method": e.method,
                        f"{t.name}.verdict": t.verdict})
        row["verdict"] = overall(tests)
        rows.append(row)
    return pd.DataFrame(rows)
