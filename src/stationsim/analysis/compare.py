"""Comparing outcome distributions between groups of runs.

For each outcome and each group (a value of a ``--by`` column, see
:mod:`stationsim.analysis.groups`): the number of runs, mean and median; against a
reference group (the first group by default), the difference in means
``group - reference`` with a percentile bootstrap confidence interval, and
Cliff's delta as the effect size.

- **Bootstrap.** Each group is resampled with replacement on its own, the
  difference of the resampled means taken ``n_boot`` times, and the interval
  read from its quantiles (:func:`scipy.stats.bootstrap`, percentile method,
  through :mod:`stationsim.analysis.stats`).  The generator of outcome *o*, group *g* is
  ``numpy.random.default_rng(SeedSequence(seed, spawn_key=(crc32(o), crc32(g))))``,
  so an interval depends only on the seed, the data and the names, not on
  which other outcomes are compared.  The seed is an argument (default
  :data:`DEFAULT_SEED`) and is written with every result.
- **Cliff's delta** ``P(X_g > X_ref) - P(X_g < X_ref)`` in [-1, 1]: how often a run
  of the group exceeds a run of the reference, minus the reverse.  It needs
  no normality and suits the counts and bounded shares most outcomes are.
  Magnitude labels follow Romano et al. (2006): |delta| < 0.147 negligible,
  < 0.33 small, < 0.474 medium, else large.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis import groups as G
from stationsim.analysis import stats as ST
from stationsim.running.batch import named_rng

#: Default seed of the bootstrap generator.
DEFAULT_SEED = 20240601
#: Default number of bootstrap resamples.
N_BOOT = 2000
#: The effect size reported.
EFFECT_SIZE = "Cliff's delta"
#: Romano et al. (2006) thresholds of |Cliff's delta|.
MAGNITUDES = ((0.147, "negligible"), (0.33, "small"), (0.474, "medium"), (np.inf, "large"))


def cliffs_delta(ref: Sequence[float] | np.ndarray, other: Sequence[float] | np.ndarray) -> float:
    """Cliff's delta of ``other`` against ``ref``: ``P(other > ref) - P(other < ref)``.

    Computed by sorting (``O(n log n)``), exact with ties.  NaN if a sample is empty.
    """
    a = np.sort(np.asarray(ref, dtype=float))
    b = np.asarray(other, dtype=float)
    if not a.size or not b.size:
        return float("nan")
    below = np.searchsorted(a, b, side="left")            # ref values < each b
    above = a.size - np.searchsorted(a, b, side="right")  # ref values > each b
    return float((below.sum() - above.sum()) / (a.size * b.size))


def magnitude(delta: float) -> str:
    """Romano et al. (2006) label of ``|delta|``: negligible, small, medium or large."""
    if not np.isfinite(delta):
        return ""
    for bound, label in MAGNITUDES:
        if abs(delta) < bound:
            return label
    return "large"  # pragma: no cover


def bootstrap_diff_ci(ref: Sequence[float] | np.ndarray, other: Sequence[float] | np.ndarray,
                      rng: np.random.Generator, n_boot: int = N_BOOT,
                      level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``mean(other) - mean(ref)`` (groups resampled apart;
    :func:`scipy.stats.bootstrap` through :func:`stationsim.analysis.stats.bootstrap_diff_ci`)."""
    ci = ST.bootstrap_diff_ci(ref, other, rng, n_boot, level)
    return ci.low, ci.high


def _rng(seed: int, outcome: str, group: str) -> np.random.Generator:
    return named_rng(seed, outcome, group)


def _values(s: pd.Series) -> np.ndarray:
    v = pd.to_numeric(s.astype("Float64") if pd.api.types.is_bool_dtype(s) else s, errors="coerce")
    arr = v.to_numpy(dtype=float, na_value=np.nan)
    return arr[np.isfinite(arr)]


def summarise(runs: pd.DataFrame, by: str | None = None,
              outcomes: Sequence[str] | None = None) -> pd.DataFrame:
    """Per outcome and group: ``n``, ``mean``, ``median``, ``sd``, ``p05``, ``p95``.

    ``by`` may be ``None`` (one group, labelled ``all``).
    """
    col = G.resolve_by(runs, by)
    cols = _outcomes(runs, col, outcomes)
    rows = []
    for oc in cols:
        for lev, part in G.split(runs, col):
            v = _values(part[oc])
            rows.append({
                "outcome": oc, "group": "all" if col is None else G.level_label(lev),
                "n": int(v.size),
                "mean": float(v.mean()) if v.size else np.nan,
                "median": float(np.median(v)) if v.size else np.nan,
                "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
                "p05": float(np.quantile(v, 0.05)) if v.size else np.nan,
                "p95": float(np.quantile(v, 0.95)) if v.size else np.nan,
            })
    return pd.DataFrame(rows)


