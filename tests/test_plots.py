"""The figures hold the data: plotted values read back from the artists equal the tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from analysis_data import RULE_COL, RULES, sweep_tables, write_folder
from matplotlib.figure import Figure

from stationsim.analysis import groups as G
from stationsim.present import plots as P


@pytest.fixture(scope="module")
def sweep() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    return sweep_tables(reps=4)


def artists(fig: Figure, gid: str) -> list[Any]:
    found = [a for a in fig.findobj() if a.get_gid() == gid]
    assert found, f"no artist with gid {gid!r}"
    return found


def test_distribution_points_medians_boxes_and_violins_hold_the_runs(sweep: Any) -> None:
    runs = sweep[0]
    outs = ["css_members", "css_host_cost_share", "total_welfare"]
    fig = P.outcome_distributions(runs, outs, by=RULE_COL)
    levels = G.levels(runs[RULE_COL])
    assert levels == sorted(RULES)
    for k, oc in enumerate(outs):
        for i, rule in enumerate(levels):
            vals = runs.loc[runs[RULE_COL] == rule, oc].to_numpy(float)
            (pts,) = artists(fig, f"points:{oc}:{rule}")
            xy = pts.get_offsets()
            np.testing.assert_allclose(np.sort(xy[:, 1]), np.sort(vals))
            assert np.all(np.abs(xy[:, 0] - i) <= 0.12 + 1e-9)
            (med,) = artists(fig, f"median:{oc}:{rule}")
            np.testing.assert_allclose(med.get_ydata(), [np.median(vals)] * 2)
            assert np.mean(med.get_xdata()) == pytest.approx(i)
            if np.ptp(vals) == 0:
                continue
            if P.is_discrete(runs[oc]):  # counts, few values: a box, never a violin
                assert not [a for a in fig.findobj() if a.get_gid() == f"violin:{oc}:{rule}"]
                (box,) = artists(fig, f"box:{oc}:{rule}")
                ys = box.get_path().vertices[:, 1]
                q1, q3 = np.percentile(vals, [25, 75])
                assert ys.min() == pytest.approx(q1) and ys.max() == pytest.approx(q3)
                assert mcolors.to_hex(box.get_edgecolor()) == P.RULE_COLOURS[rule].lower()
            else:
                (body,) = artists(fig, f"violin:{oc}:{rule}")
                verts = body.get_paths()[0].vertices
                assert np.mean([verts[:, 0].min(), verts[:, 0].max()]) == pytest.approx(i)
                assert verts[:, 1].min() == pytest.approx(vals.min())
                assert verts[:, 1].max() == pytest.approx(vals.max())
                # one colour per rule, the same in every figure
                assert mcolors.to_hex(body.get_facecolor()[0]) == P.RULE_COLOURS[rule].lower()
        if P.is_integer_valued(runs[oc]):  # counts: whole-number ticks only
            ticks = fig.axes[k].get_yticks()
            assert np.allclose(ticks, np.round(ticks))
    assert P.is_discrete(runs["css_members"]) and not P.is_discrete(runs["total_welfare"])
    labels = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"quid_pro_quo", "hub_and_spoke", "median"} <= labels
    assert any(t.startswith("box") for t in labels) and any(t.startswith("violin") for t in
                                                             labels)


def _censored_runs() -> pd.DataFrame:
    return pd.DataFrame({
        "run_id": range(8), "replication": range(8), "scenario": "t", "iss_rule": "q",
        "group": ["a"] * 4 + ["b"] * 4,
        "iss_years_to_first_guest": [2.0, 3.0, 9.0, 9.0, 1.0, 1.0, 2.0, 9.0],
        "iss_first_guest_censored": [False, False, True, True, False, False, False, True]})


def test_censored_durations_are_drawn_as_never_not_as_numbers() -> None:
    runs = _censored_runs()
    oc = "iss_years_to_first_guest"
    assert P.censor_flag(oc, runs) == "iss_first_guest_censored"
    fig = P.outcome_distributions(runs, [oc], by="group")
    for g, observed, never in (("a", [2.0, 3.0], 2), ("b", [1.0, 1.0, 2.0], 1)):
        (pts,) = artists(fig, f"points:{oc}:{g}")
        np.testing.assert_allclose(np.sort(pts.get_offsets()[:, 1]), observed)
        (tri,) = artists(fig, f"censored:{oc}:{g}")
        ys = tri.get_offsets()[:, 1]
        assert len(ys) == never and np.all(ys > 3.0)  # above every observed duration
    # a: 2, 3, never, never -> the median is between 3 and never: never
    (med_a,) = artists(fig, f"median:{oc}:a")
    assert med_a.get_ydata()[0] > 3.0
    (med_b,) = artists(fig, f"median:{oc}:b")
    np.testing.assert_allclose(med_b.get_ydata(), [1.5, 1.5])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][-1] == "never"
    assert all(float(t) <= 3.0 for t in fig.axes[0].get_yticks()[:-1])  # no number on "never"
    assert any("censored" in t.get_text() for t in fig.legends[0].get_texts())
    ecdf = P.outcome_ecdfs(runs, [oc], by="group")
    (line,) = artists(ecdf, f"ecdf:{oc}:a")
    np.testing.assert_allclose(line.get_xdata(), [2.0, 3.0])
    np.testing.assert_allclose(line.get_ydata(), [0.25, 0.5])  # never reaches 1


def test_forest_plot_holds_differences_intervals_and_cliffs_delta(sweep: Any) -> None:
    from stationsim.analysis import compare as C

    runs = sweep[0]
    outs = ["css_members", "css_host_cost_share", "total_welfare"]
    comp = C.compare(runs, RULE_COL, outs, n_boot=200)
    fig = P.forest_plot(comp.table, runs, by=RULE_COL)
    assert "Forest plot" in fig.get_suptitle()
    t = comp.table.set_index("outcome")
    g = str(t["group"].iloc[0])
    for oc in outs:
        (dot,) = artists(fig, f"forest:{oc}:{g}")
        assert dot.get_xdata()[0] == pytest.approx(t.loc[oc, "diff_mean"])
        (ci,) = artists(fig, f"ci:{oc}:{g}")
        np.testing.assert_allclose(ci.get_xdata(), [t.loc[oc, "ci_low"], t.loc[oc, "ci_high"]])
        (txt,) = artists(fig, f"delta:{oc}:{g}")
        assert f"{t.loc[oc, 'cliffs_delta']:+.2f}" in txt.get_text()
        assert t.loc[oc, "magnitude"] in txt.get_text()
    labels = [x.get_text() for x in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert "CSS members at end" in labels


def test_members_over_time_has_the_capacity_line_and_integer_ticks(sweep: Any) -> None:
    steps = sweep[1]
    fig = P.station_time_series(steps)
    caps = P.station_capacity(steps)
    for st in ("ISS", "CSS"):
        (line,) = artists(fig, f"capacity:{st}")
        np.testing.assert_allclose(line.get_ydata(), caps[st].to_numpy(float))
    assert set(np.unique(caps["CSS"])) == {12.0}  # css_vs_iss: 12 guest slots
    for ax in fig.axes[:2]:
        ticks = ax.get_yticks()
        assert np.allclose(ticks, np.round(ticks))
    labels = {t.get_text() for t in fig.legends[0].get_texts()}
    assert "capacity (guest slots)" in labels
    assert any("5%-95% of runs" in x for x in labels)  # the band is in the legend


def test_ecdf_lines_are_the_empirical_cdf(sweep: Any) -> None:
    runs = sweep[0]
    fig = P.outcome_ecdfs(runs, ["css_members", "iss_members"], by="rule")  # alias -> css_rule
    for oc in ("css_members", "iss_members"):
        for rule in RULES:
            vals = np.sort(runs.loc[runs["css_rule"] == rule, oc].to_numpy(float))
            (line,) = artists(fig, f"ecdf:{oc}:{rule}")
            np.testing.assert_allclose(line.get_xdata(), vals)
            np.testing.assert_allclose(line.get_ydata(), np.arange(1, vals.size + 1) / vals.size)
            assert line.get_color() == P.RULE_COLOURS[rule]


def test_members_over_time_median_and_band_from_steps(sweep: Any) -> None:
    runs, steps = sweep[0], sweep[1].drop(columns=[RULE_COL])  # the join must bring it back
    fig = P.station_time_series(steps, by=RULE_COL, runs=runs)
    full = sweep[1]
    for st in ("ISS", "CSS"):
        for rule in RULES:
            d = full[(full["station"] == st) & (full[RULE_COL] == rule) & full["open"]]
            q = d.groupby("year")["members"].quantile([0.5, 0.05, 0.95]).unstack()
            (line,) = artists(fig, f"median:{st}:{rule}")
            np.testing.assert_allclose(line.get_xdata(), q.index.to_numpy(float))
            np.testing.assert_allclose(line.get_ydata(), q[0.5].to_numpy(float))
            (band,) = artists(fig, f"band:{st}:{rule}")
            verts = band.get_paths()[0].vertices
            for year, row in q.iterrows():
                ys = verts[np.isclose(verts[:, 0], float(year)), 1]
                assert np.isclose(ys, row[0.05]).any() and np.isclose(ys, row[0.95]).any()


def test_members_over_time_one_group_uses_station_colours(sweep: Any) -> None:
    fig = P.station_time_series(sweep[1])
    for st in ("ISS", "CSS"):
        (line,) = artists(fig, f"median:{st}:all")
        assert line.get_color() == P.STATION_COLOURS[st]


def test_heatmap_array_is_membership_probability_ordered_by_alignment(sweep: Any) -> None:
    runs, _, mem, _ = sweep
    fig = P.membership_heatmap(mem.drop(columns=[RULE_COL]), by=RULE_COL, runs=runs)
    (img,) = artists(fig, "membership_probability")
    arr = np.asarray(img.get_array())
    align = mem.groupby("iso3")["alignment"].mean().sort_values(kind="stable")
    assert arr.shape == (mem["iso3"].nunique(), 2 * 2)
    for j, (st, rule) in enumerate([(s, r) for s in ("ISS", "CSS") for r in sorted(RULES)]):
        d = mem[(mem["station"] == st) & (mem[RULE_COL] == rule)]
        want = d.groupby("iso3")["member_at_end"].mean().reindex(align.index)
        np.testing.assert_allclose(arr[:, j], want.to_numpy(float))
    ax = fig.axes[0]
    labels = [t.get_text().split()[0] for t in ax.get_yticklabels()]
    assert labels == list(align.index)
    assert np.all(np.diff(align.to_numpy()) >= 0)
    hosts = [t for t in ax.texts if t.get_text() == "HOST"]
    host_rows = {labels[round(t.get_position()[1])] for t in hosts}
    assert host_rows == {"USA", "CHN"} and len(hosts) == 4


def test_network_edge_widths_are_shares_of_runs(sweep: Any) -> None:
    runs, _, mem, _ = sweep
    fig = P.partnership_network(mem, by=RULE_COL, runs=runs)
    for rule in RULES:
        d = mem[(mem[RULE_COL] == rule) & (mem["role"] != "host")]
        n_runs = d["run_id"].nunique()
        for st in ("ISS", "CSS"):
            share = (d[d["station"] == st].groupby("iso3")["member_at_end"].sum() / n_runs)
            share = share[share > 0]
            (lc,) = artists(fig, f"edges:{st}:{rule}")
            got = dict(zip(lc.edge_nodes, np.asarray(lc.get_linewidths()), strict=True))
            assert set(got) == set(share.index)
            for iso, s in share.items():
                assert got[iso] == pytest.approx(P.EDGE_WIDTH_MAX * s)


def test_partnership_graph_has_hubs_spokes_and_shares(sweep: Any) -> None:
    mem = sweep[2]
    g = P.partnership_graph(mem[mem[RULE_COL] == "hub_and_spoke"])
    hubs = {n for n, d in g.nodes(data=True) if d["kind"] == "hub"}
    assert hubs == {"station:ISS", "station:CSS"}
    assert g.nodes["station:ISS"]["host"] == "USA"
    assert "USA" not in g and "CHN" not in g  # hosts are hubs, not spokes
    assert g["station:ISS"]["JPN"]["share"] == pytest.approx(1.0)  # a founder that stays
    for _, v, d in g.edges("station:CSS", data=True):
        assert 0 < d["share"] <= 1 and g.nodes[v]["kind"] == "spoke"


def test_outcomes_vs_parameter_points_and_medians(sweep: Any) -> None:
    runs = sweep[0]
    fig = P.outcomes_vs_parameter(runs, RULE_COL, ["css_members", "total_welfare"])
    for oc in ("css_members", "total_welfare"):
        (pts,) = artists(fig, f"points:{oc}")
        np.testing.assert_allclose(np.sort(pts.get_offsets()[:, 1]), np.sort(runs[oc]))
        (line,) = artists(fig, f"median:{oc}")
        want = runs.groupby(RULE_COL)[oc].median()
        np.testing.assert_allclose(line.get_ydata(), want.loc[sorted(RULES)].to_numpy(float))


def test_outcomes_vs_numeric_parameter() -> None:
    rng = np.random.default_rng(1)
    x = np.repeat([0.1, 0.5, 0.9], 5)
    runs = pd.DataFrame({"run_id": range(15), "replication": np.tile(range(5), 3),
                         "parameters.learn_rate": x, "css_rule": "hub_and_spoke",
                         "css_members": rng.integers(0, 12, 15), "scenario": "t"})
    fig = P.outcomes_vs_parameter(runs, "parameters.learn_rate", ["css_members"])
    (line,) = artists(fig, "median:css_members")
    np.testing.assert_allclose(line.get_xdata(), [0.1, 0.5, 0.9])
    np.testing.assert_allclose(line.get_ydata(),
                               runs.groupby("parameters.learn_rate")["css_members"].median())
    assert "parameters.learn_rate" in fig.axes[0].get_xlabel()


def test_titles_name_scenario_and_replications(sweep: Any) -> None:
    runs = sweep[0]
    fig = P.outcome_distributions(runs, ["css_members"], by=RULE_COL)
    title = fig.get_suptitle()
    assert "css_vs_iss" in title and "8 runs, 4 per stations.CSS.rule" in title
    fig1 = P.outcome_distributions(runs[runs[RULE_COL] == "quid_pro_quo"], ["css_members"])
    assert "4 replications" in fig1.get_suptitle()
    ax = fig.axes[0]
    assert ax.get_ylabel() == "states (host excluded)" and ax.get_title() == "CSS members at end"


def test_colours_fixed_per_station_and_rule() -> None:
    assert P.group_colours(["quid_pro_quo", "hub_and_spoke"]) == {
        "quid_pro_quo": P.RULE_COLOURS["quid_pro_quo"],
        "hub_and_spoke": P.RULE_COLOURS["hub_and_spoke"]}
    assert P.station_colour("CSS") != P.station_colour("ISS")
    assert P.station_colour("Tiangong") == P.station_colour("Tiangong")
    nums = P.group_colours([0.1, 0.2, 0.3])
    assert len(set(nums.values())) == 3
    colours = set(P.STATION_COLOURS.values()) | set(P.RULE_COLOURS.values())
    assert len(colours) == 4


def test_grouping_by_varied_column_in_a_sweep_folder(tmp_path: Path, sweep: Any) -> None:
    folder = write_folder(tmp_path / "sw", *sweep)
    data = G.load([folder])
    assert data.kind == "sweep" and data.varied == [RULE_COL]
    assert G.default_by(data) == RULE_COL
    assert G.resolve_by(data.runs, "rule") == "css_rule"
    figs = P.figures(data)
    assert list(figs) == ["outcomes_distributions", "comparison_forest", "outcomes_ecdf",
                          "members_over_time", "membership_heatmap", "partnership_network",
                          "sweep_stations_CSS_rule"]
    for f in figs.values():
        f.clear()


def test_varied_columns_without_manifest_use_dotted_names(sweep: Any) -> None:
    assert G.varied_columns(sweep[0]) == [RULE_COL]
    assert G.varied_columns(sweep[0], {"varied": [RULE_COL]}) == [RULE_COL]
    assert RULE_COL not in G.outcome_columns(sweep[0])
    assert "run_id" not in G.outcome_columns(sweep[0])


def test_unknown_by_names_the_column_and_the_allowed_ones(sweep: Any) -> None:
    with pytest.raises(G.GroupingError, match=r"(?s)'nope'; allowed: rule .*css_rule"):
        P.outcome_distributions(sweep[0], by="nope")
    with pytest.raises(G.GroupingError, match="run_seed: 32 distinct values, at most 24"):
        G.resolve_by(pd.concat([sweep[0]] * 4, ignore_index=True).assign(
            run_seed=lambda d: np.arange(len(d))), "run_seed")


def test_no_pyplot_state_is_left(sweep: Any) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    P.outcome_distributions(sweep[0], ["css_members"])
    P.membership_heatmap(sweep[2])
    assert plt.get_fignums() == before


def test_save_writes_png_and_svg(tmp_path: Path, sweep: Any) -> None:
    fig = P.outcome_ecdfs(sweep[0], ["css_members"])
    paths = P.save(fig, tmp_path, "ecdf")
    assert [p.name for p in paths] == ["ecdf.png", "ecdf.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in paths[1].read_text()


def test_the_same_figure_gives_the_same_svg_bytes_in_two_processes(tmp_path: Path) -> None:
    """SVG element ids are salted with a fixed salt, not a random uuid per process."""
    code = ("import sys, pandas as pd; from stationsim.present import plots as P; "
            "d = pd.DataFrame({'css_members': [1, 2, 2, 3, 5]}); "
            "P.save(P.outcome_ecdfs(d, ['css_members']), sys.argv[1], 'ecdf', ('svg',))")
    for k in (1, 2):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / str(k))], check=True)
    one, two = (tmp_path / str(k) / "ecdf.svg" for k in (1, 2))
    assert "clip-path" in one.read_text()  # the figure has salted ids at all
    assert one.read_bytes() == two.read_bytes()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stationsim", *args], capture_output=True,
                          text=True, timeout=300)


def test_cli_plot_writes_png_and_svg_and_rejects_bad_input(tmp_path: Path, sweep: Any) -> None:
    folder = write_folder(tmp_path / "sw", *sweep)
    out = tmp_path / "figs"
    r = _cli("plot", str(folder), "--by", "css_rule", "--out", str(out), "-q")
    assert r.returncode == 0, r.stderr
    stems = {p.stem for p in out.iterdir()}
    assert {"outcomes_distributions", "comparison_forest", "members_over_time",
            "membership_heatmap", "partnership_network", "sweep_stations_CSS_rule"} <= stems
    assert all((out / f"{s}.{ext}").is_file() for s in stems for ext in ("png", "svg"))

    bad = _cli("plot", str(folder), "--by", "colour", "--out", str(tmp_path / "x"))
    assert bad.returncode == 2
    assert "'colour'" in bad.stderr and "css_rule" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "x").exists()

    missing = _cli("plot", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "nowhere" in missing.stderr
