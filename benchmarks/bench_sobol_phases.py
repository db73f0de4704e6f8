"""Where the time of ``stationsim sensitivity SWEEP --workers 2 --out OUT -q`` goes (issue 15).

Runs the CLI's own command in this process, with a wall-clock timer wrapped
around each of its parts, and prints them as JSON (seconds):

* ``import``: ``import stationsim.app.cli`` (the package, Mesa, pandas, pyarrow ...);
* ``load_sweep``: reading the sweep file and its base scenario, SALib's design
  (this imports ``scipy.stats``), checking the points against the scenario;
* ``backend_start``: forking the workers;
* ``runs``: the executor's loop over the chunks (the workers' runs; in this process
  receiving each chunk's tables and writing its Parquet parts, ``write_part``
  being its part of it);
* ``consolidate``: the parts into ``runs``/``steps``/``membership.parquet``;
* ``table_stamps``: the tables' checksums for the manifest;
* ``analyse``: reading the runs table and the Sobol' indices with their
  bootstrap intervals (``indices`` its part of it);
* ``write``: the indices' CSV, Markdown and JSON and the two figures (PNG and SVG);
* ``total``: from the start of this script to the end of the command.

Each part's wall time, and (``cpu``) the CPU time of this process in it; ``cpu_children``
is the CPU time of the processes it started and waited for (the pool's workers: their
runs and, since the pool consolidates, their tables; a figure drawn beside the other).
On a machine shared with other work the CPU times are the steadier figures.

Only timers are added: the command writes the same files as the CLI.  Run it
with ``PYTHONPATH`` pointing at the source tree to measure (the names it wraps
exist in every version since 6c11814)::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_sobol_phases.py \\
        scenarios/sweeps/sensitivity_css_rule.toml /tmp/out
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from typing import Any

T0 = time.perf_counter()
C0 = time.process_time()
import stationsim.app.cli as cli  # noqa: E402  (timed)

T_IMPORT = time.perf_counter() - T0
C_IMPORT = time.process_time() - C0

from stationsim.analysis import sensitivity as S  # noqa: E402  (the command looks these up)
from stationsim.analysis.sensitivity import indices as SI  # noqa: E402
from stationsim.app.cli import analyses as A  # noqa: E402  (the command looks it up)
from stationsim.running.executor import loop as E  # noqa: E402  (execute looks these up)

acc: dict[str, float] = {}
cpu: dict[str, float] = {}


def wrap(owner: Any, name: str, key: str) -> None:
    """Replace ``owner.name`` by the same function adding its wall time to ``acc[key]``."""
    f: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(f)
    def timed(*a: Any, **k: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        try:
            return f(*a, **k)
        finally:
            acc[key] = acc.get(key, 0.0) + time.perf_counter() - t
            cpu[key] = cpu.get(key, 0.0) + time.process_time() - c

    setattr(owner, name, timed)


def main(sweep: str, out: str) -> dict[str, dict[str, float]]:
    wrap(A, "load_sweep", "load_sweep")
    wrap(E, "make_backend", "backend_start")
    wrap(E, "write_part", "write_part")
    wrap(E, "table_stamps", "table_stamps")
    wrap(E, "_execute_locked", "execute")
    if hasattr(E.LocalBackend, "consolidate"):  # the tables on the pool's workers
        wrap(E.LocalBackend, "consolidate", "consolidate")
    else:
        wrap(E, "consolidate", "consolidate")
    wrap(SI, "_indices", "indices")  # looked up where analyse is
    wrap(S, "analyse", "analyse")
    wrap(S, "write", "write")
    sys.argv = ["stationsim", "sensitivity", sweep, "--workers", "2", "--out", out, "-q"]
    try:
        cli.app()
    except SystemExit as exc:
        if exc.code:
            raise
    import resource

    total, total_cpu = time.perf_counter() - T0, time.process_time()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    order = ["import", "load_sweep", "backend_start", "runs", "write_part", "consolidate",
             "table_stamps", "analyse", "indices", "write", "total"]
    out_: dict[str, dict[str, float]] = {}
    for name, d, first, whole in (("wall", acc, T_IMPORT, total), ("cpu", cpu, C_IMPORT,
                                                                      total_cpu)):
        runs = d["execute"] - d["consolidate"] - d["table_stamps"] - d["backend_start"]
        got = {"import": first, "runs": runs, "total": whole, **d}
        out_[name] = {k: round(got[k], 2) for k in order if k in got}
    out_["cpu"]["cpu_children"] = round(kids.ru_utime + kids.ru_stime, 2)
    return out_


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