def _outcomes(runs: pd.DataFrame, col: str | None, outcomes: Sequence[str] | None) -> list[str]:
    if outcomes is None:
        return [c for c in G.outcome_columns(runs, exclude=[col] if col else [])
                if runs[c].notna().any()]
    missing = [c for c in outcomes if c not in runs.columns]
    if missing:
        raise G.GroupingError(f"unknown outcome column(s) {', '.join(missing)}; allowed: "
                              f"{', '.join(G.outcome_columns(runs))}")
    return list(outcomes)


@dataclass
class Comparison:
    """The result of :func:`compare`.

    Attributes
    ----------
    table : DataFrame
        One row per outcome and non-reference group: ``outcome``, ``reference``,
        ``group``, ``n_ref``, ``n``, ``mean_ref``, ``mean``, ``median_ref``,
        ``median``, ``diff_mean`` (group - reference), ``ci_low``, ``ci_high``,
        ``cliffs_delta``, ``magnitude``.
    by : str
        The group column.
    reference : str
        Label of the reference group.
    seed, n_boot, level
        Bootstrap seed, resamples and confidence level.
    """

    table: pd.DataFrame
    by: str
    reference: str
    seed: int
    n_boot: int
    level: float
    effect_size: str = EFFECT_SIZE

    def header(self) -> list[str]:
        """Lines that say how to read the table."""
        return [
            f"Comparison by {self.by}; reference group: {self.reference}.",
            f"diff = mean(group) - mean(reference), {self.level:.0%} percentile bootstrap CI "
            f"({self.n_boot} resamples per group, seed {self.seed}).",
            f"Effect size: {self.effect_size} = P(group > reference) - P(group < reference), "
            f"in [-1, 1]; magnitude after Romano et al. (2006): |d| < 0.147 negligible, "
            f"< 0.33 small, < 0.474 medium, else large.",
        ]

    def display(self) -> pd.DataFrame:
        """The table as strings, for printing: one row per outcome and group."""
        t = self.table
        pct = f"{self.level:.0%} CI"
        return pd.DataFrame({
            "outcome": t["outcome"],
            "group": t["group"].astype(str),
            "n ref/group": [f"{a}/{b}" for a, b in zip(t["n_ref"], t["n"], strict=True)],
            "mean ref": t["mean_ref"].map(fmt_number),
            "mean": t["mean"].map(fmt_number),
            "median ref": t["median_ref"].map(fmt_number),
            "median": t["median"].map(fmt_number),
            "diff": t["diff_mean"].map(fmt_number),
            pct: [f"[{fmt_number(lo)}, {fmt_number(hi)}]" for lo, hi in
                  zip(t["ci_low"], t["ci_high"], strict=True)],
            "Cliff's d": [f"{fmt_number(d, 3)} {m}".strip() for d, m in
                          zip(t["cliffs_delta"], t["magnitude"], strict=True)],
        })

    def to_text(self) -> str:
        """Plain-text table with the header lines."""
        return "\n".join([*self.header(), "", self.display().to_string(index=False)])

    def to_markdown(self) -> str:
        """A Markdown document: header lines and a pipe table."""
        return "\n".join([*(f"{h}  " for h in self.header()), "",
                          markdown_table(self.display())]) + "\n"

    def to_csv_frame(self) -> pd.DataFrame:
        """The full-precision table plus the settings (``by``, ``boot_seed`` ...)."""
        t = self.table.copy()
        t.insert(0, "by", self.by)
        t["effect_size"] = self.effect_size
        t["ci_level"] = self.level
        t["n_boot"] = self.n_boot
        t["boot_seed"] = self.seed
        return t

    def save(self, out_dir: str | Path, stem: str = "comparison") -> list[Path]:
        """Write ``<stem>.csv`` and ``<stem>.md`` into ``out_dir`` (atomically); return them."""
        from stationsim.running.results import atomic_write

        out = Path(out_dir)
        csv, md = out / f"{stem}.csv", out / f"{stem}.md"
        frame = self.to_csv_frame()
        atomic_write(csv, lambda tmp: frame.to_csv(tmp, index=False))
        text = self.to_markdown()

        def _md(tmp: Path) -> None:
            tmp.write_text(text, encoding="utf-8")
        atomic_write(md, _md)
        return [csv, md]


