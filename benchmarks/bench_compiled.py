"""The compiled engine (issue 15) against the reference engine and Mesa's empty loop.

Three figures of issue 15, each measured for ``engine = "reference"`` and
``engine = "compiled"`` in one process, alternately with Mesa's empty loop
(reference, compiled, floor, reference, ...), medians of ``--repeat``:

* **whole run**: ``stationsim.run`` of ``scenarios/two_blocs_2020s.toml`` (95
  states, 21 steps; build, every step and the three tables), ``--reps``
  replications serially, per replication, against the empty Mesa model
  (``bench_core._Empty``: build ``n`` agents, ``shuffle_do("step")`` for as
  many steps), and the build of that empty model alone (``mesa build``: the
  share of the target no step can avoid while States are Mesa agents);
* **per agent-step** at ``--states`` (``bench_core.world``, 20 steps,
  construction excluded) against the empty loop's per agent-step;
* **phases**: CPU milliseconds per replication of ``two_blocs_2020s`` spent in
  building the model, each phase of the step and the three tables, per engine;
* **warm-up**: in fresh processes with an empty ``NUMBA_CACHE_DIR``, the
  first compiled run of ``scenarios/baseline.toml`` (3 steps: import of
  numba, compilation, writing the cache), then again with the cache written
  (loading it), and a reference run for comparison.

Wall time (``perf_counter``) and CPU time (``process_time``) both; the
ratios use CPU time (less sensitive to other processes on a shared machine).

    .venv/bin/python benchmarks/bench_compiled.py [--repeat 5] [--reps 10]
        [--states 100 1000] [--phase-runs 40] [--phase-scenario css_vs_iss]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_core import STEPS, Timing, _Empty, _timed, machine, per_agent_step_mesa, world
from profile_core import timed_step

import stationsim
from stationsim.model.core import StationModel
from stationsim.model.outcomes import membership_table, run_row, step_table

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("reference", "compiled")


def with_engine(scn: stationsim.Scenario, eng: str) -> stationsim.Scenario:
    return stationsim.with_overrides(scn, {"parameters.engine": eng})


def whole_run(scn: stationsim.Scenario, reps: int) -> Timing:
    """Seconds per replication of ``stationsim.run`` (build, steps, tables)."""
    w, c = _timed(lambda: stationsim.run(scn, seed=1, replications=reps))
    return w / reps, c / reps


def whole_mesa(n: int, steps: int, reps: int) -> Timing:
    """Seconds per replication of the empty Mesa model: build n agents, ``steps`` steps."""
    def go() -> None:
        for r in range(reps):
            m = _Empty(n, r)
            for _ in range(steps):
                m.step()
    w, c = _timed(go)
    return w / reps, c / reps


def mesa_build(n: int, reps: int) -> Timing:
    """Seconds per replication of building the empty Mesa model alone (``mesa.Model`` and
    ``n`` agents): the part of Mesa's loop that no step can avoid."""
    def go() -> None:
        for r in range(reps):
            _Empty(n, r)
    w, c = _timed(go)
    return w / reps, c / reps


def per_agent_step(scn: stationsim.Scenario, seed: int) -> Timing:
    m = StationModel(scn, rng=seed, steps=STEPS)
    w, c = _timed(m.run)
    return w / (STEPS * m.n), c / (STEPS * m.n)


WARM = r"""
import time
t0 = time.perf_counter()
import stationsim
t1 = time.perf_counter()
scn = stationsim.load_scenario({path!r})
scn = stationsim.with_overrides(scn, {{"parameters.engine": {eng!r}}})
stationsim.run(scn, seed=1, replications=1, steps=3)
t2 = time.perf_counter()
stationsim.run(scn, seed=1, replications=1, steps=3)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def warm_up() -> dict[str, list[float]]:
    """Import, first and second 3-step run in fresh processes: reference, compiled with an
    empty cache, compiled with the cache written."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label, eng in (("reference", "reference"), ("compiled, cold cache", "compiled"),
                           ("compiled, warm cache", "compiled")):
            code = WARM.format(path=str(ROOT / "scenarios" / "baseline.toml"), eng=eng)
            res = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                 text=True, check=True, env=env)
            out[label] = [float(x) for x in res.stdout.split()]
    return out


def phases(scn: stationsim.Scenario, seed: int, acc: dict[str, float]) -> None:
    """Add CPU seconds of one replication to ``acc``: build, each phase
    (:func:`profile_core.timed_step`) and the tables."""
    clock = time.process_time
    t = clock()
    m = StationModel(scn, rng=seed)
    acc["build"] = acc.get("build", 0.0) + clock() - t
    while m.running:
        timed_step(m, acc, clock)
    t = clock()
    run_row(m)
    step_table(m)
    membership_table(m)
    acc["tables"] = acc.get("tables", 0.0) + clock() - t


