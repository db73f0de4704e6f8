"""The outcome registry: every column of every table is declared once, with its meaning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import stationsim
from stationsim.model.outcomes import ID_COLUMNS, OUTCOMES, outcome_table, station_prefix

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ["baseline", "css_vs_iss", "iss_1993", "css_2021", "two_blocs_2020s"]


@pytest.fixture(scope="module", params=SHIPPED)
def tables(request: pytest.FixtureRequest) -> tuple[stationsim.Scenario, stationsim.Results]:
    scn = stationsim.load_scenario(ROOT / "scenarios" / f"{request.param}.toml")
    return scn, stationsim.run(scn, seed=5, replications=2)


def test_every_column_is_an_outcome_or_an_identifier(tables) -> None:
    scn, res = tables
    prefixes = [station_prefix(s.name) for s in scn.stations]
    for table in ("runs", "steps", "membership"):
        df = getattr(res, table)
        ids = set(ID_COLUMNS[table])
        unknown = [c for c in df.columns
                   if c not in ids and c not in OUTCOMES.columns(table, prefixes)]
        assert not unknown, f"{table}: columns not declared in OUTCOMES: {unknown}"
        missing = [c for c in OUTCOMES.columns(table, prefixes) if c not in df.columns]
        assert not missing, f"{table}: declared but not written: {missing}"


def test_dtypes_match_the_declarations(tables) -> None:
    scn, res = tables
    prefixes = [station_prefix(s.name) for s in scn.stations]
    for col in res.runs.columns:
        found = OUTCOMES.of_column(col, prefixes)
        if found is None:
            continue
        kind = res.runs[col].dtype.kind
        allowed = {"int": "iu", "float": "f", "bool": "b", "str": "OUS"}[found[0].dtype]
        assert kind in allowed, (col, res.runs[col].dtype, found[0].dtype)


def test_refusals_by_reason_add_up(tables) -> None:
    scn, res = tables
    for s in scn.stations:
        pre = station_prefix(s.name)
        parts = [c for c in res.runs.columns if c.startswith(f"{pre}_refusals_")]
        assert len(parts) == 8
        assert np.array_equal(res.runs[parts].sum(axis=1).to_numpy(),
                              res.runs[f"{pre}_refusals"].to_numpy())


def test_a_capacity_limited_station_records_capacity_refusals() -> None:
    scn = stationsim.load_scenario(ROOT / "scenarios" / "css_vs_iss.toml")
    small = stationsim.with_overrides(scn, {"stations.CSS.capacity": 1})
    runs = stationsim.run(small, seed=3, replications=3).runs
    assert (runs["css_refusals_capacity"] > 0).any()


def test_registry_keys_are_unique_and_complete() -> None:
    assert len(OUTCOMES) == len(set(OUTCOMES))
    for o in OUTCOMES.values():
        assert o.label and o.serves and o.dtype in ("int", "float", "bool", "str")
        if o.censored_by:
            assert f"{o.scope}:{o.censored_by}" in OUTCOMES


def test_docs_list_every_outcome() -> None:
    """docs/odd.md's table of outputs is the registry's (regenerate: see its heading)."""
    text = (ROOT / "docs" / "odd.md").read_text(encoding="utf-8")
    for row in outcome_table().itertuples():
        assert f"`{row.column}`" in text, f"docs/odd.md does not list {row.scope} {row.column}"


def test_a_scope_lists_an_outcome_added_after_it_was_read() -> None:
    """The registry caches each scope's list (the collect phase reads it every step); adding an
    outcome must show in the next read."""
    from stationsim.model.outcomes import Outcome, OutcomeRegistry

    reg = OutcomeRegistry()
    reg.add(Outcome("a", "step", "int", "", "a", "bookkeeping", lambda m, s: 1))
    assert [o.name for o in reg.scope("step")] == ["a"]
    reg.add(Outcome("b", "step", "int", "", "b", "bookkeeping", lambda m, s: 2))
    reg.add(Outcome("c", "step", "int", "", "c", "bookkeeping", None))
    assert [o.name for o in reg.scope("step")] == ["a", "b"]
    assert [o.name for o in reg.scope("step", computed=False)] == ["a", "b", "c"]
    reg.scope("step").clear()  # a caller's copy: the registry's list is not changed
    assert len(reg.scope("step")) == 2
