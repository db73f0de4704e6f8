"""The HTML report is self-contained and holds every figure and table."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import pytest
from analysis_data import RULE_COL, sweep_tables, write_folder, write_run_folder

from stationsim.present import report as R


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(tmp_path_factory.mktemp("rep") / "sw", *sweep_tables(reps=3))


def assert_self_contained(text: str) -> None:
    assert "http://" not in text and "https://" not in text and 'src="//' not in text
    assert "<script" not in text and "<link" not in text and "@import" not in text
    for src in re.findall(r'src="([^"]*)"', text):
        assert src.startswith("data:image/png;base64,")
    for href in re.findall(r'href="([^"]*)"', text):
        assert href.startswith("#")


def test_report_holds_every_figure_table_scenario_and_manifest(sweep_folder: Path) -> None:
    path = R.write_report(sweep_folder, n_boot=200)
    assert path == sweep_folder / "report.html"
    text = path.read_text(encoding="utf-8")
    assert_self_contained(text)
    stems = ["outcomes_distributions", "outcomes_ecdf", "members_over_time",
             "membership_heatmap", "partnership_network", "sweep_stations_CSS_rule",
             "comparison_forest"]
    imgs = re.findall(r'<img alt="([^"]*)" width="\d+" src="data:image/png;base64,([^"]+)"',
                      text)
    assert [alt for alt, _ in imgs] == stems
    for _, data in imgs:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    # the comparison table (by the varied rule) and the summary table
    assert "Comparison by stations.CSS.rule; reference group: hub_and_spoke." in text
    assert re.search(r"<td>CSS members at end</td>\s*<td>states \(host excluded\)</td>\s*"
                     r"<td>css_members</td>\s*<td>quid_pro_quo</td>", text)
    assert "Cliff&#x27;s delta" in text or "Cliff's delta" in text
    assert len(re.findall(r'<table[^>]*class="dataframe data"', text)) == 3
    # the scenario text and the manifest
    assert 'name = &quot;css_vs_iss&quot;' in text
    assert "&quot;kind&quot;: &quot;sweep&quot;" in text
    for anchor in ("overview", "figures", "comparison", "summary-of-outcomes", "scenario",
                   "manifest"):
        assert f'<section id="{anchor}">' in text and f'href="#{anchor}"' in text


def test_report_of_a_single_run_says_there_is_no_comparison(tmp_path: Path) -> None:
    folder = write_run_folder(tmp_path / "run", reps=2)
    text = R.write_report(folder, out=tmp_path / "r.html").read_text(encoding="utf-8")
    assert_self_contained(text)
    assert "One group only: no comparison" in text
    assert text.count("data:image/png;base64,") == 5
    assert "outcomes_violin" not in text  # headings in words, not file names
    assert ">Outcomes per run, group by group</h3>" in text
    assert not (folder / "report.html").exists()


def test_sections_can_be_added_by_later_analyses(tmp_path: Path, sweep_folder: Path) -> None:
    def extra(ctx: R.ReportContext) -> R.Section | None:
        if ctx.data.kind != "sweep":
            return None
        return R.Section("Sensitivity", R.paragraph(f"{len(ctx.data.runs)} runs <checked>"))

    R.register_section("sensitivity_test", extra, before="scenario")
    try:
        names = R.section_names()
        assert names.index("sensitivity_test") == names.index("scenario") - 1
        out = R.write_report(sweep_folder, out=tmp_path / "r.html", n_boot=50,
                             names=["overview", "sensitivity_test", "scenario"],
                             extra=[R.Section("Notes", R.paragraph("appended"))])
        text = out.read_text(encoding="utf-8")
    finally:
        R._BUILDERS[:] = [(n, b) for n, b in R._BUILDERS if n != "sensitivity_test"]
    titles = re.findall(r"<h2>([^<]+)</h2>", text)
    assert titles == ["Overview", "Sensitivity", "Scenario", "Notes"]
    assert "6 runs &lt;checked&gt;" in text  # escaped


def test_render_escapes_and_links_only_within_the_page() -> None:
    doc = R.render([R.Section("A <b>", R.text_html("x < y & http"))], "T & U")
    assert "<title>T &amp; U</title>" in doc and "x &lt; y &amp; http" in doc
    assert 'href="#a-b"' in doc
    assert_self_contained(doc)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stationsim", *args], capture_output=True,
                          text=True, timeout=300)


def test_cli_report(tmp_path: Path) -> None:
    folder = write_run_folder(tmp_path / "run", reps=2)
    r = _cli("report", str(folder))
    assert r.returncode == 0, r.stderr
    assert (folder / "report.html").is_file() and str(folder / "report.html") in r.stdout
    bad = _cli("report", str(folder), "--by", "colour", "--out", str(tmp_path / "bad.html"))
    assert bad.returncode == 2 and "'colour'" in bad.stderr and "css_rule" in bad.stderr
    assert not (tmp_path / "bad.html").exists()
    missing = _cli("report", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "nowhere" in missing.stderr
    assert "Traceback" not in bad.stderr + missing.stderr


def test_unfinished_folder_is_bad_input(tmp_path: Path) -> None:
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "runs.parquet").write_bytes(b"")
    r = _cli("report", str(folder))
    assert r.returncode == 2 and "manifest" in r.stderr


def test_rule_column_is_grouped(sweep_folder: Path, tmp_path: Path) -> None:
    text = R.write_report(sweep_folder, by="rule", out=tmp_path / "r.html",
                          n_boot=50, names=["overview", "comparison"]).read_text()
    assert "Comparison by css_rule" in text and RULE_COL in text


def test_report_of_two_folders_compares_them(tmp_path: Path) -> None:
    a = write_run_folder(tmp_path / "qpq", "quid_pro_quo", reps=3)
    b = write_run_folder(tmp_path / "hs", "hub_and_spoke", reps=3)
    path = R.write_report([a, b], out=tmp_path / "rules.html", n_boot=100, progress=False)
    text = path.read_text(encoding="utf-8")
    assert_self_contained(text)
    assert "Comparison by folder; reference group: qpq." in text
    # the forest plot, embedded, with its caption
    assert re.search(r'<img alt="comparison_forest" width="\d+" src="data:image/png;base64,',
                     text)
    assert "<figcaption>Forest plot:" in text
    # the per-group table: each outcome in words, one column per folder
    i = text.index("<h3>Outcomes per group</h3>")
    table = text[i:text.index("</table>", i)]
    assert "<th>qpq: median [5 %, 95 %]</th>" in table and "<th>hs: mean</th>" in table
    assert "<td>CSS members at end</td>" in table
    # and the differences table
    assert re.search(r"<td>CSS members at end</td>\s*<td>states \(host excluded\)</td>\s*"
                     r"<td>css_members</td>\s*<td>hs</td>", text)
    # the membership heatmap holds one column per station and folder
    assert "qpq = " in text and "hs = " in text
    # the default file name names both folders
    assert R.default_report_path([a, b], ["qpq", "hs"]) == a / "report_qpq_vs_hs.html"


@pytest.mark.slow
def test_cli_report_of_two_folders(tmp_path: Path) -> None:
    a = write_run_folder(tmp_path / "qpq", "quid_pro_quo", reps=2)
    b = write_run_folder(tmp_path / "hs", "hub_and_spoke", reps=2)
    r = _cli("report", str(a), str(b), "--out", str(tmp_path / "rules.html"))
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "rules.html").read_text(encoding="utf-8")
    assert "Forest plot" in text and "Comparison by folder" in text
    assert "report: 0/" in r.stderr and "(100%" in r.stderr  # progress lines, not a terminal
    q = _cli("report", str(a), str(b), "--out", str(tmp_path / "q.html"), "-q")
    assert q.returncode == 0 and q.stderr == ""
