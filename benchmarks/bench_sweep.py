"""Start-up cost of the local backend's worker pool, and sweep throughput per worker count.

* ``pool_start``: seconds from creating a 2-process pool (stationsim's worker
  initialiser) until every worker has answered, for each start method the
  platform has (fork, forkserver, spawn).  Mesa's ``batch_run`` forces spawn.
* ``sweep``: wall time of a sweep through :func:`stationsim.run_sweep` with 1
  and with N workers (default: all cores), and the speed-up; the tables of the
  two are checked to be identical.

The machine may be shared: read the load average printed beside each figure.

    .venv/bin/python benchmarks/bench_sweep.py [--sweep scenarios/sweeps/css_rule_comparison.toml]
        [--workers N] [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

import stationsim
from stationsim.running.executor import _init_worker, _ready, default_workers, run_job

ROOT = Path(__file__).resolve().parents[1]


def pool_start(method: str, workers: int = 2) -> float:
    """Seconds until a ``method`` pool of ``workers`` stationsim workers has answered."""
    job = run_job(stationsim.load_scenario(ROOT / "scenarios" / "css_vs_iss.toml"),
                  replications=2)
    t = time.perf_counter()
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context(method),
                               initializer=_init_worker, initargs=(job, os.getpid()))
    for f in [pool.submit(_ready) for _ in range(workers)]:
        f.result()
    elapsed = time.perf_counter() - t
    pool.shutdown()
    return elapsed


def sweep_time(sweep: Path, workers: int) -> tuple[float, stationsim.Results]:
    out = Path(tempfile.mkdtemp(prefix="bench_sweep_")) / "out"
    t = time.perf_counter()
    stationsim.run_sweep(sweep, out, workers=workers, progress=False)
    elapsed = time.perf_counter() - t
    res = stationsim.load_results(out)
    shutil.rmtree(out.parent)
    return elapsed, res


def load() -> float:
    return os.getloadavg()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sweep", type=Path,
                    default=ROOT / "scenarios" / "sweeps" / "css_rule_comparison.toml")
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    report: dict[str, object] = {"cores": default_workers()}
    starts = {}
    for method in mp.get_all_start_methods():
        times = [pool_start(method) for _ in range(args.repeat)]
        starts[method] = statistics.median(times)
        print(f"pool_start {method:<10} {starts[method]:.3f} s (median of {args.repeat}, "
              f"load {load():.2f})")
    report["pool_start_s"] = starts
    walls: dict[int, list[float]] = {1: [], args.workers: []}
    ref = None
    for _ in range(args.repeat):
        for w in walls:
            elapsed, res = sweep_time(args.sweep, w)
            walls[w].append(elapsed)
            if ref is None:
                ref = res
            else:
                for name in ("runs", "steps", "membership"):
                    pd.testing.assert_frame_equal(getattr(res, name), getattr(ref, name))
            print(f"sweep {args.sweep.name} workers={w}: {elapsed:.2f} s (load {load():.2f})")
    med = {w: statistics.median(v) for w, v in walls.items()}
    runs = len(ref.runs) if ref is not None else 0
    print(f"median: 1 worker {med[1]:.2f} s, {args.workers} workers {med[args.workers]:.2f} s, "
          f"speed-up {med[1] / med[args.workers]:.2f}x; {runs} runs; tables identical")
    report["sweep"] = {"file": str(args.sweep), "runs": runs,
                       "wall_s": {str(w): v for w, v in walls.items()},
                       "speedup": med[1] / med[args.workers]}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
