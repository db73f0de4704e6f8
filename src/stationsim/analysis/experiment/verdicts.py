"""Verdicts: a test's from its interval, an experiment's from its tests', and how
the verdict varies over a robustness grid (the parameters that decide it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

Verdict = Literal["supported", "not supported", "inconclusive"]
VERDICTS: tuple[Verdict, ...] = ("supported", "not supported", "inconclusive")


def verdict(ci_low: float, ci_high: float, direction: str, threshold: float) -> Verdict:
    """The verdict of one test from its confidence interval.

    ``direction = "greater"`` (the claim: effect > threshold): *supported* if
    ``ci_low > threshold``, *not supported* if ``ci_high <= threshold``, else
    *inconclusive*.  ``"less"``: *supported* if ``ci_high < threshold``, *not
    supported* if ``ci_low >= threshold``.  The claim's side is strict, so an
    interval that only touches the threshold from the other side (e.g.
    ``[0, 0]`` for "greater than 0") does not support it.  A missing bound
    (no runs) is inconclusive.
    """
    if direction not in ("greater", "less"):
        raise ValueError(f"direction must be 'greater' or 'less', not {direction!r}")
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "inconclusive"
    lo, hi = (ci_low, ci_high) if ci_low <= ci_high else (ci_high, ci_low)
    if direction == "greater":
        if lo > threshold:
            return "supported"
        return "not supported" if hi <= threshold else "inconclusive"
    if hi < threshold:
        return "supported"
    return "not supported" if lo >= threshold else "inconclusive"


def combine(verdicts: Sequence[str]) -> Verdict:
    """An experiment's verdict from its tests': all supported -> supported; any not
    supported -> not supported; otherwise inconclusive."""
    if not verdicts:
        return "inconclusive"
    if all(v == "supported" for v in verdicts):
        return "supported"
    if any(v == "not supported" for v in verdicts):
        return "not supported"
    return "inconclusive"


def robustness_summary(table: pd.DataFrame, dims: Sequence[str],
                       column: str = "verdict") -> dict[str, Any]:
    """How the verdict varies over a robustness grid.

    ``table`` has one row per point with a column per parameter in ``dims``
    and the verdict in ``column``.  A parameter *decides* the verdict when
    two points that differ only in it get different verdicts.

    Returns a dict: ``text`` (one line), ``robust`` (every point agrees),
    ``deciding`` (the deciding parameters), ``counts`` (points per verdict),
    ``supported_at`` (the points where the claim is supported, as dicts).
    """
    counts = {v: int((table[column] == v).sum()) for v in VERDICTS}
    n = len(table)
    deciding: list[str] = []
    for d in dims:
        others = [x for x in dims if x != d]
        groups = [table] if not others else [g for _, g in table.groupby(others, dropna=False)]
        if any(g[column].nunique() > 1 for g in groups):
            deciding.append(d)
    present = [v for v in VERDICTS if counts[v]]
    tally = ", ".join(f"{v} at {counts[v]}" for v in present)
    if len(present) <= 1:
        text = f"robust: {present[0] if present else 'no'} verdict at all {n} points"
    elif counts["supported"] and counts["not supported"]:
        text = f"depends on {', '.join(deciding) or 'the combination'} ({tally} of {n} points)"
    else:
        text = (f"varies with {', '.join(deciding) or 'the combination'}, no flip ({tally} of "
                f"{n} points)")
    supported_at = [{d: row[d] for d in dims}
                    for _, row in table[table[column] == "supported"].iterrows()]
    return {"text": text, "robust": len(present) <= 1, "deciding": deciding, "counts": counts,
            "supported_at": supported_at}
