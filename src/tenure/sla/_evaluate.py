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

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from tenure._sql import Params, bound, select_where
from tenure.errors import ConfigError
from tenure.progress import Progress, Steps
from tenure.results import Result
from tenure.sla._clock import MISSING, Clocks
from tenure.sla._config import METRICS, SlaConfig
from tenure.sla._measure import (
    OPENING,
    Measured,
    TicketClocks,
    measure,
    resolution_times,
)
from tenure.sla._quarantine import quarantine_statements
from tenure.sla._statuses import kind_sql
from tenure.sla._timezone import Zone

if TYPE_CHECKING:
    from tenure.workspace import Workspace

__all__ = ["RESULTS_TABLE", "SCRATCH_TABLE", "SlaClocks", "SlaEvaluation", "clock_list",
           "clocks", "evaluate", "load_config"]

RESULTS_TABLE = "sla_results"
SCRATCH_TABLE = "_sla_results_scratch"
QUARANTINE_SOURCE = "sla"
_DAY = 86_400
# Deadlines are found up to this long after the evaluation moment.
_HORIZON_DAYS = 400
# Tickets measured at a time: bounds the working memory to a few hundred megabytes.
_CHUNK = 1 << 19

@dataclass(frozen=True)
class SlaEvaluation(Result):
    """What :func:`evaluate` found; every clock is in the ``sla_results`` table
    (:func:`clocks` reads them).

    ``frame``: one row per metric with clocks, running, breached, at_risk and compliance
    (met over decided clocks). ``at_risk``: every running clock whose target falls within
    ``at_risk_hours``, soonest first, with ticket_id, customer_id, priority, metric,
    remaining_minutes and due_at.
    """

    as_of: datetime
    rows: int
    tickets: int
    uncovered: int
    breached: int
    at_risk_count: int
    quarantined: int
    at_risk_hours: float
    frame: pd.DataFrame = field(repr=False, compare=False)
    at_risk: pd.DataFrame = field(repr=False, compare=False)

    @property
    def headline(self) -> dict[str, float | int | str]:
        return {"as_of": self.as_of.isoformat(sep=" ", timespec="minutes"),
                "tickets": self.tickets, "clocks": self.rows, "breached": self.breached,
                "at_risk": self.at_risk_count, "uncovered": self.uncovered,
                "quarantined": self.quarantined, "at_risk_hours": self.at_risk_hours}

    def lines(self) -> list[str]:
        return [f"As of {self.as_of:%Y-%m-%d %H:%M}: {self.tickets:,} tickets under a "
                f"policy, {self.rows:,} clocks, {self.breached:,} breached, "
                f"{self.at_risk_count:,} at risk within {self.at_risk_hours:g} h; "
                f"{self.uncovered:,} tickets under no policy, {self.quarantined:,} rows in "
                "quarantine"]

    def view(self) -> pd.DataFrame:
        return self.at_risk

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"at_risk": self.at_risk}


@dataclass(frozen=True)
class SlaClocks(Result):
    """Clocks of the last stored evaluation: ``frame`` has one row per ticket and metric
    (see :func:`clocks`)."""

    frame: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        return {"clocks": len(self.frame), "breached": int(self.frame["breached"].sum()),
                "at_risk": int(self.frame["at_risk"].sum())}


def clock_list(workspace: Workspace, *, ticket_id: str | None = None,
               customer_id: str | None = None, breached: bool | None = None,
               at_risk: bool | None = None, limit: int | None = None) -> SlaClocks:
    """:func:`clocks` as a result, for the command line and the service."""
    return SlaClocks(clocks(workspace, ticket_id=ticket_id, customer_id=customer_id,
                            breached=breached, at_risk=at_risk, limit=limit))


def clocks(workspace: Workspace, *, ticket_id: str | None = None,
           customer_id: str | None = None, breached: bool | None = None,
           at_risk: bool | None = None, limit: int | None = None) -> pd.DataFrame:
    """The clocks of the last stored evaluation (``sla_results``), one row per ticket and
    metric, optionally only those of one ticket or customer, breached or at risk."""
    sql, params = select_where(
        f"SELECT * EXCLUDE (as_of) FROM {RESULTS_TABLE}",
        {"ticket_id": ticket_id, "customer_id": customer_id, "breached": breached,
         "at_risk": at_risk}, "ticket_id, metric", limit)
    return workspace.connection.execute(sql, params).df()


