"""A run is fixed by its scenario and seed; seeds differ across replications."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import build, state, station
from pandas.testing import assert_frame_equal

import stationsim
from stationsim.model.scenario import Scenario
from stationsim.running.batch import run_seed

TABLES = ("runs", "steps", "membership")


@pytest.fixture(scope="module")
def scn() -> Scenario:
    """Unreliable states, a bilateral hub and a UN quid-pro-quo station: many random draws."""
    states = [state("USA", capability=1.0, alignment=-1.0, continent="America"),
              state("CHN", capability=0.8, alignment=1.0, reciprocity=0.6),
              *[state(f"G{k}", capability=0.1 * k, reciprocity=0.5 + 0.05 * k,
                      alignment=-0.6 + 0.2 * k, developing=k % 2 == 0,
                      assets={"money": 0.2 * k})
                for k in range(1, 8)]]
    stations = [station("ISS", "USA", channel="bilateral", partner_veto=True,
                        founding_members=["G1", "G2"]),
                station("CSS", "CHN", rule="quid_pro_quo", channel="un", capacity=4)]
    events = [{"year": 2001, "type": "ban", "state": "USA", "target": "CHN"}]
    return build(states, stations, steps=12, events=events, seed=11,
                 parameters={"admission_order": "random"})


def test_same_scenario_and_seed_give_equal_tables(scn: Scenario) -> None:
    a = stationsim.run(scn, seed=5, replications=3)
    b = stationsim.run(scn, seed=5, replications=3)
    for name in TABLES:
        assert len(getattr(a, name)) > 0
        assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.meta == b.meta


def test_scenario_seed_is_the_default_master_seed(scn: Scenario) -> None:
    a = stationsim.run(scn, replications=2)
    b = stationsim.run(scn, seed=scn.seed, replications=2)
    for name in TABLES:
        assert_frame_equal(getattr(a, name), getattr(b, name))
    assert (a.runs["master_seed"] == scn.seed).all()


def test_different_seeds_give_different_runs(scn: Scenario) -> None:
    a = stationsim.run(scn, seed=1, replications=2)
    b = stationsim.run(scn, seed=2, replications=2)
    assert not a.runs["run_seed"].isin(b.runs["run_seed"]).any()
    # the outcomes themselves differ, not only the seed columns
    cols = [c for c in a.steps.columns if c not in ("run_seed",)]
    assert not a.steps[cols].equals(b.steps[cols])
    # and so do the replications of one batch
    r0 = a.steps[a.steps["replication"] == 0].drop(columns=["replication", "run_seed"])
    r1 = a.steps[a.steps["replication"] == 1].drop(columns=["replication", "run_seed"])
    assert not r0.reset_index(drop=True).equals(r1.reset_index(drop=True))


def test_run_seeds_are_distinct_and_consistent_across_tables(scn: Scenario) -> None:
    res = stationsim.run(scn, seed=3, replications=6, steps=2)
    runs = res.runs
    assert runs["replication"].tolist() == list(range(6))
    assert runs["run_seed"].is_unique
    assert runs["run_seed"].tolist() == [run_seed(3, i) for i in range(6)]
    assert res.meta["run_seeds"] == runs["run_seed"].tolist()
    for name in ("steps", "membership"):
        pairs = getattr(res, name)[["replication", "run_seed"]].drop_duplicates()
        assert_frame_equal(pairs.reset_index(drop=True),
                           runs[["replication", "run_seed"]].reset_index(drop=True))


def test_run_seed_is_fixed_by_master_and_index() -> None:
    seeds = [run_seed(m, i) for m in (0, 1, 2**40) for i in range(50)]
    assert len(set(seeds)) == len(seeds)
    assert all(0 <= s < 2**63 for s in seeds)
    assert run_seed(7, 3) == run_seed(7, 3)


def test_one_replication_reruns_alone_from_its_run_seed(scn: Scenario) -> None:
    """Replication i of a batch equals a single run with its run_seed (no shared stream)."""
    batch = stationsim.run(scn, seed=9, replications=3)
    third = stationsim.run_one(scn, run_seed(9, 2), replication=2, master_seed=9)
    assert_frame_equal(batch.runs.iloc[[2]].reset_index(drop=True), third.runs)
    steps = batch.steps[batch.steps["replication"] == 2].reset_index(drop=True)
    assert_frame_equal(steps, third.steps)
    assert isinstance(third.membership, pd.DataFrame)


def test_a_batch_makes_the_tables_its_single_runs_make(scn: Scenario) -> None:
    """``run`` builds one DataFrame per table for the batch (``tables_of``): the same values,
    dtypes, columns and index as the replications' own tables concatenated."""
    batch = stationsim.run(scn, seed=11, replications=3)
    alone = [stationsim.run_one(scn, run_seed(11, i), replication=i, master_seed=11)
             for i in range(3)]
    for name in TABLES:
        glued = pd.concat([getattr(t, name) for t in alone], ignore_index=True)
        assert list(getattr(batch, name).dtypes) == list(glued.dtypes), name
        assert_frame_equal(getattr(batch, name), glued, check_exact=True, obj=name)
