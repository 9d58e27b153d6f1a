"""Benchmark: SLA clocks for millions of tickets with their status histories.

    python bench/sla.py                 # 5,000,000 tickets
    python bench/sla.py --tickets 200000

Tickets and status histories have the simulator's shape (``tenure.simulate``: open, first
reply, up to two pending cycles, resolution), scaled up; customers hold gold or silver
memberships that pick their policy, over a Shanghai office calendar with the 2023-2025
public holidays and make-up working days. The workspace is built once under
``bench/.data`` (rows inserted straight into the tables: ingest has its own benchmark).

``tenure.sla.evaluate`` then runs in a fresh process, which prints its seconds and peak
memory (resident set size). Side by side, pandas' ``CustomBusinessHour`` computes the
first-response deadline of a sample of the same tickets one by one, as a script would
without tenure; the script checks both agree and prints the time per ticket of each.
pandas has no make-up working days, so that comparison uses the calendar without them.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from tenure.sla._demo import HOLIDAYS, shop_section

HERE = Path(__file__).resolve().parent
def simulate(n: int, seed: int = 7) -> dict[str, pa.Table]:
    """Tickets and status histories shaped like the simulator's, for ``n`` tickets."""
    from tenure.simulate import _business as sim
    from tenure.simulate import _catalog as cat
    from tenure.simulate._business import BusinessParams

    rng = np.random.default_rng(seed)
    params = BusinessParams()
    start_us = int(np.datetime64(params.start, "us").astype(np.int64))
    horizon = 1096.0
    n_customers = max(n // 5, 1)
    customer_ids = sim._ids("C", np.arange(1, n_customers + 1), 8)
    customer = rng.integers(0, n_customers, n)
    opened = rng.random(n) * horizon
    priority = sim._pick(rng, cat.TICKET_PRIORITIES, cat.TICKET_PRIORITY_WEIGHTS, n)
    target = np.array([cat.RESPONSE_TARGET_MINUTES[p] for p in cat.TICKET_PRIORITIES])[priority]
    first_minutes = rng.lognormal(np.log(0.7 * target), 0.55)
    cycles = sim._pick(rng, [0, 1, 2], [0.6, 0.3, 0.1], n)
    answered = rng.random(n) < 0.6
    csat = rng.integers(1, 6, n)
    tickets, status = sim._tickets(rng, params, start_us, horizon, customer_ids, customer,
                                   opened, priority, first_minutes, cycles, answered, csat)
    members = np.flatnonzero(rng.random(n_customers) < 0.2)
    gold = rng.random(len(members)) < 0.3
    memberships = pa.table({
        "customer_id": customer_ids.take(pa.array(members)),
        "tier": pa.array(np.where(gold, "gold", "silver")),
        "fee": np.where(gold, 299.0, 99.0),
        "started_at": pa.array(np.full(len(members), start_us), pa.timestamp("us")),
        "ended_at": pa.nulls(len(members), pa.timestamp("us")),
    })
    return {"tickets": tickets, "ticket_status": status, "memberships": memberships}


def set_section(path: Path, section: str) -> None:
    """Replace the [sla] section of the workspace's tenure.toml."""
    config = path / "tenure.toml"
    text = config.read_text(encoding="utf-8")
    if "\n[sla]" in text:
        text = text[: text.index("\n[sla]")]
    config.write_text(text.rstrip() + "\n" + section, encoding="utf-8")


def build(n: int) -> Path:
    from tenure.workspace import Workspace

    path = HERE / ".data" / f"sla_{n}"
    if (path / "tenure.toml").exists():
        set_section(path, shop_section())  # the data is kept; the policies are current
        return path
    started = time.perf_counter()
    tables = simulate(n)
    ws = Workspace.init(path, timezone="Asia/Shanghai")
    with ws.transaction() as con:
        for name, table in tables.items():
            con.register("_incoming", table)
            columns = ", ".join(f'"{c}"' for c in table.column_names)
            con.execute(f"INSERT INTO {name} ({columns}) SELECT {columns} FROM _incoming")
            con.unregister("_incoming")
    ws.close()
    set_section(path, shop_section())
    print(f"built {path} in {time.perf_counter() - started:.1f} s: {n:,} tickets, "
          f"{tables['ticket_status'].num_rows:,} status changes")
    return path


def measure(path: str, memory: str) -> None:
    """Run in a fresh process: evaluate and print seconds and peak memory."""
    import tenure.sla
    from tenure.config import set_value
    from tenure.workspace import Workspace

    set_value(Path(path) / "tenure.toml", "engine.memory_limit", memory)
    ws = Workspace(path)
    ws.connection  # noqa: B018 - opening is not what is measured
    load_before = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    result = tenure.sla.evaluate(ws)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"tenure.sla.evaluate: {seconds:.1f} s ({cpu:.1f} s of CPU on {os.cpu_count()} "
          f"cores; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after), "
          f"peak memory {peak:,.0f} MB; {result.tickets:,} tickets, {result.rows:,} rows, "
          f"{result.breached:,} breached, as of {result.as_of}")