_SUMMARY = """
    SELECT metric, count(*) AS clocks, count(*) FILTER (running) AS running,
           count(*) FILTER (breached) AS breached, count(*) FILTER (at_risk) AS at_risk,
           round(count(*) FILTER (NOT breached AND NOT running)
                 / nullif(count(*) FILTER (breached OR NOT running), 0), 4) AS compliance
    FROM {table} GROUP BY metric ORDER BY metric
"""
_AT_RISK = """
    SELECT ticket_id, customer_id, priority, metric, remaining_minutes, due_at
    FROM {table} WHERE at_risk ORDER BY due_at, ticket_id, metric
"""


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
             progress: Progress | Steps = None, store: bool = True) -> SlaEvaluation:
    """Measure every ticket's SLA clocks as of ``as_of`` and store them in ``sla_results``.

    With ``store=False`` the results go to a temporary table of this connection
    (:data:`SCRATCH_TABLE`) and ``sla_results`` and the quarantine are left as they were: a
    look at a past moment (the churn features do this) does not replace the latest results.

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
    registered = _register_config(con, config, calendars)
    try:
        runner = workspace.runner(progress)
        tickets = _ticket_arrays(con, config, moment)
        measured, late, problems, zone = _run_clocks(workspace, con, calendars, tickets,
                                                     moment)
        held = _store(workspace, measured, tickets, late, problems, moment, hours, zone,
                      runner, store)
    finally:
        for name in (*registered, "_sla_measured", "_sla_late", "_sla_unknown_priority"):
            con.unregister(name)
    table = RESULTS_TABLE if store else SCRATCH_TABLE
    summary = con.execute(_SUMMARY.format(table=table)).df()
    risky = con.execute(_AT_RISK.format(table=table)).df()
    in_scope = tickets["opened"] <= _seconds(moment)
    covered = in_scope & (tickets["policy"] >= 0)
    return SlaEvaluation(moment, len(measured.ticket), int(np.count_nonzero(tickets["measured"])),
                         int(np.count_nonzero(in_scope & ~covered)),
                         int(summary["breached"].sum()), len(risky), held, hours, summary,
                         risky)


def _seconds(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def _register_config(con, config: SlaConfig, calendars: list) -> list[str]:
    """The policies as small tables for the engine: targets by policy and priority, named
    contracts' customers and membership tiers, each naming a policy by its number."""
    clock_index = {"calendar": 0, **{c.name: i + 1 for i, c in enumerate(calendars)}}
    policy_index = {name: i for i, name in enumerate(config.policies)}
    targets: dict[str, list] = {k: [] for k in ("target_row", "policy_index", "policy",
                                                  "priority_key", "priority", "clock",
                                                  "clock_name", *METRICS)}
    for policy in config.policies.values():
        for key, t in policy.targets.items():
            values = {"target_row": len(targets["policy"]),
                      "policy_index": policy_index[policy.name], "policy": policy.name,
                      "priority_key": key, "priority": t.priority,
                      "clock": clock_index[policy.calendar if t.clock == "business"
                                           else "calendar"],
                      "clock_name": t.clock,
                      **{m: t.minutes(m) for m in METRICS}}
            for column, value in values.items():
                targets[column].append(value)
    contracts = [(c, policy_index[p.name]) for p in config.policies.values() for c in p.customers]
    tiers = [(t.strip().lower(), policy_index[p.name]) for p in config.policies.values()
             for t in p.tiers]
    int64, text = pa.int64(), pa.string()
    tables = {
        "_sla_targets": pa.table(targets, schema=pa.schema(
            [("target_row", int64), ("policy_index", int64), ("policy", text),
             ("priority_key", text), ("priority", text), ("clock", int64), ("clock_name", text),
             *((m, int64) for m in METRICS)])),
        "_sla_contracts": pa.table({"customer_id": pa.array([c for c, _ in contracts], text),
                                    "policy_index": pa.array([i for _, i in contracts], int64)}),
        "_sla_tiers": pa.table({"tier_key": pa.array([t for t, _ in tiers], text),
                                "policy_index": pa.array([i for _, i in tiers], int64)}),
    }
    for name, table in tables.items():
        con.register(name, table)
    return list(tables)