def compare(runs: pd.DataFrame, by: str, outcomes: Sequence[str] | None = None, *,
            reference: Any = None, seed: int = DEFAULT_SEED, n_boot: int = N_BOOT,
            level: float = 0.95) -> Comparison:
    """Compare the outcomes of the groups of ``runs`` defined by column ``by``.

    Parameters
    ----------
    runs : DataFrame
        A runs table (one row per run).
    by : str
        Group column, or ``rule`` (see :func:`stationsim.analysis.groups.resolve_by`).
    outcomes : list of str, optional
        Default: every numeric outcome column (:func:`stationsim.analysis.groups.outcome_columns`).
    reference : optional
        The group the others are compared with (a value or its label);
        default the first group in :func:`stationsim.analysis.groups.levels` order.
    seed : int
        Bootstrap seed (reported in the result).
    n_boot : int
        Bootstrap resamples.
    level : float
        Confidence level of the interval.

    Raises
    ------
    stationsim.analysis.groups.GroupingError
        Unknown column, fewer than two groups, or an unknown reference.
    """
    if n_boot < 1:
        raise G.GroupingError(f"n_boot must be at least 1, not {n_boot}")
    if not 0 < level < 1:
        raise G.GroupingError(f"level must be in (0, 1), not {level}")
    col = G.resolve_by(runs, by)
    assert col is not None
    parts = G.split(runs, col)
    if len(parts) < 2:
        only = ", ".join(G.level_label(lev) for lev, _ in parts) or "none"
        raise G.GroupingError(f"--by {col}: only one group ({only}) in these runs; comparing "
                              f"needs two (another --by column, or a second results folder)")
    labels = [G.level_label(lev) for lev, _ in parts]
    ref_i = 0
    if reference is not None:
        ref_label = G.level_label(reference)
        if ref_label not in labels:
            raise G.GroupingError(f"reference {ref_label!r} is not a group of {col}; "
                                  f"groups: {', '.join(labels)}")
        ref_i = labels.index(ref_label)
    cols = _outcomes(runs, col, outcomes)
    rows = []
    ref_part = parts[ref_i][1]
    for oc in cols:
        a = _values(ref_part[oc])
        for i, (_, part) in enumerate(parts):
            if i == ref_i:
                continue
            b = _values(part[oc])
            lo, hi = bootstrap_diff_ci(a, b, _rng(seed, oc, labels[i]), n_boot, level)
            d = cliffs_delta(a, b)
            rows.append({
                "outcome": oc, "reference": labels[ref_i], "group": labels[i],
                "n_ref": int(a.size), "n": int(b.size),
                "mean_ref": _mean(a), "mean": _mean(b),
                "median_ref": _median(a), "median": _median(b),
                "diff_mean": _mean(b) - _mean(a), "ci_low": lo, "ci_high": hi,
                "cliffs_delta": d, "magnitude": magnitude(d),
            })
    return Comparison(pd.DataFrame(rows), col, labels[ref_i], int(seed), int(n_boot), level)


def _mean(v: np.ndarray) -> float:
    return float(v.mean()) if v.size else float("nan")


def _median(v: np.ndarray) -> float:
    return float(np.median(v)) if v.size else float("nan")


def fmt_number(x: Any, digits: int = 4) -> str:
    """A number for tables: ``digits`` significant digits; text for missing values."""
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(xf):
        return "NA"
    if xf == 0:
        return "0"
    return f"{xf:.{digits}g}"


def markdown_table(df: pd.DataFrame, nd: int | None = None) -> str:
    """A GitHub-flavoured Markdown pipe table of ``df`` (values as strings, ``|`` escaped;
    with ``nd``, floats to ``nd`` decimals and NaN as a dash)."""
    def cell(v: Any) -> str:
        if nd is not None and isinstance(v, float):
            return "–" if np.isnan(v) else f"{v:.{nd}f}"
        return str(v).replace("|", "\\|").replace("\n", " ")
    head = "| " + " | ".join(cell(c) for c in df.columns) + " |"
    sep = "|" + "|".join("---" for _ in df.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |"
            for row in df.itertuples(index=False, name=None)]
    return "\n".join([head, sep, *body])
