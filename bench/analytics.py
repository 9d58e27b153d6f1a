"""Each retention analysis on 10M orders of 2M customers, and the cohort table in pandas.

    python bench/analytics.py                      # build the workspace once, then measure
    python bench/analytics.py --repeat 3 --cold    # best of 3, and the first run after a change
    python bench/analytics.py --customers 200000   # a smaller run

The workspace is built from the simulator in slices of 200,000 customers (ids prefixed per
slice, the purchase rate raised so that 2M customers make about 10M orders) and inserted
straight into the workspace tables: the simulated rows are valid by construction, and this
benchmark measures the analyses, not the ingest. Every analysis runs in a fresh process, so
its peak resident memory (the operating system's high-water mark, Python and DuckDB
included) is its own. The pandas cohort table does the same computation as
``cohort_retention`` from a DataFrame already in memory; loading it is timed apart.

The analyses share tables the workspace stores once per version of the orders (customer
activity per period, the customer summary; see ``tenure.analytics.prepare``). The benchmark
first times building them from scratch, then times each analysis reading them, ``--repeat``
times, and reports the fastest run with its CPU time. With ``--cold`` it also times each
analysis right after the stored tables were dropped: the first analysis after an ingest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

SLICE = 200_000
TARGET_SECONDS = 5.0
TARGET_RSS_GIB = 3.0
ANALYSES = {
    "cohorts": ("cohort_retention", {}),
    "lifecycle": ("lifecycle", {}),
    "growth": ("net_growth", {}),
    "rfm": ("rfm_segments", {}),
    "loyalty": ("loyalty_ladder", {}),
    "funnel": ("funnel", {}),
    "referrals": ("referral_reach", {}),
    "handover": ("handover_impact", {}),
    "churn-reasons": ("churn_reasons", {}),
}
# Id columns prefixed per slice so the slices do not collide.
ID_COLUMNS = {
    "customers": ("customer_id", "referrer_id"),
    "orders": ("order_id", "customer_id"),
    "order_lines": ("order_id",),
    "leads": ("lead_id", "customer_id"),
    "memberships": ("customer_id",),
    "owners": ("customer_id",),
    "churn_reasons": ("customer_id",),
}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build(folder: Path, customers: int) -> Path:
    """The benchmark workspace, built once and reused while its size matches."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from tenure.simulate import BusinessParams, simulate_business
    from tenure.workspace import Workspace

    marker = folder / "built.json"
    if marker.exists() and json.loads(marker.read_text())["customers"] == customers:
        return folder / "ws"
    if folder.exists():
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    started = time.perf_counter()
    with Workspace.init(folder / "ws", timezone="Asia/Shanghai") as ws:
        con = ws.connection
        slices = max(1, customers // SLICE)
        for k in range(slices):
            size = min(SLICE, customers - k * SLICE)
            business = simulate_business(size, seed=1000 + k, params=BusinessParams(alpha=55.0))
            for name, table in business.tables.items():
                if name == "products" and k > 0:
                    continue
                if name not in ID_COLUMNS and name != "products":
                    continue
                for column in ID_COLUMNS.get(name, ()):
                    prefixed = pc.binary_join_element_wise(f"s{k}-", table[column], "")
                    table = table.set_column(table.schema.get_field_index(column), column,
                                             prefixed)
                arrow = pa.table(table)
                con.register("slice_rows", arrow)
                columns = ", ".join(f'"{c}"' for c in arrow.column_names)
                con.execute(f"INSERT INTO {name} ({columns}, _ingest_id) "
                            f"SELECT {columns}, 0 FROM slice_rows")
                con.unregister("slice_rows")
            print(f"  slice {k + 1}/{slices} ({time.perf_counter() - started:.0f} s)",
                  file=sys.stderr)
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                  for t in ("customers", "orders", "order_lines", "leads", "owners")}
    marker.write_text(json.dumps({"customers": customers, "rows": counts}))
    return folder / "ws"


def drop_prepared(workspace: Path) -> None:
    """Forget the stored analytics tables, as after a change to the orders."""
    from tenure.workspace import Workspace

    with Workspace(workspace) as ws:
        con = ws.connection
        names = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'analytics_%'"
        ).fetchall()]
        for name in names:
            con.execute(f'DROP TABLE "{name}"')
        con.execute("CHECKPOINT")