def _ticket_arrays(con, config: SlaConfig, moment: datetime) -> dict[str, np.ndarray]:
    """Per ticket, indexed by the row number of ``tickets``: local seconds of opening, first
    response and resolution known by ``moment`` (MISSING where none), policy number (-1:
    none), clock and targets in seconds (-1: none), and whether its clocks are measured."""
    p = Params()
    p.values.update({"as_of": moment,
                     "default_policy": list(config.policies).index(config.default_policy)
                     if config.default_policy else None,
                     "default_priority": config.default_priority})
    # A membership counts from its start until its end. Overlapping memberships of one
    # customer are rare; only then is the latest one picked per ticket, at some cost.
    overlapping = con.execute(
        "SELECT count(*) FROM memberships a JOIN memberships b ON a.customer_id = "
        "b.customer_id AND a.started_at < b.started_at AND (a.ended_at IS NULL OR "
        "a.ended_at > b.started_at)").fetchall()[0][0]
    latest = ("QUALIFY row_number() OVER (PARTITION BY t.rowid ORDER BY m.started_at DESC) = 1"
              if overlapping else "")
    sql = f"""
        SELECT t.rowid AS tid, t.ticket_id, t.customer_id, t.opened_at AS opened_at,
               epoch(t.opened_at)::BIGINT AS opened,
               epoch(CASE WHEN t.first_response_at <= $as_of THEN t.first_response_at END
                     )::BIGINT AS first_response,
               epoch(CASE WHEN t.resolved_at <= $as_of THEN t.resolved_at END)::BIGINT
                   AS resolved,
               coalesce(c.policy_index, g.policy_index, $default_policy) AS policy,
               x.target_row
        FROM tickets t
        LEFT JOIN memberships m
            ON t.customer_id = m.customer_id AND t.opened_at >= m.started_at
            AND (m.ended_at IS NULL OR t.opened_at < m.ended_at)
        LEFT JOIN _sla_contracts c ON c.customer_id = t.customer_id
        LEFT JOIN _sla_tiers g ON g.tier_key = lower(trim(m.tier))
        LEFT JOIN _sla_targets x
            ON x.policy_index = coalesce(c.policy_index, g.policy_index, $default_policy)
            AND x.priority_key = lower(trim(coalesce(t.priority, $default_priority)))
        {latest}
    """
    table = con.sql(sql, params=bound(sql, p.values)).to_arrow_table()
    size = con.execute("SELECT coalesce(max(rowid) + 1, 0) FROM tickets").fetchall()[0][0]
    tid = table.column("tid").to_numpy()
    as_of = _seconds(moment)
    # Row numbers freed by deleted tickets read as tickets opened after as_of.
    out = {"opened": np.full(size, as_of + 1, np.int64),
           "first_response": np.full(size, MISSING, np.int64),
           "resolved": np.full(size, MISSING, np.int64),
           "policy": np.full(size, -1, np.int64),
           "target_row": np.full(size, -1, np.int64)}
    for name, values in out.items():
        default = MISSING if name in ("first_response", "resolved") else -1
        values[tid] = table.column(name).fill_null(default).to_numpy()
    # The ids go into the results as they are, looked up by row number.
    out["row_of"] = np.full(size, -1, np.int64)
    out["row_of"][tid] = np.arange(len(tid))
    out["ids"] = table.select(["ticket_id", "customer_id", "opened_at"])
    del table
    targets = con.table("_sla_targets").to_arrow_table()
    row = out["target_row"]
    has = row >= 0
    for name, metric in (("fr", "first_response"), ("nr", "next_response"),
                         ("res", "resolution")):
        minutes = targets.column(metric).fill_null(-1).to_numpy()
        out[name] = np.where(has, np.where(minutes[row] >= 0, minutes[row] * 60, -1), -1)
    out["clock"] = np.where(has, targets.column("clock").to_numpy()[row], 0)
    out["measured"] = has & (out["opened"] <= as_of)
    out["unknown_priority"] = ~has & (out["policy"] >= 0) & (out["opened"] <= as_of)
    return out


