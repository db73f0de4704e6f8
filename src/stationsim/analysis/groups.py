"""Grouping the tables of a results folder: ``--by`` columns, outcomes, several folders.

Shared by :mod:`stationsim.present.plots`, :mod:`stationsim.analysis.compare` and
:mod:`stationsim.present.report`.  A *group* is a value of one column of the runs
table: a station's rule (``css_rule``), the scenario, a varied parameter of
a sweep (``stations.CSS.rule``, ``parameters.learn_rate``), or the folder a
run came from when several results folders are compared (``folder``).

The steps and membership tables carry no outcome columns, so a group is
attached to them by joining on the columns that identify a run
(:data:`RUN_KEYS`) when the group column is not already there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stationsim.model.outcomes import ID_COLUMNS as OUTCOME_IDS
from stationsim.model.outcomes import OUTCOMES
from stationsim.running.batch import Results

#: Columns that together identify one run (those present in a table are used).
RUN_KEYS = ("folder", "run_id", "replication", "run_seed")
#: Columns of the runs table that are identifiers, not outcomes.
ID_COLUMNS = frozenset({*OUTCOME_IDS["runs"], "folder", "run_id", "point", "point_id", "sample"})
#: Alias of ``--by``: the rule column of the station whose rule varies.
RULE_ALIAS = "rule"
#: Name of the column that labels runs by results folder when folders are combined.
FOLDER = "folder"
#: At most this many groups in a figure or comparison.
MAX_GROUPS = 24
#: A sweep parameter groups the figures by default only with at most this many values.
DEFAULT_MAX_LEVELS = 6


class GroupingError(ValueError):
    """A ``--by`` column that does not exist or cannot group (a user error)."""


@dataclass
class Data:
    """The tables of one or more results folders, ready for plotting and comparing.

    Attributes
    ----------
    runs, steps, membership : DataFrame
        As in :class:`stationsim.running.batch.Results`; with several folders, the
        concatenation plus a ``folder`` column.
    meta : list of dict
        The manifest of each folder, in order.
    labels : list of str
        A label per folder (the folder name, made unique).
    varied : list of str
        Varied-parameter columns (sweeps), in manifest order.
    """

    runs: pd.DataFrame
    steps: pd.DataFrame
    membership: pd.DataFrame
    meta: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    varied: list[str] = field(default_factory=list)

    @property
    def scenario(self) -> str:
        """Scenario name(s) of the runs, joined with ' / '."""
        if "scenario" in self.runs.columns:
            names = [str(x) for x in pd.unique(self.runs["scenario"].dropna())]
            if names:
                return " / ".join(names)
        names = [str(m.get("scenario", {}).get("name", "")) for m in self.meta]
        return " / ".join(n for n in names if n) or "results"

    @property
    def kind(self) -> str:
        """``sweep`` if any folder is a sweep, else ``run``."""
        return "sweep" if any(m.get("kind") == "sweep" for m in self.meta) else "run"


def from_results(res: Results, label: str | None = None) -> Data:
    """Wrap one :class:`~stationsim.running.batch.Results` (e.g. from ``load_results``)."""
    meta = dict(res.meta)
    return Data(res.runs, res.steps, res.membership, [meta],
                [label or str(meta.get("scenario", {}).get("name", "results"))],
                varied_columns(res.runs, meta))


def folder_labels(paths: Sequence[str | Path]) -> list[str]:
    """A distinct label per folder: its name, or more of its path where names repeat."""
    ps = [Path(p).resolve() for p in paths]
    depth = 1
    while True:
        labels = ["/".join(p.parts[-depth:]) for p in ps]
        if len(set(labels)) == len(labels) or depth > max(len(p.parts) for p in ps):
            break
        depth += 1
    if len(set(labels)) < len(labels):
        labels = [f"{lab} ({i + 1})" for i, lab in enumerate(labels)]
    return labels


def load(paths: Sequence[str | Path]) -> Data:
    """Load one or more results folders with :func:`stationsim.running.results.load_results`.

    With several folders, every table gets a ``folder`` column (the folder's
    label, see :func:`folder_labels`) so runs can be grouped by folder.

    Raises
    ------
    FileNotFoundError
        If a folder does not exist or is not a complete results folder.
    """
    from stationsim.running.results import load_results

    for p in paths:
        if not Path(p).is_dir():
            raise FileNotFoundError(f"{p}: no such results folder")
    loaded = [load_results(p) for p in paths]
    if len(loaded) == 1:
        data = from_results(loaded[0], Path(paths[0]).resolve().name)
        return data
    labels = folder_labels(paths)
    tables: dict[str, list[pd.DataFrame]] = {"runs": [], "steps": [], "membership": []}
    for res, lab in zip(loaded, labels, strict=True):
        for name, frames in tables.items():
            df = getattr(res, name).copy()
            df.insert(0, FOLDER, pd.Categorical([lab] * len(df), categories=labels))
            frames.append(df)
    varied: list[str] = []
    for res in loaded:
        varied += [c for c in varied_columns(res.runs, res.meta) if c not in varied]
    runs, steps, membership = (pd.concat(tables[n], ignore_index=True)
                               for n in ("runs", "steps", "membership"))
    return Data(runs, steps, membership, meta=[dict(r.meta) for r in loaded], labels=labels,
                varied=varied)


def varied_columns(runs: pd.DataFrame, meta: dict[str, Any] | None = None) -> list[str]:
    """Varied-parameter columns of a sweep's runs table ([] for a plain run).

    Read from the manifest (``sweep.dimensions``, ``varied``,
    ``varied_parameters`` or ``parameters``: a list of dotted paths, or of
    dicts with a ``column``, ``path`` or ``name``); failing that, columns
    named by a dotted path (no outcome column has a dot in its name).
    """
    meta = meta or {}
    names: list[str] = []
    sweep = meta.get("sweep")
    candidates = [sweep.get("dimensions")] if isinstance(sweep, dict) else []
    candidates += [meta.get(k) for k in ("varied", "varied_parameters", "parameters")]
    for val in candidates:
        if isinstance(val, dict):
            val = list(val)
        if isinstance(val, list):
            for item in val:
                if isinstance(item, dict):
                    item = item.get("column") or item.get("path") or item.get("name")
                if isinstance(item, str) and item in runs.columns and item not in names:
                    names.append(item)
            if names:
                return names
    return [c for c in runs.columns if "." in str(c)]


def station_prefixes(runs: pd.DataFrame) -> dict[str, str]:
    """Column prefix -> station name, from the ``<prefix>_rule`` columns of a runs table."""
    out = {}
    for c in runs.columns:
        c = str(c)
        if c.endswith("_rule") and "." not in c:
            pre = c[: -len("_rule")]
            out[pre] = pre.upper()
    return out


def outcome_columns(runs: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Numeric outcome columns of a runs table: the columns of :data:`stationsim.OUTCOMES`.

    Identifiers, varied parameters and text outcomes are left out; booleans
    count as numeric (their mean is a share), but flags that are the same in
    every run (e.g. ``iss_open``) are left out.
    """
    skip = set(ID_COLUMNS) | set(exclude) | set(varied_columns(runs))
    prefixes = list(station_prefixes(runs))
    out = []
    for c in runs.columns:
        if c in skip or OUTCOMES.of_column(str(c), prefixes) is None:
            continue
        s = runs[c]
        if pd.api.types.is_bool_dtype(s):
            if s.nunique(dropna=True) > 1:
                out.append(c)
        elif pd.api.types.is_numeric_dtype(s):
            out.append(c)
    return out


