"""The explorer's pieces in Python: controls to scenario, validation, export, reasons, figures.

The page itself is tested in a real browser in ``test_explore_browser.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli
from matplotlib.collections import LineCollection, PathCollection
from mesa.visualization.solara_viz import _build_model_init_kwargs, _check_model_params

from stationsim.app import explore
from stationsim.app.explore import ExplorerModel
from stationsim.model.core import StationModel
from stationsim.model.scenario import ScenarioError, load_scenario, with_overrides
from stationsim.model.stations import EXIT_REASONS
from stationsim.present import plots
from stationsim.rules import RULES
from stationsim.rules.base import REFUSAL_REASONS
from stationsim.running.batch import run_seed

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
CSS_VS_ISS = SCENARIOS / "css_vs_iss.toml"


@pytest.fixture(scope="module")
def base() -> Any:
    return load_scenario(CSS_VS_ISS)


def _copy(src: Path, dst: Path, old: str = "", new: str = "") -> Path:
    """``src`` at ``dst`` (its states CSV by absolute path), ``old`` replaced by ``new``."""
    text = src.read_text().replace('states_csv = "stylised_states.csv"',
                                   f'states_csv = "{src.parent / "stylised_states.csv"}"')
    dst.write_text(text.replace(old, new) if old else text)
    return dst


def _rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in r.items()} for r in table.to_dict("records")]


def _run_to_end(model: StationModel) -> list[pd.DataFrame]:
    """Step to the end; the reasons table of every step."""
    tables = []
    while model.running:
        model.step()
        tables.append(explore.reasons_table(model))
    return tables


# --------------------------------------------------------------- parameters


def test_controls_cover_rule_channel_host_attributes_seed_with_the_scenario_values(
        base: Any) -> None:
    ctl = {c.path: c for c in explore.controls(base)}
    assert list(ctl) == ["seed", "stations.ISS.rule", "stations.ISS.channel",
                         "stations.CSS.rule", "stations.CSS.channel",
                         "states.USA.transparency", "states.USA.reciprocity",
                         "states.CHN.transparency", "states.CHN.reciprocity",
                         explore.OVERRIDES]
    assert ctl["seed"].value == str(base.seed)
    assert ctl["stations.CSS.rule"].value == "quid_pro_quo"
    assert set(ctl["stations.CSS.rule"].values) == {*RULES, "auto"}
    assert ctl["stations.CSS.channel"].value == "un"
    chn = next(s for s in base.states if s.iso3 == "CHN")
    assert ctl["states.CHN.transparency"].value == chn.transparency
    assert ctl["states.CHN.reciprocity"].value == chn.reciprocity
    assert ctl["states.CHN.transparency"].mesa() == {
        "type": "SliderFloat", "value": chn.transparency, "label": "CHN (host) transparency",
        "min": 0.0, "max": 1.0, "step": 0.05}


def test_a_host_shared_by_two_stations_has_one_pair_of_sliders() -> None:
    scn = load_scenario(SCENARIOS / "two_blocs_2020s.toml")
    paths = [c.path for c in explore.controls(scn)]
    assert paths.count("states.USA.transparency") == 1
    assert {"stations.US_LED.rule", "stations.CN_LED.channel"} <= set(paths)


def test_values_become_the_scenario_through_with_overrides(base: Any) -> None:
    values = {"seed": " 11 ", "stations.CSS.rule": "hub_and_spoke",
              "stations.ISS.channel": "bilateral",  # unchanged
              "states.CHN.transparency": 0.7000000000000001,
              explore.OVERRIDES: "parameters.learn_rate=0.4; stations.CSS.capacity=3"}
    scn, changed = explore.apply_values(base, values)
    assert scn.seed == 11
    css = {s.name: s for s in scn.stations}["CSS"]
    assert css.rule == "hub_and_spoke" and css.capacity == 3
    assert next(s for s in scn.states if s.iso3 == "CHN").transparency == 0.7
    assert scn.parameters["learn_rate"] == 0.4
    assert changed == {"seed": 11, "stations.CSS.rule": "hub_and_spoke",
                       "states.CHN.transparency": 0.7, "parameters.learn_rate": 0.4,
                       "stations.CSS.capacity": 3}
    expected = with_overrides(base, {"seed": 11, "stations.CSS.rule": "hub_and_spoke",
                                     "states.CHN.transparency": 0.7,
                                     "parameters.learn_rate": 0.4,
                                     "stations.CSS.capacity": 3})
    assert scn.raw() == expected.raw()


def test_an_empty_seed_field_keeps_the_scenarios_seed(base: Any) -> None:
    scn, changed = explore.apply_values(base, {"seed": "  ", explore.OVERRIDES: ""})
    assert scn.seed == base.seed and changed == {}


def test_the_model_is_replication_0_of_the_scenario_and_seed(base: Any) -> None:
    model = ExplorerModel(str(CSS_VS_ISS), seed="5", **{"stations.CSS.rule": "hub_and_spoke"})
    _run_to_end(model)
    scn = with_overrides(base, {"seed": 5, "stations.CSS.rule": "hub_and_spoke"})
    ref = StationModel(scn, rng=run_seed(5, 0))
    ref.run()
    pd.testing.assert_frame_equal(pd.DataFrame(model.step_records),
                                  pd.DataFrame(ref.step_records))


def test_mesa_accepts_the_parameters_and_its_reset_builds_the_model(base: Any) -> None:
    """What SolaraViz does: check model_params, then on Reset call the class with them."""
    params = explore.model_params(CSS_VS_ISS, base)
    model = ExplorerModel(str(CSS_VS_ISS))
    _check_model_params(type(model).__init__, params)  # raises on a parameter it rejects
    chosen = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    chosen["stations.CSS.rule"] = "hub_and_spoke"
    kwargs = _build_model_init_kwargs(model, chosen, add_scenario_when_empty=True,
                                      require_model_accepts_scenario=True)
    fresh = type(model)(**kwargs)
    assert fresh.error is None
    assert fresh.changed == {"stations.CSS.rule": "hub_and_spoke"}
    assert fresh.station_by_name["CSS"].rule_name == "hub_and_spoke"


# --------------------------------------------------------------- validation


@pytest.mark.parametrize(("values", "words"), [
    ({"seed": "abc"}, ["seed", "valid integer"]),
    ({"seed": "-3"}, ["seed", "greater than or equal to 0"]),
    ({explore.OVERRIDES: "stations.CSS.capacity=-1"}, ["capacity", "greater than or equal"]),
    ({explore.OVERRIDES: "parameters.learn_rate=7"}, ["parameters.learn_rate", "[0, 1]"]),
    ({explore.OVERRIDES: "stations.XYZ.rule=hub_and_spoke"}, ["stations.XYZ.rule", "XYZ"]),
    ({explore.OVERRIDES: "learn_rate 0.4"}, ["more overrides", "PATH=VALUE"]),
    ({"stations.CSS.rule": "tit_for_tat"}, ["rule", "tit_for_tat", "hub_and_spoke"]),
])
def test_a_bad_value_is_a_message_and_the_model_does_not_step(values: dict[str, Any],
                                                              words: list[str]) -> None:
    with pytest.raises(ScenarioError):
        explore.apply_values(load_scenario(CSS_VS_ISS), values)
    model = ExplorerModel(str(CSS_VS_ISS), **values)
    assert model.error is not None
    for w in words:
        assert w in model.error, (w, model.error)
    assert str(CSS_VS_ISS) in model.error  # names the file, like a bad scenario file
    assert model.running is False
    model.step()
    assert model.t == 0 and model.step_records["step"] == []
    assert model.changed == {}


# ------------------------------------------------------------------- export


def test_export_round_trips_through_load_scenario(tmp_path: Path, base: Any) -> None:
    model = ExplorerModel(str(CSS_VS_ISS), seed="9", **{
        "stations.CSS.rule": "hub_and_spoke", "states.CHN.reciprocity": 0.35},
        overrides="parameters.learn_rate=0.25")
    path = explore.export_scenario(model, tmp_path / "exports")
    assert path.parent == tmp_path / "exports" and path.suffix == ".toml"
    back = load_scenario(path)
    assert back.raw() == model.spec.raw()
    assert back.seed == 9 and back.parameters["learn_rate"] == 0.25
    text = path.read_text()
    assert "stations.CSS.rule = \"hub_and_spoke\"" in text.splitlines()[1]
    assert "states_csv" not in text  # states inlined: the file stands alone
    # the same values give the same file; other values another one
    assert explore.export_scenario(model, tmp_path / "exports") == path
    other = ExplorerModel(str(CSS_VS_ISS), seed="10")
    assert explore.export_scenario(other, tmp_path / "exports") != path


def test_stationsim_run_accepts_the_export_and_replays_the_page(tmp_path: Path) -> None:
    model = ExplorerModel(str(CSS_VS_ISS), seed="3", **{"stations.CSS.rule": "hub_and_spoke"})
    path = explore.export_scenario(model, tmp_path)
    _run_to_end(model)
    out = tmp_path / "out"
    proc = run_cli("run", str(path), "-r", "1", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    steps = pd.read_parquet(out / "steps.parquet")
    assert (steps["run_seed"] == run_seed(3, 0)).all()
    assert set(pd.read_parquet(out / "runs.parquet")["css_rule"]) == {"hub_and_spoke"}
    page = pd.DataFrame(model.step_records)
    pd.testing.assert_frame_equal(steps[page.columns].reset_index(drop=True), page,
                                  check_dtype=False)


# ------------------------------------------------------------ reasons table


def test_reasons_table_is_the_last_steps_log_with_a_reason_for_each() -> None:
    model = ExplorerModel(str(CSS_VS_ISS))
    start = explore.reasons_table(model)  # before the first step: the ISS founders
    assert set(start["action"]) == {"admitted"} and set(start["reason"]) == {"forced"}
    assert set(start["iso3"]) == {model.states.iso3[i] for i in
                                  model.station_by_name["ISS"].founders.tolist()}
    assert (start["year"] == 2022).all()
    seen: set[tuple[str, str]] = set()
    years = []
    while model.running:
        model.step()
        table = explore.reasons_table(model)
        assert list(table.columns) == list(explore.REASON_COLUMNS)
        assert sorted(table[["station", "iso3", "action", "reason"]].itertuples(
            index=False, name=None)) == sorted(model.last_log)
        assert (table["year"] == model.year - 1).all()
        names = dict(zip(model.states.iso3, model.states.name, strict=True))
        assert (table["state"] == table["iso3"].map(names)).all()
        # ordered by station (scenario order), then applied, admitted, refused, exit
        key = list(zip(table["station"].map({"ISS": 0, "CSS": 1}),
                       table["action"].map(explore.ACTIONS.index), strict=True))
        assert key == sorted(key)
        for row in _rows(table):
            assert row["why"] == explore.EXPLANATIONS[(row["action"], row["reason"])]
            if row["action"] == "admitted" and model.station_by_name[row["station"]].member[
                    model.index[row["iso3"]]]:
                assert row["terms"].startswith("due ")
            elif row["action"] != "admitted":
                assert row["terms"] == ""
        seen |= set(zip(table["action"], table["reason"], strict=True))
        years.append(model.year - 1)
    assert years == list(range(2022, 2031))
    assert {a for a, _ in seen} == set(explore.ACTIONS)  # this run has every kind of row


def test_every_reason_code_of_the_model_is_explained() -> None:
    for r in REFUSAL_REASONS:
        assert ("refused", r) in explore.EXPLANATIONS
    for r in EXIT_REASONS:
        assert ("exit", r) in explore.EXPLANATIONS


def test_quid_pro_quo_admissions_show_the_accepted_price_and_contract(base: Any) -> None:
    model = ExplorerModel(str(CSS_VS_ISS))  # CSS: quid_pro_quo
    for _ in range(3):
        model.step()
        table = explore.reasons_table(model)
        adm = table[(table["station"] == "CSS") & (table["action"] == "admitted")]
        for row in _rows(adm):
            i = model.index[row["iso3"]]
            css = model.station_by_name["CSS"]
            if css.member[i]:
                assert f"due {css.due[i]:.3g}/year" in row["terms"]
                assert "contract to" in row["terms"]


def test_count_line_sums_actions_per_station() -> None:
    table = pd.DataFrame({"station": ["ISS", "ISS", "CSS", "ISS"],
                          "action": ["applied", "refused", "applied", "applied"]})
    assert explore.count_line(table) == "ISS applied 2, refused 1; CSS applied 1"


# ------------------------------------------------------------------ figures


def test_members_figure_is_the_plots_time_series_of_the_live_model() -> None:
    model = ExplorerModel(str(CSS_VS_ISS))
    assert explore.members_figure(model) is None  # nothing to draw before a step
    for _ in range(4):
        model.step()
    fig = explore.members_figure(model)
    assert fig is not None
    steps = pd.DataFrame(model.step_records)
    for st in ("ISS", "CSS"):
        line = next(a for ax in fig.axes for a in ax.lines if a.get_gid() == f"median:{st}:all")
        d = steps[(steps["station"] == st) & steps["open"]]
        np.testing.assert_array_equal(line.get_xdata(), d["year"].to_numpy(float))
        np.testing.assert_array_equal(line.get_ydata(), d["members"].to_numpy(float))


def test_network_figure_links_members_colours_by_alignment_sizes_by_capability() -> None:
    model = ExplorerModel(str(CSS_VS_ISS))
    for _ in range(5):
        model.step()
    fig = explore.network_figure(model)
    ax = fig.axes[0]
    for s in model.stations:
        lc = next(c for c in ax.collections
                  if isinstance(c, LineCollection) and c.get_gid() == f"edges:{s.name}:all")
        members = {model.states.iso3[i] for i in s.members.tolist()}
        assert set(lc.edge_nodes) == members  # type: ignore[attr-defined]
        assert np.allclose(lc.get_linewidth(), plots.EDGE_WIDTH_MAX)  # one run: all held
    spokes = [c for c in ax.collections if isinstance(c, PathCollection)
              and c.get_sizes()[0] < 1000]  # hubs are drawn at 2300
    assert spokes
    by_size = {}
    for c in spokes:
        face = c.get_facecolor()[0]
        size = float(c.get_sizes()[0])
        # which state: the one whose capability gives this size and alignment this colour
        hits = [i for i in range(model.n)
                if np.isclose(plots.spoke_size(model.capability[i]), size)
                and np.allclose(plots.ALIGNMENT_CMAP(plots.ALIGNMENT_NORM(
                    model.states.alignment[i, 0])), face)]
        assert hits, (size, face)
        by_size[size] = model.capability[hits[0]]
    caps = [by_size[k] for k in sorted(by_size)]
    assert caps == sorted(caps)  # larger markers, more capable states


def test_network_summary_names_each_stations_members() -> None:
    model = ExplorerModel(str(CSS_VS_ISS))
    text = explore.network_summary(model)
    assert text.startswith("ISS: BEL, CAN") and text.endswith("CSS: (no members)")


def test_plots_network_rejects_an_unknown_spoke_style() -> None:
    mem = explore.membership_frame(ExplorerModel(str(CSS_VS_ISS)))
    with pytest.raises(ValueError, match="spokes"):
        plots.partnership_network(mem, spokes="size")


# --------------------------------------------------------- scenarios, serving


def test_picker_lists_the_scenarios_folder_and_the_given_file(tmp_path: Path) -> None:
    choices = explore.scenario_choices(SCENARIOS)
    assert "css_vs_iss.toml" in choices and "baseline.toml" in choices
    assert all(p.suffix == ".toml" and p.parent == SCENARIOS for p in choices.values())
    assert not any("sweep" in k for k in choices)  # scenarios/sweeps/ holds sweeps
    mine = _copy(CSS_VS_ISS, tmp_path / "mine.toml")
    assert explore.scenario_choices(SCENARIOS, mine)[str(mine)] == mine
    assert explore.initial_scenario(SCENARIOS) == SCENARIOS / "css_vs_iss.toml"


def test_the_address_chooses_the_scenario_among_the_picker_s() -> None:
    choices = explore.scenario_choices(SCENARIOS)
    first = SCENARIOS / "css_vs_iss.toml"
    assert explore.chosen_label("scenario=baseline.toml", choices, first) == "baseline.toml"
    assert explore.chosen_label(None, choices, first) == "css_vs_iss.toml"
    # only files the picker offers: no path from the address is opened
    assert explore.chosen_label("scenario=../pyproject.toml", choices, first) == \
        "css_vs_iss.toml"


def test_page_scripts_come_from_the_cache_without_npm_when_present(tmp_path: Path) -> None:
    packages = explore.cdn_packages()
    assert any("solara-vuetify" in p for p in packages)
    assert any(p.startswith("requirejs@") for p in packages)
    for p in packages:
        (tmp_path / p).mkdir(parents=True)
        (tmp_path / p / "package.json").write_text("{}")
    calls: list[str] = []
    assert explore.ensure_assets(tmp_path, echo=calls.append) == []
    assert calls == []  # nothing fetched, nothing said


def test_explore_refuses_bad_input_with_exit_2(tmp_path: Path) -> None:
    proc = run_cli("explore", str(tmp_path / "missing.toml"))
    assert proc.returncode == 2 and "file not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_cli("explore", str(CSS_VS_ISS), "--port", "70000")
    assert proc.returncode == 2 and "--port 70000" in proc.stderr
    bad = _copy(CSS_VS_ISS, tmp_path / "bad.toml", 'rule = "quid_pro_quo"', 'rule = "barter"')
    proc = run_cli("explore", str(bad))
    assert proc.returncode == 2 and "barter" in proc.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_cli("explore", str(CSS_VS_ISS), "--port", str(port))
    assert proc.returncode == 2 and "cannot listen" in proc.stderr
    assert not (tmp_path / "exports").exists()


def test_the_server_answers_on_loopback_and_stops_with_the_command(tmp_path: Path) -> None:
    """SIGTERM to ``stationsim explore`` alone also stops its solara child (the port is free)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "stationsim", "explore", str(CSS_VS_ISS),
                             "--port", str(port)], cwd=tmp_path, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, proc.communicate(timeout=10)[0]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                    assert resp.status == 200
                    assert b"solara" in resp.read().lower()
                    break
            except OSError:
                assert time.monotonic() < deadline, "no page after 240 s"
                time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 130, out
        assert f"http://127.0.0.1:{port}/" in out and "Traceback" not in out
        with socket.socket() as s:  # nothing listens any more
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)


