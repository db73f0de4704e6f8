"""Peak memory and wall time of a 100,000-run sweep streamed to disk.

Runs ``stationsim sweep benchmarks/scenarios/sweep_100k.toml`` (a tiny world,
4 states x 1 station x 3 steps, 2 rules x 50,000 replications) in a child
process and polls, every ``--interval`` seconds, the memory of the whole
process tree (the CLI and its workers) with psutil:

* ``rss``: the sum of the processes' resident set sizes -- an upper bound,
  since forked workers share pages with their parent and each other;
* ``pss``: the sum of proportional set sizes (shared pages divided among
  the processes that share them) -- the tree's real footprint.

Reports the peaks, the wall time, runs per second, the size of the output
and checks that ``runs.parquet`` holds every run.

    .venv/bin/python benchmarks/bench_sweep_memory.py [--workers N] [--sweep FILE]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ROOT / "benchmarks" / "scenarios" / "sweep_100k.toml"
MiB = 1024 * 1024


def tree_memory(proc: psutil.Process) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in bytes over ``proc`` and its descendants."""
    rss = pss = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for p in procs:
        try:
            info = p.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss, pss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", type=Path, default=SWEEP)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--interval", type=float, default=0.25)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    args.sweep = args.sweep.resolve()
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_memory_"))
    out = tmp / "out"
    cmd = [sys.executable, "-m", "stationsim", "sweep", str(args.sweep), "--out", str(out),
           "--workers", str(args.workers), "--quiet"]
    print(" ".join(cmd))
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd)
    proc = psutil.Process(child.pid)
    peak_rss = peak_pss = 0
    while child.poll() is None:
        rss, pss = tree_memory(proc)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(args.interval)
    wall = time.perf_counter() - t0
    if child.returncode != 0:
        raise SystemExit(f"sweep failed with exit code {child.returncode}")
    runs = pq.ParquetFile(out / "runs.parquet").metadata.num_rows
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    shutil.rmtree(tmp)
    report = {"sweep": str(args.sweep), "workers": args.workers,
              "runs": runs, "wall_s": wall, "runs_per_s": runs / wall,
              "peak_rss_mib": peak_rss / MiB, "peak_pss_mib": peak_pss / MiB,
              "output_mib": size / MiB, "load_at_start": load,
              "load_at_end": os.getloadavg()[0]}
    print(f"{runs} runs, {args.workers} workers: {wall:.0f} s ({runs / wall:.0f} runs/s); "
          f"peak memory of the process tree: {peak_pss / MiB:.0f} MiB PSS "
          f"({peak_rss / MiB:.0f} MiB summed RSS); output {size / MiB:.1f} MiB; "
          f"load {load:.2f} -> {report['load_at_end']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
