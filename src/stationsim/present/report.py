"""One self-contained HTML report of a results folder.

``stationsim report RESULTS_DIR`` writes ``RESULTS_DIR/report.html``: the
figures of :mod:`stationsim.plots` embedded as base64 PNG, the comparison of
:mod:`stationsim.compare` (or, with one group, the summary), the scenario
text and the manifest.  The file needs no server, no network and no other
file: no external link, script, font or style sheet.

A report is a list of :class:`Section` rendered by :func:`render`.  The
standard sections come from builders registered in order
(:func:`register_section`); a later analysis (sensitivity, scenario
discovery, experiments) adds its own with::

    from stationsim.report import Section, register_section, table_html

    def sensitivity(ctx):            # ctx: ReportContext (folder, tables, grouping)
        if ctx.data.kind != "sweep":
            return None              # nothing to add
        return Section("Sensitivity", table_html(my_indices(ctx.data.runs)))

    register_section("sensitivity", sensitivity, before="scenario")

or passes ``extra=[Section(...)]`` to :func:`write_report`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from stationsim import compare as C
from stationsim import groups as G
from stationsim import plots as P

#: File name of the report inside the results folder.
REPORT_NAME = "report.html"
#: Resolution of embedded figures.
REPORT_DPI = 110


@dataclass
class Section:
    """A titled part of the report.

    ``body`` is an HTML fragment; build it with :func:`figure_html`,
    :func:`table_html`, :func:`text_html` and :func:`paragraph` (they escape
    their input).  ``anchor`` (default: from the title) is the id the table of
    contents links to.
    """

    title: str
    body: str
    anchor: str = ""

    def __post_init__(self) -> None:
        if not self.anchor:
            self.anchor = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "section"


@dataclass
class ReportContext:
    """What section builders get: the folder, its tables and the grouping."""

    path: Path
    data: G.Data
    by: str | None
    seed: int = C.DEFAULT_SEED
    n_boot: int = C.N_BOOT
    cache: dict[str, Any] = field(default_factory=dict)


SectionBuilder = Callable[[ReportContext], "Section | Sequence[Section] | None"]
_BUILDERS: list[tuple[str, SectionBuilder]] = []


def register_section(name: str, builder: SectionBuilder, *, before: str | None = None) -> None:
    """Add (or replace) the section builder ``name``; it runs before ``before`` if given.

    A builder takes a :class:`ReportContext` and returns a :class:`Section`, a
    list of them, or None (nothing to add).
    """
    names = [n for n, _ in _BUILDERS]
    if name in names:
        _BUILDERS[names.index(name)] = (name, builder)
        return
    if before is not None and before in names:
        _BUILDERS.insert(names.index(before), (name, builder))
    else:
        _BUILDERS.append((name, builder))


def section_names() -> list[str]:
    """Names of the registered section builders, in report order."""
    return [n for n, _ in _BUILDERS]


# ------------------------------------------------------------------ fragments

def figure_html(fig: Figure, caption: str = "", alt: str = "", dpi: int = REPORT_DPI) -> str:
    """``<figure>`` with ``fig`` as an inline base64 PNG and its caption."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure><img alt="{html.escape(alt or caption, quote=True)}" '
            f'src="data:image/png;base64,{data}">{cap}</figure>')


def table_html(df: pd.DataFrame, float_format: str = "{:.4g}", cls: str = "data") -> str:
    """An HTML table of ``df`` (escaped; floats with 4 significant digits)."""
    return df.to_html(index=False, escape=True, border=0, classes=cls, na_rep="NA",
                      float_format=float_format.format)


def text_html(text: str) -> str:
    """Preformatted, escaped text (scenario files, JSON)."""
    return f"<pre>{html.escape(text)}</pre>"


def paragraph(text: str) -> str:
    """An escaped paragraph."""
    return f"<p>{html.escape(text)}</p>"


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;
 color:#222;background:#fff;line-height:1.45}
main{max-width:1200px;margin:0 auto;padding:1.5rem 2rem 4rem}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;
 margin-top:2.5rem} h3{margin-top:1.8rem}
