"""Dotted-path overrides of a scenario (:func:`set_path`, :func:`with_overrides`) and
``--set PATH=VALUE`` parsing (:func:`parse_set`), with problems blamed on the
``--set`` argument that caused them."""

from __future__ import annotations

import tomllib
from typing import Any, cast

from stationsim.model.names import did_you_mean
from stationsim.model.scenario.errors import ScenarioError, short_list
from stationsim.model.scenario.loading import scenario_from_dict
from stationsim.model.scenario.models import Scenario


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted ``path`` of raw scenario data, in place.

    List items are addressed by index or by their key: a station by ``name``,
    a state by ``iso3`` (``stations.CSS.rule``, ``states.CHN.transparency``,
    ``parameters.learn_rate``).

    Raises
    ------
    KeyError
        If the path does not address an existing item.
    """
    parts = path.split(".")
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            idx = _list_index(node, part, parts[i - 1] if i else "")
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:
                    if part == "parameters":
                        node[part] = {}
                    else:
                        raise KeyError(f"{'.'.join(parts[: i + 1])}: no such field"
                                       f"{did_you_mean(part, node)}")
                node = node[part]
        else:
            raise KeyError(f"{'.'.join(parts[:i])}: not a table or list")


_ITEM_KIND = {"states": "state", "stations": "station", "events": "event",
              "generate": "generated group", "trust": "trust entry"}


def _list_index(node: list[Any], part: str, where: str = "") -> int:
    if part.isdigit():
        if int(part) >= len(node):
            raise KeyError(f"index {part} out of range")
        return int(part)
    for j, item in enumerate(node):
        if isinstance(item, dict) and part in (item.get("name"), item.get("iso3")):
            return j
    kind = _ITEM_KIND.get(where, "item")
    names = [str(item.get("iso3") or item.get("name")) for item in node
             if isinstance(item, dict) and (item.get("iso3") or item.get("name"))]
    listed = f"; {kind}s: {short_list(names, 15)}" if names else ""
    raise KeyError(f"no {kind} named {part!r}{did_you_mean(part, names)}{listed}")


def _index_path(data: dict[str, Any], path: str) -> str:
    """``stations.CSS.rule`` -> ``stations[1].rule`` (how validation names it); the path
    itself where it cannot be followed."""
    out, node = "", cast(Any, data)
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, list):
            try:
                idx = _list_index(node, part, parts[i - 1] if i else "")
            except KeyError:
                return path
            out += f"[{idx}]"
            node = node[idx]
        else:
            out += ("." if out else "") + part
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _set_text(path: str, value: Any) -> str:
    """``--set PATH=VALUE`` as the user typed it (near enough)."""
    if isinstance(value, bool):
        return f"--set {path}={str(value).lower()}"
    return f"--set {path}={value}"


def with_overrides(scn: Scenario, overrides: dict[str, Any], *,
                   origin: str | None = None) -> Scenario:
    """Return a new validated scenario with dotted-path ``overrides`` applied.

    ``origin="--set"`` blames problems with an override on the ``--set PATH=VALUE``
    argument (named as the user named it) instead of the scenario file.

    Raises
    ------
    ScenarioError
        If a path is unknown or a value is not allowed.
    """
    data = scn.raw()
    data.pop("states_csv", None)  # states from the CSV are already inlined
    index = {path: _index_path(data, path) for path in overrides}
    for path, value in overrides.items():
        try:
            set_path(data, path, value)
        except KeyError as exc:
            msg = str(exc.args[0])
            if origin == "--set":
                msg = msg.removeprefix(f"{path}: ")
                raise ScenarioError(f"{_set_text(path, value)}: {msg}") from None
            raise ScenarioError(f"{scn.source}: {path}: {msg}") from None
    try:
        # data is this call's own dump of the scenario: no copy needed
        out = scenario_from_dict(data, source=scn.source, text=scn.text, copy_data=False)
    except ScenarioError as exc:
        if origin != "--set":
            raise
        raise ScenarioError(_blame_sets(str(exc), scn.source, overrides, index)) from None
    return out.model_copy(update={"overrides": {**scn.overrides, **overrides}})


def _blame_sets(message: str, source: str, overrides: dict[str, Any],
               index: dict[str, str]) -> str:
    """Lines of ``message`` about an overridden field name its ``--set`` argument."""
    lines = []
    for line in message.splitlines():
        head = f"{source}: "
        if line.startswith(head):
            rest = line[len(head):]
            for path, value in overrides.items():
                for form in dict.fromkeys((index[path], path)):
                    if rest.startswith(form + ":") or rest.startswith(form + "."):
                        tail = rest[len(form):]
                        sub, _, msg = tail.partition(": ")
                        where = _set_text(path, value) + (f" ({path}{sub})" if sub else "")
                        line = f"{where}: {msg}"
                        break
                else:
                    continue
                break
        lines.append(line)
    return "\n".join(lines)


def parse_set(items: list[str], source: str = "--set") -> dict[str, Any]:
    """Parse ``PATH=VALUE`` overrides (``--set``); VALUE is read as a TOML value (bare words
    are strings).

    Raises
    ------
    ScenarioError
        An item without ``=``.
    """
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected PATH=VALUE, "
                                "e.g. stations.CSS.rule=quid_pro_quo")
        path, raw = item.split("=", 1)
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        out[path.strip()] = value
    return out
