"""One self-contained HTML report of a results folder.

``stationsim report RESULTS_DIR`` writes ``RESULTS_DIR/report.html``: the
figures of :mod:`stationsim.present.plots` embedded as base64 PNG, the comparison of
:mod:`stationsim.analysis.compare` (or, with one group, the summary), the scenario
text and the manifest.  The file needs no server, no network and no other
file: no external link, script, font or style sheet.

A report is a list of :class:`Section` rendered by :func:`render`.  The
standard sections come from builders registered in order
(:func:`register_section`); a later analysis (sensitivity, scenario
discovery, experiments) adds its own with::

    from stationsim.present.html import Section, register_section, table_html

    def sensitivity(ctx):            # ctx: ReportContext (folder, tables, grouping)
        if ctx.data.kind != "sweep":
            return None              # nothing to add
        return Section("Sensitivity", table_html(my_indices(ctx.data.runs)))

    register_section("sensitivity", sensitivity, before="scenario")

or passes ``extra=[Section(...)]`` to :func:`write_report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from stationsim.analysis import compare as C
from stationsim.analysis import groups as G
from stationsim.present import plots as P
from stationsim.present import sections  # noqa: F401  (registers every section, in order)
from stationsim.present.html import (
    _BUILDERS,
    REPORT_NAME,
    ReportContext,
    Section,
    figure_html,
    paragraph,
    register_section,
    render,
    section_names,
    table_html,
    text_html,
)
from stationsim.running.results import atomic_write

__all__ = [
    "REPORT_NAME",
    "ReportContext",
    "Section",
    "build_sections",
    "default_report_path",
    "figure_html",
    "paragraph",
    "register_section",
    "render",
    "section_names",
    "table_html",
    "text_html",
    "write_report",
]


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


def default_report_path(paths: Sequence[Path], labels: Sequence[str]) -> Path:
    """``<folder>/report.html`` for one folder; for several, in the first:
    ``report_<a>_vs_<b>.html``."""
    if len(paths) == 1:
        return paths[0] / REPORT_NAME
    slug = "_vs_".join("".join(ch if ch.isalnum() else "_" for ch in lab).strip("_")
                       for lab in labels)
    return paths[0] / f"report_{slug}.html"


def write_report(results_dir: str | Path | Sequence[str | Path], by: str | None = None,
                 out: str | Path | None = None, *, seed: int = C.DEFAULT_SEED,
                 n_boot: int = C.N_BOOT, extra: Sequence[Section] = (),
                 names: Sequence[str] | None = None, progress: bool | None = None) -> Path:
    """Write the HTML report of one or more results folders and return its path.

    Parameters
    ----------
    results_dir : str or Path, or a list of them
        A results folder of ``stationsim run`` or ``stationsim sweep``; with
        several, their runs are compared (grouped by folder unless ``by``).
    by : str, optional
        Group column (or ``rule``); default :func:`stationsim.analysis.groups.default_by`.
    out : str or Path, optional
        The HTML file (default :func:`default_report_path`).
    seed, n_boot
        Bootstrap seed and resamples of the comparison.
    extra : list of Section
        Sections appended after the registered ones.
    names : list of str, optional
        Only these registered sections (default: all).
    progress : bool, optional
        Progress on stderr (:mod:`stationsim.running.progress`); None: the process default.

    Raises
    ------
    FileNotFoundError
        A folder is missing or not a complete results folder.
    stationsim.analysis.groups.GroupingError
        ``by`` names no column.
    """
    from stationsim.running.progress import Progress

    paths = ([Path(results_dir)] if isinstance(results_dir, str | Path)
             else [Path(p) for p in results_dir])
    data = G.load(paths)
    col = G.resolve_by(data.runs, by) if by is not None else G.default_by(data)
    ctx = ReportContext(path=paths[0], data=data, by=col, seed=seed, n_boot=n_boot,
                        paths=paths, progress=progress)
    builders = [(n, b) for n, b in _BUILDERS if names is None or n in names]
    parts: list[Section] = []
    with Progress(len(builders), "report", "section", enabled=progress) as prog:
        for name, _ in builders:
            parts.extend(build_sections(ctx, [name]))
            prog.update()
    parts.extend(extra)
    title = f"stationsim report: {data.scenario}"
    where = " vs ".join(data.labels) if len(paths) > 1 else paths[0].resolve().name
    subtitle = f"{data.kind} · {P.describe_runs(data.runs, col)} · {where}"
    doc = render(parts, title, subtitle)
    target = Path(out) if out is not None else default_report_path(paths, data.labels)

    def _write(tmp: Path) -> None:
        tmp.write_text(doc, encoding="utf-8")
    atomic_write(target, _write)
    return target
