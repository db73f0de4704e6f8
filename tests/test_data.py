"""The data mapping (stationsim.inputs.mapping) and the real-world scenarios built on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import stationsim
from stationsim.inputs import mapping as sd
from stationsim.model.params import PARAMETERS
from stationsim.model.scenario import load_scenario, with_overrides

ROOT = Path(__file__).resolve().parents[1]
REAL_WORLD = ("iss_1993", "css_2021", "two_blocs_2020s")
#: The states file each real-world scenario loads.
STATES_FILE = {"iss_1993": "../data/states_model_iss1993.csv",
               "css_2021": "../data/states_model.csv",
               "two_blocs_2020s": "../data/states_model.csv"}


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return sd.read_states()


@pytest.fixture(scope="module")
def mapped(raw: pd.DataFrame) -> pd.DataFrame:
    return sd.map_states(raw).set_index("iso3")


@pytest.fixture(scope="module")
def mapped_iss(raw: pd.DataFrame) -> pd.DataFrame:
    return sd.map_states(raw, remove_iss_guest_flights=True).set_index("iso3")


# ----------------------------------------------------------------------------- known states


def test_capability_of_the_two_hosts_is_high_and_ordered(mapped: pd.DataFrame) -> None:
    cap = mapped["capability"]
    major = float(PARAMETERS["major_power_threshold"].default)
    assert cap["USA"] > cap["CHN"] > major
    assert cap["CHN"] > cap["IND"] > cap["PAK"]
    assert cap["USA"] == cap.max()
    assert cap.between(0.0, 1.0).all()


def test_alignment_signs(mapped: pd.DataFrame) -> None:
    al = mapped["alignment"]
    assert al["USA"] == -1.0 and al["CHN"] == 1.0
    assert al["GBR"] < 0 < al["PAK"]
    assert al.between(-1.0, 1.0).all()
    # no state other than the anchors reaches a pole
    others = al.drop(["USA", "CHN"])
    assert others.abs().max() < 1.0


def test_developing_from_income_group(mapped: pd.DataFrame) -> None:
    dev = mapped["developing"]
    assert dev["PAK"] == 1 and dev["DEU"] == 0
    assert dev["CHN"] == 1 and dev["RUS"] == 0
    assert dev["VEN"] == 1  # unclassified by the World Bank: its last group (upper-middle)


@pytest.mark.parametrize(("iso", "region", "continent"), [
    ("PAK", "Southern Asia", "Asia"),
    ("BRA", "South America", "South America"),
    ("RUS", "Eastern Europe", "Europe"),
    ("KEN", "Eastern Africa", "Africa"),
    ("MEX", "Central America", "North America"),
])
def test_region_and_continent(mapped: pd.DataFrame, iso: str, region: str,
                              continent: str) -> None:
    assert mapped.loc[iso, "region"] == region
    assert mapped.loc[iso, "continent"] == continent


def test_blocs(mapped: pd.DataFrame) -> None:
    blocs = mapped["blocs"].str.split(";")
    assert "APSCO" in blocs["PAK"]
    assert set(blocs["GBR"]) == {"NATO", "ESA", "G7", "G20"}  # not EU after Brexit
    assert mapped.loc["NZL", "blocs"] == ""
    # the ISS IGA is an outcome, never a bloc
    assert not any("ISS" in b for b in mapped["blocs"])


def test_defaults_by_group(mapped: pd.DataFrame) -> None:
    # Cheng / Wu: China's programme opaque, military, low reciprocity
    assert mapped.loc["CHN", "transparency"] < mapped.loc["USA", "transparency"]
    assert mapped.loc["CHN", "military_fusion"] > mapped.loc["RUS", "military_fusion"] \
        > mapped.loc["USA", "military_fusion"]
    assert mapped.loc["CHN", "reciprocity"] < mapped.loc["DEU", "reciprocity"]
    # Foley: developing states pay in kind; port calls only from coastal ones
    rights, ports = mapped["asset_resource_rights"], mapped["asset_port_access"]
    assert rights["PAK"] > 0 and rights["DEU"] == 0
    assert ports["PAK"] > 0 and ports["MNG"] == 0  # Mongolia is landlocked
    # a known budget raises money above the income-group default
    assert mapped.loc["USA", "asset_money"] > mapped.loc["DEU", "asset_money"]


# ----------------------------------------------------------------------------- formulas


def test_missing_budget_is_unknown_not_zero(raw: pd.DataFrame) -> None:
    comp = sd.capability_components(raw).set_index(raw["iso3"])
    cap = sd.capability(raw).set_axis(raw["iso3"])
    w = sd.DEFAULT_ASSUMPTIONS.capability_weights
    fra = comp.loc["FRA"]
    assert np.isnan(fra["budget"])
    expected = (w["launches"] * fra["launches"] + w["people"] * fra["people"]) / (
        w["launches"] + w["people"])
    assert cap["FRA"] == pytest.approx(expected)
    # a recorded budget of 0 would be a different (lower) value
    zero = raw.copy()
    zero.loc[zero["iso3"] == "FRA", "gov_space_budget_musd"] = 0.0
    assert sd.capability(zero).set_axis(raw["iso3"])["FRA"] < cap["FRA"]


def test_log_share() -> None:
    s = sd.log_share(pd.Series([0.0, 9.0, 99.0, np.nan], name="x"))
    assert s.iloc[0] == 0.0 and s.iloc[2] == 1.0
    assert s.iloc[1] == pytest.approx(np.log(10) / np.log(100))
    assert np.isnan(s.iloc[3])


def test_alignment_from_blocs_rule() -> None:
    assert sd.alignment_from_blocs([], "RUS") == 0.0
    assert sd.alignment_from_blocs(["SCO"]) == pytest.approx(0.35)
    assert sd.alignment_from_blocs(["NATO", "EU", "ESA", "G7", "G20"]) == pytest.approx(-0.95)
    assert sd.alignment_from_blocs(["G20"]) == 0.0
    assert sd.alignment_from_blocs([], "USA") == -1.0


def test_observed_outcomes_do_not_influence_the_mapping(raw: pd.DataFrame) -> None:
    base = sd.map_states(raw)
    flipped = raw.copy()
    flipped["iss_iga_party"] = 1 - flipped["iss_iga_party"]
    flipped["css_ao_2019"] = 1 - flipped["css_ao_2019"]
    flipped["iss_guest_first_year"] = 1999.0
    flipped["css_astronaut_agreement_year"] = np.where(
        flipped["css_astronaut_agreement_year"].isna(), 2030.0, np.nan)
    pd.testing.assert_frame_equal(sd.map_states(flipped), base)
    dropped = raw.drop(columns=list(sd.OUTCOME_COLUMNS))
    pd.testing.assert_frame_equal(sd.map_states(dropped), base)
    # the ISS world's guest flights are a stated constant, not read from the outcomes
    clean = sd.map_states(raw, remove_iss_guest_flights=True)
    pd.testing.assert_frame_equal(sd.map_states(flipped, remove_iss_guest_flights=True), clean)
    pd.testing.assert_frame_equal(sd.map_states(dropped, remove_iss_guest_flights=True), clean)


def test_mapping_checks_its_input(raw: pd.DataFrame) -> None:
    bad_region = raw.copy()
    bad_region.loc[bad_region["iso3"] == "PAK", "un_region"] = "Eastern Asia"
    with pytest.raises(ValueError, match="PAK"):
        sd.map_states(bad_region)
    no_income = raw.copy()
    no_income.loc[no_income["iso3"] == "DEU", "income_group"] = np.nan
    with pytest.raises(ValueError, match="DEU"):
        sd.map_states(no_income)
    with pytest.raises(ValueError, match="lacks columns"):
        sd.map_states(raw.drop(columns=["nato"]))
    with pytest.raises(ValueError, match="QQQ"):
        sd.coco_lookup(["PAK", "QQQ"], "UNregion")


# ----------------------------------------------------------------------------- ISS guest flights


def test_iss_world_differs_exactly_by_the_guest_flights(mapped: pd.DataFrame,
                                                        mapped_iss: pd.DataFrame) -> None:
    guests = set(sd.ISS_GUEST_FLYERS)
    differs = mapped.ne(mapped_iss).any(axis=1)
    assert set(mapped.index[differs]) == guests
    # only capability changes, and only downward (one input less of human spaceflight)
    pd.testing.assert_frame_equal(mapped.drop(columns="capability"),
                                  mapped_iss.drop(columns="capability"))
    assert (mapped_iss["capability"] <= mapped["capability"]).all()
    assert (mapped_iss.loc[list(guests), "capability"]
            < mapped.loc[list(guests), "capability"]).all()
    # states whose only people flown were their ISS guests have none left
    for iso in ("ZAF", "MYS", "KAZ", "ARE", "TUR"):
        assert mapped_iss.loc[iso, "capability"] == 0.0


def test_guest_flights_are_subtracted_from_people_flown(raw: pd.DataFrame) -> None:
    clean = sd.without_iss_guest_flights(raw).set_index("iso3")["people_in_space_2025"]
    people = raw.set_index("iso3")["people_in_space_2025"]
    assert people["SAU"] - clean["SAU"] == 2 and clean["USA"] == people["USA"]
    assert (people - clean).sum() == sum(sd.ISS_GUEST_FLYERS.values())
    # the mission records cannot exceed the count, nor name a state with no count
    short = raw.copy()
    short.loc[short["iso3"] == "ARE", "people_in_space_2025"] = 1
    with pytest.raises(ValueError, match="ARE"):
        sd.map_states(short, remove_iss_guest_flights=True)
    unknown = raw.copy()
    unknown.loc[unknown["iso3"] == "BRA", "people_in_space_2025"] = np.nan
    with pytest.raises(ValueError, match="BRA"):
        sd.without_iss_guest_flights(unknown)
    with pytest.raises(ValueError, match="ZAF"):
        sd.without_iss_guest_flights(raw[raw["iso3"] != "ZAF"])


# ----------------------------------------------------------------------------- the files


def test_regenerated_csv_equals_the_committed_one(raw: pd.DataFrame, tmp_path: Path) -> None:
    committed = sd.MODEL_CSV.read_text(encoding="utf-8")
    assert sd.to_csv_text(sd.map_states(raw)) == committed
    out = tmp_path / "states_model.csv"
    sd.write_states_csv(out)
    assert out.read_text(encoding="utf-8") == committed
    assert sd.main(["--check"]) == 0
    assert sd.main(["--check", "--output", str(tmp_path / "missing.csv")]) == 1


def test_regenerated_iss_csv_equals_the_committed_one(raw: pd.DataFrame,
                                                      tmp_path: Path) -> None:
    committed = sd.ISS1993_CSV.read_text(encoding="utf-8")
    assert committed != sd.MODEL_CSV.read_text(encoding="utf-8")
    assert sd.to_csv_text(sd.map_states(raw, remove_iss_guest_flights=True)) == committed
    out = tmp_path / "states_model_iss1993.csv"
    sd.write_states_csv(out, remove_iss_guest_flights=True)
    assert out.read_text(encoding="utf-8") == committed
    assert sd.main(["--check", "--output-iss1993", str(tmp_path / "missing.csv")]) == 1
    # the command writes both files
    main, iss = tmp_path / "a.csv", tmp_path / "b.csv"
    assert sd.main(["--output", str(main), "--output-iss1993", str(iss)]) == 0
    assert main.read_text(encoding="utf-8") == sd.MODEL_CSV.read_text(encoding="utf-8")
    assert iss.read_text(encoding="utf-8") == committed
    assert sd.main(["--check", "--output", str(main), "--output-iss1993", str(iss)]) == 0


def test_mapped_csv_is_a_valid_states_csv() -> None:
    scn = load_scenario(ROOT / "scenarios" / "css_2021.toml")
    isos = [s.iso3 for s in scn.states]
    assert len(isos) == 95 and len(set(isos)) == 95
    pak = next(s for s in scn.states if s.iso3 == "PAK")
    assert pak.developing and "APSCO" in pak.blocs and pak.assets["resource_rights"] > 0


# ----------------------------------------------------------------------------- scenarios


@pytest.mark.parametrize("name", REAL_WORLD)
def test_real_world_scenario_loads_and_runs(name: str) -> None:
    scn = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    assert scn.states_csv == STATES_FILE[name]
    res = stationsim.run(scn, replications=1, steps=3)
    assert len(res.runs) == 1
    assert set(res.membership["station"]) == {s.name for s in scn.stations}
    assert res.membership["iso3"].nunique() == 95


@pytest.mark.parametrize("name", REAL_WORLD)
def test_real_world_scenarios_have_the_us_ban_and_no_forced_joins(name: str) -> None:
    scn = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    bans = [(e.state, e.target) for e in scn.events if e.type == "ban"]
    assert ("USA", "CHN") in bans
    assert not [e for e in scn.events if e.type == "join"]  # membership is endogenous


def test_iss_1993_russia_is_endogenous_and_dated_by_the_bloc_rule() -> None:
    scn = load_scenario(ROOT / "scenarios" / "iss_1993.toml")
    iss = scn.stations[0]
    assert "RUS" not in iss.founding_members
    dated = {e.year: e.value for e in scn.events
             if e.type == "set" and e.state == "RUS" and e.attribute == "alignment"}
    assert dated == {1993: sd.alignment_from_blocs([]),
                     2001: sd.alignment_from_blocs(["SCO"]),
                     2009: sd.alignment_from_blocs(["SCO", "BRICS", "G20"])}
    rus = next(s for s in scn.states if s.iso3 == "RUS")
    assert dated[2009] == rus.alignment  # the data's (2025) value


def test_iss_1993_capability_holds_no_iss_guest_flight(mapped_iss: pd.DataFrame) -> None:
    scn = load_scenario(ROOT / "scenarios" / "iss_1993.toml")
    caps = pd.Series({s.iso3: s.capability for s in scn.states})
    pd.testing.assert_series_equal(caps.sort_index(), mapped_iss["capability"],
                                   check_names=False)


def test_css_2021_rule_is_swappable() -> None:
    scn = load_scenario(ROOT / "scenarios" / "css_2021.toml")
    css = next(s for s in scn.stations if s.name == "CSS")
    assert css.rule == "hub_and_spoke" and css.channel == "un"
    qpq = with_overrides(scn, {"stations.CSS.rule": "quid_pro_quo"})
    assert next(s for s in qpq.stations if s.name == "CSS").rule == "quid_pro_quo"
    res = stationsim.run(qpq, replications=1, steps=3)
    assert res.runs["css_rule"].iloc[0] == "quid_pro_quo"
