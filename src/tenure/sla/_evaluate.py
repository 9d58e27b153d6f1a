"""``evaluate``: every ticket's SLA clocks as of a moment, into the ``sla_results`` table.

The steps:

1. DuckDB picks each ticket's policy (named contract, membership tier in force when the
   ticket opened, or the default policy) and its targets by priority;
2. DuckDB joins the status changes to their tickets; NumPy sorts them by ticket and time
   and turns local times into UTC (:mod:`tenure.sla._timezone`);
3. NumPy runs every clock at once (:mod:`tenure.sla._measure`) over the business-time
   tables of the calendars (:mod:`tenure.sla._clock`);
4. in one transaction, ``sla_results`` is replaced and the problems found go to the
   ``quarantine`` table (source ``sla``), replacing those of the previous evaluation.

Problems held back, each with a reason: a ticket whose priority its policy does not name
(``unknown_priority``); a status change for a ticket that does not exist
(``unknown_ticket``), with a status word tenure does not know (``unknown_status``), before
its ticket opened (``before_opened``) or after its ticket was resolved
(``after_resolution``). The rest of the data is evaluated as if they were not there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from tenure._sql import Params, bound
from tenure.errors import ConfigError
from tenure.sla._clock import MISSING, Clocks
from tenure.sla._config import METRICS, SlaConfig
from tenure.sla._measure import TicketClocks, measure, resolution_times
from tenure.sla._statuses import STATUS_WORDS, kind_sql
from tenure.sla._timezone import Zone

if TYPE_CHECKING:
    from tenure.workspace import Workspace

__all__ = ["RESULTS_TABLE", "SlaEvaluation", "evaluate", "load_config"]

RESULTS_TABLE = "sla_results"
QUARANTINE_SOURCE = "sla"
_DAY = 86_400
# Deadlines are found up to this long after the evaluation moment.
_HORIZON_DAYS = 400

_RESULTS_SCHEMA = """
    as_of TIMESTAMP, ticket_id VARCHAR, customer_id VARCHAR, policy VARCHAR,
    priority VARCHAR, metric VARCHAR, clock VARCHAR, opened_at TIMESTAMP,
    target_minutes BIGINT, elapsed_minutes DOUBLE, breached BOOLEAN, breached_at TIMESTAMP,
    remaining_minutes DOUBLE, due_at TIMESTAMP, stopped_at TIMESTAMP, running BOOLEAN,
    at_risk BOOLEAN, waits INTEGER
"""


@dataclass(frozen=True)
class SlaEvaluation:
    """What :func:`evaluate` found; the rows themselves are in the ``sla_results`` table.

    ``frame`` reads them: one row per ticket and metric with ticket_id, customer_id,
    policy, priority, metric, clock, opened_at, target_minutes, elapsed_minutes, breached,
    breached_at, remaining_minutes (clocks still running; negative when overdue), due_at
    (when a running clock will breach, if nothing pauses it), stopped_at, running, at_risk
    and waits (next-response waits the row covers).
    """

    as_of: datetime
    rows: int
    tickets: int
    uncovered: int
    breached: int
    at_risk: int
    quarantined: int
    at_risk_hours: float
    _workspace: Workspace = field(repr=False, compare=False)

    @cached_property
    def frame(self) -> pd.DataFrame:
        return self._workspace.connection.execute(
            f"SELECT * EXCLUDE (as_of) FROM {RESULTS_TABLE} ORDER BY ticket_id, metric"
        ).df()

    def table(self):
        """The results as an Ibis table expression, for further work in the engine."""
        return self._workspace.ibis.table(RESULTS_TABLE)


def load_config(workspace: Workspace) -> SlaConfig:
    """The workspace's ``[sla]`` section, validated."""
    body = workspace.config.section("sla")
    where = str(workspace.path / "tenure.toml")
    if not body:
        raise ConfigError(f"{where} has no [sla] section; add calendars and policies as shown "
                          "in docs/sla.md")
    return SlaConfig.from_section(body, where)


def _as_datetime(value: Any, name: str = "as_of") -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{name} = {value!r} is not a date or time; write it as "
                          "2026-10-31 or 2026-10-31T18:00") from None


def latest_record(workspace: Workspace) -> datetime | None:
    """The latest time recorded in tickets and status changes."""
    return workspace.connection.execute(
        "SELECT greatest((SELECT max(greatest(opened_at, first_response_at, resolved_at)) "
        "FROM tickets), (SELECT max(\"at\") FROM ticket_status))"
    ).fetchall()[0][0]


