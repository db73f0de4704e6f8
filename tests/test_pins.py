"""Regression pins: the shipped scenarios' tables, column by column.

The pins were written by ``tests/fixtures/make_pins.py`` at commit 020ae77,
before the packages-by-role layout.  Every column the pins hold must come out
identical (values and dtypes); columns added since (listed in
``docs/odd.md``, *Observation*) are allowed and are checked against the
outcome registry by ``tests/test_outcomes.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

import stationsim

FIXTURES = Path(__file__).resolve().parent / "fixtures"
_spec = importlib.util.spec_from_file_location("make_pins", FIXTURES / "make_pins.py")
assert _spec is not None and _spec.loader is not None
make_pins = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_pins)


@pytest.mark.parametrize("name", sorted(make_pins.PINS))
def test_shipped_scenario_matches_its_pin(name: str) -> None:
    reps, steps = make_pins.PINS[name]
    scn = stationsim.load_scenario(make_pins.ROOT / "scenarios" / f"{name}.toml")
    res = stationsim.run(scn, seed=20261129, replications=reps, steps=steps)
    for table in ("runs", "steps", "membership"):
        pinned = pd.read_parquet(FIXTURES / "pins" / f"{name}.{table}.parquet")
        got = getattr(res, table)
        missing = [c for c in pinned.columns if c not in got.columns]
        assert not missing, f"{name}.{table}: pinned columns gone: {missing}"
        pd.testing.assert_frame_equal(got[list(pinned.columns)].reset_index(drop=True),
                                      pinned, check_exact=True, obj=f"{name}.{table}")
