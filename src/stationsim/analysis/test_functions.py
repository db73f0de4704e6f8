"""Known-answer functions for checking the analysis methods (SALib's ``test_functions``).

Each has analytic results an analysis must recover: :func:`ishigami`
(Ishigami & Homma 1990) has known first- and total-order Sobol' indices;
:func:`known_box` is 1 inside a known box of its inputs, for scenario
discovery (PRIM).  Their outputs are declared in :data:`stationsim.OUTCOMES`
(run scope) like the model's, so the analysis commands treat them alike.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from stationsim.model.outcomes import OUTCOMES, Outcome

#: Ishigami's constants and the analytic indices of x1, x2, x3 (a = 7, b = 0.1).
ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(x: npt.ArrayLike, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> float:
    """``sin(x1) + a sin(x2)^2 + b x3^4 sin(x1)``, inputs in [-pi, pi]."""
    v = np.asarray(x, dtype=float)
    return float(np.sin(v[0]) + a * np.sin(v[1]) ** 2 + b * v[2] ** 4 * np.sin(v[0]))


def known_box(values: Mapping[str, float | str], limits: Mapping[str, tuple[float, float] | str]
              ) -> bool:
    """True when every input lies inside its limit: a (low, high) pair or a required value."""
    for name, lim in limits.items():
        v = values[name]
        if isinstance(lim, str):
            if v != lim:
                return False
        elif not lim[0] <= float(v) <= lim[1]:  # type: ignore[arg-type]
            return False
    return True


for _name, _label in (("ishigami", "Ishigami function (test function)"),
                      ("constant", "a constant output (test function)")):
    if f"run:{_name}" not in OUTCOMES:
        OUTCOMES.add(Outcome(_name, "run", "float", "", _label, "analysis test functions",
                             compute=None))
