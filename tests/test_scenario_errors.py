"""Bad scenarios through the CLI: exit 2, the file and field named, no traceback, nothing written.

Every case starts from a valid scenario (:data:`BASE`, checked below) and
breaks one thing.  Every case is checked in process (a ScenarioError naming
the field); most also run as real ``python -m stationsim.app.cli run`` processes,
two at a time, once per module.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from helpers import run_cli

from stationsim.model.scenario import ScenarioError, load_scenario, scenario_from_text

CSV_HEAD = "iso3,capability,reciprocity,transparency,military_fusion,alignment,developing"
CSV_GOOD = "AAA,0.3,0.9,0.5,0.1,0.2,1"


def _state(iso3: str, capability: float) -> dict[str, Any]:
    return {"iso3": iso3, "capability": capability, "reciprocity": 0.9, "transparency": 0.5,
            "military_fusion": 0.1, "alignment": 0.0}


BASE: dict[str, Any] = {
    "name": "bad",
    "steps": 3,
    "start_year": 2000,
    "parameters": {"learn_rate": 0.2},
    "states": [_state("HUB", 0.9), _state("GST", 0.3), _state("PTR", 0.5)],
    "stations": [{"name": "S", "host": "HUB", "rule": "hub_and_spoke", "capacity": 3,
                  "operating_cost": 1.0, "open_from": 2000, "close_at": 2010,
                  "founding_members": ["PTR"]}],
    "events": [{"year": 2001, "type": "ban", "state": "HUB", "target": "GST"},
               {"year": 2001, "type": "set_station", "station": "S",
                "attribute": "capacity", "value": 4}],
}


@dataclass(frozen=True)
class Case:
    """One way to break the base scenario, and what the message must name."""

    id: str
    change: Callable[[dict[str, Any]], None] | str  # edit the data, or the whole file text
    expect: tuple[str, ...]  # the field (and file) the message must name
    files: dict[str, bytes] = field(default_factory=dict)  # extra files beside it
    culprit: str = "bad.toml"  # the file at fault, named by its path
    cli: bool = True  # also run through the CLI (each process costs about a second)

    def text(self) -> str:
        if isinstance(self.change, str):
            return self.change
        data = copy.deepcopy(BASE)
        self.change(data)
        return tomli_w.dumps(data)


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that sets (or, with ``...``, deletes) ``value`` at a dotted path."""
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(last) if last.isdigit() else last
        if value is ...:
            del node[key]
        else:
            node[key] = value
    return change


def with_csv(body: bytes, name: str = "states.csv") -> dict[str, bytes]:
    return {name: CSV_HEAD.encode() + b"\n" + CSV_GOOD.encode() + b"\n" + body + b"\n"}


CSV = setter("states_csv", "states.csv")

CASES = [
    Case("missing_field", setter("stations.0.rule", ...), ("stations[0].rule", "missing")),
    Case("wrong_type", setter("stations.0.capacity", "three"), ("stations[0].capacity",)),
    Case("value_out_of_range", setter("states.1.capability", 1.5), ("states[1].capability",)),
    Case("unknown_rule", setter("stations.0.rule", "first_come"),
         ("stations[0].rule", "first_come", "quid_pro_quo")),
    Case("event_unknown_state", setter("events.0.state", "ZZZ"), ("events[0].state", "ZZZ")),
    Case("duplicate_iso3", setter("states.2.iso3", "GST"), ("states[2].iso3", "duplicate")),
    Case("empty_file", "\n  \n", ("empty",)),
    Case("not_toml", 'name = "bad"\n[[stations]\nrule = ', ("not valid TOML",)),
    Case("unknown_parameter", setter("parameters.warp_speed", 1.0),
         ("parameters.warp_speed", "unknown parameter")),
    Case("parameter_out_of_bounds", setter("parameters.learn_rate", 2.0),
         ("parameters.learn_rate", "[0, 1]")),
    Case("parameter_wrong_type", setter("parameters.patience", 2.5), ("parameters.patience",),
         cli=False),
    Case("unknown_top_level_field", setter("colour", "red"), ("colour", "unknown field")),
    Case("unknown_station_field", setter("stations.0.crew", 6), ("stations[0].crew",), cli=False),
    Case("host_not_a_state", setter("stations.0.host", "ZZZ"), ("stations[0].host", "ZZZ")),
    Case("founder_not_a_state", setter("stations.0.founding_members", ["ZZZ"]),
         ("stations[0].founding_members[0]", "ZZZ")),
    Case("founder_twice", setter("stations.0.founding_members", ["PTR", "PTR"]),
         ("stations[0].founding_members[1]", "twice"), cli=False),
    Case("founder_is_host", setter("stations.0.founding_members", ["HUB"]),
         ("stations[0].founding_members[0]", "host"), cli=False),
    Case("close_before_open", setter("stations.0.close_at", 1990), ("stations[0].close_at",)),
    Case("capacity_below_founders", setter("stations.0.capacity", 0),
         ("stations[0].capacity", "founding")),
    Case("unknown_channel", setter("stations.0.channel", "telepathy"),
         ("stations[0].channel", "bilateral")),
    Case("alignment_out_of_range", setter("states.1.alignment", 1.5),
         ("states[1].alignment", "[-1, 1]")),
    Case("event_year_outside_run", setter("events.0.year", 2050), ("events[0].year", "2050"),
         cli=False),
    Case("event_unknown_station", setter("events.1.station", "MIR"),
         ("events[1].station", "MIR"), cli=False),
    Case("set_station_zero_cost", lambda d: d["events"][1].update(
        attribute="operating_cost", value=0.0), ("events[1].value", "operating_cost")),
    Case("trust_out_of_range", setter("trust", [{"source": "HUB", "target": "GST",
                                                 "value": 1.5}]), ("trust[0].value",), cli=False),
    Case("bad_states_csv_path", setter("states_csv", "nowhere.csv"),
         ("states_csv", "nowhere.csv", "not found")),
    Case("bad_csv_cell", CSV, ("states.csv", "line 3", "capability", "high"),
         with_csv(b"BBB,high,0.9,0.5,0.1,0.2,0"), culprit="states.csv"),
    Case("csv_cell_out_of_range", CSV, ("states.csv", "line 3", "capability"),
         with_csv(b"BBB,1.5,0.9,0.5,0.1,0.2,0"), cli=False),
    Case("csv_not_utf8", CSV, ("states.csv", "UTF-8"), with_csv(b"B\xe9B,0.5,0.9,0.5,0.1,0,0"),
         culprit="states.csv"),
]