def _status_keys(con, moment: datetime, origin: int, shift: int) -> tuple[np.ndarray, int]:
    """Each status change up to ``moment`` packed into one sortable integer, ticket number
    first, then local seconds since ``origin``, then kind (3 bits); -1 where the change
    cannot be used. Also how many cannot (their reasons are found again in SQL)."""
    p = Params()
    kind = kind_sql('"status"', p)
    sql = (
        "SELECT CASE WHEN s.\"at\" >= t.opened_at AND s.kind IS NOT NULL "
        "THEN (t.rowid << $shift) | ((epoch(s.\"at\")::BIGINT - $origin) << 3) | s.kind "
        "ELSE -1 END AS key "
        f"FROM (SELECT ticket_id, \"at\", {kind} AS kind FROM ticket_status "
        "WHERE \"at\" <= $as_of) s "
        "LEFT JOIN tickets t ON s.ticket_id = t.ticket_id"
    )
    p.values.update({"as_of": moment, "origin": origin, "shift": shift})
    keys = con.sql(sql, params=bound(sql, p.values)).to_arrow_table().column("key").to_numpy()
    problems = int(np.count_nonzero(keys < 0))
    return (keys[keys >= 0] if problems else keys), problems


def _run_clocks(workspace, con, calendars, tickets, moment):
    """Read the status changes, add the openings, sort, convert to UTC, set aside changes
    after the resolution, and measure, a slice of tickets at a time to bound the memory
    used."""
    as_of_local = _seconds(moment)
    m = len(tickets["opened"])
    # Tickets opened later than as_of have no targets; a placeholder opening keeps the
    # arrays aligned.
    opened_local = np.minimum(tickets["opened"], as_of_local)
    origin = int(opened_local.min(initial=as_of_local))
    at_bits = max((as_of_local - origin).bit_length(), 1)
    shift = at_bits + 3
    if max(m, 1).bit_length() + shift > 62:
        raise ConfigError(f"{m:,} tickets over {(as_of_local - origin) // _DAY:,} days are too "
                          "many to evaluate at once; evaluate an earlier as_of or fewer years")
    keys, problems = _status_keys(con, moment, origin, shift)
    openings = (np.arange(m, dtype=np.int64) << shift) | ((opened_local - origin) << 3) | OPENING
    keys = np.concatenate([openings, keys])
    del openings
    keys.sort()
    # Narrow types where they suffice: these arrays are the largest held.
    ticket = (keys >> shift).astype(np.int32 if m < 2**31 else np.int64)
    at_local = ((keys >> 3) & ((1 << at_bits) - 1)) + origin
    kind = (keys & 7).astype(np.int8)
    del keys
    zone = Zone(workspace.config["workspace.timezone"], origin - _DAY,
                as_of_local + (_HORIZON_DAYS + 1) * _DAY)
    as_of = int(zone.to_utc(np.array([as_of_local]))[0])

    def utc(values: np.ndarray) -> np.ndarray:
        missing = values == MISSING
        return np.where(missing, MISSING, zone.to_utc(np.where(missing, 0, values)))

    clocks_in = TicketClocks(
        opened=zone.to_utc(opened_local),
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
    del at_local
    if late_rows[0].size:
        ticket, at, kind = ticket[~late], at[~late], kind[~late]
    del late
    first_utc = int(min(clocks_in.opened.min(initial=as_of), as_of))
    clocks = Clocks(calendars, first_utc, as_of + _HORIZON_DAYS * _DAY)

    def slice_of_tickets(start: int) -> Measured:
        stop = min(start + _CHUNK, m)
        lo, hi = np.searchsorted(ticket, [start, stop])
        part = measure(clocks_in.slice(start, stop), ticket[lo:hi].astype(np.int64) - start,
                       at[lo:hi], kind[lo:hi], clocks, as_of)
        part.ticket += start
        return part

    # NumPy lets go of the interpreter lock inside its array work, so slices measured on
    # threads use the cores the engine may use.
    threads = workspace.config["engine.threads"] or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=threads) as pool:
        parts = list(pool.map(slice_of_tickets, range(0, m, _CHUNK)))
    empty = measure(clocks_in.slice(0, 0), ticket[:0], at[:0], kind[:0], clocks, as_of)
    return Measured.concatenate([empty, *parts]), late_rows, problems, zone


