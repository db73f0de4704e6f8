"""Every section of ``stationsim report``, registered in report order.

The results folder's own sections (overview, figures, comparison, summary,
scenario, manifest) and those of analysis folders (experiment, sensitivity,
scenario discovery).  A new section is a builder here, registered with
:func:`stationsim.present.html.register_section`.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from stationsim.analysis import compare as C
from stationsim.analysis import discovery as D
from stationsim.analysis import experiment as E
from stationsim.analysis import groups as G
from stationsim.analysis import sensitivity as S
from stationsim.present import plots as P
from stationsim.present.html import (
    ReportContext,
    Section,
    figure_html,
    paragraph,
    register_section,
    table_html,
    text_html,
)


def _kv(items: Sequence[tuple[str, Any]]) -> str:
    rows = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
                   for k, v in items)
    return f'<dl class="kv">{rows}</dl>'


def overview_section(ctx: ReportContext) -> Section:
    """What was run: scenario, kind, runs, seeds, grouping, versions."""
    d = ctx.data
    meta = d.meta[0] if d.meta else {}
    items: list[tuple[str, Any]] = [
        ("results folder" if len(ctx.paths) < 2 else "results folders",
         ", ".join(f"{lab} = {p}" for lab, p in zip(d.labels, ctx.paths, strict=False))
         if len(ctx.paths) > 1 else str(ctx.path)),
        ("scenario", d.scenario),
        ("description", _description(meta)),
        ("kind", d.kind),
        ("runs", P.describe_runs(d.runs, ctx.by)),
        ("steps per run", meta.get("steps", "")),
        ("master seed", meta.get("master_seed", meta.get("sweep", {}).get("seed", ""))),
        ("grouped by", ctx.by or "(one group)"),
        ("varied parameters", ", ".join(d.varied) or "(none)"),
        ("finished", meta.get("finished", "")),
        ("environment", ", ".join(f"{k} {v}" for k, v in meta.get("environment", {}).items())),
    ]
    return Section("Overview", _kv([(k, v) for k, v in items if v not in ("", None)]))


def _description(meta: dict[str, Any]) -> str:
    text = str(meta.get("scenario", {}).get("text", ""))
    m = re.search(r'^description\s*=\s*"(.*)"', text, re.M)
    return m.group(1) if m else ""


#: Heading of each standard figure, in words, by file stem.
HEADINGS = {
    "outcomes_distributions": "Outcomes per run, group by group",
    "comparison_forest": "Forest plot of the differences between groups",
    "outcomes_ecdf": "Cumulative distributions of the outcomes",
    "members_over_time": "Members of each station over time",
    "membership_heatmap": "Who is a member at the end: state by station",
    "partnership_network": "Partnership network",
}
#: Caption of each standard figure, by file stem.
CAPTIONS = {
    "outcomes_distributions": "Distribution of the main outcomes per run and group, side by "
                              "side: every run a point, black bar = median; a box (quartiles, "
                              "whiskers 5-95 %) for counts and other outcomes with few values, "
                              "a violin (density) for continuous ones. Durations of runs where "
                              "the event never happened are triangles on a 'never (censored)' "
                              "row, not numbers.",
    "comparison_forest": "Forest plot: for each main outcome, the difference in means of each "
                         "group from the reference group (dot) with its 95 % percentile "
                         "bootstrap interval (bar), and Cliff's delta on the right.",
    "outcomes_ecdf": "Empirical cumulative distribution of the same outcomes: the share of runs "
                     "with a value at most x (censored durations: the share of runs in which "
                     "the event happened by x).",
    "members_over_time": "Members of each station per year while it is open: median over runs "
                         "(line), the 5-95 % band of runs, and the station's guest slots "
                         "(dotted).",
    "membership_heatmap": "Share of runs in which each state is a member of each station at the "
                          "end of the run, one column per station and group; states ordered by "
                          "alignment (-1 U.S.-aligned at the top, +1 China-aligned at the "
                          "bottom); hosts outlined.",
    "partnership_network": "Partnership network: stations as hubs, member states as spokes; "
                           "edge width = share of runs in which the link held at the end.",
}


def heading(stem: str, varied: dict[str, str] | None = None) -> str:
    """The heading of a figure in words (sweep figures: 'Outcomes against <parameter>')."""
    if stem in HEADINGS:
        return HEADINGS[stem]
    if varied and stem in varied:
        return f"Outcomes against {varied[stem]}"
    return stem.replace("_", " ").capitalize()


def figures_section(ctx: ReportContext) -> Section:
    """Every figure of :func:`stationsim.present.plots.figure_builders` but the forest plot
    (in *Comparison*), embedded, under headings in words."""
    from stationsim.running.progress import Progress

    parts = []
    params = {P.sweep_stem(p): p for p in ctx.data.varied}
    builders = [(stem, build) for stem, build in P.figure_builders(ctx.data, ctx.by)
                if stem != "comparison_forest"]
    with Progress(len(builders), "report figures", "figure", enabled=ctx.progress) as prog:
        for stem, build in builders:
            fig = build()
            cap = CAPTIONS.get(stem) or (
                f"Outcomes against the varied parameter {params.get(stem, stem)}: each run a "
                f"point; the line joins the medians.")
            parts.append(f'<h3 id="fig-{html.escape(stem)}">{html.escape(heading(stem, params))}'
                         f'</h3>' + figure_html(fig, cap, alt=stem))
            fig.clear()
            prog.update()
    return Section("Figures", "\n".join(parts))


def worded(df: pd.DataFrame, runs: pd.DataFrame, column: str = "outcome") -> pd.DataFrame:
    """``df`` with its outcome column in words (``CSS members at end``), the unit beside it
    and the column name kept as ``column`` for reference."""
    out = df.copy()
    labels = [P.outcome_label(str(c), runs) for c in out[column]]
    out.insert(0, "unit", [u for _, u, _ in labels])
    out.insert(0, "outcome in words", [h for h, _, _ in labels])
    return out.rename(columns={column: "column"})


def per_group_table(runs: pd.DataFrame, by: str, outcomes: Sequence[str]) -> pd.DataFrame:
    """One row per outcome, per group: ``median [5 %, 95 %]`` and the mean."""
    s = C.summarise(runs, by, outcomes)
    col = G.resolve_by(runs, by)
    rows = []
    for oc in outcomes:
        part = s[s["outcome"] == oc]
        row: dict[str, Any] = {"outcome": oc}
        flag = P.censor_flag(oc, runs)
        for (_lev, grp), (_, r) in zip(G.split(runs, col), part.iterrows(), strict=True):
            g = r["group"]
            never = int(grp[flag].fillna(False).astype(bool).sum()) if flag else 0
            if never:  # a censored duration: the stored number is not a duration
                obs = pd.to_numeric(grp.loc[~grp[flag].fillna(False).astype(bool), oc],
                                    errors="coerce").dropna().to_numpy(float)
                med = P.censored_median(obs, never)
                row[f"{g}: median [5 %, 95 %]"] = (
                    f"{C.fmt_number(med) if med < float('inf') else 'never'} "
                    f"(never in {never} of {len(grp)} runs)")
                row[f"{g}: mean"] = "NA (censored)"
                continue
            row[f"{g}: median [5 %, 95 %]"] = (f"{C.fmt_number(r['median'])} "
                                              f"[{C.fmt_number(r['p05'])}, "
                                              f"{C.fmt_number(r['p95'])}]")
            row[f"{g}: mean"] = C.fmt_number(r["mean"])
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_section(ctx: ReportContext) -> Section:
    """The comparison between groups (:func:`stationsim.analysis.compare.compare`): the forest
    plot, the outcomes per group and the differences, or why there is none."""
    if ctx.by is None or ctx.data.runs[ctx.by].nunique(dropna=False) < 2:
        return Section("Comparison", paragraph(
            "One group only: no comparison. Group the runs with --by COLUMN, or give several "
            "results folders: `stationsim report DIR1 DIR2 --out compare.html`."))
    runs = ctx.data.runs
    comp = C.compare(runs, ctx.by, seed=ctx.seed, n_boot=ctx.n_boot)
    ctx.cache["comparison"] = comp
    head = "".join(paragraph(h) for h in comp.header())
    fig = P.forest_plot(comp.table, runs, by=comp.by, scenario=ctx.data.scenario)
    forest = ('<h3 id="fig-comparison_forest">Forest plot of the differences</h3>'
              + figure_html(fig, "Forest plot: " + CAPTIONS["comparison_forest"].split(": ", 1)[1],
                            alt="comparison_forest"))
    fig.clear()
    keys = [c for c in P.key_outcomes(runs) if c in set(comp.table["outcome"])]
    rest = [c for c in pd.unique(comp.table["outcome"]) if c not in keys]
    groups = worded(per_group_table(runs, ctx.by, [*keys, *rest]), runs)
    diffs = worded(comp.display(), runs)
    return Section("Comparison", head + forest
                   + "<h3>Outcomes per group</h3>"
                   + paragraph(f"Each outcome per {ctx.by}: median with the 5 % and 95 % "
                               "quantiles of the runs, and the mean; the main outcomes first.")
                   + f'<div class="scroll">{table_html(groups)}</div>'
                   + "<h3>Differences from the reference group</h3>"
                   + f'<div class="scroll">{table_html(diffs)}</div>')


def summary_section(ctx: ReportContext) -> Section:
    """Mean, median, 5 % and 95 % quantiles of every outcome per group."""
    s = C.summarise(ctx.data.runs, ctx.by)
    label = f"per {ctx.by}" if ctx.by else "over all runs"
    return Section("Summary of outcomes", paragraph(
        f"Every numeric outcome {label}: number of runs, mean, median, standard deviation, "
        f"5 % and 95 % quantiles.") + f'<div class="scroll">{table_html(s)}</div>')


def scenario_section(ctx: ReportContext) -> Section:
    """The scenario file (and the sweep file) as run."""
    parts = []
    for lab, meta in zip(ctx.data.labels or [""], ctx.data.meta, strict=False):
        scn = meta.get("scenario", {})
        head = f"{scn.get('name', '')} ({scn.get('source', '')}, sha256 {scn.get('sha256', '')})"
        if len(ctx.data.meta) > 1:
            head = f"{lab}: {head}"
        parts.append(paragraph(head) + text_html(str(scn.get("text", ""))))
        sweep = meta.get("sweep")
        if isinstance(sweep, dict) and sweep.get("text"):
            parts.append(paragraph(f"Sweep file {sweep.get('source', '')}")
                         + text_html(str(sweep["text"])))
    return Section("Scenario", "\n".join(parts))


def manifest_section(ctx: ReportContext) -> Section:
    """The manifest(s), as JSON (the scenario text is in its own section)."""
    parts = []
    for meta in ctx.data.meta:
        m = json.loads(json.dumps(meta, default=str))
        if isinstance(m.get("scenario"), dict) and "text" in m["scenario"]:
            m["scenario"]["text"] = "(see Scenario)"
        if isinstance(m.get("sweep"), dict) and "text" in m["sweep"]:
            m["sweep"]["text"] = "(see Scenario)"
        parts.append(text_html(json.dumps(m, indent=2)))
    return Section("Manifest", "\n".join(parts))


register_section("overview", overview_section)
register_section("figures", figures_section)
register_section("comparison", comparison_section)
register_section("summary", summary_section)
register_section("scenario", scenario_section)
register_section("manifest", manifest_section)


# -------------------------------------------------------------------- build


# ----------------------------------------------------------------- analysis folders


def experiment_section(ctx: ReportContext) -> Section | None:
    """Report section of an experiment folder: claim, tests, verdict, robustness."""
    path = Path(ctx.path) / E.RESULT_FILE
    if not path.is_file():
        return None
    res = json.loads(path.read_text(encoding="utf-8"))
    label = f" ({res['assumption']})" if res.get("assumption") else ""
    parts = [paragraph(f"{res['claim']}: {res['statement']}"),
             paragraph(f"Verdict: {res['verdict']}{label}."),
             paragraph(f"Base scenario {res['base']}; {res['replications']} replications per "
                       f"arm; master seed {res['seed']}; "
                       + ("common random numbers (replication r of every arm uses the same "
                          "seed; paired bootstrap over replications)"
                          if res["common_random_numbers"] else "independent arms") + "; "
                       f"{res['bootstrap']['level']:.0%} percentile bootstrap "
                       f"(scipy.stats.bootstrap, {res['bootstrap']['n_boot']} resamples, seed "
                       f"{res['bootstrap']['seed']}); a share of runs of one arm: the "
                       f"{res.get('interval', {}).get('proportion', 'wilson')} interval "
                       "(each test's method is in its row)."),
             paragraph("A test is supported when its whole interval lies on the claim's side "
                       "of the threshold, not supported when it lies on the other side, "
                       "inconclusive when it straddles it; the experiment is supported when "
                       "every primary test is (secondary tests are reported only).")]
    if res.get("papers"):
        parts.append(paragraph("Papers: " + "; ".join(res["papers"])))
    bc = res.get("by_construction")
    if bc:
        parts.append(paragraph(f"By construction: the effect is written in by {bc['term']}"
                               + (f" ({bc['note']})" if bc.get("note") else "")
                               + "; the verdict is an assumption of the model, not a finding."))
    prec = res.get("precision")
    if prec:
        parts.append(paragraph(f"Replications grew until every primary interval's half-width "
                               f"reached {prec['half_width']:g} or {prec['max_replications']} "
                               f"replications: {res['replications']}, stopped by "
                               f"{prec['stopped_by']}."))
    arms = pd.DataFrame([{"arm": a["name"], "overrides": json.dumps(a["set"]),
                          "description": a["description"]} for a in res["arms"]])
    parts.append("<h3>Arms</h3>" + f'<div class="scroll">{table_html(arms)}</div>')
    tests = pd.DataFrame(res["tests"])
    first = ["test", "outcome", "contrast", "claim"]
    means = [c for c in tests.columns if str(c).startswith("mean[")]
    tests = tests[[*first, *means, *[c for c in tests.columns if c not in first + means]]]
    parts.append("<h3>Tests</h3>" + f'<div class="scroll">{table_html(tests)}</div>')
    fig_rows = pd.DataFrame({"label": tests["test"], "effect": tests["effect"],
                             "ci_low": tests["ci_low"], "ci_high": tests["ci_high"],
                             "threshold": [_threshold(c) for c in tests["claim"]],
                             "verdict": tests["verdict"]}).astype({"effect": float,
                                                                   "ci_low": float,
                                                                   "ci_high": float})
    fig = _readable(E.effects_figure(fig_rows, f"{res['claim']}: effects"), len(fig_rows))
    parts.append(figure_html(fig, "Forest plot: effect of each test (dot) with its confidence "
                                  "interval (bar) and the claim's threshold (dashed)."))
    rob = res.get("robustness")
    if rob:
        table = pd.DataFrame(rob["points"])
        parts.append("<h3>Robustness</h3>" + paragraph(
            f"Grid over {', '.join(rob['parameters'])}; {rob['replications']} replications "
            f"per arm and point. {rob['summary']['text']}."))
        parts.append(f'<div class="scroll">{table_html(table)}</div>')
        for t in res["tests"]:
            name = t["test"]
            if f"{name}.effect" not in table.columns:
                continue
            lab = [", ".join(f"{k.split('.')[-1]}={v:g}" if isinstance(v, int | float)
                             and not isinstance(v, bool) else f"{k.split('.')[-1]}={v}"
                             for k, v in r.items() if k in rob["parameters"])
                   for r in rob["points"]]
            rows = pd.DataFrame({"label": lab,
                                 "effect": table[f"{name}.effect"].astype(float),
                                 "ci_low": table[f"{name}.ci_low"].astype(float),
                                 "ci_high": table[f"{name}.ci_high"].astype(float),
                                 "threshold": _threshold(t["claim"]),
                                 "verdict": table[f"{name}.verdict"]})
            fig = _readable(E.effects_figure(rows, f"robustness of test {name}"), len(rows))
            parts.append(figure_html(fig, f"Test {name} at every point of the grid."))
    parts.extend(_claim_maps(res, Path(ctx.path)))
    src = res.get("source", "")
    text = ""
    man = Path(ctx.path) / "manifest.json"
    if man.is_file():
        text = json.loads(man.read_text(encoding="utf-8")).get("experiment", {}).get("text", "")
    if text:
        parts.append(f"<h3>Experiment file</h3>{paragraph(src)}{text_html(text)}")
    return Section(f"Experiment {res['name']}", "\n".join(parts),
                   anchor="experiment")


def _readable(fig: Any, rows: int) -> Any:
    """A forest-style figure tall enough to read: 0.45 in per row plus 1.6 in of margins."""
    fig.set_size_inches(fig.get_figwidth(), max(fig.get_figheight(), 1.6 + 0.45 * rows))
    return fig


def _claim_maps(res: dict[str, Any], folder: Path) -> list[str]:
    """The claim maps of an experiment: deciding ranges, each map's figure and table."""
    out: list[str] = []
    if res.get("deciding"):
        dec = pd.DataFrame([{"parameter": d["path"], "low": d["low"], "high": d["high"],
                             "fitted": "fitted" if d.get("fitted") else "not fitted",
                             "source of the range": d["source"]} for d in res["deciding"]])
        out.append("<h3>Deciding parameters and claim maps</h3>" + paragraph(
            "The parameters that can decide the claim, their plausible ranges and where the "
            "ranges come from; each map runs every arm over evenly spaced points of the range "
            "and reports the share of points where the claim is supported.")
            + f'<div class="scroll">{table_html(dec)}</div>')
    for m in res.get("maps") or []:
        out.append(paragraph(m["text"] + "."))
        png = folder / m["png"]
        if png.is_file():
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            out.append(f'<figure><img alt="claim map {html.escape(m["name"])}" '
                       f'src="data:image/png;base64,{data}"><figcaption>'
                       f'{html.escape(m["png"])}</figcaption></figure>')
        csv = folder / m["csv"]
        if csv.is_file():
            t = pd.read_csv(csv)
            keep = [c for c in t.columns if not str(c).endswith((".method",))]
            out.append(f'<div class="scroll">{table_html(t[keep])}</div>')
    return out