def resolve_as_of(workspace: Workspace, as_of: Any) -> datetime:
    """``as_of`` as a naive local time; by default the latest time recorded."""
    if as_of is not None:
        moment = _as_datetime(as_of)
        if moment.tzinfo is not None:
            from zoneinfo import ZoneInfo

            zone = ZoneInfo(workspace.config["workspace.timezone"])
            moment = moment.astimezone(zone).replace(tzinfo=None)
        return moment
    latest = latest_record(workspace)
    if latest is None:
        raise ConfigError("the workspace has no tickets to evaluate; ingest them with "
                          "`tenure ingest tickets FILE`")
    return latest


def evaluate(workspace: Workspace, as_of: Any = None, *, at_risk_hours: float | None = None,
             progress: bool = False) -> SlaEvaluation:
    """Measure every ticket's SLA clocks as of ``as_of`` and store them in ``sla_results``.

    ``as_of`` is a local date or time in the workspace's time zone (default: the latest
    time recorded in ``tickets`` and ``ticket_status``); only what was recorded by then
    counts. A running clock whose target falls within ``at_risk_hours`` (default
    ``sla.at_risk_hours``) is at risk. Re-running replaces the stored results.
    """
    config = load_config(workspace)
    moment = resolve_as_of(workspace, as_of)
    hours = config.at_risk_hours if at_risk_hours is None else float(at_risk_hours)
    if hours <= 0:
        raise ConfigError(f"at_risk_hours = {at_risk_hours!r} should be a positive number")
    con = workspace.connection
    calendars = list(config.calendars.values())
    clock_index = {"calendar": 0, **{c.name: i + 1 for i, c in enumerate(calendars)}}
    registered = _register_config(con, config, clock_index)
    p = Params()
    p.values["as_of"] = moment
    with workspace.runner(progress) as runner:
        try:
            runner.run(_tickets_sql(config, p), p.values, "choosing policies")
            counts = con.execute(
                "SELECT count(*) FILTER (tid IS NOT NULL), count(*) FILTER (problem = "
                "'uncovered'), count(*) FILTER (problem = 'unknown_priority') FROM _sla_tickets"
            ).fetchall()[0]
            tickets = _ticket_arrays(con)
            ticket, at_local, kind, problems = _status_arrays(con, moment, runner)
            measured, late, span = _run_clocks(workspace, calendars, tickets, ticket, at_local,
                                               kind, moment)
            held = _store(workspace, measured, late, problems, moment, hours, span, runner)
        finally:
            for name in (*registered, "_sla_measured", "_sla_late"):
                con.unregister(name)
            con.execute("DROP TABLE IF EXISTS _sla_tickets")
    breached, at_risk = con.execute(
        f"SELECT count(*) FILTER (breached), count(*) FILTER (at_risk) FROM {RESULTS_TABLE}"
    ).fetchall()[0]
    return SlaEvaluation(moment, len(measured.ticket), counts[0] - counts[2], counts[1],
                         breached, at_risk, held, hours, workspace)


def _register_config(con, config: SlaConfig, clock_index: dict[str, int]) -> list[str]:
    targets: dict[str, list] = {k: [] for k in ("policy", "priority_key", "priority", "clock",
                                                  "clock_name", *METRICS)}
    for policy in config.policies.values():
        for key, t in policy.targets.items():
            name = policy.calendar if t.clock == "business" else "calendar"
            for column, value in (("policy", policy.name), ("priority_key", key),
                                  ("priority", t.priority), ("clock", clock_index[name]),
                                  ("clock_name", t.clock)):
                targets[column].append(value)
            for metric in METRICS:
                targets[metric].append(t.minutes(metric))
    contracts = [(c, p.name) for p in config.policies.values() for c in p.customers]
    tiers = [(t.strip().lower(), p.name) for p in config.policies.values() for t in p.tiers]
    tables = {
        "_sla_targets": pa.table(targets, schema=pa.schema(
            [("policy", pa.string()), ("priority_key", pa.string()), ("priority", pa.string()),
             ("clock", pa.int64()), ("clock_name", pa.string()),
             *((m, pa.int64()) for m in METRICS)])),
        "_sla_contracts": pa.table({"customer_id": pa.array([c for c, _ in contracts],
                                                            pa.string()),
                                    "policy": pa.array([p for _, p in contracts], pa.string())}),
        "_sla_tiers": pa.table({"tier_key": pa.array([t for t, _ in tiers], pa.string()),
                                "policy": pa.array([p for _, p in tiers], pa.string())}),
    }
    for name, table in tables.items():
        con.register(name, table)
    return list(tables)