def prepare_one(workspace: Path) -> dict:
    """Build the stored tables the benchmarked analyses read, each timed."""
    import tenure.analytics as analytics
    from tenure.workspace import Workspace

    drop_prepared(workspace)
    started, cpu = time.perf_counter(), cpu_seconds()
    with Workspace(workspace) as ws:
        # The analyses here read months (most) and days (all); others are built on demand.
        frame = analytics.prepare(ws, periods=["month"]).frame
    return {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu,
            "peak_rss_mib": peak_rss_mib(), "tables": frame.to_dict("records")}


def run_one(workspace: Path, name: str, cold: bool = False) -> dict:
    """One analysis (or the pandas cohort table), measured in this process."""
    if name == "pandas-cohorts":
        return _pandas_cohorts(workspace)
    import ibis.backends.duckdb  # noqa: F401 - loading modules is not the analysis

    import tenure.analytics as analytics
    from tenure.workspace import Workspace

    if cold:
        drop_prepared(workspace)
    function, options = ANALYSES[name]
    started, cpu = time.perf_counter(), cpu_seconds()
    with Workspace(workspace) as ws:
        result = getattr(analytics, function)(ws, **options)
    seconds = time.perf_counter() - started
    out = {"seconds": seconds, "cpu_seconds": cpu_seconds() - cpu,
           "peak_rss_mib": peak_rss_mib(), "rows": len(result.frame),
           "headline": result.lines()[:2]}
    if name == "cohorts":
        out["active_total"] = int(result.frame["active"].sum())
    return out


def _pandas_cohorts(workspace: Path) -> dict:
    """Monthly cohort retention (exact and unbounded, customers and net revenue) in pandas,
    the way an analyst would write it."""
    import pandas as pd

    from tenure.workspace import Workspace

    started = time.perf_counter()
    with Workspace(workspace) as ws:
        orders = ws.connection.execute(
            "SELECT customer_id, ordered_at, amount FROM orders").df()
    loaded = time.perf_counter() - started

    started, cpu = time.perf_counter(), cpu_seconds()
    orders["month"] = orders["ordered_at"].dt.year * 12 + orders["ordered_at"].dt.month - 1
    bought = orders[orders["amount"] >= 0]
    cohort = bought.groupby("customer_id")["month"].min().rename("cohort")
    orders = orders.join(cohort, on="customer_id", how="inner")
    orders["age"] = orders["month"] - orders["cohort"]
    bought = orders[orders["amount"] >= 0]
    active = bought.drop_duplicates(["customer_id", "month"])
    counts = active.groupby(["cohort", "age"]).size().rename("active")
    revenue = orders.groupby(["cohort", "age"])["amount"].sum().rename("revenue")
    last_age = active.groupby(["customer_id", "cohort"])["age"].max().reset_index()
    ended = last_age.groupby(["cohort", "age"]).size().rename("ended")
    sizes = cohort.value_counts().rename("customers")
    last = int(orders["month"].max())
    grid = pd.DataFrame([(c, a) for c in sizes.index for a in range(last - c + 1)],
                        columns=["cohort", "age"])
    table = grid.join(sizes, on="cohort").join(counts, on=["cohort", "age"]).join(
        revenue, on=["cohort", "age"]).join(ended, on=["cohort", "age"]).fillna(0)
    table = table.sort_values(["cohort", "age"])
    table["active_or_later"] = table["customers"] - (
        table.groupby("cohort")["ended"].cumsum() - table["ended"])
    table["retention"] = table["active"] / table["customers"]
    table["retention_unbounded"] = table["active_or_later"] / table["customers"]
    table["revenue_retention"] = table["revenue"] / table.groupby("cohort")[
        "revenue"].transform("first")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu_seconds": cpu_seconds() - cpu, "load_seconds": loaded,
            "peak_rss_mib": peak_rss_mib(), "rows": len(table),
            "active_total": int(table["active"].sum())}


