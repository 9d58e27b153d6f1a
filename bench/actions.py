"""Actions speed: a day's plan for two million customers with every playbook on and a year
of contact history, and the lift report over a year of action log.

A simulated business of N customers (2 million by default, about ten million orders, with
every table the playbooks read) is written and ingested once and reused, with:

- value-model scores (Pareto/NBD, ``tenure score``) at the end of the data, and churn
  scores derived from them (risk 1 - P(alive), a reason naming the silence): the plan
  reads scores, it does not make them, so the churn model's own cost is
  ``bench/churn.py``'s;
- a year of contact history: every customer touched about once a month on a random
  channel (``contacts``, about 24 million rows at 2M customers);
- every playbook on, membership tiers declared, and the SLA section of the demo shop (its
  calendar bounds the calls);
- a year of action log (about three actions per customer, drawn across the playbooks, with
  their groups by the planner's own hash and a fifth of them recorded as sent) for the lift.

Each step runs in its own process, so that its peak memory is its own:

- ``plan``: ``tenure.actions.plan(ws, date)`` for the day after the data (proposals of all
  twelve playbooks, the policy, the allocation, the ledger written);
- ``lift``: ``tenure.actions.lift(ws, since=a year before)`` over the year of action log,
  outcomes read from the orders and memberships;
- the same two through the command line as whole processes (``tenure actions plan``,
  ``tenure actions lift``), start-up included.

    python bench/actions.py                    # 2 million customers
    python bench/actions.py --customers 2e5    # a quicker run

Targets: the plan under 60 s and 4 GiB, the lift report under 10 s.
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
GIB = 1024**3
# Slow dropout and steady buying, as in bench/churn.py: two million customers place about
# ten million orders, most of them still active at the end.
PARAMS = {"r": 2.0, "alpha": 300.0, "s": 0.6, "beta": 3000.0}
MEMORY = "3GB"
TIERS = {"silver": {"fee": 99, "reward": 0.01}, "gold": {"fee": 299, "reward": 0.03}}

PRELUDE = textwrap.dedent("""
    import datetime as dt, json, resource, sys, time
    import tenure
    ws = tenure.Workspace(sys.argv[1])
    def rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    def cpu():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
""")

PLAN = PRELUDE + textwrap.dedent("""
    from tenure.actions import plan
    start, used = time.perf_counter(), cpu()
    result = plan(ws, sys.argv[2])
    seconds, used = time.perf_counter() - start, cpu() - used
    h = result.headline
    print(json.dumps({"seconds": seconds, "cpu": used, "rss": rss(),
                      "proposals": h["proposals"], "actions": h["actions"],
                      "held": h["control"] + h["global_control"],
                      "suppressed": h["suppressed"],
                      "by_playbook": result.frame["playbook"].value_counts().to_dict()}))
""")

LIFT = PRELUDE + textwrap.dedent("""
    from tenure.actions import lift
    start, used = time.perf_counter(), cpu()
    result = lift(ws, since=sys.argv[2], window="30d")
    seconds, used = time.perf_counter() - start, cpu() - used
    units = int(result.frame.loc[result.frame["metric"] == "purchased", "n_treated"].sum()
                + result.frame.loc[result.frame["metric"] == "purchased", "n_control"].sum())
    print(json.dumps({"seconds": seconds, "cpu": used, "rss": rss(), "rows": len(result.frame),
                      "log_rows": result.log_rows, "units": units}))
