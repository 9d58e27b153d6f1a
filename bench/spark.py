"""The same score run and analyses on DuckDB and on local Spark, side by side.

    python bench/spark.py                         # 10M orders: DuckDB vs Spark (local[2])
    python bench/spark.py --orders 1e6            # a smaller run
    python bench/spark.py --scaling 10e6,30e6     # Spark with 1, 2 and 4 partitions' worth

The orders (about five per customer over three years, a tenth of a percent refunds) are made
with NumPy and written once as Parquet under bench/.data/; the DuckDB side reads them
inserted straight into a workspace's orders table (valid by construction: this measures the
engines, not ingest), the Spark side reads the Parquet folder with tenure.spark. Each side
runs the end-to-end score (summary, BG/NBD and Gamma-Gamma fits, scores written) and two
analyses (cohort retention, RFM segments); the script prints both times, their ratio and
whether the results are equal (customers exactly, sums within 1e-9 relative).

With --scaling, Spark alone runs the score on each size with 1, 2 and 4 partitions' worth
(local[k] and k shuffle partitions): on a machine of two cores, four is oversubscribed and
shows the cost of more, smaller tasks rather than a gain.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / ".data"
AS_OF = "2025-12-01"
CONF = {"spark.driver.memory": "6g", "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false"}


def make_orders(n: int) -> Path:
    """``n`` orders of ``n // 5`` customers as Parquet, made once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = DATA / f"spark_{n}"
    path = folder / "orders.parquet"
    if path.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    customers = max(1, n // 5)
    who = rng.integers(0, customers, n)
    start = np.datetime64("2023-01-01T00:00:00", "us")
    at = start + (rng.random(n) * 3 * 365 * 86_400e6).astype("int64").astype("timedelta64[us]")
    amount = np.round(rng.gamma(2.0, 60.0, n), 2)
    amount[rng.random(n) < 0.001] *= -1
    table = pa.table({
        "order_id": pa.array(np.char.add("O", np.arange(n).astype(str))),
        "customer_id": pa.array(np.char.add("C", who.astype(str))),
        "ordered_at": pa.array(at, pa.timestamp("us")),
        "amount": amount,
    })
    pq.write_table(table, path, coerce_timestamps="us", row_group_size=1_000_000)
    return folder


def duckdb_workspace(folder: Path):
    from tenure.workspace import Workspace

    path = folder / "ws"
    if (path / "tenure.toml").exists():
        return Workspace(path)
    ws = Workspace.init(path)
    parquet = str(folder / "orders.parquet")
    with ws.transaction() as con:
        con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, amount, _ingest_id) "
                    f"SELECT order_id, customer_id, ordered_at, amount, 0 "
                    f"FROM read_parquet('{parquet}')")
    return ws


def timed(run):
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-300)


def side_by_side(n: int, partitions: int) -> None:
    import tenure.spark
    from tenure.analytics import cohort_retention, rfm_segments
    from tenure.models import score

    folder = make_orders(n)
    ws = duckdb_workspace(folder)
    spark = tenure.spark.session(f"local[{partitions}]", conf={
        **CONF, "spark.sql.shuffle.partitions": str(partitions)})
    spark.sparkContext.setLogLevel("ERROR")
    engine, report = tenure.spark.open_engine(
        ws.config, tables={"orders": str(folder / "orders.parquet")},
        quarantine=str(folder / "quarantine"), out=str(folder / "scores"), spark=spark)
    print(f"{n:,} orders, {report.counts[0].valid:,} valid on Spark; DuckDB in the "
          f"workspace, Spark local[{partitions}]")
    rows = []
    # The analyses first: once the workspace holds scores, the RFM value tiers use its CLV,
    # which the Spark engine, given the orders alone, does not have.
    with ws.transaction() as con:
        con.execute("DELETE FROM scores")
    for name, run in (("cohort retention", lambda d: cohort_retention(d, period="month")),
                      ("RFM segments", lambda d: rfm_segments(d))):
        a, t_a = timed(lambda run=run: run(ws))
        b, t_b = timed(lambda run=run: run(engine))
        equal = (a.frame.shape == b.frame.shape and all(
            same(float(x), float(y)) for x, y in zip(
                a.frame.select_dtypes("number").sum(), b.frame.select_dtypes("number").sum(),
                strict=True)))
        rows.append((name, t_a, t_b, equal))
    duck, t_duck = timed(lambda: score(ws, as_of=AS_OF, refit=True, model="bgnbd"))
    on_spark, t_spark = timed(lambda: tenure.spark.score_on_spark(engine, as_of=AS_OF,
                                                                  out=engine.output))
    equal = duck.customers == on_spark.customers and all(
        same(getattr(duck, k), getattr(on_spark, k))
        for k in ("expected_alive", "expected_purchases", "expected_spend", "clv"))
    rows.insert(0, ("score (summary, fits, scores written)", t_duck, t_spark, equal))
    print(f"{'step':40} {'DuckDB s':>9} {'Spark s':>9} {'Spark/DuckDB':>13}  equal")
    for name, a, b, equal in rows:
        print(f"{name:40} {a:9.1f} {b:9.1f} {b / a:12.1f}x  {'yes' if equal else 'NO'}")
    spark.stop()
    ws.close()


def scaling(sizes: list[int]) -> None:
    import tenure.spark
    from tenure.config import Config

    print(f"{'orders':>12} {'partitions':>10} {'score s':>9}")
    for n in sizes:
        folder = make_orders(n)
        for k in (1, 2, 4):
            spark = tenure.spark.session(f"local[{k}]", conf={
                **CONF, "spark.sql.shuffle.partitions": str(k),
                "spark.sql.files.maxPartitionBytes": str(max(1, (folder / "orders.parquet")
                                                             .stat().st_size // k + 1))})
            spark.sparkContext.setLogLevel("ERROR")
            out = folder / f"scores_{k}"
            shutil.rmtree(out, ignore_errors=True)
            engine, _ = tenure.spark.open_engine(
                Config(), tables={"orders": str(folder / "orders.parquet")},
                quarantine=str(folder / "quarantine"), out=str(out), spark=spark)
            _, seconds = timed(lambda engine=engine, out=out: tenure.spark.score_on_spark(
                engine, as_of=AS_OF, out=str(out)))
            print(f"{n:12,} {k:10} {seconds:9.1f}", flush=True)
            spark.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=float, default=10e6)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--scaling", default="", help="sizes such as 10e6,30e6")
    args = parser.parse_args(argv)
    print(f"{dt.datetime.now():%Y-%m-%d %H:%M}, Python {sys.version.split()[0]}")
    if args.scaling:
        scaling([int(float(s)) for s in args.scaling.split(",")])
    else:
        side_by_side(int(args.orders), args.partitions)


if __name__ == "__main__":
    main()
