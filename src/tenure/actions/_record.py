"""``record(workspace, file)``: channel outcomes of actions (sent, delivered, opened,
replied, unsubscribed, refused) from a file, with the same reading, validation, quarantine
and idempotence as ingest.

The file names each action by customer, playbook and plan date, and the event, with when it
happened and on which channel if known. Header spellings are matched as ingest matches them
(``客户编号``, ``计划日期``, ``结果``...); values are read by the same parsers (Chinese
dates, spreadsheets' day numbers). A row is quarantined with its reason when a value cannot
be read or is missing, when the event is not one of the six, when the log holds no such
action (``unknown_action``), or when it reports a held-out or withdrawn action as sent
(``not_planned``: such a customer must not be contacted, and a send would bias the lift).
The rest land in ``action_outcomes``, keyed by action and event: the same row again
changes nothing, a changed time or channel updates it. Each action's status in the log
becomes its furthest event (sent < delivered < opened < replied; refused and unsubscribed
end it). An unsubscribe stops that channel for the customer from then on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from tenure._sql import Params, bound, ident
from tenure.contract import Column, Table
from tenure.errors import InputError
from tenure.io import Mapping
from tenure.io._rows import ROW
from tenure.progress import Progress, Steps
from tenure.results import Result, counted
from tenure.workspace._ingest import _STAGE as _INGEST_STAGE
from tenure.workspace._ingest import Staged, problem_queries, stage
from tenure.workspace._transaction import Runner

__all__ = ["EVENTS", "OUTCOMES", "OutcomeRecord", "record"]

# Each event with its rank: an action's status is its highest-ranked event.
EVENTS: dict[str, tuple[int, tuple[str, ...]]] = {
    "sent": (1, ("已发送", "发送", "已触达")),
    "delivered": (2, ("已送达", "送达")),
    "opened": (3, ("已读", "已打开", "打开")),
    "replied": (4, ("已回复", "回复")),
    "refused": (5, ("拒绝", "已拒绝", "rejected", "bounced", "退回")),
    "unsubscribed": (6, ("退订", "已退订", "取消关注", "unsubscribe", "opt_out")),
}
SENT = tuple(EVENTS)
OUTCOMES = Table(
    "action_outcomes",
    "Channel outcomes of planned actions.",
    (
        Column("customer_id", "id", "The customer, as in the action log.", required=True,
               aliases=("客户编号", "客户ID", "会员编号", "customer")),
        Column("playbook", "text", "The playbook of the action.", required=True,
               aliases=("剧本", "策略", "场景")),
        Column("plan_date", "date", "The plan date of the action.", required=True,
               aliases=("计划日期", "日期", "date", "due_date")),
        Column("event", "text", "What happened: " + ", ".join(EVENTS) + ".", required=True,
               aliases=("结果", "事件", "状态", "outcome", "status"),
               allowed={name: spellings for name, (_, spellings) in EVENTS.items()}),
        Column("at", "timestamp", "When it happened.", aliases=("时间", "发生时间", "time")),
        Column("channel", "text", "The channel it happened on.", aliases=("渠道",)),
    ),
    key=("customer_id", "playbook", "plan_date", "event"),
)
# The staging table ingest's checks read.
_STAGE = ident(_INGEST_STAGE)
_PROBLEMS = "_act_record_problems"


@dataclass(frozen=True)
class OutcomeRecord(Result):
    """What one file of outcomes did: ``frame`` counts the events landed, and
    ``quarantined`` holds the rows held back with their reasons."""

    record_id: int
    source: str
    rows_read: int
    landed: int
    updated: int
    unchanged: int
    quarantined_rows: int
    frame: pd.DataFrame
    quarantined: pd.DataFrame
    seconds: float

    @property
    def headline(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "source": self.source,
                "rows_read": self.rows_read, "landed": self.landed, "updated": self.updated,
                "unchanged": self.unchanged, "quarantined": self.quarantined_rows,
                "seconds": self.seconds}

    def lines(self) -> list[str]:
        said = [f"{self.source}: {counted(self.rows_read, 'row')} read, "
                f"{counted(self.landed, 'outcome')} landed, "
                f"{self.updated:,} updated, {self.unchanged:,} unchanged, "
                f"{self.quarantined_rows:,} quarantined."]
        if self.quarantined_rows:
            said.append("See them with `tenure quarantine action_outcomes`.")
        return said

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"quarantined": self.quarantined}

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        shown = [("Outcomes landed, by event", self.frame)]
        if len(self.quarantined):
            shown.append(("Quarantined rows", self.quarantined))
        return shown


def record(workspace, source: str | Path | Any, mapping: Any = None, *,
           progress: Progress = None) -> OutcomeRecord:
    """Record the channel outcomes in ``source`` (a file or a DataFrame; see the module
    docstring); ``mapping`` maps other column names, as for ingest."""
    started = time.perf_counter()
    con = workspace.connection
    name = str(Path(source).resolve()) if isinstance(source, str | Path) else "a data frame"
    mapping = mapping if isinstance(mapping, Mapping) else (
        Mapping() if mapping is None else Mapping.from_dict({"columns": mapping}))
    try:
        staged = stage(con, workspace.config, OUTCOMES, source, mapping,
                       Runner(con, Steps(progress)))
        return _land(workspace, staged, name, started)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_STAGE}")
        con.execute(f"DROP TABLE IF EXISTS {_PROBLEMS}")


def _land(workspace, staged: Staged, name: str, started: float) -> OutcomeRecord:
    con = workspace.connection
    chosen = staged.plan.chosen
    row = ident(ROW)
    p = Params()
    today = datetime.now(ZoneInfo(workspace.config["workspace.timezone"])).date()
    checks = problem_queries(staged, workspace.config, today, p)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_PROBLEMS} ({row} BIGINT, column_name VARCHAR, "
                "reason VARCHAR, value VARCHAR, message VARCHAR)")
    if checks:
        sql = f"INSERT INTO {_PROBLEMS} {' UNION ALL '.join(checks)}"
        con.execute(sql, bound(sql, p.values))
    # Lines the reader could not read at all are quarantined as ingest quarantines them.
    rejects = staged.source.rejects
    if rejects:
        con.executemany(f"INSERT INTO {_PROBLEMS} VALUES ($row, NULL, $reason, $text, $msg)",
                        [{"row": r.row, "reason": r.reason, "text": r.text, "msg": r.message}
                         for r in rejects])
    channel = "s.channel" if "channel" in chosen else "NULL"
    at = 's."at"' if "at" in chosen else "NULL::TIMESTAMP"
    con.execute(f"""
        INSERT INTO {_PROBLEMS}
        SELECT s.{row}, 'playbook', 'unknown_action', s.playbook,
               'the action log holds no action of ' || s.playbook || ' for customer '
               || s.customer_id || ' planned on ' || CAST(s.plan_date AS VARCHAR)
        FROM {_STAGE} s LEFT JOIN action_log l USING (customer_id, playbook, plan_date)
        WHERE s.__skip IS NULL AND s.customer_id IS NOT NULL AND s.playbook IS NOT NULL
          AND s.plan_date IS NOT NULL AND l.customer_id IS NULL
          AND s.{row} NOT IN (SELECT {row} FROM {_PROBLEMS})
        UNION ALL
        SELECT s.{row}, 'event', 'not_planned', s.event,
               'the action was ' || CASE l.status WHEN 'withdrawn' THEN 'withdrawn'
                   ELSE 'held out as a control' END
               || ', so it was not to be sent; check who sent it, as it biases the lift'
        FROM {_STAGE} s JOIN action_log l USING (customer_id, playbook, plan_date)
        WHERE s.__skip IS NULL AND l.status IN ('held_out', 'withdrawn')
          AND s.{row} NOT IN (SELECT {row} FROM {_PROBLEMS})""")
    good = (f"SELECT customer_id, playbook, plan_date, event, {at} AS \"at\", "
            f"{channel} AS channel FROM {_STAGE} s WHERE __skip IS NULL AND {row} NOT IN "
            f"(SELECT {row} FROM {_PROBLEMS}) QUALIFY row_number() OVER (PARTITION BY "
            f"customer_id, playbook, plan_date, event ORDER BY {row}) = 1")
    key = ("o.customer_id = n.customer_id AND o.playbook = n.playbook "
           "AND o.plan_date = n.plan_date AND o.event = n.event")
    if not con.execute(f"SELECT count(*) FROM {_STAGE} WHERE __skip IS NULL").fetchall()[0][0]:
        raise InputError("holds no rows of outcomes", source=name)
    with workspace.transaction():
        record_id = con.execute("SELECT coalesce(max(record_id), 0) + 1 FROM action_records"
                                ).fetchall()[0][0]
        con.execute(f"CREATE OR REPLACE TEMP TABLE _act_record_new AS {good}")
        counts = con.execute(f"""
            SELECT count(*) FILTER (WHERE o.customer_id IS NULL),
                   count(*) FILTER (WHERE o.customer_id IS NOT NULL AND (o."at" IS DISTINCT
                       FROM n."at" OR o.channel IS DISTINCT FROM n.channel)),
                   count(*) FILTER (WHERE o.customer_id IS NOT NULL AND o."at" IS NOT
                       DISTINCT FROM n."at" AND o.channel IS NOT DISTINCT FROM n.channel)
            FROM _act_record_new n LEFT JOIN action_outcomes o ON {key}""").fetchall()[0]
        con.execute(f"""UPDATE action_outcomes o SET "at" = n."at", channel = n.channel,
                        record_id = $id FROM _act_record_new n WHERE {key}
                        AND (o."at" IS DISTINCT FROM n."at"
                             OR o.channel IS DISTINCT FROM n.channel)""", {"id": record_id})
        con.execute(f"""INSERT INTO action_outcomes (customer_id, playbook, plan_date, event,
                                                     "at", channel, record_id)
                        SELECT n.*, $id FROM _act_record_new n WHERE NOT EXISTS (
                            SELECT 1 FROM action_outcomes o WHERE {key})""", {"id": record_id})
        ranks = " ".join(f"WHEN '{e}' THEN {r}" for e, (r, _) in EVENTS.items())
        con.execute(f"""
            UPDATE action_log l SET status = s.event FROM (
                SELECT customer_id, playbook, plan_date,
                       arg_max(event, CASE event {ranks} END) AS event
                FROM action_outcomes
                WHERE (customer_id, playbook, plan_date) IN (
                    SELECT (customer_id, playbook, plan_date) FROM _act_record_new)
                GROUP BY ALL) s
            WHERE l.customer_id = s.customer_id AND l.playbook = s.playbook
              AND l.plan_date = s.plan_date""")
        con.execute("DELETE FROM quarantine WHERE table_name = 'action_outcomes' "
                    "AND source = $source", {"source": name})
        con.execute(f"""INSERT INTO quarantine (ingest_id, table_name, source, "row",
                                                column_name, reason, value, message)
                        SELECT $id, 'action_outcomes', $source, {row}, column_name, reason,
                               value, message FROM {_PROBLEMS}""",
                    {"id": record_id, "source": name})
        rows_read = con.execute(f"SELECT count(*) FROM {_STAGE} WHERE __skip IS NULL"
                                ).fetchall()[0][0] + len({r.row for r in rejects})
        held = con.execute(f"SELECT count(DISTINCT {row}) FROM {_PROBLEMS}").fetchall()[0][0]
        began = datetime.now(ZoneInfo(workspace.config["workspace.timezone"])).replace(
            tzinfo=None)
        con.execute("INSERT INTO action_records (record_id, source, started_at, rows_read, "
                    "landed, unchanged, quarantined) VALUES ($id, $source, $at, $read, "
                    "$landed, $unchanged, $held)", {"id": record_id, "source": name, "at": began,
                                           "read": rows_read, "landed": counts[0],
                                           "unchanged": counts[2], "held": held})
        frame = con.execute("SELECT event, count(*) AS outcomes FROM _act_record_new "
                            "GROUP BY 1 ORDER BY 2 DESC, 1").df()
        con.execute("DROP TABLE _act_record_new")
    quarantined = con.execute(f"""SELECT {row} AS "row", column_name, reason, value, message
                                  FROM {_PROBLEMS} ORDER BY 1, 2""").df()
    return OutcomeRecord(int(record_id), name, int(rows_read), int(counts[0]), int(counts[1]),
                         int(counts[2]), int(held), frame, quarantined,
                         time.perf_counter() - started)
