"""Scenario files read and validated: the user file's text and TOML, the scenario from
text or plain data (:func:`load_scenario`, :func:`scenario_from_dict`), a sweep's or
experiment's base scenario."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stationsim.model.scenario.errors import ScenarioError
from stationsim.model.scenario.messages import _pydantic_message
from stationsim.model.scenario.models import Scenario, StateSpec
from stationsim.model.scenario.references import _check_references
from stationsim.model.scenario.states_csv import _read_states_csv


def read_file_text(path: str | Path) -> str:
    """Text of a user's input file, or :class:`ScenarioError` naming it (missing, unreadable)."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"{p}: file not found")
    try:
        return p.read_text(encoding="utf-8-sig")  # a UTF-8 byte-order mark is tolerated
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{p}: cannot read file: {exc}") from None


def parse_toml(text: str, source: str, needs: str) -> dict[str, Any]:
    """Parse TOML text of a user's file, or :class:`ScenarioError` (empty, not TOML).

    ``needs`` completes the message for an empty file, e.g. "a scenario needs ...".
    """
    if not text.strip():
        raise ScenarioError(f"{source}: file is empty; {needs}")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None


def load_base(base: str | Path, base_dir: Path | None, source: str) -> Scenario:
    """Load the scenario a sweep or experiment file names as ``base``.

    A relative ``base`` resolves against ``base_dir`` (the naming file's folder).
    """
    path = Path(base)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        raise ScenarioError(f"{source}: base: scenario file not found: {path}")
    return load_scenario(path)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path
        The scenario file.  ``states_csv`` inside it is resolved relative to
        the file's folder.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        If the file is missing, not TOML, or invalid; the message names the
        file, the field path and what is allowed.
    """
    p = Path(path)
    return scenario_from_text(read_file_text(p), source=str(p), base_dir=p.parent)


def scenario_from_text(text: str, source: str = "<string>",
                       base_dir: Path | None = None) -> Scenario:
    """Parse and validate scenario TOML text (see :func:`load_scenario`)."""
    data = parse_toml(text, source, "a scenario needs at least name, steps and [[stations]]")
    return scenario_from_dict(data, source=source, text=text, base_dir=base_dir)


def scenario_from_dict(data: dict[str, Any], source: str = "<dict>", text: str = "",
                       base_dir: Path | None = None, *, copy_data: bool = True) -> Scenario:
    """Validate plain data as a scenario (see :func:`load_scenario`).

    ``data`` is deep-copied first, so a caller's dict is left alone; a caller that made
    ``data`` for this call only (:func:`~stationsim.model.scenario.with_overrides`) passes
    ``copy_data=False`` and saves the copy (~0.5 ms of a 37-state scenario).
    """
    if copy_data:
        data = copy.deepcopy(data)
    for key in ("source", "text", "overrides"):
        if key in data:
            raise ScenarioError(f"{source}: {key}: unknown field (not part of the scenario format)")
    csv_rows: list[dict[str, Any]] = []
    if data.get("states_csv") is not None and isinstance(data["states_csv"], str):
        csv_path = Path(data["states_csv"])
        if not csv_path.is_absolute() and base_dir is not None:
            csv_path = base_dir / csv_path
        csv_rows = _read_states_csv(csv_path, source)
    try:
        scn = Scenario.model_validate({**data, "source": source, "text": text})
    except ValidationError as exc:
        raise ScenarioError(_pydantic_message(source, exc)) from None
    if csv_rows:
        extra, problems = [], []
        for n, r in enumerate(csv_rows, start=2):  # line numbers as _read_states_csv's
            try:
                extra.append(StateSpec.model_validate(r))
            except ValidationError as exc:
                problems.append(_pydantic_message(f"{csv_path}: line {n}", exc))
        if problems:
            raise ScenarioError(f"{source}: states_csv: invalid rows\n" + "\n".join(problems))
        scn = scn.model_copy(update={"states": [*scn.states, *extra]})
    _check_references(scn)
    return scn