def _tickets_sql(config: SlaConfig, p: Params) -> str:
    """Every ticket with its policy, priority and targets; ``tid`` numbers those evaluated."""
    as_of = "$as_of"
    policy = (f"coalesce(c.policy, CASE WHEN m.ended_at IS NULL OR t.opened_at < m.ended_at "
              f"THEN g.policy END, {p(config.default_policy)})")
    priority = f"lower(trim(coalesce(t.priority, {p(config.default_priority)})))"
    return f"""
        CREATE OR REPLACE TEMP TABLE _sla_tickets AS
        WITH chosen AS (
            SELECT t.ticket_id, t.customer_id, t.priority AS given_priority, t.opened_at,
                   t._ingest_id, {policy} AS policy, {priority} AS priority_key,
                   CASE WHEN t.first_response_at <= {as_of} THEN t.first_response_at END
                       AS first_response_at,
                   CASE WHEN t.resolved_at <= {as_of} THEN t.resolved_at END AS resolved_at,
                   t.opened_at <= {as_of} AS in_scope
            FROM tickets t
            ASOF LEFT JOIN memberships m
                ON t.customer_id = m.customer_id AND t.opened_at >= m.started_at
            LEFT JOIN _sla_contracts c ON c.customer_id = t.customer_id
            LEFT JOIN _sla_tiers g ON g.tier_key = lower(trim(m.tier))
        ), judged AS (
            SELECT chosen.*, x.priority, coalesce(x.clock, 0) AS clock, x.clock_name,
                   x.first_response, x.next_response, x.resolution,
                   CASE WHEN NOT in_scope THEN 'later'
                        WHEN chosen.policy IS NULL THEN 'uncovered'
                        WHEN x.policy IS NULL THEN 'unknown_priority' END AS problem
            FROM chosen LEFT JOIN _sla_targets x
                ON x.policy = chosen.policy AND x.priority_key = chosen.priority_key
        )
        SELECT *, CASE WHEN in_scope THEN row_number() OVER (PARTITION BY in_scope) - 1 END
                  AS tid
        FROM judged
    """


def _ticket_arrays(con) -> dict[str, np.ndarray]:
    table = con.sql(
        "SELECT epoch(opened_at)::BIGINT AS opened, epoch(first_response_at)::BIGINT AS "
        "first_response, epoch(resolved_at)::BIGINT AS resolved, clock, "
        "coalesce(first_response * 60, -1) AS fr, coalesce(next_response * 60, -1) AS nr, "
        "coalesce(resolution * 60, -1) AS res, problem IS NULL AS measured "
        "FROM _sla_tickets WHERE tid IS NOT NULL ORDER BY tid"
    ).to_arrow_table()
    out = {}
    for name in table.column_names:
        column = table.column(name)
        if column.null_count:
            column = column.fill_null(MISSING)
        out[name] = column.to_numpy()
    return out


def _status_arrays(con, moment: datetime, runner) -> tuple[np.ndarray, ...]:
    """Status changes up to ``moment`` as (ticket number, local seconds, kind), sorted, and
    how many could not be used (their reasons are found again in SQL when any exist)."""
    p = Params()
    kind = kind_sql('"status"', p)
    sql = (
        "SELECT CASE WHEN s.\"at\" >= t.opened_at AND s.kind IS NOT NULL THEN t.tid "
        "ELSE -1 END AS tid, epoch(s.\"at\")::BIGINT AS at_local, "
        "coalesce(s.kind, -1) AS kind "
        f"FROM (SELECT ticket_id, \"at\", {kind} AS kind FROM ticket_status "
        "WHERE \"at\" <= $as_of) s "
        "LEFT JOIN _sla_tickets t ON s.ticket_id = t.ticket_id"
    )
    p.values["as_of"] = moment
    table = con.sql(sql, params=bound(sql, p.values)).to_arrow_table()
    ticket = table.column("tid").to_numpy()
    at_local = table.column("at_local").to_numpy()
    kinds = table.column("kind").to_numpy().astype(np.int64)
    del table
    good = ticket >= 0
    problems = int((~good).sum())
    if problems:
        ticket, at_local, kinds = ticket[good], at_local[good], kinds[good]
    return (*_sorted(ticket.astype(np.int64), at_local, kinds), problems)


