"""The seat market: guest flights, a form of participation besides partnership (model v2).

Documented fact (``data/cases/iss_guests.csv``): most guest nationals who
flew to the ISS did so on seats their governments bought (Soyuz seats sold by
Russia: South Africa 2002, Brazil 2006, South Korea 2008, the UAE 2019) or
bartered (Malaysia 2007), or on private missions once NASA opened the
station to commercial flights (Axiom Space: Israel 2022, Saudi Arabia 2023,
Türkiye 2024, India, Poland and Hungary 2025).  The Soviet Interkosmos
programme flew allies' cosmonauts free of charge (Foley 2014 names it as the
precedent of an Asia-centred CSS).  So who flies is decided by what a seat is
worth to a state, what it costs it, and whom the seller will fly.

A state that is not a participant of the station values one flight of its
national at ``w_flight + w_prestige * (1 - capability)`` (the prestige term
of the benefit of membership: Foley 2014, public-relations value is larger
for low-capability states), feels a price ``price / ability`` (ability =
``ability_floor + capability + money``: a poor state feels the same price
more) and bears the political cost of associating with the station's host
(alignment distance and the host's dual-use risk, relieved by trust: Essay
002, Cheng 2009, Wu 2016).  It buys when
``u = w_flight + prestige - price / ability - political_cost > 0``.

Each seller (the host, a partner with its own vehicle, or a commercial
provider) sells up to its seats a year, to the buyers with the largest
``u`` first (ties at random), to whom it gains by selling: the host when
``revenue * price + host_value > 0`` (its revenue objective weighs the
price; ``host_value`` is the soft power, strategic value and leakage risk
of flying that guest, less a slot's cost: Foley 2014, Cheng 2009), a partner
or a commercial provider when the price covers a slot's cost; and after its
screen: its trust in the buyer
(``flight_trust_threshold``), the buyer's alignment distance to it
(``flight_max_distance``), or none; bans in force between a buyer and the
station's participants exclude it.  A buyer flies with one seller a year and
waits ``flight_cooldown`` years before it buys again at that station.  The
seller's revenue counts in the host's utility only when the host sells it,
weighted by the host's ``revenue`` objective.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Kinds of seller, for the ``seats_sold_<kind>`` outcomes.
SELLER_KINDS = ("host", "partner", "commercial")


def flight_utility(value: FloatArray, price: float, ability: FloatArray,
                   political_cost: FloatArray) -> FloatArray:
    """A buyer's utility of one guest flight: ``value - price / ability - political_cost``."""
    return np.asarray(value - price / ability - political_cost)


def allocate(utility: FloatArray, eligible: BoolArray, seats: int,
             tie: FloatArray) -> IntArray:
    """Positions of the buyers served: eligible with ``utility > 0``, largest first (ties by
    ``tie``, uniform draws, one per candidate), at most ``seats``."""
    ok = np.flatnonzero(eligible & (utility > 0))
    order = ok[np.lexsort((tie[ok], -utility[ok]))]
    return order[:max(0, seats)].astype(np.int64)
