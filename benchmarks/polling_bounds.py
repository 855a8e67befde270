"""What no polling schedule can beat, per distribution of ``benchmarks/polling.py``'s family.

    python benchmarks/polling_bounds.py            # seconds; no simulator, no network

DESIGN §7 asks, at ≤ 8 status requests per job, for a median detection delay ≤ 2 s and
< 0.4× the best fixed interval's at equal requests. Whether any schedule can do that is a
property of the job-length distribution alone, computed here from its density f, survival S
and hazard h = f/S (no schedule code is involved):

- **median bound.** A poll at t_k costs the jobs still running after t_{k-1} (S(t_{k-1}))
  and detects within m seconds only jobs ending in (t_k - m, t_k]. Spending N requests per job
  on average, the largest share detected within m is a fractional knapsack: poll every m
  seconds where the hazard is highest, until ∫ S/m over those places reaches N. The smallest
  m whose best share reaches one half is the lowest median delay any schedule can have
  (up to the continuous approximation ``gain ≈ m·f`` per poll; a grid search over real
  schedules — sparse, then every m s over a window, then backing off — came within 10-15 %
  of it on B and C). Such a schedule buys its median by not polling at all before the
  busiest window: half the jobs wait long. ``gateway/schedule.py`` minimises the mean instead.
- **mean bound.** Minimising the mean delay instead gives steps ∝ 1/√h and a mean delay of
  (∫√(S·f))² / (2N), against ∫S / (2N) for a fixed interval: the ratio (∫√(S·f))² / ∫S.
- **fixed.** The interval whose mean requests per job on these lengths equal N, and its
  median delay, computed on 200 000 draws.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

import _common  # noqa: F401  (puts the checkout on sys.path)
import numpy as np
from _common import header, table, verdict
from polling import FAMILY, fixed_at


def density(lengths: np.ndarray, bins: int = 4000) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(t, f, S, dt) on a uniform grid from a large sample (a histogram, lightly smoothed)."""
    top = float(np.quantile(lengths, 0.9995))
    edges = np.linspace(0.0, top, bins + 1)
    counts, _ = np.histogram(lengths, edges)
    kernel = np.exp(-0.5 * (np.arange(-15, 16) / 5.0) ** 2)
    f = np.convolve(counts.astype(float), kernel / kernel.sum(), mode="same")
    dt = float(edges[1] - edges[0])
    f /= f.sum() * dt
    survival = 1.0 - np.cumsum(f) * dt + f * dt / 2
    return (edges[:-1] + edges[1:]) / 2, f, np.clip(survival, 1e-12, None), dt


def best_share(m: float, f: np.ndarray, survival: np.ndarray, dt: float, budget: float) -> float:
    """Largest share of jobs any schedule spending ``budget`` requests can detect within ``m`` s."""
    hazard = f / survival
    order = np.argsort(-hazard)
    cost = np.cumsum(survival[order] * dt / m)  # polls every m s over the best places
    gain = np.cumsum(f[order] * dt)
    k = int(np.searchsorted(cost, budget, side="right"))
    return float(gain[min(k, len(gain) - 1)]) if k else 0.0


def median_bound(f: np.ndarray, survival: np.ndarray, dt: float, budget: float) -> float:
    lo, hi = 1e-3, 1e4
    for _ in range(60):
        m = math.sqrt(lo * hi)
        if best_share(m, f, survival, dt, budget) >= 0.5:
            hi = m
        else:
            lo = m
    return hi


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--requests", type=float, default=8.0, help="status requests per job (DESIGN §7: 8)")
    args = ap.parse_args(argv)
    header("Polling: lower bounds for any schedule, per distribution")
    rng = np.random.default_rng(0)
    rows, checks = [], []
    for fam in FAMILY:
        lengths = np.array([fam.draw(rng, rng.random())[0] for _ in range(200_000)])
        t, f, survival, dt = density(lengths)
        _, fixed = fixed_at(lengths, args.requests)
        m = median_bound(f, survival, dt, args.requests)
        mean_ratio = float((np.sqrt(survival * f).sum() * dt) ** 2 / (survival.sum() * dt))
        rows.append([fam.name, fam.about, fixed, m, m / fixed, mean_ratio])
        if fam.name != "G":  # G's status reports the queue exit: more than lengths alone allow
            checks.append((fam.name, m, m / fixed))
    print(table(["dist", "lengths", "fixed p50 (s)", "best p50 (s)", "best p50 / fixed", "best mean / fixed"],
                rows, f"At {args.requests:g} requests per job: the best median delay any schedule can reach"))
    print("(E: the drift's lengths pooled over the run. G: submission to done, as if the status did not\n"
          "report the queue exit; it does, so G's row is no bound for a schedule that reads it.)")
    print(f"\nreachable at all at {args.requests:g} requests (DESIGN §7: p50 ≤ 2 s, < 0.4× the fixed interval):")
    for name, m, ratio in checks:
        print(f"- {name}: p50 ≤ 2 s {verdict(m <= 2)} (bound {m:.2f} s); < 0.4× {verdict(ratio < 0.4)}"
              f" (bound {ratio:.2f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