CLI_CASES = [c for c in CASES if c.cli]


def test_at_least_fifteen_kinds_through_the_cli() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    assert len(CLI_CASES) >= 15


def test_base_scenario_is_valid(tmp_path: Path) -> None:
    """Each case breaks exactly one thing in a scenario that is otherwise fine."""
    scn = scenario_from_text(tomli_w.dumps(BASE), source="base.toml")
    assert [s.iso3 for s in scn.states] == ["HUB", "GST", "PTR"]
    # the CSV cases' good row alone is fine too
    (tmp_path / "states.csv").write_text(f"{CSV_HEAD}\n{CSV_GOOD}\n", encoding="utf-8")
    (tmp_path / "ok.toml").write_text(tomli_w.dumps({**BASE, "states_csv": "states.csv"}),
                                      encoding="utf-8")
    assert [s.iso3 for s in load_scenario(tmp_path / "ok.toml").states][-1] == "AAA"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_scenario_is_a_scenario_error_in_process(case: Case, tmp_path: Path) -> None:
    """The API raises ScenarioError (never another exception) naming the field."""
    for name, content in case.files.items():
        (tmp_path / name).write_bytes(content)
    path = tmp_path / "bad.toml"
    path.write_text(case.text(), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    for needle in case.expect:
        assert needle in str(err.value)


@pytest.fixture(scope="module")
def cli_outcomes(tmp_path_factory: pytest.TempPathFactory,
                 request: pytest.FixtureRequest) -> dict[str, tuple[Any, Path, Path]]:
    """Run the selected cases through the CLI, two processes at a time."""
    wanted = {item.callspec.params["case"].id for item in request.session.items
              if getattr(item, "originalname", "") == "test_bad_scenario_through_cli"}
    jobs = {}
    for case in CASES:
        if case.id not in wanted:
            continue
        folder = tmp_path_factory.mktemp(case.id)
        for name, content in case.files.items():
            (folder / name).write_bytes(content)
        path = folder / "bad.toml"
        path.write_text(case.text(), encoding="utf-8")
        jobs[case.id] = (path, folder / "out")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {cid: pool.submit(run_cli, "run", str(p), "--out", str(out))
                   for cid, (p, out) in jobs.items()}
        return {cid: (f.result(), *jobs[cid]) for cid, f in futures.items()}


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_bad_scenario_through_cli(case: Case,
                                  cli_outcomes: dict[str, tuple[Any, Path, Path]]) -> None:
    proc, path, out = cli_outcomes[case.id]
    err = proc.stderr
    assert proc.returncode == 2, err
    assert "Traceback" not in err and "Traceback" not in proc.stdout
    assert str(path.parent / case.culprit) in err, "the message names the file at fault"
    for needle in case.expect:
        assert needle in err, f"{needle!r} not in {err!r}"
    assert not out.exists() or not any(out.iterdir()), "nothing is written"
