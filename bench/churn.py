"""Churn speed: point-in-time features, training and scoring at two million customers.

A simulated business of N customers (2 million by default, about ten million orders, with
every table the churn features read) is written and ingested once and reused. Each step then
runs in its own process so that its peak memory is its own:

- features: every feature group (SLA breaches by the demo shop's clocks included) for every
  customer who ever bought (a horizon longer than
  the data counts them all), and a labelled snapshot at a realistic 52-week horizon; beside
  them the purchase features alone, and the same purchase features computed with pandas.
- training: a ChurnModel fitted on one million snapshot rows (boosting, early stopping and
  the calibration choice), beside plain LightGBM trained for as many rounds on the same rows.
- scoring: ``tenure.churn.score`` at the end of the data (features, risk, three reasons per
  customer by path attributions, written to ``scores``) in a process of its own; then, in
  another, the model alone: risk for every customer beside plain LightGBM predictions, and
  reasons for a sample of 100,000 by path attributions and by exact tree SHAP.

    python bench/churn.py                    # 2 million customers
    python bench/churn.py --customers 2e5    # a quicker run

The workspace lets the engine use 3 GB before spilling (``engine.memory_limit``). Each
figure is wall-clock time; the CPU time beside it shows how much of the machine the step got.

Targets: features under 30 s, training under 2 minutes, scoring under 30 s, peak RSS under
6 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

DATA = Path(__file__).parent / ".data"
TABLES = ("customers", "products", "orders", "order_lines", "tickets", "ticket_status",
          "contacts", "consents", "memberships", "owners")
GIB = 1024**3

# Slow dropout and steady buying, so that most customers are still active at the end and
# two million customers place about ten million orders.
PARAMS = {"r": 2.0, "alpha": 300.0, "s": 0.6, "beta": 3000.0}
# The engine may use this much memory before it spills to disk (engine.memory_limit).
MEMORY = "3GB"

PRELUDE = textwrap.dedent("""
    import json, resource, sys, time
    import tenure
    from tenure.churn import ChurnDefinition
    ws = tenure.Workspace(sys.argv[1])
    end = tenure.churn._dates.data_span(ws).end
    CPU = {}
    def rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    def cpu():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    def timed(fn, label=None):
        start, used = time.perf_counter(), cpu()
        value = fn()
        if label:
            CPU[label] = cpu() - used
        return value, time.perf_counter() - start
""")

FEATURES = PRELUDE + textwrap.dedent("""
    from tenure.churn import features, snapshot
    everyone = ChurnDefinition("non_contractual", 5000, "everyone who ever bought")
    purchases, t_purchases = timed(lambda: features(ws, end, everyone, groups=["purchases"]))
    snap, t_all = timed(lambda: features(ws, end, everyone), "all")
    as_of = end - __import__("datetime").timedelta(days=364)
    labelled, t_labelled = timed(lambda: snapshot(ws, as_of, "52W"))
    print(json.dumps({"purchases": t_purchases, "all": t_all, "rows": len(snap),
                      "features": len(snap.features), "labelled": t_labelled,
                      "labelled_rows": len(labelled), "rss": rss(), "cpu": CPU}))