def test_server_command_is_solara_in_production_bound_to_the_host() -> None:
    cmd = explore.server_command("127.0.0.1", 8765)
    assert cmd[1:5] == ["-m", "solara", "run", "stationsim.app.explore.page"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--port") + 1] == "8765"
    assert {"--production", "--no-open", "--no-check-version"} <= set(cmd)


def _svg_panel(svg: str, station: str) -> str:
    start = svg.index(f'<g class="panel" data-station="{station}"')
    return svg[start:svg.index("</g>", start)]


def test_members_svg_holds_this_runs_members_slots_and_fixed_integer_axes() -> None:
    import re

    model = explore.ExplorerModel(str(SCENARIOS / "two_blocs_2020s.toml"))
    for _ in range(3):
        model.step()
    svg = explore.members_svg(model)
    assert 'data-year="2022"' in svg and "this run" in svg and "of runs" not in svg
    steps = explore.steps_frame(model)
    for s in model.stations:
        panel = _svg_panel(svg, s.name)
        values = re.search(r'class="members" data-values="([^"]*)"', panel).group(1)
        d = steps[(steps["station"] == s.name) & steps["open"]]
        assert values == ";".join(f"{y},{m}" for y, m in zip(d["year"], d["members"],
                                                             strict=True))
        assert 'class="capacity"' in panel and f"{s.capacity} slots" in panel
        ticks = [int(t) for t in re.findall(r'text-anchor="end" font-size="11">(\d+)<', panel)]
        assert ticks[0] == 0 and ticks[-1] > s.capacity  # whole numbers, room above the slots
    # fixed axes: the same ticks after more steps (no rescaling to the data)
    model.step()
    again = explore.members_svg(model)
    for s in model.stations:
        a = re.findall(r'text-anchor="end" font-size="11">(\d+)<', _svg_panel(svg, s.name))
        b = re.findall(r'text-anchor="end" font-size="11">(\d+)<', _svg_panel(again, s.name))
        assert a == b


def test_a_station_not_yet_open_says_when_it_opens() -> None:
    base = load_scenario(SCENARIOS / "css_vs_iss.toml")
    late = with_overrides(base, {"stations.CSS.open_from": 2025})
    model = StationModel(late, rng=0, log_events=True)
    model.step()
    svg = explore.members_svg(model)
    assert "not open yet: opens in 2025" in _svg_panel(svg, "CSS")
    assert "not open yet" not in _svg_panel(svg, "ISS")
    assert "opens in 2025" in explore.network_svg(model)


def test_network_svg_links_each_member_to_its_station() -> None:
    import re

    model = explore.ExplorerModel(str(SCENARIOS / "css_vs_iss.toml"))
    model.step()
    svg = explore.network_svg(model)
    edges = re.findall(r'class="edge" data-station="(\w+)" data-state="(\w+)"', svg)
    want = {(s.name, model.states.iso3[i]) for s in model.stations for i in s.members.tolist()}
    assert set(edges) == want and len(edges) == len(want)


# ------------------------------------------------------------------ one state


def test_state_panel_says_refused_for_a_ban_admitted_founder_and_not_eligible() -> None:
    from helpers import make_model, state, station

    states = [state("HUB", capability=0.9, name="Hub"), state("AA", capability=0.5),
              state("BB", capability=0.5), state("FND", transparency=0.35, blocs=["X"])]
    ban = [{"year": 2000, "type": "ban", "state": "AA", "target": "BB"}]
    model = make_model(states=states, events=ban,
                       stations=[station(founding_members=["FND"], channel="un")])
    assert explore.state_choices(model) == {"AA": "AA", "BB": "BB", "FND": "FND",
                                            "HUB Hub": "HUB"}
    before = _rows(explore.state_stations(model, "AA"))
    assert before[0]["last_decision"] == "none yet"
    assert before[0]["membership"] == "not a member; may apply in 2000"
    model.step()  # AA and BB apply together: one is admitted, the other refused (ban)
    s = model.stations[0]
    refused = "AA" if not s.member[model.index["AA"]] else "BB"
    admitted = ({"AA", "BB"} - {refused}).pop()
    row = _rows(explore.state_stations(model, refused))[0]
    assert list(row) == list(explore.STATE_STATION_COLUMNS)
    assert row["station"] == "S" and row["host"] == "HUB"
    assert row["last_decision"] == "2000: refused (ban)"
    assert row["why"] == explore.EXPLANATIONS[("refused", "ban")]
    assert row["membership"].startswith("not a member; not eligible to apply in 2001: ")
    assert "banned with a participant" in row["membership"]
    assert "may apply again from" in row["membership"]  # the refusal's cooldown
    i, h = model.index[refused], s.host
    assert row["trust_in_host"] == f"{model.trust.get(np.array([i]), np.array([h]))[0]:.2f}"
    assert row["host_trust"] == f"{model.trust.get(np.array([h]), np.array([i]))[0]:.2f}"
    row = _rows(explore.state_stations(model, admitted))[0]
    assert row["last_decision"] == "2000: admitted"
    assert row["why"] == explore.EXPLANATIONS[("admitted", "")]
    assert row["membership"].startswith("member since 2000 (due ")
    row = _rows(explore.state_stations(model, "FND"))[0]
    assert row["last_decision"] == "2000: admitted (forced)"
    assert row["membership"].startswith("founding member (due ")
    assert _rows(explore.state_stations(model, "HUB"))[0]["membership"] == "host"
    attrs = dict(explore.state_attributes(model, "FND"))
    assert attrs["transparency"] == "0.35" and attrs["blocs"] == "X"
    assert attrs["capability"] == "0.30" and attrs["developing"] == "no"
    html = explore.state_html(model, refused)
    assert f'data-state="{refused}"' in html and "refused (ban)" in html
    assert "Trust in host" in html and "Host's trust in it" in html
    assert "transparency" in html
    import re

    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html.split('data-station="S">', 1)[1])[:7]
    assert cells == list(_rows(explore.state_stations(model, refused))[0].values())


def test_state_panel_follows_the_live_model_on_a_shipped_scenario() -> None:
    model = ExplorerModel(str(CSS_VS_ISS))
    labels = explore.state_choices(model)
    assert labels["CHN China"] == "CHN" and len(labels) == model.n
    for _ in range(4):
        model.step()
    for iso in model.index:
        for r, s in zip(_rows(explore.state_stations(model, iso)), model.stations,
                        strict=True):
            action, reason, step = s.last_decision(model.index[iso])
            if iso == model.states.iso3[s.host]:
                assert r["membership"] == "host"
            elif step < 0:
                assert r["last_decision"] == "none yet"
            else:
                assert r["last_decision"].startswith(f"{2022 + step}: {action}")
                assert r["why"] == explore.EXPLANATIONS[(action, reason)]
            if s.member[model.index[iso]]:
                assert "member" in r["membership"] and "not a member" not in r["membership"]
