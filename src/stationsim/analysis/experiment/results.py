"""Test results: every test evaluated from the arms' tables, and what an
experiment returns and writes (:class:`ExperimentResult`, :class:`ClaimMap`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stationsim.analysis import compare as C
from stationsim.analysis import stats as ST
from stationsim.analysis.experiment.effects import Estimate, _rng, contrast_text, estimate
from stationsim.analysis.experiment.files import Experiment
from stationsim.analysis.experiment.outcomes import _outcome_label, outcome_values
from stationsim.analysis.experiment.verdicts import VERDICTS, Verdict, combine, verdict
from stationsim.model.scenario import (
    Scenario,
    with_overrides,
)


@dataclass
class TestResult:
    """The result of one test of an experiment."""

    name: str
    outcome: str
    contrast: dict[str, float]
    direction: str
    threshold: float
    estimate: Estimate
    verdict: Verdict
    primary: bool = True

    def contrast_text(self) -> str:
        return contrast_text(self.contrast)

    def claim_text(self) -> str:
        return f"{'>' if self.direction == 'greater' else '<'} {self.threshold:g}"

    def row(self) -> dict[str, Any]:
        e = self.estimate
        return {"test": self.name, "outcome": self.outcome, "contrast": self.contrast_text(),
                "claim": self.claim_text(), "effect": e.effect, "ci_low": e.ci_low,
                "ci_high": e.ci_high, "method": e.method, "half_width": e.half_width,
                "n": e.n, "cliffs_delta": e.cliffs_delta,
                **{f"mean[{a}]": m for a, m in e.arm_means.items()},
                "verdict": self.verdict, "primary": self.primary}


def overall(tests: Sequence[TestResult]) -> Verdict:
    """The experiment's verdict: :func:`combine` over its primary tests."""
    return combine([t.verdict for t in tests if t.primary])


@dataclass
class ExperimentResult:
    """What :func:`run_experiment` returns (and writes as ``experiment.json``)."""

    experiment: Experiment
    replications: int
    tests: list[TestResult]
    verdict: Verdict
    robustness: pd.DataFrame | None = None
    robustness_replications: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None
    stopped_by: str = "fixed"
    maps: list[ClaimMap] = field(default_factory=list)

    def assumption(self) -> str:
        """"" or the label of a claim whose effect one term of the model writes in."""
        bc = self.experiment.spec.by_construction
        return f"assumption: by construction of {bc.term}" if bc is not None else ""

    def tests_table(self) -> pd.DataFrame:
        """One row per test; ``stopped_by`` says what fixed the replications: ``fixed``
        (the file's or ``-r``), ``precision`` (every primary half-width reached the
        target) or ``cap`` (``max_replications`` reached first)."""
        df = pd.DataFrame([t.row() for t in self.tests])
        df["replications"] = self.replications
        df["stopped_by"] = self.stopped_by
        prec = self.experiment.spec.precision
        df["target_half_width"] = prec.half_width if prec is not None else float("nan")
        df["assumption"] = [self.assumption() if p else "" for p in df["primary"]]
        return df

    def to_dict(self) -> dict[str, Any]:
        spec = self.experiment.spec
        rob = None
        if self.robustness is not None:
            rob = {"replications": self.robustness_replications,
                   "parameters": [d.path for d in self.experiment.dimensions],
                   "summary": self.summary,
                   "points": _records(self.robustness)}
        return {
            "name": spec.name, "claim": spec.claim, "statement": spec.statement,
            "description": spec.description, "papers": spec.papers,
            "source": self.experiment.source, "base": self.experiment.base.source,
            "seed": spec.seed, "replications": self.replications, "steps": spec.steps,
            "common_random_numbers": spec.common_random_numbers,
            "bootstrap": {"seed": spec.boot_seed, "n_boot": spec.n_boot, "level": spec.level},
            "arms": [{"name": a.name, "description": a.description, "set": a.set}
                     for a in spec.arms],
            "tests": _records(self.tests_table()),
            "verdict": self.verdict,
            "assumption": self.assumption(),
            "by_construction": (spec.by_construction.model_dump()
                                if spec.by_construction is not None else None),
            "interval": {"proportion": spec.proportion, "means": ST.BOOTSTRAP
                         + " (scipy.stats.bootstrap)"},
            "precision": ({**spec.precision.model_dump(), "stopped_by": self.stopped_by}
                          if spec.precision is not None else None),
            "deciding": [d.model_dump() for d in spec.deciding],
            "robustness": rob,
            "maps": [{"name": m.stem, "parameters": m.parameters,
                      "replications": m.replications, "csv": f"claim_map_{m.stem}.csv",
                      "png": f"claim_map_{m.stem}.png",
                      "share_supported": m.share_supported(), "counts": m.counts(),
                      "points": len(m.table), "text": m.text()} for m in self.maps],
        }

    def text(self) -> str:
        """A plain-text summary: each test's effect, interval and verdict; robustness."""
        spec = self.experiment.spec
        pct = f"{spec.level:.0%}"
        pairing = "common random numbers (paired)" if spec.common_random_numbers else "unpaired"
        lines = [f"{spec.claim}: {spec.statement}",
                 f"  base {self.experiment.base.source}; {len(spec.arms)} arm(s) x "
                 f"{self.replications} replications, seed {spec.seed}, {pairing}"]
        for t in self.tests:
            e = t.estimate
            means = ", ".join(f"{a} {_fmt(m)}" for a, m in e.arm_means.items())
            role = "" if t.primary else " (secondary: not part of the verdict)"
            lines.append(f"  test {t.name}{role}: {t.outcome}  [{t.contrast_text()}]")
            lines.append(f"    means: {means}")
            lines.append(f"    effect {_fmt(e.effect)}, {pct} CI [{_fmt(e.ci_low)}, "
                         f"{_fmt(e.ci_high)}] ({e.method}; n = {e.n}); claim: effect "
                         f"{t.claim_text()} -> {t.verdict}")
        if spec.precision is not None:
            lines.append(f"  replications: {self.replications}, stopped by {self.stopped_by} "
                         f"(target half-width {spec.precision.half_width:g}, cap "
                         f"{spec.precision.max_replications})")
        label = f" ({self.assumption()})" if self.assumption() else ""
        lines.append(f"  verdict: {self.verdict}{label}")
        if self.robustness is not None:
            npts = len(self.robustness)
            lines.append(f"  robustness ({npts} points x {self.robustness_replications} "
                         f"replications per arm): {self.summary.get('text', '')}")
            lines.extend(f"    {line}" for line in self.robustness_lines())
        for m in self.maps:
            lines.append(f"  {m.text()}")
            dims = m.parameters
            for _, r in m.table.iterrows():
                where = " ".join(f"{d.split('.')[-1]}={_value(r[d])}" for d in dims)
                prim = [t.name for t in self.tests if t.primary]
                tests = "; ".join(f"{n} {_fmt(r[f'{n}.effect'])} [{_fmt(r[f'{n}.ci_low'])}, "
                                  f"{_fmt(r[f'{n}.ci_high'])}]" for n in prim)
                lines.append(f"    {where}: {r['verdict']} ({tests})")
        return "\n".join(lines)

    def robustness_lines(self) -> list[str]:
        """One line per grid point: its values, verdict, and each primary test's estimate."""
        if self.robustness is None:
            return []
        dims = [d.path for d in self.experiment.dimensions]
        prim = [t.name for t in self.tests if t.primary]
        out = []
        for _, r in self.robustness.iterrows():
            where = " ".join(f"{d.split('.')[-1]}={_value(r[d])}" for d in dims)
            tests = "; ".join(f"{n} {_fmt(r[f'{n}.effect'])} [{_fmt(r[f'{n}.ci_low'])}, "
                              f"{_fmt(r[f'{n}.ci_high'])}]" for n in prim)
            out.append(f"{where}: {r['verdict']} ({tests})")
        return out


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({str(k): (None if isinstance(v, float) and not math.isfinite(v) else
                             v.item() if isinstance(v, np.generic) else v)
                    for k, v in rec.items()})
    return out


