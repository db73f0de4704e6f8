"""The core's speed at several commits, measured back to back on this machine.

For each commit, exports its ``src/`` (``git archive``) to a temporary folder
and, in a fresh process with that folder first on ``PYTHONPATH``, measures
the CPU time per step of 20-step runs of the ``bench_core`` worlds (100,
1,000 and 10,000 states; construction excluded) and the runs per CPU-second
of ``scenarios/baseline.toml`` (``stationsim.run``, tables included).  Each
figure is the median over the runs of one round; ``--rounds`` rounds go
through all commits in turn, and the table shows the mean of the rounds.

    .venv/bin/python benchmarks/bench_history.py 4455e02 85e9e85 ... [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MEASURE = r"""
import json, statistics, sys, time
sys.path.insert(1, {bench!r})
from bench_core import STEPS, world
import stationsim
from stationsim.model.core import StationModel
out = {{}}
for n, runs in ((100, 20), (1000, 10), (10000, 3)):
    ts = []
    for s in range(runs):
        m = StationModel(world(n), rng=s, steps=STEPS)
        c = time.process_time()
        m.run()
        ts.append((time.process_time() - c) / STEPS * 1e6)
    out[n] = statistics.median(ts)
scn = stationsim.load_scenario({baseline!r})
rps = []
for _ in range(5):
    c = time.process_time()
    stationsim.run(scn, seed=1, replications=10)
    rps.append(10 / (time.process_time() - c))
out["baseline_runs_per_s"] = statistics.median(rps)
print(json.dumps(out))
"""


def export(commit: str, into: Path) -> Path:
    """``src/`` of ``commit`` under ``into``; returns the folder to put on PYTHONPATH."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src/stationsim"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def measure(src: Path) -> dict[str, float]:
    code = MEASURE.format(bench=str(ROOT / "benchmarks"),
                          baseline=str(ROOT / "scenarios" / "baseline.toml"))
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("commits", nargs="+")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results: dict[str, list[dict[str, float]]] = {c: [] for c in args.commits}
    with tempfile.TemporaryDirectory() as tmp:
        srcs = {}
        for c in args.commits:
            (Path(tmp) / c).mkdir()
            srcs[c] = export(c, Path(tmp) / c)
        for r in range(args.rounds):
            for c in args.commits:
                results[c].append(measure(srcs[c]))
                print(f"round {r + 1} {c}: {json.dumps(results[c][-1])} "
                      f"(load {os.getloadavg()[0]:.2f})", flush=True)
    print(f"{'commit':<10} {'100 us/step':>12} {'1,000':>10} {'10,000':>10}"
          f" {'baseline runs/s':>16}")
    table = {}
    for c, rs in results.items():
        mean = {k: statistics.mean(r[k] for r in rs) for k in rs[0]}
        table[c] = mean
        print(f"{c:<10} {mean['100']:>12.0f} {mean['1000']:>10.0f} {mean['10000']:>10.0f}"
              f" {mean['baseline_runs_per_s']:>16.1f}")
    if args.json:
        args.json.write_text(json.dumps({"rounds": results, "mean": table}, indent=2) + "\n")


if __name__ == "__main__":
    main()