""")


def make_workspace(customers: int) -> tuple[Path, str]:
    """Simulate, write and ingest the business once, with scores, a year of contacts and a
    year of action log; later runs reuse it. Returns the workspace and the plan date."""
    folder = DATA / f"actions_{customers}"
    ws_path, done = folder / "ws", folder / "ready"
    if done.exists():
        return ws_path, done.read_text().strip()
    import shutil

    from tenure.config import set_value
    from tenure.contract import LOAD_ORDER
    from tenure.models import score
    from tenure.simulate import BusinessParams, simulate_business, write_business
    from tenure.sla._demo import add_shop_section
    from tenure.workspace import CONFIG_FILE, Workspace

    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    business = simulate_business(customers, seed=0, params=BusinessParams(**PARAMS))
    write_business(business, folder / "data")
    end = business.params.end
    rows = {name: t.num_rows for name, t in business.tables.items()}
    del business
    print(f"simulated {customers:,} customers in {time.perf_counter() - start:.0f} s: "
          + ", ".join(f"{name} {n:,}" for name, n in rows.items()))
    start = time.perf_counter()
    Workspace.init(ws_path, timezone="Asia/Shanghai").close()
    add_shop_section(ws_path)
    _actions_section(ws_path)
    with Workspace(ws_path) as ws:
        set_value(ws.path / CONFIG_FILE, "engine.memory_limit", MEMORY)
    with Workspace(ws_path) as ws:
        for name in LOAD_ORDER:
            ws.ingest(name, folder / "data" / f"{name}.parquet")
        print(f"ingested them in {time.perf_counter() - start:.0f} s")
        import datetime as dt

        plan_day = dt.date.fromisoformat(end) + dt.timedelta(days=1)
        start = time.perf_counter()
        score(ws, as_of=plan_day.isoformat(), horizon="365d", model="pnbd")
        _churn_scores(ws, plan_day)
        print(f"scored them in {time.perf_counter() - start:.0f} s")
        start = time.perf_counter()
        contacts = _contacts(ws, folder, plan_day)
        log = _action_log(ws, plan_day)
        print(f"a year of history: {contacts:,} contacts and {log:,} logged actions in "
              f"{time.perf_counter() - start:.0f} s")
    done.write_text(plan_day.isoformat())
    return ws_path, plan_day.isoformat()


def _actions_section(path: Path) -> None:
    import tomlkit

    config = path / "tenure.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    actions = tomlkit.table()
    actions["calendar"] = "shanghai"
    playbooks = tomlkit.table()
    membership = tomlkit.table()
    membership["tiers"] = TIERS
    playbooks["membership_upgrade"] = membership
    actions["playbooks"] = playbooks
    document["actions"] = actions
    config.write_text(tomlkit.dumps(document), encoding="utf-8")


def _churn_scores(ws, day) -> None:
    from tenure.workspace._migrations import CHURN_SCORE_COLUMNS
    from tenure.workspace._scores import write_scores

    with ws.transaction() as con:
        write_scores(con, day, """
            SELECT customer_id, 1 - p_alive AS churn_risk,
                   'a ' || round(100 * (1 - p_alive)) || '% chance of having gone quiet, by '
                   || 'their buying pattern' AS churn_reason_1,
                   NULL AS churn_reason_2, NULL AS churn_reason_3,
                   'bench' AS churn_model_version, 365 AS churn_horizon_days
            FROM scores WHERE as_of = $as_of AND p_alive IS NOT NULL""".replace(
            "$as_of", f"DATE '{day.isoformat()}'"), CHURN_SCORE_COLUMNS)


def _contacts(ws, folder: Path, day) -> int:
    """About twelve touches a year per customer, on a random channel and time."""
    path = folder / "data" / "contacts_year.parquet"
    ws.connection.execute(f"""
        COPY (
            SELECT c.customer_id,
                   (['sms', 'email', 'wechat'])[1 + CAST(hash(c.customer_id, k) % 3 AS BIGINT)]
                       AS channel,
                   TIMESTAMP '{day.isoformat()}' - INTERVAL 1 SECOND
                       * CAST(hash(c.customer_id, k, 7) % (365 * 86400) AS BIGINT) AS sent_at,
                   'year_' || (k % 12) AS campaign, 'promo' AS kind, 'delivered' AS outcome
            FROM customers c, range(12) t(k)
            WHERE hash(c.customer_id, k, 3) % 100 < 92
        ) TO '{path}' (FORMAT parquet)""")
    return ws.ingest("contacts", path).landed


def _action_log(ws, day) -> int:
    """A year of planned actions, about three per customer, grouped by the planner's
    hash, a fifth of the treated ones recorded as sent."""
    from tenure.actions._groups import fraction_sql
    from tenure.actions.playbooks import PLAYBOOKS

    names = list(PLAYBOOKS)
    ws.connection.execute(f"""
        INSERT INTO action_log
        SELECT plan_date, customer_id, playbook, 'marketing', 'wechat', 'offer', 'rep_01',
               plan_date, plan_date + INTERVAL 9 HOUR, plan_date + INTERVAL 21 HOUR, 0.05,
               100.0, 5.0, 0.0, 'bench', NULL,
               CASE WHEN {fraction_sql("customer_id", "'2025Q4'")} < 0.05 THEN 'global_control'
                    WHEN {fraction_sql("customer_id", "playbook", "'2025Q4'")} < 0.1
                    THEN 'control' ELSE 'treatment' END,
               'planned', 0, 0, NULL
        FROM (
            SELECT c.customer_id,
                   (DATE '{day.isoformat()}' - 365 + CAST(hash(c.customer_id, k) % 330
                                                          AS INTEGER)) AS plan_date,
                   ($names)[1 + CAST(hash(c.customer_id, k, 5) % {len(names)} AS BIGINT)]
                       AS playbook
            FROM customers c, range(3) t(k)
        ) ON CONFLICT DO NOTHING""", {"names": names})
    ws.connection.execute("""
        UPDATE action_log SET status = CASE WHEN "group" = 'treatment' THEN
            CASE WHEN hash(customer_id, playbook) % 5 = 0 THEN 'sent' ELSE 'planned' END
            ELSE 'held_out' END""")
    return ws.connection.execute("SELECT count(*) FROM action_log").fetchall()[0][0]


def measure(script: str, *args: str) -> dict:
    result = subprocess.run([sys.executable, "-c", script, *map(str, args)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def whole_process(argv: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS of a command run as its own process (GNU time)."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], capture_output=True,
                            text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(result.stderr)
    return seconds, int(result.stderr.strip().splitlines()[-1]) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=2_000_000)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    customers = int(args.customers)
    if args.prepare:
        make_workspace(customers)
        return
    subprocess.run([sys.executable, __file__, "--customers", str(customers), "--prepare"],
                   check=True)
    ws, day = make_workspace(customers)
    import datetime as dt

    since = (dt.date.fromisoformat(day) - dt.timedelta(days=365)).isoformat()
    print(f"{customers:,} customers, plan date {day}; each step in a fresh process; load "
          f"average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    p = measure(PLAN, ws, day)
    ok = p["seconds"] < 60 and p["rss"] < 4 * GIB
    print(f"plan   {p['seconds']:6.1f} s  (cpu {p['cpu']:.0f} s) {p['proposals']:,} proposals "
          f"-> {p['actions']:,} actions, {p['held']:,} held out, {p['suppressed']:,} not "
          f"chosen; peak RSS {p['rss'] / GIB:.2f} GiB  "
          f"{'met' if ok else 'MISSED'} (< 60 s, < 4 GiB)")
    print("  actions by playbook: " + ", ".join(f"{k} {v:,}" for k, v in
                                               sorted(p["by_playbook"].items())))
    lf = measure(LIFT, ws, since)
    ok = lf["seconds"] < 10
    print(f"lift   {lf['seconds']:6.1f} s  (cpu {lf['cpu']:.0f} s) {lf['log_rows']:,} logged "
          f"actions, {lf['units']:,} customer-playbook units, {lf['rows']} rows; peak RSS "
          f"{lf['rss'] / GIB:.2f} GiB  {'met' if ok else 'MISSED'} (< 10 s)")
    tenure = str(Path(sys.executable).with_name("tenure"))
    seconds, rss = whole_process([tenure, "actions", "plan", "--date", day, "-w", str(ws),
                                  "--json", os.devnull])
    print(f"  command line, whole process: tenure actions plan {seconds:.1f} s, peak RSS "
          f"{rss / GIB:.2f} GiB (the ledger unchanged: the same date again)")
    seconds, rss = whole_process([tenure, "actions", "lift", "--since", since, "-w", str(ws),
                                  "--json", os.devnull])
    print(f"  command line, whole process: tenure actions lift {seconds:.1f} s, peak RSS "
          f"{rss / GIB:.2f} GiB")


if __name__ == "__main__":
    main()
