"""States read from a CSV file in the scenario schema (``states_csv``, see README)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from stationsim.model.events import STATE_ATTRIBUTES
from stationsim.model.scenario.errors import ScenarioError


def _read_states_csv(path: Path, where: str) -> list[dict[str, Any]]:
    """Read states in the scenario CSV schema (see README) into StateSpec dicts."""
    if not path.is_file():
        raise ScenarioError(f"{where}: states_csv: file not found: {path}")
    rows: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")  # a UTF-8 byte-order mark is tolerated
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{where}: states_csv: cannot read {path} as UTF-8 text: "
                            f"{exc}") from None
    with io.StringIO(text, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader, [])]
        if not header:
            raise ScenarioError(f"{path}: empty file; the first line names the columns")
        for c, h in enumerate(header):
            if h in header[:c]:
                raise ScenarioError(f"{path}: line 1: column {h!r} appears twice (columns "
                                    f"{header.index(h) + 1} and {c + 1}); each column once")
        for cells in reader:
            n = reader.line_num
            if not any(x.strip() for x in cells):
                continue  # a blank line
            if len(cells) != len(header):
                raise ScenarioError(f"{path}: line {n}: {len(cells)} cells, but the header has "
                                    f"{len(header)} columns (a comma inside a value must be "
                                    "quoted)")
            rec: dict[str, Any] = {"assets": {}}
            for key, val in zip(header, cells, strict=True):
                val = val.strip()
                if key.startswith("asset_"):
                    if val:
                        rec["assets"][key[6:]] = _num(val, path, n, key)
                elif key in STATE_ATTRIBUTES:
                    rec[key] = _num(val, path, n, key)
                elif key == "alignment":
                    parts = [p for p in val.split(";") if p]
                    nums = [_num(p, path, n, key) for p in parts]
                    rec[key] = nums[0] if len(nums) == 1 else nums
                elif key == "developing":
                    if val.lower() not in ("0", "1", "true", "false"):
                        raise ScenarioError(f"{path}: line {n}: developing: must be 0/1/true/"
                                            f"false, got {val!r}")
                    rec[key] = val.lower() in ("1", "true")
                elif key == "blocs":
                    rec[key] = [b for b in val.split(";") if b]
                elif key in ("iso3", "name", "region", "continent"):
                    rec[key] = val
                else:
                    raise ScenarioError(f"{path}: column {key!r}: unknown column; allowed: iso3, "
                                        "name, capability, reciprocity, transparency, "
                                        "military_fusion, alignment, region, continent, "
                                        "developing, blocs, asset_<name>")
            rows.append(rec)
    return rows


def _num(val: str, path: Path, line: int, key: str) -> float:
    try:
        x = float(val)
    except ValueError:
        raise ScenarioError(f"{path}: line {line}: {key}: must be a number, got {val!r}") from None
    if not math.isfinite(x):
        raise ScenarioError(f"{path}: line {line}: {key}: must be a finite number, got {val!r}")
    return x
