"""The page (``solara run stationsim.app.explore.page``): scenario picker, then
Mesa's SolaraViz with the scenario's controls, and the live views.
"""

from __future__ import annotations

import functools
import types
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import solara
from mesa.visualization import SolaraViz

from stationsim.app.explore.parameters import ExplorerModel, model_params
from stationsim.app.explore.scenarios import (
    _load_base,
    chosen_label,
    initial_scenario,
    scenario_choices,
    scenarios_dir,
)
from stationsim.app.explore.views import Views

#: The page's title as solara gives it (from the module's name otherwise: "Page"); the
#: title it had when the page was the module ``stationsim.app.explore``.
_title = "Explore"


@solara.component
def ScenarioPicker(choices: Mapping[str, Path], current: str, description: str) -> None:
    """The scenarios as links: each opens the page anew on that scenario (``?scenario=``),
    so SolaraViz starts fresh with that scenario's controls."""
    with solara.Card("Scenario", classes=["stationsim-picker"]):
        for label in choices:
            if label == current:
                solara.v.Html(tag="div", class_="font-weight-bold", children=[f"▸ {label}"])
            else:
                href = "?scenario=" + urllib.parse.quote(label)
                solara.v.Html(tag="div", children=[
                    solara.v.Html(tag="a", attributes={"href": href}, children=[label],
                                  style_="color: #0072B2; text-decoration: underline")])
        if description:
            solara.v.Html(tag="div", style_="font-size: 0.85em; margin-top: 8px",
                          children=[description])


class _SolaraShowingValues(types.ModuleType):
    """``solara`` as SolaraViz's controls see it: the same, but float sliders show their value
    beside the thumb at all times (``thumb_label="always"``), not only while dragged."""

    def __getattr__(self, name: str) -> Any:
        return getattr(solara, name)


def show_slider_values() -> None:
    """Make SolaraViz's float sliders show their values, its play button ▶ once the run has
    ended, and hide its "Information" card ("Time: 9.0": the page shows the year)
    (:class:`_SolaraShowingValues`); only Mesa's page module sees the change."""
    import mesa.visualization.solara_viz as viz

    if isinstance(viz.solara, _SolaraShowingValues):
        return
    proxy = _SolaraShowingValues("solara")
    proxy.SliderFloat = functools.partial(solara.SliderFloat,  # type: ignore[attr-defined]
                                          thumb_label="always")
    proxy.Button = _play_button  # type: ignore[attr-defined]
    proxy.Card = _card_without_time  # type: ignore[attr-defined]
    viz.solara = proxy  # type: ignore[assignment]


def _card_without_time(*args: Any, **kwargs: Any) -> Any:
    """SolaraViz's cards; its "Information" card (Mesa's ``model.time``, "Time: 9.0", beside
    the page's own year and step) is hidden."""
    title = args[0] if args else kwargs.get("title")
    if title == "Information":
        return solara.Div(classes=["stationsim-mesa-time"], style={"display": "none"})
    return solara.Card(*args, **kwargs)


def _play_button(*args: Any, **kwargs: Any) -> Any:
    """SolaraViz's buttons; its play button shows ▶ (disabled), not ❚❚, once the run has
    ended (SolaraViz leaves it "playing" when the model stops by itself)."""
    if kwargs.get("label") == "❚❚" and kwargs.get("disabled"):
        kwargs["label"] = "▶"
    return solara.Button(*args, **kwargs)


@solara.component
def Page() -> None:
    """The page: scenario picker, then SolaraViz with the scenario's controls and views."""
    folder = scenarios_dir()
    first = solara.use_memo(lambda: initial_scenario(folder), [])
    choices = solara.use_memo(lambda: scenario_choices(folder, first), [])
    router = solara.use_router()
    label = solara.use_memo(lambda: chosen_label(router.search, choices, first), [])
    path = choices.get(label, first)
    base, error = solara.use_memo(lambda: _load_base(path), [])
    # SolaraViz's Reset replaces the reactive's value; the views read it
    model = solara.use_memo(
        lambda: solara.reactive(ExplorerModel(str(path)) if base is not None else None), [])
    with solara.Sidebar():
        ScenarioPicker(choices, label, base.description if base is not None else "")
    if base is None or model.value is None:
        solara.Error(f"Cannot open {label}: {error}", classes=["stationsim-error"])
        return
    # SolaraViz gives the app bar, the controls, play/pause/step/reset and the parameters;
    # the views are laid out here rather than in its draggable grid (components=[]), whose
    # grid-layout script does not load under ipyvue 3
    show_slider_values()
    SolaraViz(model, components=[], model_params=model_params(path, base),
              name=f"stationsim explore: {base.name}", play_interval=400)
    Views(model.value)