def _fmt(x: Any) -> str:
    return C.fmt_number(x, 4)


def _value(x: Any) -> str:
    """A grid value as written in a file: true/false, numbers, strings."""
    if isinstance(x, bool | np.bool_):
        return str(bool(x)).lower()
    return _fmt(x) if isinstance(x, int | float | np.number) else str(x)


def _params_of(scn: Scenario, point: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return (with_overrides(scn, dict(point)) if point else scn).params()


def _evaluate(exp: Experiment, tabs: dict[str, dict[str, pd.DataFrame]],
              point: Mapping[str, Any] | None = None,
              salt: str = "") -> list[TestResult]:
    """Every test's estimate and verdict from the arms' tables (of one point)."""
    spec = exp.spec
    results = []
    for t in spec.tests:
        weights = exp.contrasts[t.name]
        values = {}
        for arm in weights:
            tb = tabs[arm]
            values[arm] = outcome_values(t.outcome, tb["runs"], tb["steps"], tb["membership"],
                                         _params_of(exp.arms[arm], point))
            if isinstance(values[arm].index, pd.MultiIndex):
                values[arm] = values[arm].droplevel("point")
        # a proportion interval only for outcomes that are 0/1 per run by design
        indicator = isinstance(t.outcome, str) or t.outcome.kind in ("guest_any", "channel_is")
        est = estimate(values, weights, paired=spec.common_random_numbers,
                       rng=_rng(spec.boot_seed, t.name, salt), n_boot=spec.n_boot,
                       level=spec.level, proportion=spec.proportion if indicator else "none")
        results.append(TestResult(t.name, _outcome_label(t.outcome), weights, t.direction,
                                  t.threshold, est,
                                  verdict(est.ci_low, est.ci_high, t.direction, t.threshold),
                                  t.primary))
    return results


@dataclass
class ClaimMap:
    """The verdict and effects over a deciding parameter's range (or two parameters')."""

    stem: str
    parameters: list[str]
    table: pd.DataFrame
    replications: int

    def share_supported(self) -> float:
        """Share of the map's points (evenly spaced over the plausible region) where the
        claim is supported."""
        return float((self.table["verdict"] == "supported").mean()) if len(self.table) else \
            float("nan")

    def counts(self) -> dict[str, int]:
        return {v: int((self.table["verdict"] == v).sum()) for v in VERDICTS}

    def text(self) -> str:
        c = self.counts()
        n = len(self.table)
        tally = ", ".join(f"{v} at {c[v]}" for v in VERDICTS if c[v])
        return (f"claim map {' x '.join(self.parameters)}: supported on "
                f"{self.share_supported():.0%} of the plausible region ({tally} of {n} points, "
                f"{self.replications} replications per arm and point)")
