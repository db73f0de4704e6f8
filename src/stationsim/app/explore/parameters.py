"""The page's controls and the model they build: one control per main parameter
(rule and channel of each station, transparency and reciprocity of each host,
seed, free ``PATH=VALUE`` overrides), their values applied through
:func:`stationsim.model.scenario.with_overrides`, and :class:`ExplorerModel`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stationsim.app.explore.scenarios import initial_scenario
from stationsim.model.core import StationModel
from stationsim.model.scenario import (
    Scenario,
    ScenarioError,
    load_scenario,
    parse_set,
    with_overrides,
)
from stationsim.rules import RULES
from stationsim.running.batch import run_seed

#: Name of the control holding free ``PATH=VALUE`` overrides.
OVERRIDES = "overrides"


@dataclass(frozen=True)
class Control:
    """One input of the page: the scenario field it sets (a ``--set`` path) and its widget.

    ``kind`` is a Mesa ``model_params`` input type: ``Select`` (``values``),
    ``SliderFloat`` (``low``, ``high``, ``step``) or ``InputText``.
    """

    path: str
    label: str
    kind: str
    value: Any
    values: tuple[str, ...] = ()
    low: float = 0.0
    high: float = 1.0
    step: float = 0.05

    def mesa(self) -> dict[str, Any]:
        """The control as an entry of SolaraViz's ``model_params``."""
        out: dict[str, Any] = {"type": self.kind, "value": self.value, "label": self.label}
        if self.kind == "Select":
            out["values"] = list(self.values)
        elif self.kind == "SliderFloat":
            out.update(min=self.low, max=self.high, step=self.step)
        return out


def controls(scn: Scenario) -> list[Control]:
    """The page's inputs for a scenario, with its values: seed; rule and channel of each
    station; transparency and reciprocity of each host; free overrides."""
    out = [Control("seed", "Seed (master seed; the page runs replication 0)", "InputText",
                   str(scn.seed))]
    for st in scn.stations:
        out.append(Control(f"stations.{st.name}.rule", f"{st.name} rule", "Select", st.rule,
                           (*sorted(RULES), "auto")))
        out.append(Control(f"stations.{st.name}.channel", f"{st.name} channel", "Select",
                           st.channel, ("bilateral", "un", "auto")))
    states = {s.iso3: s for s in scn.states}
    for host in dict.fromkeys(st.host for st in scn.stations):
        if host not in states:  # a generated host: drawn in each replication
            continue
        for attr in ("transparency", "reciprocity"):
            out.append(Control(f"states.{host}.{attr}", f"{host} (host) {attr}", "SliderFloat",
                               float(getattr(states[host], attr))))
    out.append(Control(OVERRIDES, "More overrides: PATH=VALUE; ... (as run --set)",
                       "InputText", ""))
    return out


def model_params(scenario_file: Path | str, scn: Scenario) -> dict[str, Any]:
    """SolaraViz's ``model_params``: the scenario file (fixed) and every control."""
    return {"scenario_file": str(scenario_file), **{c.path: c.mesa() for c in controls(scn)}}


def _value(path: str, value: Any) -> Any:
    if path == "seed" and isinstance(value, str):
        text = value.strip()
        if not text:
            return None  # an empty field: the scenario's seed
        try:
            return int(text)
        except ValueError:
            return text  # with_overrides says what is allowed
    if isinstance(value, float):
        return round(value, 6)  # slider steps, not 0.30000000000000004
    return value


def parse_overrides(text: str, source: str) -> dict[str, Any]:
    """``PATH=VALUE`` items separated by ``;`` or new lines (VALUE read as in ``--set``)."""
    items = [s.strip() for s in text.replace("\n", ";").split(";") if s.strip()]
    for item in items:
        if "=" not in item:
            raise ScenarioError(f"{source}: more overrides: {item!r}: expected PATH=VALUE, "
                                "e.g. parameters.learn_rate=0.4")
    return parse_set(items, source)


def apply_values(base: Scenario, values: Mapping[str, Any]) -> tuple[Scenario, dict[str, Any]]:
    """The scenario with the page's values, and the values that differ from ``base``.

    ``values`` maps control paths (:func:`controls`) to values as the widgets
    give them; ``overrides`` holds free ``PATH=VALUE`` text, applied last.

    Raises
    ------
    ScenarioError
        If a path is unknown or a value is not allowed (the message of
        :func:`stationsim.model.scenario.with_overrides`).
    """
    ov = {p: _value(p, v) for p, v in values.items() if p != OVERRIDES}
    ov = {p: v for p, v in ov.items() if v is not None}
    ov.update(parse_overrides(str(values.get(OVERRIDES) or ""), base.source))
    scn = with_overrides(base, ov)
    before, after = base.raw(), scn.raw()
    changed = {p: v for p, v in ov.items() if _get(before, p) != _get(after, p)}
    return scn, changed


def _get(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if isinstance(node, list):
            hits = [x for x in node if isinstance(x, dict) and part in (x.get("name"),
                                                                          x.get("iso3"))]
            node = hits[0] if hits else (node[int(part)] if part.isdigit() else None)
        elif isinstance(node, dict):
            node = node.get(part)
        if node is None:
            return None
    return node


# ---------------------------------------------------------------------- model


class ExplorerModel(StationModel):
    """The model on the page: a scenario file plus the page's values.

    Parameters
    ----------
    scenario_file : str
        The scenario TOML file (default: :func:`initial_scenario`).
    seed : int or str, optional
        Master seed; the model is seeded with ``run_seed(seed, 0)``, so it is
        replication 0 of ``stationsim run``.
    overrides : str
        Free ``PATH=VALUE`` overrides separated by ``;``.
    **values
        Control values by dotted path (``stations.CSS.rule`` ...).

    Attributes
    ----------
    error : str or None
        The validation message when a value is not allowed; the model then
        holds the unchanged scenario and does not step.
    changed : dict
        The values that differ from the scenario file.
    """

    def __init__(self, scenario_file: str = "", seed: int | str | None = None,
                 overrides: str = "", **values: Any) -> None:
        values.pop("scenario", None)  # SolaraViz's reset passes Mesa's own scenario object
        self.scenario_file = Path(scenario_file) if scenario_file else initial_scenario()
        base = load_scenario(self.scenario_file)
        error: str | None = None
        try:
            scn, changed = apply_values(base, {"seed": seed, OVERRIDES: overrides, **values})
        except ScenarioError as exc:
            scn, changed, error = with_overrides(base, {}), {}, str(exc)
        super().__init__(scn, rng=run_seed(scn.seed, 0), log_events=True)
        self.error = error
        self.changed = changed
        if error is not None:
            self.running = False

    def step(self) -> None:
        """One year; nothing while a value is not allowed."""
        if self.error is not None:
            self.running = False
            return
        super().step()
