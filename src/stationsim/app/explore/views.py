"""The page's live views as solara components: now, members, network, one state,
reasons, export.
"""

from __future__ import annotations

import ipywidgets as widgets
import solara
from mesa.visualization.utils import update_counter

from stationsim.app.explore.export import export_dir, export_scenario, export_text
from stationsim.app.explore.figures import members_now
from stationsim.app.explore.parameters import ExplorerModel
from stationsim.app.explore.reasons import count_line, reasons_table
from stationsim.app.explore.state_panel import state_choices, state_html
from stationsim.app.explore.svg import members_svg, network_summary, network_svg

CARD = {"height": "100%", "overflow": "auto"}


@solara.component
def StatusView(model: ExplorerModel) -> None:
    """Year, members per station, rules and hosts; the validation message, if any."""
    update_counter.get()
    with solara.Card("Now", classes=["stationsim-now"], style=CARD):
        if model.error is not None:
            solara.Error(f"Not applied: {model.error}. The page shows the scenario file "
                         "unchanged and does not step; fix the value and press Reset.",
                         classes=["stationsim-error"])
        solara.v.Html(tag="div", class_="stationsim-apply", style_="font-size: 0.85em; "
                      "color: #444; margin-bottom: 4px", children=[
                          "A changed control applies when you press Reset: the run then "
                          "restarts from its first year with the new values. Step and ▶ "
                          "continue the run shown here."])
        when = (f"year {model.year - 1} done" if model.t
                else f"starts in {model.start_year} (press Step or ▶)")
        # plain HTML, not solara.Markdown: that loads mermaid from the CDN (not in the cache)
        solara.v.Html(tag="div", children=[
            solara.v.Html(tag="b", children=[model.spec.name]),
            f", seed {model.spec.seed}: {when}, step {model.t} of {model.n_steps}"])
        solara.v.Html(tag="div", class_="stationsim-members", style_="font-weight: bold",
                      children=["Members: " + ", ".join(f"{k} {v}" for k, v in
                                                         members_now(model).items())])
        lines = [f"{s.name}: {s.rule_name}, {s.channel} channel, host "
                 f"{model.states.iso3[s.host]}" for s in model.stations]
        hosts = dict.fromkeys(s.host for s in model.stations)
        lines.append("Hosts: " + "; ".join(
            f"{model.states.iso3[h]} transparency {model.transparency[h]:.2f}, "
            f"reciprocity {model.reciprocity[h]:.2f}" for h in hosts))
        if model.changed:
            lines.append("Changed: " + ", ".join(f"{p} = {v}" for p, v in
                                                 model.changed.items()))
        for line in lines:
            solara.v.Html(tag="div", children=[line])


@solara.component
def MembersView(model: ExplorerModel) -> None:
    """Members of each station in this run, on fixed whole-number axes with the guest slots
    (:func:`members_svg`: drawn in a millisecond, so every step shows at once)."""
    update_counter.get()
    svg = solara.use_memo(lambda: members_svg(model), [model, model.t])
    with solara.Card(classes=["stationsim-members-view"], style=CARD):
        widgets.HTML.element(value=svg, layout=widgets.Layout(width="100%"))


@solara.component
def NetworkView(model: ExplorerModel) -> None:
    """The partnership network now (:func:`network_svg`) and its links in words."""
    update_counter.get()
    svg = solara.use_memo(lambda: network_svg(model), [model, model.t])
    with solara.Card(classes=["stationsim-network-view"], style=CARD):
        widgets.HTML.element(value=svg, layout=widgets.Layout(width="100%"))
        solara.v.Html(tag="div", class_="stationsim-network", style_="font-size: 0.8em",
                      children=["Links: " + network_summary(model)])


@solara.component
def ReasonsView(model: ExplorerModel) -> None:
    """The last step's applications, admissions (and the accepted offer), refusals, exits."""
    update_counter.get()
    df = solara.use_memo(lambda: reasons_table(model), [model, model.t])
    with solara.Card(style=CARD):
        title = (f"{model.year - 1}: applications, admissions (with the accepted offer), "
                 "refusals and exits" if model.t else
                 f"Start of {model.start_year}: founding members of the open stations")
        solara.v.Html(tag="div", class_="stationsim-reasons-title text-h6", children=[title])
        if model.t == 0 and df.empty:
            solara.Info("Nothing yet: after each step this table shows its applications, "
                        "admissions, refusals and exits.")
        elif df.empty:
            solara.Text(f"Nothing happened in {model.year - 1}: no applications, admissions, "
                        "refusals or exits.")
        else:
            solara.Text(count_line(df))
            # a wide table scrolls inside the card rather than widen the page (width 0 and
            # min-width 100%: it fills the card but adds nothing to the page's minimum width)
            with solara.Div(classes=["stationsim-reasons"],
                            style={"overflow-x": "auto", "width": "0", "min-width": "100%"}):
                solara.DataFrame(df.drop(columns=["year"]), items_per_page=15)


@solara.component
def StateView(model: ExplorerModel) -> None:
    """One state, chosen in a selector: its attributes, its trust in each host (and the
    host's in it), its membership and its last decision at each station
    (:func:`state_html`); redrawn only for this state (a few milliseconds a step)."""
    update_counter.get()
    chosen = solara.use_reactive("")
    choices = solara.use_memo(lambda: state_choices(model), [model])
    iso = choices.get(chosen.value, "")
    html = solara.use_memo(lambda: state_html(model, iso) if iso else "",
                           [model, model.t, iso])
    with solara.Card(classes=["stationsim-state"], style=CARD):
        solara.v.Html(tag="div", class_="text-h6", children=["A state"])
        with solara.Div(style={"max-width": "360px"}):
            solara.Select(label="State", values=list(choices), value=chosen)
        if iso:
            widgets.HTML.element(value=html, layout=widgets.Layout(width="100%"))
        else:
            solara.Info("Choose a state to see its attributes, its trust in each station's "
                        "host, its membership and the reasons of its last decision at "
                        "each station.")


@solara.component
def ExportView(model: ExplorerModel) -> None:
    """Write the scenario on screen as a TOML file for ``stationsim run``; or download it."""
    update_counter.get()
    written = solara.use_reactive("")
    failed = solara.use_reactive("")

    def _forget() -> None:  # a new model (Reset, another scenario): nothing written for it yet
        written.set("")
        failed.set("")

    solara.use_effect(_forget, [model])

    def do_export() -> None:
        try:
            written.set(str(export_scenario(model, export_dir())))
            failed.set("")
        except OSError as exc:
            failed.set(f"cannot write to {export_dir()}: {exc}")

    with solara.Card("Export", style=CARD):
        solara.Text("The scenario on screen (the values applied by the last Reset) as a "
                    "TOML file for `stationsim run FILE`; its replication 0 is this run.")
        with solara.Row():
            solara.Button("Export scenario", color="primary", on_click=do_export,
                          disabled=model.error is not None)
            solara.FileDownload(lambda: export_text(model),
                                filename=f"{model.spec.name}_explore.toml",
                                label="Download", mime_type="application/toml")
        if written.value:
            solara.Success(f"Written: {written.value} (run it: stationsim run {written.value})",
                           classes=["stationsim-exported"])
        if failed.value:
            solara.Error(failed.value, classes=["stationsim-error"])


@solara.component
def Views(model: ExplorerModel) -> None:
    """The live views of the model on the page."""
    with solara.Column(style={"width": "100%"}):
        with solara.Columns([3, 2]):
            StatusView(model)
            ExportView(model)
        MembersView(model)
        NetworkView(model)
        StateView(model)
        ReasonsView(model)