def rule_columns(runs: pd.DataFrame) -> list[str]:
    """Columns holding a station's rule: ``<station>_rule`` and varied ``stations.<S>.rule``."""
    cols = [str(c) for c in runs.columns]
    return [c for c in cols
            if c.endswith("_rule") or (c.startswith("stations.") and c.endswith(".rule"))]


def resolve_by(runs: pd.DataFrame, by: str | None) -> str | None:
    """The runs-table column that ``--by`` names (``None`` stays ``None``: one group).

    ``rule`` stands for the rule column of the station whose rule varies
    (``css_rule`` when only the CSS rule differs between runs); when no rule
    varies it is the first station's rule column (one group).

    Raises
    ------
    GroupingError
        If the column is unknown, or ``rule`` is ambiguous; the message names
        the column and the allowed ones.
    """
    if by is None:
        return None
    if by in runs.columns:
        col = by
    elif by == RULE_ALIAS:
        cands = [c for c in rule_columns(runs) if "." not in c] or rule_columns(runs)
        if not cands:
            raise GroupingError(f"--by rule: the runs table has no rule column; "
                                f"allowed: {allowed_text(runs)}")
        varying = [c for c in cands if runs[c].nunique(dropna=False) > 1]
        if len(varying) > 1:
            raise GroupingError(f"--by rule is ambiguous: the rules of several stations vary "
                                f"({', '.join(varying)}); name one of them")
        col = varying[0] if varying else cands[0]
    else:
        from stationsim.model.names import did_you_mean

        hint = did_you_mean(by, [RULE_ALIAS, *map(str, runs.columns)])
        raise GroupingError(f"unknown --by column {by!r}{hint}; allowed: {allowed_text(runs)}")
    n = runs[col].nunique(dropna=False)
    if n > MAX_GROUPS:
        raise GroupingError(f"--by {col}: {n} distinct values, at most {MAX_GROUPS} groups; "
                            f"choose a column with fewer values")
    return col


