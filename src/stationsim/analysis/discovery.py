"""Scenario discovery: where in parameter space does an outcome occur?  PRIM (EMA Workbench).

``stationsim discover RESULTS_DIR --outcome "css_capable_members >= 5"`` (or
:func:`discover`) marks every run of a sweep folder where the condition holds
and runs the Patient Rule Induction Method of EMA Workbench
(:class:`ema_workbench.analysis.prim.Prim`; Friedman & Fisher 1999, as used
for scenario discovery by Bryant & Lempert 2010) over the sweep's varied
fields: PRIM peels the parameter box step by step towards a region where the
runs of interest are dense, then pastes back what it can.  Each step of this
*peeling trajectory* trades **coverage** (share of all runs of interest that
fall in the box) for **density** (share of the box's runs that are of
interest); ``mass`` is the share of all runs in the box.

The chosen box is, by default, the densest box on the trajectory whose
coverage is at least ``min_coverage`` (0.5; ties: the larger coverage, then
fewer restricted parameters), or the trajectory step given by ``box``.  With
``boxes > 1`` PRIM looks for further boxes among the runs outside the chosen
ones (EMA's default update).  Each box's limits are reported for every
parameter: the range (numbers) or the set of values (categorical fields such
as ``stations.CSS.rule``) and whether PRIM restricted it, with EMA's
quasi-p-value of each restriction (a binomial test of the density gain; small
is significant).

Every run is one case (a stochastic model: replications of a point may
differ, and density is then the share of runs of interest in the box).

The outcome is a condition on the runs table evaluated with
:meth:`pandas.DataFrame.eval`, restricted to column names, numbers, strings,
comparisons (``== != < <= > >= in``), ``and or not`` (``& | ~``) and
arithmetic; dotted columns are quoted with backticks
(`` `stations.CSS.rule` == "quid_pro_quo" ``).

Outputs (:func:`write`, into ``RESULTS/discovery/<slug>/``): ``box_limits.csv``
and ``.md``, ``trajectory.csv`` (every step: coverage, density, mass,
restricted dimensions), ``discovery.json`` and the figure ``tradeoff.png/.svg``
(the coverage-density trade-off with the chosen box marked, and its limits).
``stationsim report`` adds a *Scenario discovery* section when present.

Python::

    from stationsim.analysis import discovery
    d = discovery.discover("results/lhs", "css_capable_members >= 5")
    print(d.summary()); d.limits             # the chosen box's limits
    discovery.write(d, "results/lhs/discovery/capable")
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from stationsim.running.results import atomic_write, write_json

if TYPE_CHECKING:
    from matplotlib.figure import Figure


#: Sub-folder of a results folder that receives the analyses.
ANALYSIS_DIR = "discovery"
#: Default minimum coverage of the chosen box.
MIN_COVERAGE = 0.5
#: At most this many boxes.
MAX_BOXES = 10

_OPS = {">=": "ge", "<=": "le", "==": "eq", "!=": "ne", ">": "gt", "<": "lt", "&": "and",
        "|": "or", "~": "not", "+": "plus", "-": "minus", "*": "times", "/": "over"}
_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Invert,
            ast.USub, ast.UAdd, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.BitAnd,
            ast.BitOr, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
            ast.In, ast.NotIn, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple)
_WHAT = {ast.Call: "a function call", ast.Attribute: "an attribute", ast.Subscript:
         "indexing", ast.Lambda: "a lambda", ast.IfExp: "if/else", ast.Pow: "**",
         ast.Mod: "%", ast.FloorDiv: "//"}


class DiscoveryError(ValueError):
    """Bad input to scenario discovery (the CLI exits 2); nothing has been written."""


# ----------------------------------------------------------------------------- the outcome


def outcome_mask(runs: pd.DataFrame, expr: str) -> pd.Series:
    """The runs where the condition ``expr`` holds (missing values count as false).

    Parameters
    ----------
    runs : DataFrame
        A runs table.
    expr : str
        A condition on its columns, e.g. ``"css_capable_members >= 5"`` or
        ``"css_members > iss_members and `stations.CSS.rule` == 'quid_pro_quo'"``.

    Raises
    ------
    DiscoveryError
        The expression is not valid, uses anything but columns, constants,
        comparisons, boolean operators and arithmetic, names an unknown
        column (the message lists the allowed ones), or is not a condition.
    """
    text = expr.strip()
    if not text:
        raise DiscoveryError("--outcome: empty; give a condition on the runs table, e.g. "
                             "'css_capable_members >= 5'")
    quoted: dict[str, str] = {}

    def _quote(m: re.Match[str]) -> str:
        name = f"__column_{len(quoted)}__"
        quoted[name] = m.group(1)
        return name

    plain = re.sub(r"`([^`]*)`", _quote, text)
    try:
        tree = ast.parse(plain, mode="eval")
    except SyntaxError as exc:
        raise DiscoveryError(f"--outcome {expr!r}: not a valid expression ({exc.msg}); quote "
                             "column names with dots in backticks, e.g. "
                             "`stations.CSS.rule` == 'quid_pro_quo'") from None
    cols = [str(c) for c in runs.columns]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted in cols:
                raise DiscoveryError(f"--outcome {expr!r}: quote the column {dotted!r} in "
                                     f"backticks: `{dotted}`")
        if not isinstance(node, _ALLOWED):
            what = _WHAT.get(type(node), type(node).__name__)
            raise DiscoveryError(f"--outcome {expr!r}: {what} is not allowed; use column "
                                 "names, numbers, strings, comparisons (== != < <= > >= in), "
                                 "and/or/not (& | ~) and + - * /")
        if isinstance(node, ast.Name):
            name = quoted.get(node.id, node.id)
            if name not in cols:
                raise DiscoveryError(f"--outcome {expr!r}: unknown column {name!r}; allowed: "
                                     + allowed_text(runs))
    try:
        res = runs.eval(text, engine="python")
    except Exception as exc:  # a type mismatch between a column and a constant, ...
        raise DiscoveryError(f"--outcome {expr!r}: cannot be evaluated on the runs table: "
                             f"{type(exc).__name__}: {exc}") from None
    if not isinstance(res, pd.Series) or not (pd.api.types.is_bool_dtype(res)
                                              or (res.dtype == object and res.map(
                                                  lambda v: isinstance(v, bool | np.bool_)
                                                  or v is None).all())):
        raise DiscoveryError(f"--outcome {expr!r}: not a condition (true or false per run); "
                             "compare a column with a value, e.g. 'css_members >= 5'")
    return res.fillna(False).astype(bool).rename("outcome")


def _dotted(node: ast.AST) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def allowed_text(runs: pd.DataFrame) -> str:
    """The columns an outcome may use (dotted ones shown in backticks)."""
    return ", ".join(f"`{c}`" if "." in str(c) else str(c) for c in runs.columns)


def slug(expr: str) -> str:
    """A folder name for an outcome: ``'css_members >= 5'`` -> ``css_members_ge_5``."""
    text = expr
    for op in sorted(_OPS, key=len, reverse=True):
        text = text.replace(op, f" {_OPS[op]} ")
    out = re.sub(r"[^A-Za-z0-9.]+", "_", text).replace(".", "_").strip("_")
    return out[:80] or "outcome"


# ----------------------------------------------------------------------------- PRIM


@dataclass
class Box:
    """One PRIM box and the trajectory it was chosen from.

    Attributes
    ----------
    number : int
        1 for the first box PRIM found, 2 for the next ...
    chosen : int
        Its step on the peeling trajectory.
    stats : dict
        ``coverage``, ``density``, ``mass``, ``res_dim`` (restricted
        parameters), ``n`` (runs in the box), ``k`` (runs of interest in it).
    limits : DataFrame
        One row per parameter: ``parameter``, ``kind`` (``numeric`` or
        ``categorical``), ``restricted``, ``low``, ``high`` (numbers) or
        ``values`` (categories, ``;``-joined), the full range ``full_low``,
        ``full_high`` or ``full_values``, and the quasi-p-values ``qp_low``,
        ``qp_high`` of the restriction.
    trajectory : DataFrame
        Every step: ``id``, ``coverage``, ``density``, ``mass``, ``res_dim``,
        ``n``, ``k``.
    """

    number: int
    chosen: int
    stats: dict[str, float]
    limits: pd.DataFrame
    trajectory: pd.DataFrame


@dataclass
class Discovery:
    """The outcome, the data it was found in, and the boxes."""

    outcome: str
    parameters: list[str]
    n_runs: int
    n_cases: int
    boxes: list[Box]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def limits(self) -> pd.DataFrame:
        """Limits of every box (a ``box`` column first)."""
        return pd.concat([b.limits.assign(box=b.number) for b in self.boxes],
                         ignore_index=True)[["box", *self.boxes[0].limits.columns]]

    @property
    def trajectory(self) -> pd.DataFrame:
        """Peeling trajectories of every box (a ``box`` column first, ``chosen`` flag)."""
        return pd.concat([b.trajectory.assign(box=b.number, chosen=b.trajectory["id"] == b.chosen)
                          for b in self.boxes], ignore_index=True)[
            ["box", *self.boxes[0].trajectory.columns, "chosen"]]

    def header(self) -> list[str]:
        """What was searched, in what, and how the box was chosen."""
        s = self.settings
        how = (f"trajectory step {s['box']}" if s.get("box") is not None else
               f"the densest box with coverage >= {s.get('min_coverage'):g}")
        return [
            f"Scenario discovery for {self.outcome!r} in {s.get('source', 'the runs')}: "
            f"{self.n_cases} of {self.n_runs} runs ({self.n_cases / max(self.n_runs, 1):.1%}) "
            "are of interest.",
            f"PRIM (EMA Workbench {s.get('ema_workbench', '')}) over {len(self.parameters)} "
            f"varied parameter(s): {', '.join(self.parameters)}; every run is a case; peel "
            f"alpha {s.get('peel_alpha')}, paste alpha {s.get('paste_alpha')}, minimum mass "
            f"{s.get('mass_min')}.",
            f"Chosen box: {how}.",
        ]

    def box_text(self, box: Box) -> list[str]:
        """The stats and restricted limits of one box, as lines."""
        st = box.stats
        lines = [f"box {box.number} (trajectory step {box.chosen}): coverage "
                 f"{st['coverage']:.3f}, density {st['density']:.3f}, mass {st['mass']:.3f} "
                 f"({int(st['n'])} runs, {int(st['k'])} of interest), "
                 f"{int(st['res_dim'])} restricted parameter(s)"]
        for r in box.limits.to_dict("records"):
            if not r["restricted"]:
                continue
            if r["kind"] == "numeric":
                what = (f"{r['low']:.4g} <= {r['parameter']} <= {r['high']:.4g}   (full "
                        f"{r['full_low']:.4g} .. {r['full_high']:.4g})")
            else:
                what = f"{r['parameter']} in {{{r['values']}}}   (full {{{r['full_values']}}})"
            lines.append(f"    {what}; qp {_qp(r['qp_low'], r['qp_high'])}")
        if not any(box.limits["restricted"]):
            lines.append("    no restriction: the outcome is as likely everywhere")
        return lines

    def summary(self) -> str:
        """Human text: header, then every box."""
        lines = self.header()
        for b in self.boxes:
            lines += self.box_text(b)
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A Markdown document: header, box statistics and the limits table."""
        from stationsim.analysis.compare import markdown_table

        lim = self.limits.copy()
        for c in lim.columns:
            if pd.api.types.is_float_dtype(lim[c]):
                lim[c] = lim[c].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
        stats = pd.DataFrame([{"box": b.number, "step": b.chosen,
                               **{k: (f"{v:.4g}" if isinstance(v, float) else v)
                                  for k, v in b.stats.items()}} for b in self.boxes])
        return "\n".join([*(f"{h}  " for h in self.header()), "", markdown_table(stats), "",
                          markdown_table(lim)]) + "\n"


