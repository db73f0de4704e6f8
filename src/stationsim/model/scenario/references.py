"""Cross-field checks of a scenario (:func:`_check_references`): unique names, known
states and stations, successors, exclusive founders, parameters, events."""

from __future__ import annotations

from pydantic import ValidationError

from stationsim.model.events import EVENTS, CheckContext
from stationsim.model.names import did_you_mean
from stationsim.model.params import PARAMETERS, ParametersModel
from stationsim.model.scenario.errors import PARAMS_POINTER, ScenarioError, short_list
from stationsim.model.scenario.models import Scenario, StationSpec


def _check_references(scn: Scenario) -> None:
    """Cross-field checks: unique names, known states and stations, parameters."""
    src = scn.source
    errors: list[str] = []
    isos: dict[str, int] = {}
    for i, s in enumerate(scn.states):
        if s.iso3 in isos:
            errors.append(f"{src}: states[{i}].iso3: duplicate state {s.iso3!r} "
                          f"(also states[{isos[s.iso3]}]); each iso3 must be unique")
        isos[s.iso3] = i
    dims = {len(s.alignment) if isinstance(s.alignment, list) else 1 for s in scn.states}
    if len(dims) > 1:
        errors.append(f"{src}: states.alignment: every state needs the same alignment "
                      f"dimension, got {sorted(dims)}")
    if any(d > 1 for d in dims) and scn.generate:
        errors.append(f"{src}: generate: generated states support scalar alignment only")
    for g, gen in enumerate(scn.generate):
        for k in range(min(gen.count, 2)):
            iso = f"{gen.prefix}{k + 1:04d}"
            if iso in isos:
                errors.append(f"{src}: generate[{g}].prefix: generated iso3 {iso!r} clashes "
                              "with a listed state")
    if not scn.states and not scn.generate:
        errors.append(f"{src}: states: a scenario needs at least one state (states, "
                      "states_csv or generate)")
    known = set(isos)
    has_generated = bool(scn.generate)

    def _state_ok(iso: str | None, where: str) -> None:
        if iso is None:
            errors.append(f"{where}: required for this event type")
        elif iso not in known and not (has_generated and _is_generated(iso, scn)):
            errors.append(f"{where}: unknown state {iso!r}{did_you_mean(iso, known)}; it must "
                          "be listed under states")

    names: dict[str, int] = {}
    for i, st in enumerate(scn.stations):
        if st.name in names:
            errors.append(f"{src}: stations[{i}].name: duplicate station {st.name!r}")
        names[st.name] = i
        _state_ok(st.host, f"{src}: stations[{i}].host")
        for j, f in enumerate(st.founding_members):
            _state_ok(f, f"{src}: stations[{i}].founding_members[{j}]")
            if f == st.host:
                errors.append(f"{src}: stations[{i}].founding_members[{j}]: the host is not "
                              "its own guest")
            if f in st.founding_members[:j]:
                errors.append(f"{src}: stations[{i}].founding_members[{j}]: {f!r} is listed "
                              "twice")
        if len(st.founding_members) > st.capacity:
            errors.append(f"{src}: stations[{i}].capacity: {st.capacity} is less than the "
                          f"{len(st.founding_members)} founding members (founders use slots)")
        if st.close_at <= st.open_from:
            errors.append(f"{src}: stations[{i}].close_at: must be after open_from "
                          f"({st.open_from})")
        for k, sel in enumerate(st.sellers):
            if sel.seller != "commercial":
                _state_ok(sel.seller, f"{src}: stations[{i}].sellers[{k}].seller")
            if (sel.open_from is not None and sel.close_at is not None
                    and sel.close_at <= sel.open_from):
                errors.append(f"{src}: stations[{i}].sellers[{k}].close_at: must be after "
                              f"open_from ({sel.open_from})")
    _check_successors(scn, errors)
    if scn.exclusive:
        _check_exclusive(scn, errors)
    try:
        ParametersModel.model_validate(scn.parameters)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            if err["type"] == "extra_forbidden":
                errors.append(f"{src}: parameters.{name}: unknown parameter"
                              f"{did_you_mean(name, PARAMETERS)}{PARAMS_POINTER}")
            else:
                msg = str(err["msg"]).removeprefix("Value error, ")
                errors.append(f"{src}: parameters.{name}: {msg}")
    for t, tr in enumerate(scn.trust):
        _state_ok(tr.source, f"{src}: trust[{t}].source")
        _state_ok(tr.target, f"{src}: trust[{t}].target")
    last_year = scn.start_year + scn.steps
    ctx = CheckContext(errors, _state_ok, list(names))
    for e, ev in enumerate(scn.events):
        where = f"{src}: events[{e}]"
        if not scn.start_year <= ev.year < last_year:
            errors.append(f"{where}.year: {ev.year} is outside the run "
                          f"[{scn.start_year}, {last_year - 1}]")
        EVENTS[ev.type].check(ev, ctx, where)
    if errors:
        raise ScenarioError("\n".join(errors))


def _check_successors(scn: Scenario, errors: list[str]) -> None:
    """``successor_of`` names another station of the scenario that closes before the
    successor does (else the successor is gone before it could take anyone)."""
    by_name = {st.name: st for st in scn.stations}
    for i, st in enumerate(scn.stations):
        pred = st.successor_of
        if pred is None:
            continue
        where = f"{scn.source}: stations[{i}].successor_of"
        others = [n for n in by_name if n != st.name]
        if pred == st.name:
            errors.append(f"{where}: a station cannot succeed itself; allowed: another "
                          f"station ({short_list(others) or 'none'})")
        elif pred not in by_name:
            errors.append(f"{where}: unknown station {pred!r}{did_you_mean(pred, others)}; "
                          f"allowed: {short_list(others) or 'none'}")
        elif by_name[pred].close_at >= st.close_at:
            errors.append(f"{where}: {pred} closes at {by_name[pred].close_at}, not before "
                          f"{st.name} does ({st.close_at}); a successor takes its "
                          "predecessor's members when the predecessor closes, so it must "
                          "close later")


def _check_exclusive(scn: Scenario, errors: list[str]) -> None:
    """Under ``exclusive = true`` a state is a guest of one station at a time: it cannot
    found two stations open at the same time (the model would drop it from one).

    A host founding another station is no contradiction: exclusivity counts guest
    memberships, and a host is not its own station's guest (``h4_us_utility_china_iss``
    makes China an ISS partner while it hosts the CSS).
    """
    src = scn.source
    sts = scn.stations

    def overlap(a: StationSpec, b: StationSpec) -> bool:
        return a.open_from < b.close_at and b.open_from < a.close_at

    for i, st in enumerate(sts):
        for j, f in enumerate(st.founding_members):
            for k, other in enumerate(sts[:i]):
                if not overlap(st, other):
                    continue
                if f in other.founding_members:
                    errors.append(
                        f"{src}: stations[{i}].founding_members[{j}]: {f!r} also founds "
                        f"stations[{k}] ({other.name}, founding_members"
                        f"[{other.founding_members.index(f)}]) while both are open; under "
                        "exclusive = true a state is a guest of one station at a time")


def _is_generated(iso: str, scn: Scenario) -> bool:
    for gen in scn.generate:
        tail = iso[len(gen.prefix):]
        if iso.startswith(gen.prefix) and tail.isdigit() and 1 <= int(tail) <= gen.count:
            return True
    return False
