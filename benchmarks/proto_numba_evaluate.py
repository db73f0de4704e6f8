"""What a compiled core would gain: the evaluate phase of one station, numba vs numpy.

A prototype, not part of stationsim (numba is not a dependency): the
utility of every state for a quid-pro-quo station (candidates, trust in and
of the host, reservation price, benefit, political cost) as one fused loop,
checked equal to the model's numpy path and timed against it at 1,000 and
10,000 states (CPU time per call; the numpy figure includes the two dense
trust reads a real step makes).  See benchmarks/README.md, *Why 0.15x ...*.

    .venv/bin/pip install numba   # or: pip install --target DIR numba; PYTHONPATH=DIR
    .venv/bin/python benchmarks/proto_numba_evaluate.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import world

from stationsim.model.core import StationModel
from stationsim.model.stations import Station


@numba.njit(cache=False)
def eval_qpq(cool, t, free, host, base_col, dev_col, rep, base_row, dev_row, ss, du, gap1,  # type: ignore[no-untyped-def]
             slot, wleak, ability, prestige, learn, waccess_acc, lf, pc_raw, relief, out):
    """Entrants' utility of a quid-pro-quo station for every candidate, -inf elsewhere."""
    rep_h = rep[host]
    for i in range(cool.size):
        if not (cool[i] <= t and free[i] and i != host):
            out[i] = -np.inf
            continue
        tc = min(max(base_col[i] + dev_col[i] + rep_h, 0.0), 1.0)
        tr = min(max(base_row[i] + dev_row[i] + rep[i], 0.0), 1.0)
        hv = ss[i] - wleak * (1.0 - tr) * du[i] * gap1[i] - slot
        price = max(0.0, -hv) / max(tr, 0.05)
        benefit = (waccess_acc * 1.0 + prestige[i] + learn[i]) * lf
        out[i] = benefit - price / ability[i] - pc_raw[i] * (1.0 - relief * tc)


def numpy_path(m: StationModel, s: Station, cand: np.ndarray) -> np.ndarray:
    """The model's own computation of the same row."""
    m.trust.version += 1  # a new step: the dense trust reads are redone
    every = m.everyone
    u = m.guest_utility(s, every, s.rule.quote(m.view(s), every), entrant=True)
    return np.where(cand, u, -np.inf)


def main() -> None:
    for n in (1000, 10000):
        m = StationModel(world(n), rng=1, steps=20)
        for _ in range(3):
            m.step()
        s = m.stations[1]  # CSS, quid pro quo
        h = s.host
        sv, hv = m.station_view(s), m.host_view(h)
        du, prestige = m._attr_columns()
        access, learn = sv.pool(m, s)
        row, col = m.trust._mirror[h]
        free = np.ones(m.n, dtype=bool)
        out = np.empty(m.n)
        args = (s.cooldown_until, m.t, free, h, hv.base_col, col, m.trust.reputation,
                hv.base_row, row, sv.soft_strategic, du, hv.gap1, sv.slot, m.p["w_leakage"],
                sv.ability, prestige, learn, m.p["w_access"] * access, m.lifetime_factor(s),
                hv.pc_raw, m.p["trust_relief"], out)
        eval_qpq(*args)  # compile
        cand = (s.cooldown_until <= m.t) & free
        cand[h] = False

        assert np.array_equal(numpy_path(m, s, cand), out), "numba and numpy disagree"
        c = time.process_time()
        for _ in range(2000):
            eval_qpq(*args)
        t_nb = (time.process_time() - c) / 2000 * 1e6
        c = time.process_time()
        for _ in range(200):
            numpy_path(m, s, cand)
        t_np = (time.process_time() - c) / 200 * 1e6
        print(f"{n} states: evaluate of one quid-pro-quo station: numba {t_nb:.1f} us, "
              f"numpy {t_np:.1f} us (identical results)")


if __name__ == "__main__":
    main()
