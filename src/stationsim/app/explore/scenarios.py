"""Which scenario the page offers and opens: the scenarios folder
(:data:`ENV_SCENARIOS_DIR`), the file given on the command line
(:data:`ENV_SCENARIO`), the picker's labels and ``?scenario=`` of the address.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

from stationsim.inputs import files
from stationsim.model.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
)

#: Environment variable: the scenario file the page opens with.
ENV_SCENARIO = "STATIONSIM_EXPLORE_SCENARIO"
#: Environment variable: the folder whose ``*.toml`` files the scenario picker offers.
ENV_SCENARIOS_DIR = "STATIONSIM_EXPLORE_SCENARIOS"
#: Environment variable: the folder exported scenarios are written to.
ENV_EXPORT_DIR = "STATIONSIM_EXPLORE_EXPORT_DIR"
#: The scenario opened when none is given (if it is in the scenarios folder).
DEFAULT_SCENARIO = "css_vs_iss.toml"


class ServeError(ValueError):
    """The server cannot start as asked (a port in use, a bad host): a user error."""


def scenarios_dir() -> Path:
    """The folder the picker lists: :data:`ENV_SCENARIOS_DIR`, else ``./scenarios``,
    else the shipped scenarios (:func:`stationsim.inputs.files.scenarios_dir`)."""
    env = os.environ.get(ENV_SCENARIOS_DIR)
    if env:
        return Path(env)
    here = Path.cwd() / "scenarios"
    if here.is_dir():
        return here
    return files.scenarios_dir()


def initial_scenario(folder: Path | None = None) -> Path:
    """The scenario the page opens with: :data:`ENV_SCENARIO`, else ``css_vs_iss.toml``
    in ``folder``, else the first scenario there."""
    env = os.environ.get(ENV_SCENARIO)
    if env:
        return Path(env)
    folder = folder if folder is not None else scenarios_dir()
    if (folder / DEFAULT_SCENARIO).is_file():
        return folder / DEFAULT_SCENARIO
    found = sorted(folder.glob("*.toml"))
    if not found:
        raise ServeError(f"{folder}: no scenario files (*.toml); give a SCENARIO file")
    return found[0]


def scenario_choices(folder: Path, extra: Path | None = None) -> dict[str, Path]:
    """Picker label -> file: every ``*.toml`` of ``folder`` (by file name), then ``extra``
    (by its path) when it is not one of them."""
    out = {p.name: p for p in sorted(folder.glob("*.toml"))}
    if extra is not None and extra.resolve() not in {p.resolve() for p in out.values()}:
        out[str(extra)] = extra
    return out


def _load_base(path: Path) -> tuple[Scenario | None, str | None]:
    try:
        return load_scenario(path), None
    except ScenarioError as exc:
        return None, str(exc)


def chosen_label(search: str | None, choices: Mapping[str, Path], first: Path) -> str:
    """The picker label the page opens: ``?scenario=LABEL`` of the address when it is one
    of ``choices``, else the label of ``first``."""
    wanted = urllib.parse.parse_qs(search or "").get("scenario", [""])[0]
    if wanted in choices:
        return wanted
    return next((k for k, p in choices.items() if p.resolve() == first.resolve()), str(first))
