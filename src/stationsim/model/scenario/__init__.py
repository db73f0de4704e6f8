"""Scenario files: TOML data, validated on load.

A scenario names the states (inline, from a CSV file, or drawn from
distributions), the stations and the rule of each, a timeline of events, the
model parameters (see :mod:`stationsim.model.params`), the number of steps and the
seed.  :func:`load_scenario` validates everything before any run starts; a bad
file raises :class:`ScenarioError` whose message names the file, the field
path and what is allowed.  The CLI turns that into exit code 2.

The format is documented with an annotated example in the README.
"""

from __future__ import annotations

from stationsim.model.events import STATE_ATTRIBUTES as STATE_ATTRIBUTES
from stationsim.model.scenario.bounds import (
    REPLICATIONS_MAX,
    SEED_MAX,
    STEPS_MAX,
    WORKERS_MAX,
    check_run_options,
)
from stationsim.model.scenario.errors import PARAMS_POINTER, ScenarioError, short_list
from stationsim.model.scenario.loading import (
    load_base,
    load_scenario,
    parse_toml,
    read_file_text,
    scenario_from_dict,
    scenario_from_text,
)
from stationsim.model.scenario.messages import validation_message
from stationsim.model.scenario.models import (
    AUTO_RULE,
    EVENT_TYPES,
    HOST_OBJECTIVES,
    Dist,
    EventSpec,
    GenerateSpec,
    Iso,
    Scenario,
    SellerSpec,
    StateSpec,
    StationSpec,
    Strict,
    TrustOverride,
    Unit,
    Year,
)
from stationsim.model.scenario.overrides import _list_index as _list_index
from stationsim.model.scenario.overrides import parse_set, set_path, with_overrides

__all__ = [
    "AUTO_RULE",
    "EVENT_TYPES",
    "HOST_OBJECTIVES",
    "PARAMS_POINTER",
    "REPLICATIONS_MAX",
    "SEED_MAX",
    "STEPS_MAX",
    "WORKERS_MAX",
    "Dist",
    "EventSpec",
    "GenerateSpec",
    "Iso",
    "Scenario",
    "ScenarioError",
    "SellerSpec",
    "StateSpec",
    "StationSpec",
    "Strict",
    "TrustOverride",
    "Unit",
    "Year",
    "check_run_options",
    "load_base",
    "load_scenario",
    "parse_set",
    "parse_toml",
    "read_file_text",
    "scenario_from_dict",
    "scenario_from_text",
    "set_path",
    "short_list",
    "validation_message",
    "with_overrides",
]