def _local_timestamps(zone: Zone, values: np.ndarray) -> pa.Array:
    missing = values == MISSING
    local = zone.to_local(np.where(missing, 0, values))
    return pa.array(local.astype("datetime64[s]"), pa.timestamp("s"), mask=missing)


def _store(workspace, measured, tickets, late, problems: int, moment: datetime, hours: float,
           zone: Zone, runner, store: bool = True) -> int:
    """Replace ``sla_results`` and this evaluation's quarantine rows, in one transaction
    (without ``store``: only the temporary results table; returns 0 rows held)."""
    con = workspace.connection
    ids = tickets["ids"].take(pa.array(tickets["row_of"][measured.ticket]))
    result = pa.table({
        "ticket_id": ids.column("ticket_id"),
        "customer_id": ids.column("customer_id"),
        "opened_at": ids.column("opened_at"),
        "target_row": tickets["target_row"][measured.ticket],
        "metric": measured.metric.astype(np.int64),
        "target_minutes": measured.target // 60,
        "elapsed_minutes": measured.elapsed / 60.0,
        "breached": measured.breached,
        "remaining_minutes": pa.array(measured.remaining / 60.0, mask=~measured.running),
        "due_at": _local_timestamps(zone, measured.due),
        "stopped_at": _local_timestamps(zone, measured.stopped),
        "running": measured.running,
        "waits": measured.cycles,
    })
    con.register("_sla_measured", result)
    late_ticket, late_at, late_kind = late
    con.register("_sla_late", pa.table({
        "tid": late_ticket,
        "at_local": pa.array(late_at.astype("datetime64[s]"), pa.timestamp("s")),
        "kind": late_kind}))
    unknown = np.flatnonzero(tickets["unknown_priority"])
    con.register("_sla_unknown_priority", pa.table({
        "tid": unknown, "policy_index": tickets["policy"][unknown]}))
    p = Params()
    p.values.update({"as_of": moment, "hours": hours, "source": QUARANTINE_SOURCE,
                     "metrics": list(METRICS)})
    # The stored table is declared with the schema (its columns in this order); the
    # scratch table of an evaluation that stores nothing takes the same shape.
    target = (f"INSERT INTO {RESULTS_TABLE}" if store
              else f"CREATE OR REPLACE TEMP TABLE {SCRATCH_TABLE} AS")
    insert = f"""
        {target}
        SELECT CAST($as_of AS TIMESTAMP) AS as_of, m.ticket_id, m.customer_id, x.policy,
               x.priority, $metrics[m.metric + 1] AS metric, x.clock_name AS clock,
               m.opened_at, m.target_minutes, m.elapsed_minutes, m.breached,
               CASE WHEN m.breached THEN m.due_at END AS breached_at, m.remaining_minutes,
               m.due_at, m.stopped_at, m.running,
               coalesce(m.running AND NOT m.breached AND m.due_at <= $as_of
                        + to_microseconds(CAST($hours * 3600e6 AS BIGINT)), false) AS at_risk,
               m.waits
        FROM _sla_measured m JOIN _sla_targets x ON x.target_row = m.target_row
    """
    # Ticket and customer ids are nearly all distinct: analysing them for dictionary
    # compression took most of the time of writing the results, for little space saved.
    disabled = con.execute("SELECT current_setting('disabled_compression_methods')"
                           ).fetchall()[0][0]
    con.execute("SET disabled_compression_methods = $methods",
                {"methods": ",".join(filter(None, [disabled, "dict_fsst"]))})
    try:
        if not store:
            runner.run(insert, p.values, "measuring clocks")
            return 0
        with workspace.transaction():
            con.execute(f"DELETE FROM {RESULTS_TABLE}")
            runner.run(insert, p.values, "storing results")
            con.execute("DELETE FROM quarantine WHERE source = $source",
                        {"source": QUARANTINE_SOURCE})
            for sql in quarantine_statements(p, len(unknown) > 0, problems > 0,
                                             len(late_ticket) > 0):
                con.execute(sql, bound(sql, p.values))
            held = con.execute("SELECT count(*) FROM quarantine WHERE source = $source",
                               {"source": QUARANTINE_SOURCE}).fetchall()[0][0]
    finally:
        con.execute("SET disabled_compression_methods = $methods", {"methods": disabled})
    return held