def med(xs: list[Timing]) -> Timing:
    return statistics.median(x[0] for x in xs), statistics.median(x[1] for x in xs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--states", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--phase-runs", type=int, default=40)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--phase-scenario", action="append", default=[],
                    help="also split the CPU time of this shipped scenario (a name in "
                         "scenarios/, e.g. css_vs_iss) by part; repeatable")
    args = ap.parse_args()
    info = machine()
    load_before = os.getloadavg()
    print(f"{info['date']}  nproc={info['nproc']}  load={load_before[0]:.2f}  "
          f"commit={info['commit']}")
    result: dict[str, object] = {**info, "load_before": load_before}

    # warm-up first, so this process's own compilation comes after (and is not timed)
    wu = warm_up()
    print("warm-up (import stationsim s, first 3-step baseline run s, second run s):")
    for k, v in wu.items():
        print(f"  {k:<22} " + "  ".join(f"{x:.3f}" for x in v))
    result["warm_up"] = wu

    scn = stationsim.load_scenario(ROOT / "scenarios" / "two_blocs_2020s.toml")
    scns = {e: with_engine(scn, e) for e in ENGINES}
    n, steps = len(scn.states), scn.steps
    for e in ENGINES:  # compile (or load) and warm caches before timing
        stationsim.run(scns[e], seed=1, replications=1)
    times: dict[str, list[Timing]] = {e: [] for e in (*ENGINES, "mesa", "mesa build")}
    for _ in range(args.repeat):
        for e in ENGINES:
            times[e].append(whole_run(scns[e], args.reps))
        times["mesa"].append(whole_mesa(n, steps, args.reps))
        times["mesa build"].append(mesa_build(n, args.reps))
    m = {k: med(v) for k, v in times.items()}
    print(f"whole run of two_blocs_2020s ({n} states, {steps} steps, {args.reps} "
          f"replications serially), ms per replication (wall / CPU) and CPU ratio to Mesa:")
    for k in (*ENGINES, "mesa", "mesa build"):
        print(f"  {k:<10} {m[k][0] * 1e3:8.2f} {m[k][1] * 1e3:8.2f}  "
              f"{m[k][1] / m['mesa'][1]:6.2f}x")
    result["whole_run"] = {k: {"wall_ms": v[0] * 1e3, "cpu_ms": v[1] * 1e3,
                               "ratio_cpu": v[1] / m["mesa"][1]} for k, v in m.items()}

    split: dict[str, dict[str, float]] = {e: {} for e in ENGINES}
    for r in range(args.phase_runs):  # alternately
        for e in ENGINES:
            phases(scns[e], r, split[e])
    print("two_blocs_2020s, CPU ms per replication by part:")
    for e in ENGINES:
        tot = sum(split[e].values()) / args.phase_runs * 1e3
        print(f"  {e:<10} total {tot:6.2f}: " + "  ".join(
            f"{k.strip('_')} {v / args.phase_runs * 1e3:.2f}" for k, v in split[e].items()))
    result["phases_ms"] = {e: {k: v / args.phase_runs * 1e3 for k, v in d.items()}
                           for e, d in split.items()}
    for name in args.phase_scenario:  # other scenarios' split, the same way
        other = stationsim.load_scenario(ROOT / "scenarios" / f"{name}.toml")
        oscns = {e: with_engine(other, e) for e in ENGINES}
        for e in ENGINES:
            stationsim.run(oscns[e], seed=1, replications=1)
        osplit: dict[str, dict[str, float]] = {e: {} for e in ENGINES}
        for r in range(args.phase_runs):
            for e in ENGINES:
                phases(oscns[e], r, osplit[e])
        print(f"{name}, CPU ms per replication by part:")
        for e in ENGINES:
            tot = sum(osplit[e].values()) / args.phase_runs * 1e3
            print(f"  {e:<10} total {tot:6.2f}: " + "  ".join(
                f"{k.strip('_')} {v / args.phase_runs * 1e3:.2f}" for k, v in osplit[e].items()))
        result[f"phases_ms_{name}"] = {
            e: {k: v / args.phase_runs * 1e3 for k, v in d.items()} for e, d in osplit.items()}

    rows = []
    for size in args.states:
        w = world(size)
        ws = {e: with_engine(w, e) for e in ENGINES}
        per: dict[str, list[Timing]] = {e: [] for e in (*ENGINES, "mesa")}
        for s in range(args.repeat):
            for e in ENGINES:
                per[e].append(per_agent_step(ws[e], s))
            per["mesa"].append(per_agent_step_mesa(size, s))
        pm = {k: med(v) for k, v in per.items()}
        row = {"states": size, **{f"{k}_cpu_us": v[1] * 1e6 for k, v in pm.items()},
               **{f"{k}_wall_us": v[0] * 1e6 for k, v in pm.items()}}
        rows.append(row)
        print(f"{size} states, CPU us per agent-step (ratio to Mesa; us per step): " + "  ".join(
            f"{k} {pm[k][1] * 1e6:.3f} ({pm[k][1] / pm['mesa'][1]:.2f}x; "
            f"{pm[k][1] * 1e6 * size:.0f})" for k in (*ENGINES, "mesa")))
    result["per_agent_step"] = rows
    load_after = os.getloadavg()
    result["load_after"] = load_after
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
