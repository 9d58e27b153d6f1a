"""The plan as a ledger: the action log, keyed by customer, playbook and plan date.

Planning a date writes that date's actions so that running it again changes nothing, and
running it after new data changes only what has not been sent:

- an action the new plan keeps stays as it is (its operational fields, such as the channel,
  are updated if the new data changed them, and the change is noted);
- an action not yet sent that the new plan no longer holds is **withdrawn**, with the
  reason (the rule it now breaks, or that its playbook no longer proposes it);
- a withdrawn action the new plan holds again comes back, noted as re-added;
- an action already sent (or further: delivered, opened...) is never touched, and its
  playbook is not proposed to that customer again that day. Nothing is sent twice.

The proposals not chosen are kept, with their reasons, in ``action_suppressed`` (replaced
for the date on each run), and each run in ``action_runs``.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from tenure._sql import bound

__all__ = ["LedgerChange", "write_ledger"]

OPEN = ("planned", "held_out")
# What a person works from: a change in any of these is a change to the action.
OPERATIONAL = ("kind", "channel", "offer", "owner_id", "due_date", "send_from", "send_until",
               '"group"', "status", "reason", "detail")
VALUES = ("effect", "value_at_stake", "expected_value", "cost")
NEW_COLUMNS = ("plan_date", "customer_id", "playbook", "kind", "channel", "offer", "owner_id",
               "due_date", "send_from", "send_until", "effect", "value_at_stake",
               "expected_value", "cost", "reason", "detail", "group", "status")


@dataclass(frozen=True)
class LedgerChange:
    run_id: int
    added: int
    changed: int
    withdrawn: int
    unchanged: int


def _count(con, sql: str, params: dict) -> int:
    return int(con.execute(sql, bound(sql, params)).fetchall()[0][0])


def _run(con, sql: str, params: dict) -> None:
    con.execute(sql, bound(sql, params))


def write_ledger(con, date: dt.date, proposals: int, settings: str, started: float
                 ) -> LedgerChange:
    """Write ``_act_chosen`` and ``_act_held`` (the planner's tables) as the ledger of
    ``date``, in the caller's transaction."""
    run_id = _count(con, "SELECT coalesce(max(run_id), 0) + 1 FROM action_runs", {})
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _act_new AS
        SELECT CAST($d AS DATE) AS plan_date, customer_id, playbook, kind, channel, offer,
               owner_id, due_date, send_from, send_until, effect, value_at_stake,
               expected_value, cost, reason, detail, "group",
               CASE WHEN "group" = 'treatment' THEN 'planned' ELSE 'held_out' END AS status
        FROM _act_chosen""", {"d": date})
    params = {"d": date, "open": list(OPEN), "run": run_id}
    key = "l.customer_id = n.customer_id AND l.playbook = n.playbook AND l.plan_date = $d"
    differs = " OR ".join(f"l.{c} IS DISTINCT FROM n.{c}" for c in OPERATIONAL)
    changed = _count(con, f"""SELECT count(*) FROM action_log l JOIN _act_new n ON {key}
                             WHERE l.status IN (SELECT unnest($open)) AND ({differs})""", params)
    unchanged = _count(con, f"""SELECT count(*) FROM action_log l JOIN _act_new n ON {key}
                               WHERE l.status IN (SELECT unnest($open))
                                 AND NOT ({differs})""", params)
    readded = _count(con, f"""SELECT count(*) FROM action_log l JOIN _act_new n ON {key}
                             WHERE l.status = 'withdrawn'""", params)
    assigned = ", ".join(f"{c} = n.{c}" for c in (*OPERATIONAL, *VALUES))
    fields = ", ".join(f"CASE WHEN l.{c} IS DISTINCT FROM n.{c} THEN '{c.strip(chr(34))}' END"
                       for c in OPERATIONAL)
    _run(con, f"""
        UPDATE action_log l SET {assigned}, changed_run = $run,
            note = 'changed: ' || concat_ws(', ', {fields})
        FROM _act_new n WHERE {key} AND l.status IN (SELECT unnest($open)) AND ({differs})
    """, params)
    moved = " OR ".join(f"l.{c} IS DISTINCT FROM n.{c}" for c in VALUES)
    _run(con, f"""
        UPDATE action_log l SET {", ".join(f"{c} = n.{c}" for c in VALUES)}
        FROM _act_new n WHERE {key} AND l.status IN (SELECT unnest($open)) AND ({moved})
    """, params)
    _run(con, f"""
        UPDATE action_log l SET {assigned}, changed_run = $run, note = 're-added'
        FROM _act_new n WHERE {key} AND l.status = 'withdrawn'
    """, params)
    withdrawn = _count(con, """
        SELECT count(*) FROM action_log l WHERE l.plan_date = $d
          AND l.status IN (SELECT unnest($open))
          AND NOT EXISTS (SELECT 1 FROM _act_new n WHERE n.customer_id = l.customer_id
                          AND n.playbook = l.playbook)""", params)
    _run(con, """
        UPDATE action_log l SET status = 'withdrawn', changed_run = $run,
            note = 'withdrawn: ' || coalesce(
                (SELECT h.reason FROM _act_held h WHERE h.customer_id = l.customer_id
                 AND h.playbook = l.playbook LIMIT 1),
                'its playbook no longer proposes it')
        WHERE l.plan_date = $d AND l.status IN (SELECT unnest($open))
          AND NOT EXISTS (SELECT 1 FROM _act_new n WHERE n.customer_id = l.customer_id
                          AND n.playbook = l.playbook)""", params)
    added = _count(con, """SELECT count(*) FROM _act_new n WHERE NOT EXISTS (
                          SELECT 1 FROM action_log l WHERE l.customer_id = n.customer_id
                          AND l.playbook = n.playbook AND l.plan_date = $d)""", params)
    columns = ", ".join(f'"{c}"' for c in NEW_COLUMNS)
    _run(con, f"""
        INSERT INTO action_log ({columns}, run_id, changed_run, note)
        SELECT {columns}, $run, $run, NULL FROM _act_new n
        WHERE NOT EXISTS (SELECT 1 FROM action_log l WHERE l.customer_id = n.customer_id
                          AND l.playbook = n.playbook AND l.plan_date = $d)""", params)
    con.execute("DELETE FROM action_suppressed WHERE plan_date = $d", {"d": date})
    con.execute("""
        INSERT INTO action_suppressed (plan_date, customer_id, playbook, kind, channel,
                                       owner_id, expected_value, reason_code, reason,
                                       proposal, tried, run_id)
        SELECT CAST($d AS DATE), customer_id, playbook, kind, channel, owner_id,
               expected_value, reason_code, reason, proposal, tried, $run FROM _act_held""",
                {"d": date, "run": run_id})
    counts = con.execute("""
        SELECT count(*) FILTER (WHERE status = 'planned'),
               count(*) FILTER (WHERE status = 'held_out')
        FROM action_log WHERE plan_date = $d""", {"d": date}).fetchall()[0]
    suppressed = _count(con, "SELECT count(*) FROM _act_held", {})
    con.execute("""
        INSERT INTO action_runs (run_id, plan_date, started_at, seconds, proposals, planned,
                                 held_out, suppressed, added, changed, withdrawn, unchanged,
                                 settings)
        VALUES ($run, $d, now()::TIMESTAMP, $seconds, $proposals, $planned, $held_out,
                $suppressed, $added, $changed, $withdrawn, $unchanged, $settings)""", {
        "run": run_id, "d": date, "seconds": time.perf_counter() - started,
        "proposals": proposals, "planned": counts[0], "held_out": counts[1],
        "suppressed": suppressed, "added": added + readded, "changed": changed,
        "withdrawn": withdrawn, "unchanged": unchanged, "settings": settings})
    return LedgerChange(run_id, added + readded, changed, withdrawn, unchanged)

