"""Time per agent-step of the stationsim model against an empty Mesa loop.

For each world size N (100, 1,000, 10,000 states, from scenarios/scale_1000.toml
with the generated groups resized), in one process:

* ``model``: a full run of StationModel (20 steps), time per agent-step,
  model construction excluded;
* ``mesa_floor``: a Mesa 3.5 model with N agents whose ``step`` does nothing,
  stepped with ``model.agents.shuffle_do("step")`` -- the cost of merely
  visiting every agent, the floor issue 6 asks the model to beat.

The two are measured alternately (model, floor, model, floor ...), so a change
of the machine's load affects both alike; each figure is the median of
``--repeat`` repetitions, in wall-clock time (``perf_counter``) and in this
process's CPU time (``process_time``, less sensitive to other processes on a
shared machine).  Also: runs per second of ``scenarios/baseline.toml`` (one
process, serial, tables included, as ``stationsim.run`` makes them), and the
load average before and after.

    .venv/bin/python benchmarks/bench_core.py [--repeat 5] [--sizes 100 1000 10000]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import mesa
import numpy as np

import stationsim
from stationsim.model.core import StationModel

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


Timing = tuple[float, float]  # (wall seconds, CPU seconds)


def _timed(run: Callable[[], object]) -> Timing:
    w, c = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - w, time.process_time() - c


def per_agent_step_model(n: int, seed: int) -> Timing:
    """Seconds per agent-step of a 20-step run (construction excluded)."""
    m = StationModel(world(n), rng=seed, steps=STEPS)
    wall, cpu = _timed(m.run)
    return wall / (STEPS * m.n), cpu / (STEPS * m.n)


def per_agent_step_mesa(n: int, seed: int) -> Timing:
    """Seconds per agent-step of 20 steps of the empty Mesa model."""
    m = _Empty(n, seed)

    def go() -> None:
        for _ in range(STEPS):
            m.step()

    wall, cpu = _timed(go)
    return wall / (STEPS * n), cpu / (STEPS * n)


def runs_per_second(reps: int) -> Timing:
    scn = stationsim.load_scenario(ROOT / "scenarios" / "baseline.toml")
    wall, cpu = _timed(lambda: stationsim.run(scn, seed=1, replications=reps))
    return reps / wall, reps / cpu


def machine() -> dict[str, object]:
    """Date, machine and versions, for the record."""
    cpu = ""
    with open("/proc/cpuinfo") as fh:  # Linux
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "nproc": os.cpu_count(), "cpu": cpu, "commit": commit,
            "python": platform.python_version(), "numpy": np.__version__,
            "mesa": mesa.__version__}


def median2(pairs: list[Timing]) -> Timing:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    info = machine()
    load_before = os.getloadavg()
    print(f"{info['date']}  nproc={info['nproc']}  load={load_before[0]:.2f}  "
          f"commit={info['commit']}")
    rows = []
    print(f"{'states':>8} {'model us/agent-step':>20} {'mesa floor us':>14} {'ratio':>7}"
          f" {'model us/step':>14} {'ratio (CPU)':>12}")
    for n in args.sizes:
        model, floor = [], []
        for s in range(args.repeat):  # alternate, so load changes hit both alike
            model.append(per_agent_step_model(n, s))
            floor.append(per_agent_step_mesa(n, s))
        (mw, mc), (fw, fc) = median2(model), median2(floor)
        rows.append({"states": n, "model_us": mw * 1e6, "mesa_floor_us": fw * 1e6,
                     "ratio": mw / fw, "model_us_per_step": mw * n * 1e6,
                     "model_cpu_us": mc * 1e6, "mesa_floor_cpu_us": fc * 1e6,
                     "ratio_cpu": mc / fc, "model_cpu_us_per_step": mc * n * 1e6})
        r = rows[-1]
        print(f"{n:>8} {r['model_us']:>20.3f} {r['mesa_floor_us']:>14.3f} {r['ratio']:>7.3f}"
              f" {r['model_us_per_step']:>14.1f} {r['ratio_cpu']:>12.3f}")
    growth = None
    if len(rows) >= 2:
        big, small = rows[-1], rows[-2]
        growth = big["model_us_per_step"] / small["model_us_per_step"]
        growth_cpu = big["model_cpu_us_per_step"] / small["model_cpu_us_per_step"]
        print(f"time per step grows {growth:.2f}x (CPU {growth_cpu:.2f}x) from "
              f"{small['states']} to {big['states']} states")
    rps, rps_cpu = median2([runs_per_second(20) for _ in range(args.repeat)])
    print(f"baseline.toml: {rps:.1f} runs/s (CPU {rps_cpu:.1f}; serial, one process)")
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({
            **info, "load_before": load_before, "load_after": load_after,
            "repeat": args.repeat, "rows": rows, "growth": growth,
            "baseline_runs_per_s": rps, "baseline_runs_per_cpu_s": rps_cpu}, indent=2) + "\n")


if __name__ == "__main__":
    main()
