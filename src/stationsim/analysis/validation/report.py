"""The outputs of ``stationsim validate``: the table as printed (:func:`table_text`) and
the files of a case (:func:`write_case`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis.validation.facts import read_facts
from stationsim.analysis.validation.figures import case_figure
from stationsim.analysis.validation.scoring import CaseResult, Validation
from stationsim.running.results import atomic_write


def write_case(res: CaseResult, out: Path) -> None:
    """``<case>/states.csv`` (facts and every scorer's probability), ``<case>/facts.csv``
    (the facts file as scored) and ``<case>/validation.png``."""
    folder = out / res.case.name
    _write_csv(res.states, folder / "states.csv")
    _write_csv(read_facts(res.case), folder / "facts.csv")
    fig = case_figure(res)
    atomic_write(folder / "validation.png", lambda tmp: fig.savefig(tmp, format="png", dpi=110))


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False, float_format="%.6g"))


def _write_text(text: str, path: Path) -> None:
    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, write)


def table_text(v: Validation) -> str:
    """The table as printed: one line per case, split and scorer (AUC with its interval,
    Brier, log loss, expected vs observed positives)."""
    t = v.table
    lines = [f"validation: {len(v.results)} case(s), {v.replications} replications each, "
             f"seed {v.seed}; 95 % intervals (AUC: DeLong; Brier, log loss: stratified "
             "bootstrap; model-best_baseline: paired bootstrap)", ""]
    head = (f"{'case':<13}{'split':<9}{'scorer':<29}{'auc [95% CI]':<24}"
            f"{'brier [95% CI]':<24}{'log_loss [95% CI]':<24}{'E[pos]':>7}{'pos/neg':>9}")
    lines.append(head)
    lines.append("-" * len(head))

    def cell(r: pd.DataFrame, m: str) -> str:
        x = r[r["metric"] == m]
        if x.empty:
            return ""
        row = x.iloc[0]
        return f"{_f(row['value'])} [{_f(row['ci_low'])}, {_f(row['ci_high'])}]"

    for (case, split, scorer), r in t.groupby(["case", "split", "scorer"], sort=False):
        ep = r[r["metric"] == "expected_positives"]
        first = r.iloc[0]
        lines.append(f"{case:<13}{split:<9}{scorer:<29}{cell(r, 'auc'):<24}"
                     f"{cell(r, 'brier'):<24}{cell(r, 'log_loss'):<24}"
                     f"{(_f(ep['value'].iloc[0], 1) if len(ep) else ''):>7}"
                     f"{f'{first.n_pos}/{first.n_neg}':>9}")
    lines.append("")
    for res in v.results:
        lines.append(f"{res.case.name}: best baseline (fit AUC) {res.best}; "
                     f"{res.seconds:.1f} s")
    lines.append(f"total {v.seconds:.1f} s")
    return "\n".join(lines) + "\n"


def _f(x: Any, nd: int = 3) -> str:
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "–" if np.isnan(xf) else f"{xf:.{nd}f}"
