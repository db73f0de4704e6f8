"""Interactive exploration in the browser: ``stationsim explore`` (Mesa's SolaraViz).

The page is Mesa's :func:`~mesa.visualization.SolaraViz` around an
:class:`ExplorerModel` (a :class:`~stationsim.model.core.StationModel` built from a
scenario file and the values of the page's controls):

* a scenario picker over ``scenarios/*.toml`` (and the file given on the
  command line): links that open the page anew on a scenario (``?scenario=``),
  with that scenario's controls;
* SolaraViz's controls, one per main parameter: the rule and the channel of
  each station, the transparency and reciprocity of each host, the seed, and
  free ``PATH=VALUE`` overrides (as ``stationsim run --set``).  Every value
  goes through :func:`stationsim.model.scenario.with_overrides`, so the page accepts
  exactly what a scenario file accepts; a bad value is shown as the
  :class:`~stationsim.model.scenario.ScenarioError` message and the model does not
  step.  New values apply on *Reset*, as in any SolaraViz page;
* SolaraViz's play / pause / step / reset;
* live views: members of each station over time and the partnership network
  (drawn by :mod:`stationsim.present.plots` from the live model's step and membership
  tables, the same code as ``stationsim plot``), and the last step's
  applications, admissions (with the accepted offer), refusals and exits with
  the reason for each (:func:`reasons_table`, from ``model.last_log``);
* an export that writes the scenario on screen, with the values applied, as a
  self-contained TOML file that ``stationsim run`` accepts.

The model on the page is seeded with ``run_seed(seed, 0)``: it is replication
0 of ``stationsim run`` on the exported file.

:func:`serve` runs ``solara run stationsim.app.explore.page`` (the module of
:func:`Page`: given this package, solara would serve each of its modules that
holds a page as a page of its own) in a child process bound to the given host
and port; the command-line options reach the page through environment variables
(:data:`ENV_SCENARIO`, :data:`ENV_SCENARIOS_DIR`, :data:`ENV_EXPORT_DIR`).

The package, one concept per module (the public names are re-exported here):
``scenarios`` (what the page offers and opens), ``parameters`` (the controls and
:class:`ExplorerModel`), ``figures`` (matplotlib figures of the live model),
``svg`` (the live views as SVG text), ``reasons`` (the last step's decisions
explained), ``state_panel`` (one state), ``export`` (the scenario on screen as
TOML), ``views`` (the solara components of the views), ``page`` (:func:`Page`)
and ``serving`` (assets, listen check, :func:`serve`).
"""

from stationsim.app.explore.export import export_dir, export_scenario, export_text
from stationsim.app.explore.figures import (
    figure_png,
    members_figure,
    members_now,
    membership_frame,
    network_figure,
    steps_frame,
)
from stationsim.app.explore.page import Page, ScenarioPicker, show_slider_values
from stationsim.app.explore.parameters import (
    OVERRIDES,
    Control,
    ExplorerModel,
    apply_values,
    controls,
    model_params,
    parse_overrides,
)
from stationsim.app.explore.reasons import (
    ACTIONS,
    EXPLANATIONS,
    REASON_COLUMNS,
    count_line,
    reasons_table,
)
from stationsim.app.explore.scenarios import (
    DEFAULT_SCENARIO,
    ENV_EXPORT_DIR,
    ENV_SCENARIO,
    ENV_SCENARIOS_DIR,
    ServeError,
    chosen_label,
    initial_scenario,
    scenario_choices,
    scenarios_dir,
)
from stationsim.app.explore.serving import (
    asset_cache,
    cdn_packages,
    check_listen,
    ensure_assets,
    serve,
    server_command,
)
from stationsim.app.explore.state_panel import (
    STATE_STATION_COLUMNS,
    state_attributes,
    state_choices,
    state_html,
    state_stations,
)
from stationsim.app.explore.svg import members_svg, network_summary, network_svg, station_history
from stationsim.app.explore.views import (
    CARD,
    ExportView,
    MembersView,
    NetworkView,
    ReasonsView,
    StateView,
    StatusView,
    Views,
)

__all__ = [
    "ACTIONS",
    "CARD",
    "DEFAULT_SCENARIO",
    "ENV_EXPORT_DIR",
    "ENV_SCENARIO",
    "ENV_SCENARIOS_DIR",
    "EXPLANATIONS",
    "OVERRIDES",
    "REASON_COLUMNS",
    "STATE_STATION_COLUMNS",
    "Control",
    "ExplorerModel",
    "ExportView",
    "MembersView",
    "NetworkView",
    "Page",
    "ReasonsView",
    "ScenarioPicker",
    "ServeError",
    "StateView",
    "StatusView",
    "Views",
    "apply_values",
    "asset_cache",
    "cdn_packages",
    "check_listen",
    "chosen_label",
    "controls",
    "count_line",
    "ensure_assets",
    "export_dir",
    "export_scenario",
    "export_text",
    "figure_png",
    "initial_scenario",
    "members_figure",
    "members_now",
    "members_svg",
    "membership_frame",
    "model_params",
    "network_figure",
    "network_summary",
    "network_svg",
    "parse_overrides",
    "reasons_table",
    "scenario_choices",
    "scenarios_dir",
    "serve",
    "server_command",
    "show_slider_values",
    "state_attributes",
    "state_choices",
    "state_html",
    "state_stations",
    "station_history",
    "steps_frame",
]
