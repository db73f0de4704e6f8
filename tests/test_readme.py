"""The README's annotated scenario example is a valid scenario that runs."""

from __future__ import annotations

import re
from pathlib import Path

import stationsim
from stationsim.model.scenario import scenario_from_text

ROOT = Path(__file__).resolve().parents[1]


def test_readme_scenario_example_loads_and_runs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no TOML example"
    scn = scenario_from_text(blocks[0], source="README.md")
    assert {s.iso3 for s in scn.states} == {"CHN", "USA"}
    assert scn.generate[0].count == 50
    res = stationsim.run(scn, replications=2, steps=3)
    assert len(res.runs) == 2
    # 2 listed + 50 generated states, one station
    assert len(res.membership) == 2 * 52
    assert set(res.steps["station"]) == {"CSS"}
