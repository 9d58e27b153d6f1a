"""The lift statistics on 2M simulated customers, beside the same intervals done plainly
with statsmodels and scipy.

    python bench/lift.py                    # 2M customers, best of 3
    python bench/lift.py --units 200000     # a smaller run

The experiment has a control and two treated groups (+5% and +10% on the purchase rate),
two outcomes (bought in the month, a rate; the month's spend, 81% zeros) and last year's
spend as the CUPED covariate: for each treated group and outcome, the plain difference with
its interval (Newcombe for the rate, Welch for spend), the CUPED difference with its
interval, and the sample-ratio check. tenure's ``compare`` works from per-group moments; the
peer splits the arrays by group and calls statsmodels' ``confint_proportions_2indep`` and
``test_proportions_2indep``, scipy's ``ttest_ind`` (for spend and for each adjusted
outcome) and ``chisquare``, computing theta with ``np.cov`` on each pair's pooled units.
Both sides must agree to 1e-9, which the benchmark checks.

Each side runs in a fresh process that first draws the customers and imports the libraries
(not timed); the peak
resident memory is the process's high-water mark during the call (reset on Linux once the
data is drawn), the data included, and the line also shows what the call added to it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

OUTCOMES = ("purchased", "spend")
LIFT = {"email": 0.05, "sms": 0.10}


def _rss_mib() -> float:
    """The process's peak resident memory since the last reset, in MiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Start the peak afresh (Linux), so that drawing the data does not set it."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _units(n: int):
    from tenure.actions import simulate_experiment

    return simulate_experiment(n, lift=LIFT, seed=2024)


def run_tenure(units) -> dict:
    from tenure.actions import compare

    result = compare(units, group="group", control="control", outcomes=list(OUTCOMES),
                     covariate="pre_spend")
    frame = result.frame
    return {"rows": frame[["ci_low", "ci_high", "adjusted_ci_low",
                           "adjusted_ci_high"]].to_numpy().ravel().tolist(),
            "srm": result.sample_ratio.p_value}


def run_peer(units) -> dict:
    import numpy as np
    from scipy import stats
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
    )

    groups = {name: part for name, part in units.groupby("group", observed=True)}
    control = groups["control"]
    rows = []
    for arm in LIFT:
        treated = groups[arm]
        pair = np.concatenate([treated["pre_spend"].to_numpy(), control["pre_spend"].to_numpy()])
        for outcome in OUTCOMES:
            t, c = treated[outcome].to_numpy(float), control[outcome].to_numpy(float)
            if outcome == "purchased":
                low, high = confint_proportions_2indep(t.sum(), len(t), c.sum(), len(c),
                                                       method="newcomb")
                test_proportions_2indep(t.sum(), len(t), c.sum(), len(c), method="score")
            else:
                ci = stats.ttest_ind(t, c, equal_var=False).confidence_interval(0.95)
                low, high = ci.low, ci.high
            y = np.concatenate([t, c])
            theta = np.cov(y, pair)[0, 1] / np.var(pair, ddof=1)
            adjusted = y - theta * (pair - pair.mean())
            ci = stats.ttest_ind(adjusted[: len(t)], adjusted[len(t):],
                                 equal_var=False).confidence_interval(0.95)
            rows += [float(low), float(high), float(ci.low), float(ci.high)]
    counts = units["group"].value_counts(sort=False).to_numpy()
    srm = stats.chisquare(counts).pvalue
    return {"rows": rows, "srm": float(srm)}


def one(side: str, n: int) -> None:
    units = _units(n)
    # Both sides' libraries are imported before the clock starts: a one-off cost.
    import scipy.stats  # noqa: F401
    import statsmodels.stats.proportion  # noqa: F401

    import tenure.actions  # noqa: F401

    _reset_peak()
    before = _rss_mib()
    run = run_tenure if side == "tenure" else run_peer
    start, cpu = time.perf_counter(), time.process_time()
    result = run(units)
    result.update(seconds=time.perf_counter() - start, cpu=time.process_time() - cpu,
                  data_mib=before, peak_mib=_rss_mib())
    print(json.dumps(result))


def measure(side: str, n: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", side, "--units", str(n)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", choices=["tenure", "peer"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.one, args.units)
        return
    best = {}
    for _ in range(args.repeat):
        for side in ("tenure", "peer"):
            result = measure(side, args.units)
            if side not in best or result["seconds"] < best[side]["seconds"]:
                best[side] = result
    ours, peer = best["tenure"], best["peer"]
    import numpy as np

    agree = np.allclose(ours["rows"], peer["rows"], rtol=1e-9, atol=1e-12)
    print(f"{args.units:,} customers, 3 groups, 2 outcomes, CUPED on last year's spend "
          f"(best of {args.repeat}; intervals agree: {'yes' if agree else 'NO'})")
    for name, result in (("tenure compare", ours), ("statsmodels + scipy", peer)):
        print(f"  {name:<20} {result['seconds']:6.2f} s (cpu {result['cpu']:.2f} s), peak "
              f"{result['peak_mib'] / 1024:.2f} GiB, {result['peak_mib'] - result['data_mib']:,.0f}"
              " MiB above the data")
    print(f"  ratio: the peer takes {peer['seconds'] / ours['seconds']:.1f}x tenure's time")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
