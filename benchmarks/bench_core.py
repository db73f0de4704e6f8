"""Time per agent-step of the stationsim model against an empty Mesa loop.

For each world size N (100, 1,000, 10,000 states, from scenarios/scale_1000.toml
with the generated groups resized), in one process:

* ``model``: a full run of StationModel (20 steps), time per agent-step,
  model construction excluded;
* ``mesa_floor``: a Mesa 3.5 model with N agents whose ``step`` does nothing,
  stepped with ``model.agents.shuffle_do("step")`` -- the cost of merely
  visiting every agent, the floor issue 6 asks the model to beat.

Also runs per second of ``scenarios/baseline.toml`` (one process, serial).
Each figure is the median of ``--repeat`` repetitions.

    .venv/bin/python benchmarks/bench_core.py [--repeat 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import mesa

import stationsim
from stationsim.model import StationModel

ROOT = Path(__file__).resolve().parents[1]
STEPS = 20


class _Idle(mesa.Agent):  # type: ignore[misc]
    def step(self) -> None:
        pass


class _Empty(mesa.Model):  # type: ignore[misc]
    def __init__(self, n: int, seed: int) -> None:
        super().__init__(rng=seed)
        for _ in range(n):
            _Idle(self)

    def step(self) -> None:
        self.agents.shuffle_do("step")


def world(n: int) -> stationsim.Scenario:
    """scale_1000 resized to ``n`` states (2 hosts + 40 % Asian + rest of world)."""
    base = stationsim.load_scenario(ROOT / "scenarios" / "scale_1000.toml")
    asia = (n - 2) * 2 // 5
    return stationsim.with_overrides(base, {
        "generate.0.count": asia,
        "generate.1.count": n - 2 - asia,
        "stations.ISS.capacity": max(20, n // 100),
        "stations.CSS.capacity": max(12, n // 100),
    })


def per_agent_step_model(n: int, seed: int) -> float:
    m = StationModel(world(n), rng=seed, steps=STEPS)
    t0 = time.perf_counter()
    m.run()
    return (time.perf_counter() - t0) / (STEPS * m.n)


def per_agent_step_mesa(n: int, seed: int) -> float:
    m = _Empty(n, seed)
    t0 = time.perf_counter()
    for _ in range(STEPS):
        m.step()
    return (time.perf_counter() - t0) / (STEPS * n)


def runs_per_second(reps: int) -> float:
    scn = stationsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    t0 = time.perf_counter()
    stationsim.run(scn, seed=1, replications=reps)
    return reps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = []
    print(f"{'states':>8} {'model us/agent-step':>20} {'mesa floor us':>14} {'ratio':>7}"
          f" {'model ms/step':>14}")
    for n in args.sizes:
        model = statistics.median(per_agent_step_model(n, s) for s in range(args.repeat))
        floor = statistics.median(per_agent_step_mesa(n, s) for s in range(args.repeat))
        rows.append({"states": n, "model_us": model * 1e6, "mesa_floor_us": floor * 1e6,
                     "ratio": model / floor, "model_ms_per_step": model * n * 1e3})
        r = rows[-1]
        print(f"{n:>8} {r['model_us']:>20.3f} {r['mesa_floor_us']:>14.3f} {r['ratio']:>7.3f}"
              f" {r['model_ms_per_step']:>14.3f}")
    if len(rows) >= 2:
        big, small = rows[-1], rows[-2]
        growth = big["model_ms_per_step"] / small["model_ms_per_step"]
        print(f"time per step grows {growth:.2f}x from {small['states']} to {big['states']} states")
    rps = statistics.median(runs_per_second(20) for _ in range(args.repeat))
    print(f"baseline.toml: {rps:.1f} runs/s (serial, one process)")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "baseline_runs_per_s": rps,
                                         "python": platform.python_version(),
                                         "mesa": mesa.__version__}, indent=2))


if __name__ == "__main__":
    main()
