"""``python -m stationsim.analysis.calibration run|blocs ...``: the calibration
pipeline's command line, and the check that scenarios hold the chosen values.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stationsim.analysis.calibration.blocs import blocs_text
from stationsim.analysis.calibration.fit import (
    CONFIRM_REPLICATIONS,
    REFINE_POINTS,
    REFINE_REPLICATIONS,
    SWEEPS,
    calibrate,
)
from stationsim.analysis.calibration.report import write_outputs
from stationsim.model.scenario import ScenarioError


def check_scenarios(chosen: dict[str, Any], paths: Sequence[Path]) -> list[str]:
    """Scenario files whose ``[parameters]`` do not hold the chosen values (empty: all do)."""
    from stationsim.model.scenario import load_scenario

    bad = []
    for p in paths:
        scn = load_scenario(p)
        for k, v in chosen.items():
            name = k.split(".", 1)[1]
            if k.startswith("parameters.") and scn.parameters.get(name) != v:
                bad.append(f"{p}: {name} = {scn.parameters.get(name)!r}, chosen {v!r}")
    return bad


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m stationsim.analysis.calibration run|blocs ...`` (see
    :mod:`stationsim.analysis.calibration`)."""
    ap = argparse.ArgumentParser(prog="python -m stationsim.analysis.calibration",
                                 description="Calibration against history (docs/calibration.md)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the calibration sweeps, choose, confirm, report")
    r.add_argument("sweeps", nargs="*", type=Path, default=list(SWEEPS),
                   help="calibration sweep files (default: scenarios/sweeps/calibrate_*.toml)")
    r.add_argument("--out", type=Path, default=Path("results/calibration"))
    r.add_argument("--workers", type=int, default=None)
    r.add_argument("--samples", type=int, default=None, help="points (default: the files')")
    r.add_argument("--replications", type=int, default=None,
                   help="replications per point (default: the files')")
    r.add_argument("--refine-points", type=int, default=REFINE_POINTS)
    r.add_argument("--refine-replications", type=int, default=REFINE_REPLICATIONS)
    r.add_argument("--confirm-replications", type=int, default=CONFIRM_REPLICATIONS)
    r.add_argument("--figures", type=Path, default=None,
                   help="folder for calibration_*.png (e.g. docs/figures)")
    r.add_argument("--check-scenarios", type=Path, nargs="*", default=None,
                   help="scenario files that must hold the chosen values")
    b = sub.add_parser("blocs", help="top states per partnership of a two_blocs_2020s run")
    b.add_argument("results", type=Path)
    b.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    command = "python -m stationsim.analysis.calibration " + " ".join(
        sys.argv[1:] if argv is None else list(argv))
    try:
        if args.cmd == "blocs":
            print(blocs_text(args.results, args.top))
            return 0
        cal = calibrate(args.sweeps, args.out, workers=args.workers, samples=args.samples,
                        replications=args.replications, refine_points=args.refine_points,
                        refine_replications=args.refine_replications,
                        confirm_replications=args.confirm_replications, progress=None,
                        log=lambda m: print(m, file=sys.stderr))
        print(write_outputs(cal, command, args.figures))
        if args.check_scenarios is not None:
            bad = check_scenarios(cal.chosen, args.check_scenarios)
            print("scenarios hold the chosen values" if not bad else "\n".join(bad))
            if bad:
                return 1
    except (ScenarioError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
