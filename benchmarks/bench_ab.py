"""Two source trees timed in alternation (an A/B of a change to the model), each against
Mesa's empty loop in its own process.

On a shared machine the speed of a process drifts by 10-30 % from one minute
to the next (other sessions' load, caches, frequency), so two
``bench_compiled.py`` runs one after the other compare the machine as much as
the code.  Here one persistent worker process per tree (each importing its
own ``src`` and ``benchmarks``) times one *round* at a time, the driver
alternating the trees (A B, B A, A B ...), and the figures are medians over
rounds.  A round, per engine (``reference``, ``compiled``) and CPU time:

* the whole run (``bench_compiled.whole_run``: ``stationsim.run``, build,
  steps, tables) of ``two_blocs_2020s`` (5 replications) and ``css_vs_iss``
  (10), and Mesa's empty loop of the same size;
* the parts (``bench_compiled.phases``: build, each phase, the
  per-replication tables) of 4 replications of ``two_blocs_2020s`` and 8 of
  ``css_vs_iss``;
* per agent-step at 1,000 states (``bench_compiled.per_agent_step``) and
  Mesa's.

    .venv/bin/python benchmarks/bench_ab.py BEFORE_ROOT AFTER_ROOT [--rounds 40]
        [--json out.json]

A root is a checkout (or ``git archive`` export) holding ``src``,
``benchmarks``, ``scenarios`` and ``data``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ENGINES = ("reference", "compiled")


def worker(root: str) -> None:
    """Answer each line on stdin with one round's figures (JSON) for the tree ``root``."""
    sys.path.insert(0, str(Path(root) / "benchmarks"))
    from bench_compiled import per_agent_step, phases, whole_mesa, whole_run, with_engine
    from bench_core import per_agent_step_mesa, world

    import stationsim

    scn = {name: stationsim.load_scenario(Path(root) / "scenarios" / f"{name}.toml")
           for name in ("two_blocs_2020s", "css_vs_iss")}
    short = {"two_blocs_2020s": "tb", "css_vs_iss": "css"}
    reps = {"two_blocs_2020s": 5, "css_vs_iss": 10}
    runs = {"two_blocs_2020s": 4, "css_vs_iss": 8}
    by = {(name, e): with_engine(s, e) for name, s in scn.items() for e in ENGINES}
    big = {e: with_engine(world(1000), e) for e in ENGINES}
    for (_, e), s in by.items():  # compile (or load) and warm caches
        stationsim.run(s, seed=1, replications=1)
        per_agent_step(big[e], 0)
    print("ready", flush=True)
    for k, _ in enumerate(sys.stdin):
        out: dict[str, Any] = {}
        for name, s in scn.items():
            for e in ENGINES:
                out[f"{short[name]}_{e}"] = whole_run(by[(name, e)], reps[name])[1] * 1e3
            out[f"{short[name]}_mesa"] = whole_mesa(len(s.states), s.steps, reps[name])[1] * 1e3
            for e in ENGINES:
                acc: dict[str, float] = {}
                for r in range(runs[name]):
                    phases(by[(name, e)], k * runs[name] + r, acc)
                out[f"{short[name]}parts_{e}"] = {p.strip("_"): v / runs[name] * 1e3
                                                  for p, v in acc.items()}
        for e in ENGINES:
            out[f"pas_{e}"] = per_agent_step(big[e], k)[1] * 1e6
        out["pas_mesa"] = per_agent_step_mesa(1000, k)[1] * 1e6
        print(json.dumps(out), flush=True)


def report(res: dict[str, list[dict[str, Any]]]) -> None:
    """Medians over rounds: whole runs and per agent-step (ratios to Mesa), parts."""
    med = statistics.median
    for side, r in res.items():
        print(f"{side}:")
        for sc, name in (("tb", "two_blocs_2020s"), ("css", "css_vs_iss")):
            print(f"  whole run of {name}, CPU ms per replication (ratio to Mesa): " + "  ".join(
                f"{e} {med(x[f'{sc}_{e}'] for x in r):.2f} "
                f"({med(x[f'{sc}_{e}'] / x[f'{sc}_mesa'] for x in r):.2f}x)" for e in ENGINES)
                + f"  mesa {med(x[f'{sc}_mesa'] for x in r):.2f}")
        print("  per agent-step at 1,000 states, CPU us (ratio to Mesa): " + "  ".join(
            f"{e} {med(x[f'pas_{e}'] for x in r):.3f} "
            f"({med(x[f'pas_{e}'] / x['pas_mesa'] for x in r):.2f}x)" for e in ENGINES)
            + f"  mesa {med(x['pas_mesa'] for x in r):.3f}")
        for sc, name in (("tbparts", "two_blocs_2020s"), ("cssparts", "css_vs_iss")):
            for e in ENGINES:
                parts = r[0][f"{sc}_{e}"]
                print(f"  {name} {e}, CPU ms per replication by part: " + "  ".join(
                    f"{p} {med(x[f'{sc}_{e}'][p] for x in r):.2f}" for p in parts)
                    + f"  total {med(sum(x[f'{sc}_{e}'].values()) for x in r):.2f}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    procs = {}
    for side, root in sides.items():
        env = {**os.environ, "PYTHONPATH": str(root / "src")}
        procs[side] = subprocess.Popen([sys.executable, __file__, "--worker", str(root)],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True, env=env)
    for p in procs.values():
        assert p.stdin is not None and p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            raise SystemExit("a worker failed to start")
    res: dict[str, list[dict[str, Any]]] = {side: [] for side in sides}
    loads = [os.getloadavg()[0]]
    start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    for i in range(args.rounds):
        for side in (("before", "after") if i % 2 == 0 else ("after", "before")):
            p = procs[side]
            p.stdin.write("go\n")  # type: ignore[union-attr]
            p.stdin.flush()  # type: ignore[union-attr]
            res[side].append(json.loads(p.stdout.readline()))  # type: ignore[union-attr]
        loads.append(os.getloadavg()[0])
    for p in procs.values():
        p.stdin.close()  # type: ignore[union-attr]
        p.wait()
    end = time.strftime("%H:%M:%S", time.gmtime())
    print(f"{start} -> {end} UTC, {args.rounds} rounds alternately, load "
          f"{min(loads):.2f}-{max(loads):.2f}; before {sides['before']}, after {sides['after']}")
    report(res)
    if args.json:
        args.json.write_text(json.dumps({"start": start, "end": end, "loads": loads,
                                         "roots": {k: str(v) for k, v in sides.items()},
                                         "res": res}) + "\n")


if __name__ == "__main__":
    main()
