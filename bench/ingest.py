"""Ingest speed: N order rows from Parquet and from CSV into a fresh workspace.

Each measurement runs in its own process so that its peak memory is its own. Beside tenure
(parse, validate, quarantine, upsert, log) runs a plain DuckDB load of the same file with no
checks at all (``CREATE TABLE AS SELECT * FROM read_...``): the ratio is what validation
costs. The second tenure ingest of each file finds every row unchanged.

    python bench/ingest.py              # 10 million rows
    python bench/ingest.py --rows 1e6   # a quicker run

Targets: at least 1M rows/s from Parquet and 300k rows/s from CSV, peak RSS under 2 GiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

DATA = Path(__file__).parent / ".data"

TENURE = textwrap.dedent("""
    import json, resource, shutil, sys, time
    import tenure
    source, folder = sys.argv[1], sys.argv[2]
    shutil.rmtree(folder, ignore_errors=True)
    ws = tenure.Workspace.init(folder)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        report = ws.ingest("orders", source)
        times.append(time.perf_counter() - start)
    ws.close()
    print(json.dumps({"first": times[0], "again": times[1], "rows": report.rows_read,
                      "unchanged": report.unchanged,
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
""")

PLAIN = textwrap.dedent("""
    import json, os, resource, sys, time
    import duckdb
    source, folder = sys.argv[1], sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "plain.duckdb")
    if os.path.exists(path):
        os.remove(path)
    con = duckdb.connect(path, config={"memory_limit": "1GB"})
    reader = "read_parquet" if source.endswith(".parquet") else "read_csv"
    start = time.perf_counter()
    con.execute(f"CREATE TABLE orders AS SELECT * FROM {reader}(?)", [source])
    elapsed = time.perf_counter() - start
    rows = con.execute("SELECT count(*) FROM orders").fetchone()[0]
    print(json.dumps({"first": elapsed, "rows": rows,
                      "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
""")


def make_data(rows: int) -> dict[str, Path]:
    """Orders with 2M customers over three years, written once and reused."""
    DATA.mkdir(exist_ok=True)
    files = {"parquet": DATA / f"orders_{rows}.parquet", "csv": DATA / f"orders_{rows}.csv"}
    if all(f.exists() for f in files.values()):
        return files
    rng = np.random.default_rng(0)

    def ids(prefix: str, values: np.ndarray, width: int) -> pa.Array:
        text = pc.cast(pa.array(values), pa.string())
        return pc.binary_join_element_wise(prefix, pc.utf8_lpad(text, width, "0"), "")

    start = np.datetime64("2023-01-01", "s").astype(np.int64)
    table = pa.table({
        "order_id": ids("O", np.arange(rows), 9),
        "customer_id": ids("C", rng.integers(0, 2_000_000, rows), 7),
        "ordered_at": pa.array((start + rng.integers(0, 3 * 365 * 86400, rows)) * 1_000_000,
                               pa.timestamp("us")),
        "amount": np.round(rng.gamma(2.0, 100.0, rows), 2),
        "currency": pa.array(["CNY"] * rows),
    })
    pq.write_table(table, files["parquet"])
    pacsv.write_csv(table, files["csv"])
    return files


def measure(script: str, source: Path) -> dict:
    folder = DATA / "workspace"
    result = subprocess.run([sys.executable, "-c", script, str(source), str(folder)],
                            check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=10_000_000)
    rows = int(parser.parse_args().rows)
    files = make_data(rows)
    targets = {"parquet": 1_000_000, "csv": 300_000}
    print(f"{rows:,} order rows; each figure from a fresh process\n")
    header = (f"{'source':<8} {'tenure s':>9} {'rows/s':>11} {'again s':>8} {'peak RSS':>9} "
              f"{'plain DuckDB s':>15} {'ratio':>6}  target")
    print(header)
    print("-" * len(header))
    for fmt, path in files.items():
        ours = measure(TENURE, path)
        plain = measure(PLAIN, path)
        assert ours["rows"] == plain["rows"] == rows == ours["unchanged"]
        rate = rows / ours["first"]
        ok = rate >= targets[fmt] and ours["rss"] < 2 * 1024**3
        print(f"{fmt:<8} {ours['first']:>9.1f} {rate:>11,.0f} {ours['again']:>8.1f} "
              f"{ours['rss'] / 1024**3:>7.2f} G {plain['first']:>15.1f} "
              f"{ours['first'] / plain['first']:>5.1f}x  "
              f"{'met' if ok else 'MISSED'} (>= {targets[fmt]:,} rows/s, < 2 GiB)")


if __name__ == "__main__":
    main()