def allowed_text(runs: pd.DataFrame) -> str:
    """The values ``--by`` accepts, for error messages: ``rule`` and every column
    of the runs table with at most :data:`MAX_GROUPS` distinct values."""
    cols = [str(c) for c in runs.columns
            if not str(c).endswith("_member_list") and runs[c].nunique(dropna=False) <= MAX_GROUPS]
    import textwrap

    listed = "\n".join(textwrap.wrap(", ".join(cols), 88, initial_indent="  ",
                                      subsequent_indent="  "))
    return (f"{RULE_ALIAS} (the station rule that varies), or a column of the runs table "
            f"with at most {MAX_GROUPS} values:\n{listed}")


def default_by(data: Data) -> str | None:
    """Grouping when none is given: the folder (several folders), the first varied
    parameter of a sweep with at most :data:`DEFAULT_MAX_LEVELS` values, else a
    varying rule column, else one group (``None``)."""
    if FOLDER in data.runs.columns:
        return FOLDER
    for col in data.varied:
        if data.runs[col].nunique(dropna=False) <= DEFAULT_MAX_LEVELS:
            return col
    varying = [c for c in rule_columns(data.runs) if data.runs[c].nunique(dropna=False) > 1]
    return varying[0] if len(varying) == 1 else None


def levels(values: pd.Series) -> list[Any]:
    """Distinct values of a group column in display order: a categorical's own order
    (folders in the order given), else sorted (numbers numerically); missing last."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna())
        cats: list[Any] = [c for c in values.cat.categories if c in present]
        return cats + ([np.nan] if values.isna().any() else [])
    vals = list(pd.unique(values.dropna()))
    try:
        vals = sorted(vals)
    except TypeError:
        vals = sorted(vals, key=str)
    if values.isna().any():
        vals.append(np.nan)
    return vals


def level_label(value: Any) -> str:
    """How a group value is written on axes and in tables."""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "NA"
        return f"{value:.4g}"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    return str(value)


def attach(table: pd.DataFrame, runs: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """``table`` with the group column ``by`` taken from ``runs`` (joined on :data:`RUN_KEYS`).

    Returns ``table`` itself when ``by`` is None or already one of its columns.
    """
    if by is None or by in table.columns:
        return table
    keys = [k for k in RUN_KEYS if k in table.columns and k in runs.columns]
    if not keys:
        raise GroupingError(f"cannot attach {by!r}: no run key ({', '.join(RUN_KEYS)}) "
                            f"shared by the tables")
    look = runs[[*keys, by]].drop_duplicates(keys)
    return table.merge(look, on=keys, how="left", validate="many_to_one")


def split(df: pd.DataFrame, by: str | None) -> list[tuple[Any, pd.DataFrame]]:
    """``[(level, rows)]`` in :func:`levels` order; one ``(None, df)`` when ``by`` is None."""
    if by is None:
        return [(None, df)]
    out = []
    for lev in levels(df[by]):
        mask = df[by].isna() if (isinstance(lev, float) and np.isnan(lev)) else df[by] == lev
        out.append((lev, df[mask]))
    return out