nav ol{columns:2;font-size:.95rem} .sub{color:#555;margin-top:0}
figure{margin:1.2rem 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:#444;margin-top:.3rem}
table.data{border-collapse:collapse;font-size:.82rem;margin:.6rem 0}
table.data th,table.data td{padding:.2rem .55rem;border-bottom:1px solid #e3e3e3;text-align:right}
table.data th{background:#f3f3f3;position:sticky;top:0}
table.data td:first-child,table.data th:first-child{text-align:left}
.scroll{overflow-x:auto}
pre{background:#f7f7f7;border:1px solid #e5e5e5;padding:.8rem;overflow-x:auto;font-size:.8rem}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dl.kv dt{font-weight:600} dl.kv dd{margin:0}
"""


def render(sections: Sequence[Section], title: str, subtitle: str = "") -> str:
    """The HTML document: title, table of contents, then the sections in order."""
    toc = "".join(f'<li><a href="#{html.escape(s.anchor)}">{html.escape(s.title)}</a></li>'
                  for s in sections)
    body = "\n".join(f'<section id="{html.escape(s.anchor)}"><h2>{html.escape(s.title)}</h2>\n'
                     f"{s.body}\n</section>" for s in sections)
    sub = f'<p class="sub">{html.escape(subtitle)}</p>' if subtitle else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            f"<main>\n<h1>{html.escape(title)}</h1>\n{sub}\n<nav><ol>{toc}</ol></nav>\n"
            f"{body}\n</main>\n</body>\n</html>\n")


# ------------------------------------------------------------ standard sections

def _kv(items: Sequence[tuple[str, Any]]) -> str:
    rows = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
                   for k, v in items)
    return f'<dl class="kv">{rows}</dl>'


def overview_section(ctx: ReportContext) -> Section:
    """What was run: scenario, kind, runs, seeds, grouping, versions."""
    d = ctx.data
    meta = d.meta[0] if d.meta else {}
    items: list[tuple[str, Any]] = [
        ("results folder", str(ctx.path)),
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


#: Caption of each standard figure, by file stem.
CAPTIONS = {
    "outcomes_violin": "Distribution of the main outcomes per run and group: violin (density), "
                       "every run as a point, black bar = median.",
    "outcomes_ecdf": "Empirical cumulative distribution of the same outcomes: the share of runs "
                     "with a value at most x.",
    "members_over_time": "Members of each station per year while it is open: median over runs "
                         "(line) and the 5-95 % band of runs.",
    "membership_heatmap": "Share of runs in which each state is a member of each station at the "
                          "end of the run; states ordered by alignment (-1 U.S.-aligned at the "
                          "top, +1 China-aligned at the bottom); hosts outlined.",
    "partnership_network": "Partnership network: stations as hubs, member states as spokes; "
                           "edge width = share of runs in which the link held at the end.",
}


def figures_section(ctx: ReportContext) -> Section:
    """Every figure of :func:`stationsim.plots.figures`, embedded."""
    parts = []
    params = {P.sweep_stem(p): p for p in ctx.data.varied}
    for stem, fig in P.figures(ctx.data, ctx.by).items():
        cap = CAPTIONS.get(stem) or (
            f"Outcomes against the varied parameter {params.get(stem, stem)}: each run a "
            f"point; the line joins the medians.")
        parts.append(f'<h3 id="fig-{html.escape(stem)}">{html.escape(stem)}</h3>'
                     + figure_html(fig, cap, alt=stem))
        fig.clear()
    return Section("Figures", "\n".join(parts))


def comparison_section(ctx: ReportContext) -> Section:
    """The comparison between groups (:func:`stationsim.compare.compare`), or why there is none."""
    if ctx.by is None or ctx.data.runs[ctx.by].nunique(dropna=False) < 2:
        return Section("Comparison", paragraph(
            "One group only: no comparison. Group the runs with --by COLUMN, or compare two "
            "results folders with `stationsim compare DIR1 DIR2`."))
    comp = C.compare(ctx.data.runs, ctx.by, seed=ctx.seed, n_boot=ctx.n_boot)
    ctx.cache["comparison"] = comp
    head = "".join(paragraph(h) for h in comp.header())
    return Section("Comparison", head + f'<div class="scroll">{table_html(comp.display())}</div>')


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

def build_sections(ctx: ReportContext, names: Sequence[str] | None = None) -> list[Section]:
    """Run the registered builders (all, or those in ``names``) and collect their sections."""
    out: list[Section] = []
    for name, builder in _BUILDERS:
        if names is not None and name not in names:
            continue
        res = builder(ctx)
        if res is None:
            continue
        out.extend([res] if isinstance(res, Section) else list(res))
    return out


def write_report(results_dir: str | Path, by: str | None = None, out: str | Path | None = None,
                 *, seed: int = C.DEFAULT_SEED, n_boot: int = C.N_BOOT,
                 extra: Sequence[Section] = (), names: Sequence[str] | None = None) -> Path:
    """Write the HTML report of a results folder and return its path.

    Parameters
    ----------
    results_dir : str or Path
        A results folder of ``stationsim run`` or ``stationsim sweep``.
    by : str, optional
        Group column (or ``rule``); default :func:`stationsim.groups.default_by`.
    out : str or Path, optional
        The HTML file (default ``<results_dir>/report.html``).
    seed, n_boot
        Bootstrap seed and resamples of the comparison.
    extra : list of Section
        Sections appended after the registered ones.
    names : list of str, optional
        Only these registered sections (default: all).

    Raises
    ------
    FileNotFoundError
        The folder is missing or not a complete results folder.
    stationsim.groups.GroupingError
        ``by`` names no column.
    """
    import stationsim.experiment  # noqa: F401  (registers the section of experiment folders)
    from stationsim import discovery, sensitivity  # noqa: F401  (register their sections)
    from stationsim.results import atomic_write

    path = Path(results_dir)
    data = G.load([path])
    col = G.resolve_by(data.runs, by) if by is not None else G.default_by(data)
    ctx = ReportContext(path=path, data=data, by=col, seed=seed, n_boot=n_boot)
    sections = [*build_sections(ctx, names), *extra]
    title = f"stationsim report: {data.scenario}"
    subtitle = f"{data.kind} · {P.describe_runs(data.runs, col)} · {path.resolve().name}"
    doc = render(sections, title, subtitle)
    target = Path(out) if out is not None else path / REPORT_NAME
    def _write(tmp: Path) -> None:
        tmp.write_text(doc, encoding="utf-8")
    atomic_write(target, _write)
    return target