def _threshold(claim: str) -> float:
    return float(str(claim).split()[-1])


def sensitivity_section(ctx: ReportContext) -> Section | None:
    """The *Sensitivity* section of ``stationsim report`` when the folder holds an analysis."""
    parts = []
    for method in S.METHODS:
        res = S.load(ctx.path / S.ANALYSIS_DIR, method)
        if res is None or res.table.empty:
            continue
        head = "".join(paragraph(h) for h in res.header())
        figs = S.figures(res)
        cap_bars = ("Indices of the main outcomes: first-order S1 (light) and total ST (dark) "
                    "with 95 % bootstrap intervals; dotted line: the replication noise share, "
                    "below which a total index is noise." if method == "sobol" else
                    "Morris mu* (bars, 95 % bootstrap interval) and sigma (diamonds) of the "
                    "main outcomes, per full range of each parameter.")
        cap_heat = (("Total-order index of every parameter for every outcome"
                     + (", net of replication noise (ST_net)." if "ST_net" in res.table.columns
                        else " (ST).")) if method == "sobol" else
                    "Morris mu* of every parameter, relative to each outcome's largest.")
        body = (head + f"<h3>{method}: main outcomes</h3>"
                + figure_html(figs["bars"], cap_bars, alt=f"{method} indices")
                + f"<h3>{method}: every outcome</h3>"
                + figure_html(figs["heatmap"], cap_heat, alt=f"{method} heatmap")
                + paragraph("Every outcome x parameter: " + (
                    "ST ± interval · S1 · net ST_net (net of replication noise)."
                    if method == "sobol" else "mu* ± interval (sigma).")
                    + f" Full table: {S.ANALYSIS_DIR}/{method}_indices.csv.")
                + f'<div class="scroll">{table_html(res.display())}</div>')
        for fig in figs.values():
            fig.clear()
        parts.append(body)
    if not parts:
        return None
    return Section("Sensitivity", "\n".join(parts))


def discovery_section(ctx: ReportContext) -> Section | None:
    """The *Scenario discovery* section of ``stationsim report``, one part per outcome."""
    root = ctx.path / D.ANALYSIS_DIR
    if not root.is_dir():
        return None
    parts = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        d = D.load(folder)
        if d is None:
            continue
        fig = D.tradeoff_figure(d)
        lines = [*d.header()]
        for b in d.boxes:
            lines += d.box_text(b)
        body = (f"<h3>{_escape(d.outcome)}</h3>" + "".join(paragraph(x) for x in lines)
                + figure_html(fig, "Coverage-density trade-off of PRIM's peeling trajectory "
                              "(colour: restricted parameters; ring: the chosen box) and the "
                              "chosen box's limits.", alt=f"PRIM {d.outcome}")
                + f'<div class="scroll">{table_html(d.limits)}</div>')
        fig.clear()
        parts.append(body)
    if not parts:
        return None
    return Section("Scenario discovery", "\n".join(parts))


def _escape(text: str) -> str:
    return html.escape(text)


register_section("experiment", experiment_section, before="overview")
register_section("sensitivity", sensitivity_section, before="scenario")
register_section("discovery", discovery_section, before="scenario")
