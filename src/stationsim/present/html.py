"""The report's building blocks: sections, their registry, and HTML fragments.

:mod:`stationsim.present.sections` registers the sections; :mod:`stationsim.present.report`
builds and writes the report from them.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from stationsim.analysis import compare as C
from stationsim.analysis import groups as G

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
    #: Every results folder of the report (``path`` is the first).
    paths: list[Path] = field(default_factory=list)
    #: Progress lines or bar while building (None: the process default; False: silent).
    progress: bool | None = None


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
    width = round(fig.get_figwidth() * dpi)
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure><img alt="{html.escape(alt or caption, quote=True)}" '
            f'width="{width}" src="data:image/png;base64,{data}">{cap}</figure>')


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
main{max-width:1500px;margin:0 auto;padding:1.5rem 2rem 4rem}
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