""")

PANDAS = textwrap.dedent("""
    import json, resource, sys, time
    import numpy as np, pandas as pd
    orders = pd.read_parquet(sys.argv[1], columns=["customer_id", "ordered_at", "amount"])
    end = orders["ordered_at"].max().normalize() + pd.Timedelta(days=1)
    start = time.perf_counter()
    bought = orders[orders["amount"] > 0].assign(day=lambda f: f["ordered_at"].dt.normalize())
    days = bought.groupby(["customer_id", "day"], sort=False)["amount"].sum().reset_index()
    days = days.sort_values(["customer_id", "day"])
    days["gap"] = days.groupby("customer_id")["day"].diff().dt.days
    age = (end - days["day"]).dt.days
    for n in (30, 90, 365):
        days[f"p{n}"] = age <= n
        days[f"s{n}"] = days["amount"].where(age <= n, 0.0)
    agg = {"first": ("day", "min"), "last": ("day", "max"), "purchase_days": ("day", "size"),
           "spend": ("amount", "sum"), "gap_mean": ("gap", "mean"), "gap_std": ("gap", "std")}
    agg.update({f"p{n}": (f"p{n}", "sum") for n in (30, 90, 365)})
    agg.update({f"s{n}": (f"s{n}", "sum") for n in (30, 90, 365)})
    per = days.groupby("customer_id").agg(**agg)
    per["days_since_last_purchase"] = (end - per["last"]).dt.days
    per["tenure_days"] = (end - per["first"]).dt.days
    per["recency_ratio"] = per["days_since_last_purchase"] / per["gap_mean"]
    refunds = orders[orders["amount"] < 0].groupby("customer_id")["amount"].agg(["size", "sum"])
    per = per.join(refunds, how="left")
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "rows": len(per),
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
""")

TRAIN = PRELUDE + textwrap.dedent("""
    import dataclasses, datetime as dt
    import lightgbm as lgb
    import pandas as pd
    from tenure.churn import ChurnModel, snapshot
    last = end - dt.timedelta(days=364)
    dates = [last - dt.timedelta(days=120), last]
    snaps, t_snaps = timed(lambda: [snapshot(ws, d, "52W") for d in dates])
    frame = pd.concat([s.frame for s in snaps], ignore_index=True)
    rows = min(1_000_000, len(frame))
    frame = frame.sample(rows, random_state=0).reset_index(drop=True)
    training = dataclasses.replace(snaps[-1], frame=frame)
    model, t_fit = timed(lambda: ChurnModel().fit(training), "fit")
    model.save(sys.argv[2])
    X, y = model._matrix(frame), frame["churned"].to_numpy()
    o = model.get_params()
    params = {"objective": "binary", "learning_rate": o["learning_rate"],
              "num_leaves": o["num_leaves"], "max_depth": o["max_depth"],
              "min_data_in_leaf": o["min_child_samples"], "feature_fraction": 0.9,
              "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0, "verbosity": -1,
              "seed": 0}
    _, t_plain = timed(lambda: lgb.train(params, lgb.Dataset(X, y),
                                         num_boost_round=model.best_iteration_))
    print(json.dumps({"snapshots": t_snaps, "rows": rows, "fit": t_fit, "plain": t_plain,
                      "rounds": model.best_iteration_, "calibration": model.calibrator_.method,
                      "auc": model.validation_metrics_["roc_auc"], "rss": rss(), "cpu": CPU}))
""")

SCORE = PRELUDE + textwrap.dedent("""
    from tenure.churn import ChurnModel, score
    model = ChurnModel.load(sys.argv[2])
    result, t_score = timed(lambda: score(ws, end, model), "score")
    print(json.dumps({"score": t_score, "scored": len(result.frame), "rss": rss(), "cpu": CPU}))
""")

MODEL = PRELUDE + textwrap.dedent("""
    from tenure.churn import ChurnModel, features
    model = ChurnModel.load(sys.argv[2])
    everyone = ChurnDefinition("non_contractual", 5000, "everyone who ever bought")
    snap = features(ws, end, everyone)
    risk, t_risk = timed(lambda: model.predict_proba(snap))
    sample = snap.frame.sample(100_000, random_state=0) if len(snap) > 100_000 else snap.frame
    path, t_path = timed(lambda: model.explain(sample, method="path"), "path")
    shap, t_shap = timed(lambda: model.explain(sample, method="shap"), "shap")
    first = [r.frame[r.frame["rank"] == 1].set_index("customer_id")["feature"]
             for r in (path, shap)]
    agree = float((first[0] == first[1].reindex(first[0].index)).mean())
    X = model._matrix(snap.frame)
    _, t_plain = timed(lambda: model.booster_.predict(X, num_iteration=model.best_iteration_))
    print(json.dumps({"rows": len(snap), "sample": len(sample), "risk": t_risk,
                      "path": t_path, "shap": t_shap, "agree": agree, "plain": t_plain,
                      "cpu": CPU}))
