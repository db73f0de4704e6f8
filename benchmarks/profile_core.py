"""Profile the model's step with pyinstrument at a given world size.

Builds ``--runs`` models of the benchmark world (``bench_core.world``), runs
them (construction excluded from the profile) and prints pyinstrument's call
tree, and the time per step of each phase measured directly (CPU time).

    .venv/bin/python benchmarks/profile_core.py --states 1000 [--runs 10] [--html out.html]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import STEPS, world

from stationsim.model.core import StationModel
from stationsim.model.stations import StepCounts

#: The body of ``StationModel.step`` in order (keep it equal to that method).
PHASES = ("_events", "_evaluate", "_negotiate", "_deliver_and_learn", "_sell_flights",
          "_fly_payloads", "_exit", "_collect")


def timed_step(m: StationModel, acc: dict[str, float],
               clock: Callable[[], float] = time.process_time) -> None:
    """One ``StationModel.step`` (Mesa's step wrapper left out), adding each phase's
    seconds by ``clock`` to ``acc``."""
    m.last_log = []
    for s in m.stations:
        s.now = StepCounts()
    choice: dict[int, Any] = {}
    for name in PHASES:
        t = clock()
        if name == "_evaluate":
            choice = m._evaluate()
        elif name == "_negotiate":
            m._negotiate(choice)
        else:
            getattr(m, name)()
        acc[name] = acc.get(name, 0.0) + clock() - t
    m.t += 1
    m.running = m.t < m.n_steps


def phase_times(n: int, runs: int) -> dict[str, float]:
    """Mean CPU microseconds per step of each phase (the body of ``StationModel.step``)."""
    acc: dict[str, float] = {}
    steps = 0
    for seed in range(runs):
        m = StationModel(world(n), rng=seed, steps=STEPS)
        while m.running:
            timed_step(m, acc)
            steps += 1
    return {k: v / steps * 1e6 for k, v in acc.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--html", type=Path)
    args = ap.parse_args()
    models = [StationModel(world(args.states), rng=s, steps=STEPS) for s in range(args.runs)]
    import pyinstrument  # the [bench] extra; timed_step needs none

    prof = pyinstrument.Profiler(interval=0.0002)
    prof.start()
    for m in models:
        m.run()
    prof.stop()
    print(prof.output_text(unicode=False, color=False))
    if args.html:
        args.html.write_text(prof.output_html())
    times = phase_times(args.states, args.runs)
    for name, us in times.items():
        print(f"{name:<20} {us:8.1f} us/step")
    print(f"{'step':<20} {sum(times.values()):8.1f} us/step (CPU, phases only)")


if __name__ == "__main__":
    main()