def _qp(lo: float, hi: float) -> str:
    vals = [f"{v:.2g}" for v in (lo, hi) if pd.notna(v)]
    return " / ".join(vals) if vals else "n/a"


def _import_prim() -> Any:
    with warnings.catch_warnings():  # "ipyparallel not installed": not used here
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


def discover(results: str | Path | pd.DataFrame, outcome: str,
             parameters: Sequence[str] | None = None, *, min_coverage: float = MIN_COVERAGE,
             box: int | None = None, boxes: int = 1, peel_alpha: float = 0.05,
             paste_alpha: float = 0.05, mass_min: float = 0.05) -> Discovery:
    """Find the boxes of parameter space where ``outcome`` holds, with PRIM.

    Parameters
    ----------
    results : str, Path or DataFrame
        A complete sweep results folder, or a runs table.
    outcome : str
        A condition on the runs table (see :func:`outcome_mask`).
    parameters : list of str, optional
        Columns PRIM may restrict (default: the sweep's varied fields).
    min_coverage : float
        The chosen box is the densest with at least this coverage.
    box : int, optional
        Choose this step of the (first box's) peeling trajectory instead.
    boxes : int
        Look for up to this many boxes (each among the runs outside the
        earlier ones, ``min_coverage`` then counting the runs of interest
        not yet in a box; stops early when PRIM finds no restricted box).
    peel_alpha, paste_alpha, mass_min
        PRIM's settings (EMA Workbench defaults).

    Returns
    -------
    Discovery

    Raises
    ------
    FileNotFoundError
        The folder is missing, empty or unfinished.
    DiscoveryError
        A bad outcome, no varied parameters, an unknown parameter, an outcome
        that never or always holds, or bad settings.
    """
    from stationsim.analysis.groups import varied_columns

    if isinstance(results, pd.DataFrame):
        runs, source = results, "the runs table"
        meta: dict[str, Any] = {}
    else:
        from stationsim.analysis.sensitivity import read_runs

        runs, meta = read_runs(results)
        source = str(results)
    if not 0.0 <= min_coverage <= 1.0:
        raise DiscoveryError(f"--min-coverage {min_coverage}: must be in [0, 1]")
    if not 1 <= boxes <= MAX_BOXES:
        raise DiscoveryError(f"--boxes {boxes}: must be 1 to {MAX_BOXES}")
    for name, v in (("peel-alpha", peel_alpha), ("paste-alpha", paste_alpha),
                    ("mass-min", mass_min)):
        if not 0.0 < v < 1.0:
            raise DiscoveryError(f"--{name} {v}: must be between 0 and 1")
    params = list(parameters) if parameters is not None else varied_columns(runs, meta)
    if not params:
        raise DiscoveryError(f"{source}: no varied parameters; scenario discovery needs the "
                             "results of a sweep (stationsim sweep or sensitivity)")
    for p in params:
        if p not in runs.columns:
            raise DiscoveryError(f"--parameter {p!r}: not a column of the runs table; allowed: "
                                 + ", ".join(varied_columns(runs, meta) or map(str, runs.columns)))
    mask = outcome_mask(runs, outcome)
    n_cases, n_runs = int(mask.sum()), len(mask)
    if n_runs == 0:
        raise DiscoveryError(f"{source}: the runs table is empty")
    if n_cases == 0:
        raise DiscoveryError(f"--outcome {outcome!r}: holds in none of the {n_runs} runs; "
                             "nothing to discover (try a weaker condition)")
    if n_cases == n_runs:
        raise DiscoveryError(f"--outcome {outcome!r}: holds in all {n_runs} runs; nothing to "
                             "discover (try a stronger condition)")
    prim = _import_prim()
    x = _prim_frame(runs[params])
    with warnings.catch_warnings():  # EMA's own pandas deprecations
        warnings.simplefilter("ignore")
        alg = prim.Prim(x, mask.to_numpy(dtype=bool), peel_alpha=peel_alpha,
                        paste_alpha=paste_alpha, mass_min=mass_min)
    found: list[Box] = []
    for number in range(1, boxes + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pbox = alg.find_box()
        if pbox is None:
            break
        traj = _trajectory(pbox.peeling_trajectory)
        if number == 1 and box is not None:
            if not 0 <= box < len(traj):
                raise DiscoveryError(f"--box {box}: the trajectory has steps 0 to "
                                     f"{len(traj) - 1}")
            step = box
        else:  # later boxes: coverage of the runs of interest not yet in a box
            step = choose(traj.assign(coverage=traj["k"] / max(int(traj["k"].iloc[0]), 1)),
                          min_coverage)
        pbox.select(step)
        b = Box(number=number, chosen=step, stats=_stats(traj.iloc[step]),
                limits=_limits(pbox, step, x), trajectory=traj)
        if number > 1 and b.stats["res_dim"] == 0:
            break
        found.append(b)
        if b.stats["res_dim"] == 0 or b.stats["coverage"] >= 1.0:
            break
    import ema_workbench

    settings = {"source": source, "outcome": outcome, "min_coverage": min_coverage,
                "box": box, "boxes": boxes, "peel_alpha": peel_alpha,
                "paste_alpha": paste_alpha, "mass_min": mass_min,
                "ema_workbench": getattr(ema_workbench, "__version__", ""),
                "scenario": meta.get("scenario", {}).get("name", "")}
    return Discovery(outcome=outcome, parameters=params, n_runs=n_runs, n_cases=n_cases,
                     boxes=found, settings=settings)


def choose(trajectory: pd.DataFrame, min_coverage: float = MIN_COVERAGE) -> int:
    """The step of ``trajectory`` with the highest density among those with coverage >=
    ``min_coverage`` (ties: larger coverage, then fewer restricted parameters); step 0
    (the whole space) when none qualifies."""
    ok = trajectory[trajectory["coverage"] >= min_coverage - 1e-12]
    if ok.empty:
        return 0
    best = ok.sort_values(["density", "coverage", "res_dim"], ascending=[False, False, True],
                          kind="stable")
    return int(best["id"].iloc[0])


def _prim_frame(x: pd.DataFrame) -> pd.DataFrame:
    """Varied columns as PRIM wants them: numbers as floats, categories for the rest.

    Integer fields go in as floats: EMA Workbench 3.0 fails pasting an integer
    column (it writes a midpoint such as 6.5 into an int64 limit); as floats
    their limits are still values the data take.
    """
    out = pd.DataFrame(index=x.index)
    for c in x.columns:
        s = x[c]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            out[c] = s.astype(str).astype("category")
        else:
            out[c] = s.astype(np.float64)
    return out.reset_index(drop=True)


def _trajectory(pt: pd.DataFrame) -> pd.DataFrame:
    cols = ["id", "coverage", "density", "mass", "res_dim", "n", "k"]
    t = pt[cols].copy()
    for c in ("id", "res_dim", "n", "k"):
        t[c] = t[c].astype(int)
    for c in ("coverage", "density", "mass"):
        t[c] = t[c].astype(float)
    return t.reset_index(drop=True)


def _stats(row: pd.Series) -> dict[str, float]:
    return {k: float(row[k]) for k in ("coverage", "density", "mass", "res_dim", "n", "k")}


def _limits(pbox: Any, step: int, x: pd.DataFrame) -> pd.DataFrame:
    """Limits of every parameter in box ``step`` (EMA keeps min/max rows, sets for categories)."""
    lims, full, qps = pbox.box_lims[step], pbox.box_lims[0], pbox.p_values[step]
    rows = []
    for c in x.columns:
        qp = [np.nan if (v is None or v == -1) else float(v) for v in qps.get(c, [np.nan] * 2)]
        if isinstance(x[c].dtype, pd.CategoricalDtype):
            chosen, every = set(lims[c].iloc[0]), set(full[c].iloc[0])
            rows.append({"parameter": c, "kind": "categorical", "restricted": chosen != every,
                         "low": np.nan, "high": np.nan,
                         "values": ";".join(sorted(map(str, chosen))),
                         "full_low": np.nan, "full_high": np.nan,
                         "full_values": ";".join(sorted(map(str, every))),
                         "qp_low": qp[0], "qp_high": qp[1] if len(qp) > 1 else np.nan})
        else:
            lo, hi = float(lims[c].iloc[0]), float(lims[c].iloc[1])
            flo, fhi = float(full[c].iloc[0]), float(full[c].iloc[1])
            rows.append({"parameter": c, "kind": "numeric", "restricted": (lo, hi) != (flo, fhi),
                         "low": lo, "high": hi, "values": "", "full_low": flo, "full_high": fhi,
                         "full_values": "",
                         "qp_low": qp[0], "qp_high": qp[1] if len(qp) > 1 else np.nan})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- files


def default_folder(results: str | Path, outcome: str) -> Path:
    """``RESULTS/discovery/<slug of the outcome>``."""
    return Path(results) / ANALYSIS_DIR / slug(outcome)


def write(d: Discovery, folder: str | Path) -> list[Path]:
    """Write the limits (CSV, Markdown), the trajectory (CSV), the settings (JSON) and the
    trade-off figure into ``folder``; return the paths."""
    from stationsim.present import plots

    out = Path(folder)
    lim, traj, md = out / "box_limits.csv", out / "trajectory.csv", out / "box_limits.md"
    atomic_write(lim, lambda tmp: d.limits.to_csv(tmp, index=False))
    atomic_write(traj, lambda tmp: d.trajectory.to_csv(tmp, index=False))
    text = d.to_markdown()

    def _md(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
    atomic_write(md, _md)
    meta = out / "discovery.json"
    write_json({"outcome": d.outcome, "parameters": d.parameters, "n_runs": d.n_runs,
                "n_cases": d.n_cases, "settings": d.settings, "header": d.header(),
                "boxes": [{"number": b.number, "chosen": b.chosen, "stats": b.stats}
                          for b in d.boxes]}, meta)
    fig = tradeoff_figure(d)
    paths = [lim, md, traj, meta, *plots.save(fig, out, "tradeoff")]
    fig.clear()
    return paths


def load(folder: str | Path) -> Discovery | None:
    """A discovery written by :func:`write` (None when ``folder`` holds none)."""
    out = Path(folder)
    files = [out / n for n in ("discovery.json", "box_limits.csv", "trajectory.csv")]
    if not all(f.is_file() for f in files):
        return None
    info = json.loads(files[0].read_text(encoding="utf-8"))
    lim = pd.read_csv(files[1], keep_default_na=False, na_values=[""])
    traj = pd.read_csv(files[2])
    for c in ("values", "full_values"):
        lim[c] = lim[c].fillna("").astype(str)
    bxs = []
    for b in info.get("boxes", []):
        n = b["number"]
        bxs.append(Box(number=n, chosen=int(b["chosen"]), stats=dict(b["stats"]),
                       limits=lim[lim["box"] == n].drop(columns="box").reset_index(drop=True),
                       trajectory=traj[traj["box"] == n].drop(columns=["box", "chosen"])
                       .reset_index(drop=True)))
    if not bxs:
        return None
    return Discovery(outcome=info["outcome"], parameters=list(info["parameters"]),
                     n_runs=int(info["n_runs"]), n_cases=int(info["n_cases"]), boxes=bxs,
                     settings=dict(info.get("settings", {})))


# ----------------------------------------------------------------------------- figure


def tradeoff_figure(d: Discovery) -> Figure:
    """Per box: the coverage-density trade-off of the peeling trajectory (colour: restricted
    parameters; the chosen box ringed) and the chosen box's limits within each parameter's
    full range (numbers) or its values (categories)."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    from stationsim.present.plots import OKABE_ITO

    n = len(d.boxes)
    npar = len(d.parameters)
    fig = Figure(figsize=(11.0, max(3.8, 0.42 * npar + 1.6) * n + 0.6), layout="constrained")
    axes = fig.subplots(n, 2, squeeze=False, width_ratios=[1.0, 1.15])
    for (ax, axl), b in zip(axes, d.boxes, strict=True):
        t = b.trajectory
        ax.plot(t["coverage"], t["density"], color="#999999", lw=0.8, zorder=1)
        cmap = mpl.colormaps["cividis"].resampled(npar + 1)
        sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap=cmap, s=22,
                        zorder=2, vmin=-0.5, vmax=npar + 0.5)
        sc.set_gid(f"trajectory:{b.number}")
        ch = t[t["id"] == b.chosen].iloc[0]
        ax.scatter([ch["coverage"]], [ch["density"]], s=140, facecolors="none",
                   edgecolors=OKABE_ITO["vermillion"], linewidths=2, zorder=3,
                   label=f"chosen: step {b.chosen} (coverage {ch['coverage']:.2f}, "
                         f"density {ch['density']:.2f})")
        ax.set_xlabel("coverage (share of runs of interest in the box)", fontsize=8)
        ax.set_ylabel("density (share of the box's runs of interest)", fontsize=8)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=8, loc="best", frameon=True, framealpha=0.85)
        cb = fig.colorbar(sc, ax=ax, shrink=0.8, ticks=range(npar + 1))
        cb.set_label("restricted parameters", fontsize=8)
        ax.set_title(f"box {b.number}: peeling trajectory", fontsize=9)
        _limits_axes(axl, b, OKABE_ITO["vermillion"])
    share = d.n_cases / max(d.n_runs, 1)
    scn = d.settings.get("scenario") or ""
    fig.suptitle(f"Scenario discovery (PRIM): {d.outcome}\n{scn + ': ' if scn else ''}"
                 f"{d.n_cases} of {d.n_runs} runs of interest ({share:.0%})", fontsize=10)
    return fig


def _limits_axes(ax: Any, b: Box, colour: str) -> None:
    lim = b.limits
    ys = np.arange(len(lim))[::-1]
    for y, r in zip(ys, lim.to_dict("records"), strict=True):
        ax.barh(y, 1.0, left=0.0, height=0.6, color="#E6E6E6", zorder=1)
        fill = colour if r["restricted"] else "#BBBBBB"
        if r["kind"] == "numeric":
            lo, hi = float(r["full_low"]), float(r["full_high"])
            span = (hi - lo) or 1.0
            a, z = (float(r["low"]) - lo) / span, (float(r["high"]) - lo) / span
            bar = ax.barh(y, max(z - a, 0.004), left=a, height=0.6, color=fill, zorder=2)
            for patch in bar.patches:
                patch.set_gid(f"limit:{b.number}:{r['parameter']}")
            if r["restricted"]:
                ax.text(a, y + 0.36, f"{r['low']:.3g}", fontsize=7, ha="left", va="bottom")
                ax.text(z, y + 0.36, f"{r['high']:.3g}", fontsize=7, ha="right", va="bottom")
        else:
            label = str(r["values"]).replace(";", ", ")
            ax.text(0.5, y, label if r["restricted"] else f"any ({label})", fontsize=8,
                    ha="center", va="center", zorder=3,
                    color="white" if r["restricted"] else "black",
                    bbox={"facecolor": fill, "lw": 0, "boxstyle": "round,pad=0.25"})
    ax.set_yticks(ys, [f"{p}{'' if r else ' (free)'}" for p, r in
                       zip(lim["parameter"], lim["restricted"], strict=True)], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.7, len(lim) - 0.2)
    ax.set_xticks([0, 0.5, 1], ["low end", "", "high end"], fontsize=8)
    ax.set_title(f"box {b.number} (step {b.chosen}): limits within each parameter's range",
                 fontsize=9)


# ----------------------------------------------------------------------------- report



__all__ = ["Box", "Discovery", "DiscoveryError", "choose", "discover", "load", "outcome_mask",
           "slug", "tradeoff_figure", "write"]
