"""Pydantic errors of a user file turned into one message: a line per problem, naming
the file and the field path, with close names suggested (:func:`validation_message`)."""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from stationsim.model.names import did_you_mean


def _fmt_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<top level>"


def validation_message(source: str, err: ValidationError, fmt: str = "scenario") -> str:
    """One message for a pydantic error: a line per problem, naming file and field path.

    ``fmt`` names the file format in "unknown field" lines (scenario, sweep,
    experiment).
    """
    return _pydantic_message(source, err).replace("not part of the scenario format",
                                                  f"not part of the {fmt} format")


def _models(cls: type[BaseModel] = BaseModel) -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for sub in cls.__subclasses__():
        out.setdefault(sub.__name__, sub)
        out.update({k: v for k, v in _models(sub).items() if k not in out})
    return out


def _model_in(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in get_args(ann):
        m = _model_in(a)
        if m is not None:
            return m
    return None


def _fields_at(title: str, loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the table at ``loc`` (all but its last part) of model ``title``."""
    cls = _models().get(title)
    for part in loc[:-1]:
        if cls is None:
            return []
        if isinstance(part, int):
            continue
        f = cls.model_fields.get(part)
        cls = _model_in(f.annotation) if f is not None else None
    return [n for n in cls.model_fields if n not in ("source", "text", "overrides")] \
        if cls is not None else []


def _pydantic_message(source: str, err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "required field is missing"
        elif e["type"] == "literal_error" and isinstance(e.get("input"), str):
            # a mistyped word (an event type, a channel ...): suggest the close ones
            allowed = re.findall(r"'([^']*)'", str(e.get("ctx", {}).get("expected", "")))
            what = "event type" if loc[-1:] == ("type",) and loc[:1] == ("events",) else "value"
            msg = (f"unknown {what} {e['input']!r}{did_you_mean(e['input'], allowed)}; "
                   f"allowed: {', '.join(allowed)}")
        elif e["type"] == "extra_forbidden":
            hint = did_you_mean(loc[-1], _fields_at(err.title, loc)) if loc else ""
            msg = f"unknown field{hint} (not part of the scenario format)"
        lines.append(f"{source}: {_fmt_loc(loc)}: {msg}")
    # one message: the distinct problems, in file order
    return "\n".join(dict.fromkeys(lines))


_UNION_TAGS = {"Dist", "float", "list[float]", "str", "int", "bool",
               "function-after[_alignment_range(), union[float,list[float]]]"}
