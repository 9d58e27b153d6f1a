"""What the ingest tests look at: stored rows, quarantined places, and an untouched workspace."""

from __future__ import annotations


def rows(workspace, sql: str) -> list[tuple]:
    """The rows ``sql`` returns on the workspace's database."""
    return workspace.connection.execute(sql).fetchall()


def held(workspace) -> list[tuple]:
    """(row, column, reason) of every quarantined problem, in table, source and row order."""
    frame = workspace.quarantine()
    return list(frame[["row", "column_name", "reason"]].itertuples(index=False, name=None))


def nothing_written(workspace) -> None:
    """No order, no ingest logged, nothing in quarantine."""
    assert rows(workspace, "SELECT count(*) FROM orders") == [(0,)]
    assert rows(workspace, "SELECT count(*) FROM ingest_log") == [(0,)]
    assert workspace.quarantine().empty


def orders_parquet(path, n: int, amount: float = 1.0) -> None:
    """``n`` valid orders of 100,000 customers as Parquet: big enough to stop midway."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "order_id": pa.array([f"O{i:08d}" for i in range(n)]),
        "customer_id": pa.array([f"C{i % 100_000}" for i in range(n)]),
        "ordered_at": pa.array([1_700_000_000_000_000 + i for i in range(n)],
                               pa.timestamp("us")),
        "amount": pa.array([amount] * n),
    })
    pq.write_table(table, path)


def kill_during(step: str, code: str, *args: str, wait: float = 0.05) -> list[str]:
    """Run ``code`` in a child Python with ``args``; when it prints the line ``step`` (it
    announces each step it starts), kill it with SIGKILL after ``wait`` seconds. Return
    the lines it printed."""
    import signal
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                             text=True)
    seen = []
    for line in child.stdout:
        seen.append(line.strip())
        if line.strip() == step:
            time.sleep(wait)
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    return seen
