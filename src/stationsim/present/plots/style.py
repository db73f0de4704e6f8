"""The figures' colours, fixed across every figure: the Okabe-Ito palette (Okabe &
Ito 2008, colour-blind safe), one colour per station and per rule, other groups
from :data:`GROUP_CYCLE` or cividis for numeric levels; the alignment colour map;
the saving resolution.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np

#: The Okabe-Ito palette (Okabe & Ito 2008), safe for the common colour-vision deficiencies.
OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7", "black": "#000000",
}
#: One colour per station, the same in every figure.
STATION_COLOURS = {"ISS": OKABE_ITO["blue"], "CSS": OKABE_ITO["vermillion"]}
#: One colour per admission rule, the same in every figure.
RULE_COLOURS = {"hub_and_spoke": OKABE_ITO["bluish_green"],
                "quid_pro_quo": OKABE_ITO["reddish_purple"]}
#: Colours of other categorical groups (folders, scenarios ...), in order.
GROUP_CYCLE = (OKABE_ITO["orange"], OKABE_ITO["sky_blue"], OKABE_ITO["black"], "#999999")
#: Colour of system-wide outcomes (no station) and of a single group.
NEUTRAL = "#555555"
#: Spoke fill by alignment in :func:`partnership_network` (``spokes='alignment'``):
#: U.S.-aligned (-1) ISS blue, through light grey, to China-aligned (+1) CSS vermillion.
ALIGNMENT_CMAP = mpl.colors.LinearSegmentedColormap.from_list(
    "alignment", [OKABE_ITO["blue"], "#EEEEEE", OKABE_ITO["vermillion"]])
ALIGNMENT_NORM = mpl.colors.Normalize(vmin=-1.0, vmax=1.0)
#: Figures are saved at this resolution (PNG).
DPI = 150


def station_colour(name: str) -> str:
    """Colour of a station: fixed for ISS and CSS, stable (by name) for any other."""
    if name in STATION_COLOURS:
        return STATION_COLOURS[name]
    upper = {k.upper(): v for k, v in STATION_COLOURS.items()}
    if name.upper() in upper:
        return upper[name.upper()]
    extra = (OKABE_ITO["orange"], OKABE_ITO["sky_blue"], OKABE_ITO["black"], "#999999")
    return extra[zlib.crc32(name.encode()) % len(extra)]


def group_colours(levels: Sequence[Any]) -> dict[Any, str]:
    """Colour per group level: rule colours for rules, station colours for stations,
    cividis for numeric levels, else :data:`GROUP_CYCLE` (cividis beyond it)."""
    levs = list(levels)
    if not levs or levs == [None]:
        return {lev: NEUTRAL for lev in levs}
    strs = [str(v) for v in levs]
    if all(s in RULE_COLOURS for s in strs):
        return {v: RULE_COLOURS[str(v)] for v in levs}
    if all(s.upper() in {k.upper() for k in STATION_COLOURS} for s in strs):
        return {v: station_colour(str(v)) for v in levs}
    numeric = all(isinstance(v, int | float | np.integer | np.floating)
                  and not isinstance(v, bool | np.bool_) for v in levs)
    if numeric or len(levs) > len(GROUP_CYCLE):
        cmap = mpl.colormaps["cividis"]
        pos = np.linspace(0.0, 0.85, len(levs)) if len(levs) > 1 else np.array([0.0])
        return {v: mpl.colors.to_hex(cmap(p)) for v, p in zip(levs, pos, strict=True)}
    return {v: GROUP_CYCLE[i] for i, v in enumerate(levs)}


def _colour(colours: dict[Any, str], lev: Any, col: str | None, station: str | None) -> str:
    """The group's colour; with one group, the station's (neutral for system outcomes)."""
    if col is not None:
        return colours[lev]
    return station_colour(station) if station else NEUTRAL