def measure(workspace: Path, name: str, *extra: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", name, "--workspace",
                           str(workspace), *extra], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of(workspace: Path, name: str, repeat: int) -> dict:
    """The fastest of ``repeat`` runs, with the median wall time beside it."""
    runs = [measure(workspace, name) for _ in range(repeat)]
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    best = min(runs, key=lambda r: r["seconds"])
    walls = sorted(r["seconds"] for r in runs)
    return {**best, "median_seconds": walls[len(walls) // 2],
            "peak_rss_mib": max(r["peak_rss_mib"] for r in runs)}


def row(name: str, result: dict, note: str | None = None) -> str:
    """A line of the table; ``note`` (for a peer, which has no target) replaces the verdict."""
    if "error" in result:
        return f"{name:<16} error: {result['error']}"
    ok = result["seconds"] < TARGET_SECONDS and result["peak_rss_mib"] < TARGET_RSS_GIB * 1024
    verdict = note if note is not None else ("met" if ok else "MISSED")
    median = result.get("median_seconds")
    return (f"{name:<16}{result['seconds']:>9.2f}"
            f"{median if median is not None else float('nan'):>9.2f}"
            f"{result['cpu_seconds']:>8.2f}{result['peak_rss_mib']:>8.0f} MiB  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/tenure-bench-analytics"))
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each analysis; the fastest is reported")
    parser.add_argument("--cold", action="store_true",
                        help="also time each analysis with the stored tables dropped first")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold-one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        if args.one == "prepare":
            print(json.dumps(prepare_one(args.workspace), default=str))
        else:
            print(json.dumps(run_one(args.workspace, args.one, cold=args.cold_one),
                             default=str))
        return
    folder = args.folder / f"{args.customers}"
    if args.build:
        build(folder, args.customers)
        return

    # Built in its own process: a child process starts from its parent's memory high-water
    # mark, so this one stays small.
    subprocess.run([sys.executable, __file__, "--build", "--customers", str(args.customers),
                    "--folder", str(args.folder)], check=True)
    workspace = folder / "ws"
    rows = json.loads((workspace.parent / "built.json").read_text())["rows"]
    print(f"workspace {workspace}: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    print(f"machine: {os.cpu_count()} cores, load average {_load()} at the start; wall "
          "seconds are the best of each analysis' runs (median beside); CPU s is user + "
          "system time of that run's process (all threads)")

    prepared = measure(workspace, "prepare")
    if "error" in prepared:
        print(f"preparing the stored tables failed: {prepared['error']}")
        return
    print(f"stored tables, built once per version of the orders: {prepared['seconds']:.2f} s "
          f"({prepared['cpu_seconds']:.2f} s CPU, peak {prepared['peak_rss_mib']:.0f} MiB): "
          + ", ".join(f"{t['table']} {t['rows']:,} rows {t['seconds']:.1f} s"
                      for t in prepared["tables"]))

    print(f"{'analysis':<16}{'best s':>9}{'median':>9}{'CPU s':>8}{'peak RSS':>12}  target "
          f"(<{TARGET_SECONDS:g} s, <{TARGET_RSS_GIB:g} GiB)")
    names = args.only or list(ANALYSES)
    results = {}
    for name in names:
        results[name] = best_of(workspace, name, args.repeat)
        print(row(name, results[name]))
    if args.cold:
        print("the first run after a change to the orders (stored tables dropped first, "
              "one run each):")
        for name in names:
            print(row(name, measure(workspace, name, "--cold-one")))
        measure(workspace, "prepare")  # leave the workspace prepared
    if "cohorts" in names:
        panda = best_of(workspace, "pandas-cohorts", args.repeat)
        tenure_seconds = results["cohorts"].get("seconds")
        if "error" in panda or tenure_seconds is None:
            print(f"pandas cohorts   error: {panda.get('error')}")
        else:
            print(row("pandas cohorts", panda,
                      f"(plus {panda['load_seconds']:.2f} s to load the orders into pandas)"))
            same = panda["rows"] == results["cohorts"]["rows"] and \
                panda["active_total"] == results["cohorts"]["active_total"]
            print(f"cohort table: pandas / tenure = {panda['seconds'] / tenure_seconds:.1f}x "
                  "(best runs; the pandas time leaves out loading, tenure's includes reading "
                  f"the workspace); same cells and counts: {'yes' if same else 'NO'}")
    print(f"load average at the end: {_load()}")


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()