def _sorted(ticket: np.ndarray, at: np.ndarray, kind: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sort by ticket, time and kind; one packed integer sort when the values fit in 62
    bits, which is several times faster than a three-key sort."""
    if not len(ticket):
        return ticket, at, kind
    origin = int(at.min())
    at_bits = max(int(at.max() - origin).bit_length(), 1)
    ticket_bits = max(int(ticket.max()).bit_length(), 1)
    if ticket_bits + at_bits + 2 > 62:
        order = np.lexsort((kind, at, ticket))
        return ticket[order], at[order], kind[order]
    key = (ticket << (at_bits + 2)) | ((at - origin) << 2) | kind
    key.sort()
    return key >> (at_bits + 2), ((key >> 2) & ((1 << at_bits) - 1)) + origin, key & 3


def _run_clocks(workspace, calendars, tickets, ticket, at_local, kind, moment):
    """Convert to UTC, find late status changes, and measure."""
    as_of_local = int((moment - datetime(1970, 1, 1)).total_seconds())
    first = int(min(tickets["opened"].min(initial=as_of_local), as_of_local))
    zone = Zone(workspace.config["workspace.timezone"], first - _DAY,
                as_of_local + (_HORIZON_DAYS + 1) * _DAY)
    as_of = int(zone.to_utc(np.array([as_of_local]))[0])

    def utc(values: np.ndarray) -> np.ndarray:
        missing = values == MISSING
        return np.where(missing, MISSING, zone.to_utc(np.where(missing, 0, values)))

    clocks_in = TicketClocks(
        opened=utc(tickets["opened"]),
        first_response=utc(tickets["first_response"]),
        resolved=utc(tickets["resolved"]),
        clock=tickets["clock"].astype(np.int64),
        targets=np.vstack([np.where(tickets["measured"], tickets[k], -1)
                           for k in ("fr", "nr", "res")]),
    )
    at = zone.to_utc(at_local)
    clocks_in.resolved = resolution_times(clocks_in, ticket, at, kind)
    late = at > clocks_in.resolved[ticket]
    late_rows = (ticket[late], at_local[late], kind[late])
    if late.any():
        ticket, at, kind = ticket[~late], at[~late], kind[~late]
    first_utc = int(min(clocks_in.opened.min(initial=as_of), as_of))
    clocks = Clocks(calendars, first_utc, as_of + _HORIZON_DAYS * _DAY)
    return measure(clocks_in, ticket, at, kind, clocks, as_of), late_rows, zone


def _local_timestamps(zone: Zone, values: np.ndarray) -> pa.Array:
    missing = values == MISSING
    local = zone.to_local(np.where(missing, 0, values))
    return pa.array(local.astype("datetime64[s]"), pa.timestamp("s"), mask=missing)


def _store(workspace, measured, late, problems: int, moment: datetime, hours: float,
           zone: Zone, runner) -> int:
    con = workspace.connection
    minutes = 60.0
    result = pa.table({
        "tid": measured.ticket,
        "metric": measured.metric.astype(np.int64),
        "target_minutes": measured.target // 60,
        "elapsed_minutes": measured.elapsed / minutes,
        "breached": measured.breached,
        "remaining_minutes": pa.array(measured.remaining / minutes, mask=~measured.running),
        "due_at": _local_timestamps(zone, measured.due),
        "stopped_at": _local_timestamps(zone, measured.stopped),
        "running": measured.running,
        "waits": measured.cycles,
    })
    con.register("_sla_measured", result)
    late_ticket, late_at, late_kind = late
    con.register("_sla_late", pa.table({
        "tid": late_ticket, "at_local": pa.array(late_at.astype("datetime64[s]"),
                                                  pa.timestamp("s")),
        "kind": late_kind}))
    p = Params()
    p.values.update({"as_of": moment, "hours": hours, "source": QUARANTINE_SOURCE,
                     "metrics": list(METRICS)})
    insert = f"""
        INSERT INTO {RESULTS_TABLE}
        SELECT $as_of, t.ticket_id, t.customer_id, t.policy, t.priority,
               $metrics[m.metric + 1], t.clock_name, t.opened_at, m.target_minutes,
               m.elapsed_minutes, m.breached, CASE WHEN m.breached THEN m.due_at END,
               m.remaining_minutes, m.due_at, m.stopped_at, m.running,
               coalesce(m.running AND NOT m.breached
                   AND m.due_at <= $as_of + to_microseconds(CAST($hours * 3600e6 AS BIGINT)),
                   false),
               m.waits
        FROM _sla_measured m JOIN _sla_tickets t ON t.tid = m.tid
    """
    with workspace.transaction():
        con.execute(f"CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} ({_RESULTS_SCHEMA})")
        con.execute(f"DELETE FROM {RESULTS_TABLE}")
        runner.run(insert, p.values, "storing results")
        con.execute("DELETE FROM quarantine WHERE source = $source",
                    {"source": QUARANTINE_SOURCE})
        for sql in _quarantine_sql(p, problems > 0, len(late_ticket) > 0):
            con.execute(sql, bound(sql, p.values))
        held = con.execute("SELECT count(*) FROM quarantine WHERE source = $source",
                           {"source": QUARANTINE_SOURCE}).fetchall()[0][0]
    return held


def _words() -> str:
    return ", ".join(words[0] for words in STATUS_WORDS.values())


def _quarantine_sql(p: Params, status_problems: bool, late: bool) -> list[str]:
    columns = "(ingest_id, table_name, source, \"row\", column_name, reason, value, message)"
    statements = [f"""
        INSERT INTO quarantine {columns}
        SELECT coalesce(_ingest_id, 0), 'tickets', $source, NULL, 'priority',
               'unknown_priority', given_priority,
               'ticket ' || ticket_id || CASE WHEN given_priority IS NULL
                   THEN ' has no priority and sla.default_priority is not set'
                   ELSE ' has priority ''' || given_priority || '''' END
               || ', which policy ''' || policy || ''' does not name; its priorities are '
               || (SELECT string_agg(priority, ', ' ORDER BY priority) FROM _sla_targets x
                   WHERE x.policy = t.policy)
               || '; correct the ticket or add the priority to [sla.policies.' || policy
               || '.targets]'
        FROM _sla_tickets t WHERE problem = 'unknown_priority'
    """]
    if status_problems:
        kind = kind_sql('"status"', p)
        p.values["words"] = _words()
        statements.append(f"""
            INSERT INTO quarantine {columns}
            SELECT coalesce(s._ingest_id, 0), 'ticket_status', $source, NULL,
                   CASE WHEN t.ticket_id IS NULL THEN 'ticket_id' WHEN s.kind IS NULL
                        THEN 'status' ELSE 'at' END,
                   CASE WHEN t.ticket_id IS NULL THEN 'unknown_ticket' WHEN s.kind IS NULL
                        THEN 'unknown_status' ELSE 'before_opened' END,
                   CASE WHEN t.ticket_id IS NULL THEN s.ticket_id WHEN s.kind IS NULL
                        THEN s."status" ELSE CAST(s."at" AS VARCHAR) END,
                   CASE WHEN t.ticket_id IS NULL THEN 'status ''' || s."status" || ''' at '
                            || CAST(s."at" AS VARCHAR) || ' names ticket ' || s.ticket_id
                            || ', which is not in tickets; ingest the ticket first'
                        WHEN s.kind IS NULL THEN 'ticket ' || s.ticket_id || ' has status '''
                            || s."status" || ''' at ' || CAST(s."at" AS VARCHAR)
                            || ', which tenure does not know; use one of ' || $words
                            || ' (or a spelling listed in docs/sla.md)'
                        ELSE 'ticket ' || s.ticket_id || ' changed to ''' || s."status"
                            || ''' at ' || CAST(s."at" AS VARCHAR) || ', before it opened at '
                            || CAST(t.opened_at AS VARCHAR) || '; correct the time'
                   END
            FROM (SELECT *, {kind} AS kind FROM ticket_status WHERE "at" <= $as_of) s
            LEFT JOIN _sla_tickets t ON s.ticket_id = t.ticket_id
            WHERE t.ticket_id IS NULL OR s.kind IS NULL OR s."at" < t.opened_at
        """)
    if late:
        kind = kind_sql('"status"', p)
        statements.append(f"""
            INSERT INTO quarantine {columns}
            SELECT coalesce(s._ingest_id, 0), 'ticket_status', $source, NULL, 'at',
                   'after_resolution', CAST(s."at" AS VARCHAR),
                   'ticket ' || s.ticket_id || ' changed to ''' || s."status" || ''' at '
                   || CAST(s."at" AS VARCHAR) || ', after it was resolved at '
                   || CAST(least(t.resolved_at, r.first_resolved) AS VARCHAR)
                   || '; record a reopened ticket as a new ticket, or correct the time'
            FROM _sla_late l JOIN _sla_tickets t ON t.tid = l.tid
            JOIN (SELECT *, {kind} AS kind FROM ticket_status) s
                ON s.ticket_id = t.ticket_id AND s."at" = l.at_local AND s.kind = l.kind
            LEFT JOIN (SELECT ticket_id, min("at") AS first_resolved FROM ticket_status
                       WHERE ticket_id IN (SELECT t2.ticket_id FROM _sla_late l2
                                           JOIN _sla_tickets t2 ON t2.tid = l2.tid)
                         AND {kind_sql('"status"', p)} = 3 GROUP BY ticket_id) r
                ON r.ticket_id = s.ticket_id
        """)
    return statements

