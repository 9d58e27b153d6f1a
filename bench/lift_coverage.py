"""How often a 95% interval for the difference in spend covers the truth, on Hillstrom.

    python bench/lift_coverage.py                   # Welch and scipy's BCa bootstrap
    python bench/lift_coverage.py --bootstrap-reps 100

Not a speed benchmark: the study behind the choice of Welch's interval for amounts in
``tenure.actions.compare``. Each arm's customers of the Hillstrom e-mail experiment stand in
for its population, so the true difference in mean spend against No E-Mail is known (and is
0 for No E-Mail against itself, an A/A test). Samples of a given size per arm are drawn
with replacement, an interval is computed, and the share of intervals that hold the truth
is counted, with the misses below and above. Spend is 0 for 99% of customers, so a few
hundred customers an arm hold only a handful of buyers: the hard case for any interval.

Welch's interval is the one ``compare`` returns (from the group moments). The BCa bootstrap
is ``scipy.stats.bootstrap(method="BCa")`` on the difference in means, 2,000 resamples,
seeded; it is slow (its jackknife grows with the square of the units), hence fewer
replicates.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from tenure.actions._intervals import welch
from tenure.datasets import load_hillstrom

SIZES = (500, 1_000, 2_000, 5_000, 21_306)
BOOTSTRAP_SIZES = (500, 2_000)
ARMS = ("Mens E-Mail", "Womens E-Mail", "No E-Mail")


def _welch_hits(treated: np.ndarray, control: np.ndarray, size: int, reps: int,
                rng: np.random.Generator) -> np.ndarray:
    """Misses below, hits and misses above the truth over ``reps`` replicates."""
    truth = treated.mean() - control.mean()
    tally = np.zeros(3)
    batch = max(1, 2_000_000 // size)
    for start in range(0, reps, batch):
        k = min(batch, reps - start)
        t = treated[rng.integers(0, len(treated), (k, size))]
        c = control[rng.integers(0, len(control), (k, size))]
        low, high, _ = welch(t.mean(1), t.var(1, ddof=1), size, c.mean(1), c.var(1, ddof=1),
                             size, 0.95)
        tally += [(low > truth).sum(), ((low <= truth) & (truth <= high)).sum(),
                  (high < truth).sum()]
    return tally / reps


def _bootstrap_hits(treated: np.ndarray, control: np.ndarray, size: int, reps: int,
                    rng: np.random.Generator) -> np.ndarray:
    truth = treated.mean() - control.mean()
    tally = np.zeros(3)
    for seed in range(reps):
        t = treated[rng.integers(0, len(treated), size)]
        c = control[rng.integers(0, len(control), size)]
        if t.max() == t.min() and c.max() == c.min():
            tally[1] += truth == t[0] - c[0]
            continue
        interval = stats.bootstrap((t, c), lambda a, b, axis: a.mean(axis) - b.mean(axis),
                                   method="BCa", n_resamples=2_000, random_state=seed,
                                   vectorized=True).confidence_interval
        tally += [interval.low > truth, interval.low <= truth <= interval.high,
                  interval.high < truth]
    return tally / reps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=4_000)
    parser.add_argument("--bootstrap-reps", type=int, default=400)
    args = parser.parse_args()
    mail = load_hillstrom()
    spend = {arm: part.to_numpy() for arm, part in mail.groupby("segment",
                                                                observed=True)["spend"]}
    rng = np.random.default_rng(2008)
    print("coverage of 95% intervals for the difference in mean spend against No E-Mail "
          "(miss below / covered / miss above)")
    for arm in ARMS:
        for size in SIZES:
            line = f"  {arm:<14} {size:>6,} an arm  Welch " + " / ".join(
                f"{v:.1%}" for v in _welch_hits(spend[arm], spend["No E-Mail"], size,
                                                args.reps, rng))
            if size in BOOTSTRAP_SIZES and args.bootstrap_reps:
                start = time.perf_counter()
                hits = _bootstrap_hits(spend[arm], spend["No E-Mail"], size,
                                       args.bootstrap_reps, rng)
                line += "   BCa " + " / ".join(f"{v:.1%}" for v in hits) + (
                    f" ({time.perf_counter() - start:.0f} s)")
            print(line, flush=True)
    print(f"Welch over {args.reps:,} replicates, BCa over {args.bootstrap_reps:,} "
          "(standard error about 0.3 and 1.1 points)")


if __name__ == "__main__":
    main()