def pandas_peer(path: Path, sample: int) -> tuple[float, float, int]:
    """First-response deadlines of ``sample`` P3 tickets of the silver policy, with pandas'
    CustomBusinessHour (no make-up days), against tenure's on the same calendar."""
    import warnings

    import pandas as pd

    import tenure.sla
    from tenure.workspace import Workspace

    path_peer = path.with_name(path.name + "_peer")
    if not path_peer.exists():
        subprocess.run(["cp", "-r", str(path), str(path_peer)], check=True)
    set_section(path_peer, shop_section(workdays=False))
    ws = Workspace(path_peer)
    started = time.perf_counter()
    tenure.sla.evaluate(ws)
    tenure_seconds = time.perf_counter() - started
    rows = ws.connection.execute(
        "SELECT r.opened_at, r.due_at FROM sla_results r WHERE r.policy = 'silver' "
        "AND r.priority = 'P3' AND r.metric = 'first_response' AND r.due_at IS NOT NULL "
        "AND r.opened_at >= '2023-03-01' AND r.due_at < '2025-12-01' "
        "ORDER BY r.ticket_id LIMIT $n", {"n": sample}).df()
    n_tickets = ws.connection.execute("SELECT count(*) FROM sla_results").fetchall()[0][0]
    ws.close()
    holidays = sorted(tenure.sla.SlaConfig.from_section(
        {"calendars": {"c": {"timezone": "UTC", "hours": {"mon": "09:00-10:00"},
                             "holidays": HOLIDAYS}},
         "policies": {"p": {"targets": {"P": {"first_response": 1}}}}}
    ).calendars["c"].holidays)
    hour = pd.offsets.CustomBusinessHour(start=["09:00", "13:00"], end=["12:00", "18:00"],
                                         weekmask="Mon Tue Wed Thu Fri", holidays=holidays)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        # 960 business minutes = 16 business hours; pandas rolls a start outside hours
        # forward, as tenure's clock does.
        due = [opened + 16 * hour for opened in rows["opened_at"]]
    peer_seconds = time.perf_counter() - started
    same = pd.to_datetime(pd.Series(due)) == rows["due_at"]
    return tenure_seconds / n_tickets, peer_seconds / len(rows), int(same.sum()), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=5_000_000)
    parser.add_argument("--memory", default="1GB",
                        help="engine.memory_limit for the run (1GB is the default setting)")
    parser.add_argument("--sample", type=int, default=20_000,
                        help="tickets for the pandas comparison (0 skips it)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.memory)
        return
    if args.build:
        build(args.tickets)
        return
    # Built in a process of its own: on Linux a child process starts from its parent's
    # peak RSS, so simulating here would inflate the measured figure.
    subprocess.run([sys.executable, __file__, "--build", "--tickets", str(args.tickets)],
                   check=True)
    path = HERE / ".data" / f"sla_{args.tickets}"
    subprocess.run([sys.executable, __file__, "--measure", str(path), "--memory", args.memory],
                   check=True)
    if args.sample:
        ours, theirs, agree, total = pandas_peer(path, args.sample)
        print(f"per ticket: tenure {ours * 1e6:.2f} µs (all metrics, pauses, every ticket), "
              f"pandas CustomBusinessHour {theirs * 1e6:.1f} µs (one deadline, no pauses); "
              f"ratio {theirs / ours:,.0f}x; deadlines agree on {agree:,} of {total:,}")


if __name__ == "__main__":
    main()