""")


def make_workspace(customers: int) -> Path:
    """Simulate, write and ingest the business once; later runs reuse it."""
    folder = DATA / f"churn_{customers}"
    ws_path, done = folder / "ws", folder / "ready"
    if done.exists():
        return ws_path
    import shutil

    from tenure.config import set_value
    from tenure.simulate import BusinessParams, simulate_business, write_business
    from tenure.sla._demo import add_shop_section
    from tenure.workspace import CONFIG_FILE, Workspace

    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    business = simulate_business(customers, seed=0, params=BusinessParams(**PARAMS))
    write_business(business, folder / "data")
    rows = {name: business.tables[name].num_rows for name in TABLES}
    del business
    print(f"simulated {customers:,} customers in {time.perf_counter() - start:.0f} s: "
          + ", ".join(f"{name} {n:,}" for name, n in rows.items()))
    start = time.perf_counter()
    Workspace.init(ws_path, timezone="Asia/Shanghai").close()
    add_shop_section(ws_path)  # the demo shop's SLA clocks: breaches are features too
    with Workspace(ws_path) as ws:
        set_value(ws.path / CONFIG_FILE, "engine.memory_limit", MEMORY)
        for name in TABLES:
            ws.ingest(name, folder / "data" / f"{name}.parquet")
    print(f"ingested them in {time.perf_counter() - start:.0f} s")
    done.touch()
    return ws_path


def measure(script: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", script, *map(str, args)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def verdict(seconds: float, target: float, rss: float) -> str:
    ok = seconds < target and rss < 6 * GIB
    return f"{'met' if ok else 'MISSED'} (< {target:.0f} s, < 6 GiB)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=2_000_000)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    customers = int(args.customers)
    if args.prepare:
        make_workspace(customers)
        return
    # The data is made in a process of its own: on Linux a child process starts from its
    # parent's peak RSS, so simulating here would inflate every step's figure.
    subprocess.run([sys.executable, __file__, "--customers", str(customers), "--prepare"],
                   check=True)
    ws = DATA / f"churn_{customers}" / "ws"
    orders = ws.parent / "data" / "orders.parquet"
    model = ws.parent / "model.json"
    print(f"{customers:,} customers; each step in a fresh process; load average before: "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")

    f = measure(FEATURES, ws)
    peer = measure(PANDAS, orders)
    print(f"features   {f['all']:6.1f} s  (cpu {f['cpu']['all']:.0f} s) {f['rows']:,} customers x "
          f"{f['features']} features, peak RSS {f['rss'] / GIB:.2f} GiB  "
          f"{verdict(f['all'], 30, f['rss'])}")
    print(f"  purchase features only {f['purchases']:.1f} s; pandas, same features "
          f"{peer['seconds']:.1f} s ({peer['rss'] / GIB:.2f} GiB): pandas/tenure "
          f"{peer['seconds'] / f['purchases']:.1f}x")
    print(f"  labelled snapshot at 52 weeks before the end: {f['labelled']:.1f} s, "
          f"{f['labelled_rows']:,} customers")

    t = measure(TRAIN, ws, model)
    print(f"training   {t['fit']:6.1f} s  (cpu {t['cpu']['fit']:.0f} s) {t['rows']:,} rows, "
          f"{t['rounds']} rounds, "
          f"{t['calibration']} calibration, validation AUC {t['auc']:.3f}, peak RSS "
          f"{t['rss'] / GIB:.2f} GiB  {verdict(t['fit'], 120, t['rss'])}")
    print(f"  plain LightGBM, same rows and rounds {t['plain']:.1f} s: tenure/plain "
          f"{t['fit'] / t['plain']:.1f}x; building the two snapshots {t['snapshots']:.1f} s")

    s = measure(SCORE, ws, model)
    print(f"scoring    {s['score']:6.1f} s  (cpu {s['cpu']['score']:.0f} s) score(): "
          f"{s['scored']:,} customers counted at the "
          f"end (features, risk, 3 reasons, written), peak RSS {s['rss'] / GIB:.2f} GiB  "
          f"{verdict(s['score'], 30, s['rss'])}")
    m = measure(MODEL, ws, model)
    print(f"  model on all {m['rows']:,} customers: risk {m['risk']:.1f} s (plain LightGBM "
          f"predictions {m['plain']:.1f} s)")
    print(f"  reasons for {m['sample']:,} of them: path attributions {m['path']:.2f} s "
          f"({m['path'] / m['sample'] * 1e6:.1f} µs per customer, cpu {m['cpu']['path']:.1f} "
          f"s), exact tree SHAP {m['shap']:.1f} s ({m['shap'] / m['sample'] * 1e6:.0f} µs, cpu "
          f"{m['cpu']['shap']:.0f} s); the same first reason for {m['agree']:.0%}")

if __name__ == "__main__":
    main()
