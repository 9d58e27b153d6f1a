"""The planner: from every playbook's proposals to the day's actions.

1. **Proposals.** Each enabled playbook's eligibility query runs as of the plan date; its
   rows land in one table of the engine.
2. **Expected incremental value** = effect x value at stake x margin - cost. The effect is
   the playbook's prior until its lift has been measured on at least ``min_measured``
   treated and control customers, then the measured lift shrunk toward the prior by the
   data's weight: w = prior_sd^2 / (prior_sd^2 + se^2), effect = w lift + (1 - w) prior
   (the normal-normal posterior mean). With ``ranking = "uplift"`` a playbook whose uplift
   model has been fitted uses each customer's predicted uplift instead.
3. **The contact policy** (:mod:`tenure.actions._policy`) tries each proposal on its
   channels; a proposal no channel passes is held back with its reason.
4. **Allocation.** In rounds: each customer with room left that day takes their
   highest-value remaining proposal; within each owner's daily capacity on a channel the
   highest values are kept and the rest deferred; a customer deferred takes their next
   proposal in the next round. Marketing that is worth less than it costs is held back.
5. **Control groups**, by a stable hash (:mod:`tenure.actions._groups`), after the
   allocation and blind to it, so that held-out customers are exactly those who would have
   been contacted: a marketing action for a customer in the global holdout, or a draw
   below the playbook's holdout, is logged as ``global_control`` or ``control`` and not
   sent.

Everything runs in the engine over temporary tables; Python only loops over playbooks,
zones and rounds.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import ibis
import pyarrow as pa

from tenure._sql import Params, bound
from tenure.actions._context import PlanContext
from tenure.actions._groups import fraction_sql, period_label
from tenure.actions._policy import candidates_sql, sql_sentence
from tenure.actions._windows import send_window
from tenure.progress import Steps

__all__ = ["Allocation", "allocate", "effects", "prepare"]

TOUCHED = ("sent", "delivered", "opened", "replied", "unsubscribed", "refused")
MAX_ROUNDS = 12
# Days of contact history the rules read at most (the longest cap, cool-down or repeat
# interval, and a month for the quotas).
_HISTORY_FLOOR = 32


@dataclass
class Allocation:
    """What the planner decided, as tables of the engine: ``_act_chosen`` (the actions,
    with their group) and ``_act_held`` (the proposals not chosen, with why)."""

    proposals: int
    notes: list[str]


def effects(con, config, date: dt.date) -> dict[str, tuple[float, str]]:
    """Each enabled playbook's effect and where it came from (``prior`` or ``measured``,
    see the module docstring)."""
    measured = {}
    rows = con.execute("""
        SELECT playbook, metric, estimate, std_error, n_treated, n_control FROM (
            SELECT *, row_number() OVER (PARTITION BY playbook, metric
                                         ORDER BY measured_on DESC) AS r
            FROM action_effects WHERE measured_on <= $d) WHERE r = 1""",
                       {"d": date}).fetchall()
    for playbook, metric, estimate, se, n_t, n_c in rows:
        measured[(playbook, metric)] = (estimate, se, n_t, n_c)
    found = {}
    for pb in config.enabled:
        got = measured.get((pb.name, pb.playbook.outcome))
        if (got is None or got[0] is None or got[1] is None or min(got[2], got[3])
                < config.min_measured):
            found[pb.name] = (pb.prior_effect, "prior")
            continue
        estimate, se = got[0], max(got[1], 1e-12)
        weight = pb.prior_sd ** 2 / (pb.prior_sd ** 2 + se ** 2)
        found[pb.name] = (weight * estimate + (1 - weight) * pb.prior_effect, "measured")
    return found


def prepare(ctx: PlanContext, step: Steps) -> int:
    """Run every enabled playbook's eligibility query into ``_act_proposals`` and build the
    tables the policy reads; the number of proposals."""
    con, config, date = ctx.workspace.connection, ctx.config, ctx.date
    con.execute("""CREATE OR REPLACE TEMP TABLE _act_raw (
        playbook VARCHAR, customer_id VARCHAR, value_at_stake DOUBLE, reason VARCHAR,
        offer VARCHAR, owner_id VARCHAR, due_date DATE, detail VARCHAR)""")
    for pb in config.enabled:
        step(f"proposals: {pb.name}")
        expr = pb.playbook.eligible(ctx, pb.values)
        if expr is None:
            continue
        ctx.insert("_act_raw", expr.mutate(playbook=ibis.literal(pb.name)).select(
            "playbook", "customer_id", "value_at_stake", "reason", "offer", "owner_id",
            "due_date", "detail"))
    step("the policy's tables")
    settings = pa.table({
        "playbook": [pb.name for pb in config.enabled],
        "kind": [pb.kind for pb in config.enabled],
        "default_offer": [pb.offer for pb in config.enabled],
        "owner_rule": [pb.owner for pb in config.enabled],
        "fallback_owner": [pb.fallback_owner for pb in config.enabled],
        "holdout": pa.array([pb.holdout for pb in config.enabled], pa.float64()),
        "playbook_cost": pa.array([pb.cost for pb in config.enabled], pa.float64()),
        "cooldown_days": pa.array([pb.cooldown_days for pb in config.enabled], pa.int64()),
        "ignores_open_tickets": [pb.playbook.ignores_open_tickets for pb in config.enabled],
        "effect": pa.array([ctx.effects[pb.name][0] for pb in config.enabled], pa.float64()),
        "effect_source": [ctx.effects[pb.name][1] for pb in config.enabled],
    })
    con.register("_act_settings_view", settings)
    con.execute("CREATE OR REPLACE TEMP TABLE _act_settings AS SELECT * FROM _act_settings_view")
    con.unregister("_act_settings_view")
    # One proposal per customer and playbook; actions already sent today are done. The
    # window ranks the raw rows by their narrow columns alone, and the rows kept are read
    # back by their row ids (a window sorts every column it carries).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _act_proposals AS
        SELECT row_number() OVER () AS pid,
               r.playbook, s.kind, r.customer_id, greatest(coalesce(r.value_at_stake, 0), 0)
                   AS value_at_stake,
               r.reason, coalesce(r.offer, s.default_offer) AS offer,
               r.owner_id AS proposed_owner, coalesce(r.due_date, $d) AS due_date, r.detail,
               s.owner_rule, s.fallback_owner, s.holdout, s.playbook_cost, s.cooldown_days,
               s.ignores_open_tickets, s.effect, s.effect_source
        FROM _act_raw r JOIN _act_settings s USING (playbook)
        WHERE r.rowid IN (
            SELECT r.rowid FROM _act_raw r
            WHERE r.customer_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM action_log l WHERE l.customer_id = r.customer_id
                              AND l.playbook = r.playbook AND l.plan_date = $d
                              AND l.status IN (SELECT unnest($touched)))
            QUALIFY row_number() OVER (PARTITION BY r.customer_id, r.playbook
                                       ORDER BY r.value_at_stake DESC NULLS LAST,
                                                r.detail) = 1)
    """, {"d": date, "touched": list(TOUCHED)})
    proposals = con.execute("SELECT count(*) FROM _act_proposals").fetchall()[0][0]
    _channels(con, config)
    _customers(ctx)
    _windows(ctx)
    _consent(ctx)
    _touches(ctx)
    return int(proposals)


def _register(con, name: str, table: pa.Table) -> None:
    con.register(f"{name}_view", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_view")
    con.unregister(f"{name}_view")


def _channels(con, config) -> None:
    rows = [(pb.name, channel, rank) for pb in config.enabled
            for rank, channel in enumerate(pb.channels, start=1)]
    info = config.channels
    _register(con, "_act_channels", pa.table({
        "playbook": [r[0] for r in rows],
        "channel": [r[1] for r in rows],
        "rank": pa.array([r[2] for r in rows], pa.int64()),
        "requires_opt_in": [info[r[1]].requires_opt_in for r in rows],
        "staffed": [info[r[1]].staffed for r in rows],
        "channel_cost": pa.array([info[r[1]].cost for r in rows], pa.float64()),
        "monthly_quota": pa.array([-1 if info[r[1]].monthly_quota == "days"
                                   else info[r[1]].monthly_quota for r in rows], pa.int64()),
    }))


def _customers(ctx: PlanContext) -> None:
    """Each proposed customer's zone (their own, or None for the workspace's), current
    owner, open ticket and global-holdout draw."""
    con, date = ctx.workspace.connection, ctx.date
    home = ctx.workspace.config["workspace.timezone"]
    has_zone = ctx.tables.rows("customers") > 0
    zones = []
    if has_zone:
        zones = [z for (z,) in con.execute(
            "SELECT DISTINCT c.timezone FROM customers c JOIN (SELECT DISTINCT customer_id "
            "FROM _act_proposals) p USING (customer_id) WHERE c.timezone IS NOT NULL"
        ).fetchall()]
    known, unknown = [], []
    for zone in zones:
        try:
            zoneinfo.ZoneInfo(zone)
            (known if zone != home else []).append(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            unknown.append(zone)
    if unknown:
        ctx.notes.append(f"{len(unknown)} time zone names of customers are not known "
                         f"({', '.join(sorted(unknown)[:3])}); those customers' hours are read "
                         "in the workspace's zone")
    ctx.zones = known
    owners = ctx.owners()
    owner_sql = ("LEFT JOIN (" + ibis.to_sql(owners, dialect="duckdb")
                 + ") o USING (customer_id)") if owners is not None else ""
    tickets = ctx.before("tickets", ("customer_id", "ticket_id", "opened_at", "resolved_at"))
    ticket_sql = ""
    if tickets is not None:
        open_now = tickets.filter(tickets.resolved_at.isnull())
        ticket_sql = ("LEFT JOIN (SELECT customer_id, arg_min(ticket_id, opened_at) AS "
                      "open_ticket, min(opened_at) AS open_since FROM ("
                      + ibis.to_sql(open_now, dialect="duckdb")
                      + ") GROUP BY customer_id) t USING (customer_id)")
    zone_sql = ("LEFT JOIN (SELECT customer_id, timezone FROM customers) z USING (customer_id)"
                if has_zone else "")
    zone_value = "CASE WHEN z.timezone IN (SELECT unnest($zones)) THEN z.timezone END" \
        if has_zone else "NULL::VARCHAR"
    period = period_label(date, ctx.config.reshuffle)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _act_customers AS
        SELECT p.customer_id, {zone_value} AS zone,
               coalesce({zone_value}, $home) AS zone_name,
               {"o.owner_id" if owners is not None else "NULL::VARCHAR"} AS current_owner,
               {"t.open_ticket" if tickets is not None else "NULL::VARCHAR"} AS open_ticket,
               {"t.open_since" if tickets is not None else "NULL::TIMESTAMP"} AS open_since,
               {fraction_sql("p.customer_id", "$global_period")} AS global_draw
        FROM (SELECT DISTINCT customer_id FROM _act_proposals) p
        {zone_sql} {owner_sql} {ticket_sql}
    """, bound(f"{zone_value} $home $global_period", {
        "zones": known, "home": home, "global_period": period}))


def _windows(ctx: PlanContext) -> None:
    home = ctx.workspace.config["workspace.timezone"]
    config = ctx.config
    staffed = config.staffed_calendar(home)
    rows = []
    for zone in [None, *ctx.zones]:
        for channel in config.channels.values():
            w = send_window(ctx.date, home, zone or home, channel, config.policy.quiet_hours,
                            staffed)
            rows.append((zone, channel.name, w.send_from, w.send_until, w.local_day, w.why))
    _register(ctx.workspace.connection, "_act_windows", pa.table({
        "zone": pa.array([r[0] for r in rows], pa.string()),
        "channel": [r[1] for r in rows],
        "send_from": pa.array([r[2] for r in rows], pa.timestamp("us")),
        "send_until": pa.array([r[3] for r in rows], pa.timestamp("us")),
        "local_day": pa.array([r[4] for r in rows], pa.date32()),
        "why": pa.array([r[5] for r in rows], pa.string()),
    }))


def _consent(ctx: PlanContext) -> None:
    """The consent in force per proposed customer and channel (``all``: do not contact):
    the latest consent row before the date, or an unsubscribe recorded for an action."""
    con = ctx.workspace.connection
    consents = ctx.before("consents", ("customer_id", "channel", "opted_in", "at"))
    parts = ["""SELECT o.customer_id, coalesce(o.channel, l.channel) AS channel,
                       false AS opted_in, o."at" AS changed_at
                FROM action_outcomes o JOIN action_log l USING (customer_id, playbook, plan_date)
                WHERE o.event = 'unsubscribed' AND o."at" < $cut"""]
    if consents is not None:
        parts.append('SELECT customer_id, lower(channel) AS channel, opted_in, "at" FROM ('
                     + ibis.to_sql(consents, dialect="duckdb") + ") WHERE customer_id IN "
                     "(SELECT customer_id FROM _act_customers)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _act_consent AS
        SELECT customer_id, channel, arg_max(opted_in, changed_at) AS opted_in,
               max(changed_at) AS changed_at
        FROM ({" UNION ALL ".join(parts)}) c
        GROUP BY customer_id, channel
    """, {"cut": dt.datetime.combine(ctx.date, dt.time())})


def _touches(ctx: PlanContext) -> None:
    """Every touch the rules count (see :mod:`tenure.actions._policy`), in the days they
    can reach, with the customer's own calendar day of it; and each customer's latest
    action of each playbook (``_act_repeats``)."""
    con, config, date = ctx.workspace.connection, ctx.config, ctx.date
    days = max([_HISTORY_FLOOR, config.policy.cooldown_days + 1,
                *[c.days + 1 for c in (*config.policy.caps, *config.policy.transactional_caps)]])
    since = dt.datetime.combine(date - dt.timedelta(days=days), dt.time())
    home = ctx.workspace.config["workspace.timezone"]
    parts = ["""SELECT l.customer_id, l.channel,
                       coalesce(o."at", l.send_from, CAST(l.plan_date AS TIMESTAMP))
                           AS touched_at,
                       l.kind = 'transactional' AS transactional
                FROM action_log l
                LEFT JOIN action_outcomes o ON o.customer_id = l.customer_id
                     AND o.playbook = l.playbook AND o.plan_date = l.plan_date
                     AND o.event = 'sent'
                WHERE l.status <> 'withdrawn' AND l.plan_date >= CAST($since AS DATE)
                  AND (l.plan_date < $d OR l.status IN (SELECT unnest($touched)))
                  AND l.customer_id IN (SELECT customer_id FROM _act_customers)"""]
    contacts = ctx.before("contacts", ("customer_id", "channel", "sent_at", "campaign"))
    if contacts is not None:
        parts.append("SELECT customer_id, lower(channel) AS channel, sent_at, false "
                     "FROM (" + ibis.to_sql(contacts, dialect="duckdb") + ") WHERE sent_at "
                     ">= $since AND coalesce(campaign, '') NOT LIKE 'tenure:%' AND customer_id "
                     "IN (SELECT customer_id FROM _act_customers)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _act_touches AS
        SELECT t.customer_id, t.channel, t.touched_at, t.transactional,
               CASE WHEN c.zone IS NULL THEN CAST(t.touched_at AS DATE)
                    ELSE CAST(timezone(c.zone, timezone($home, t.touched_at)) AS DATE)
               END AS local_day
        FROM ({" UNION ALL ".join(parts)}) t JOIN _act_customers c USING (customer_id)
    """, {"since": since, "d": date, "touched": list(TOUCHED), "home": home})
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _act_repeats AS
        SELECT customer_id, playbook, max(plan_date) AS last_same FROM action_log
        WHERE status <> 'withdrawn' AND plan_date < $d
          AND customer_id IN (SELECT customer_id FROM _act_customers)
        GROUP BY ALL
    """, {"d": date})


def _owner_sql() -> str:
    return ("coalesce(proposed_owner, CASE WHEN owner_rule = 'current' THEN "
            "coalesce(current_owner, fallback_owner) ELSE owner_rule END)")


def allocate(ctx: PlanContext, step: Steps) -> None:
    """Apply the policy, allocate and draw the control groups into ``_act_chosen`` and
    ``_act_held`` (see the module docstring)."""
    con, config, date = ctx.workspace.connection, ctx.config, ctx.date
    step("the contact policy")
    _try(con, config, date, "_act_tried")
    _options(con, config, "_act_tried", "_act_options")
    _held_from_options(con, date, config.policy.cooldown_days)
    step("allocating")
    _rounds(ctx)
    step("control groups")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _act_chosen AS
        SELECT c.*,
               CASE WHEN c.kind = 'marketing' AND c.global_draw < $global THEN 'global_control'
                    WHEN {fraction_sql("c.customer_id", "c.playbook", "$period")} < c.holdout
                    THEN 'control' ELSE 'treatment' END AS "group"
        FROM _act_picked c
    """, {"global": config.global_holdout,
          "period": period_label(date, config.holdout_period)})


def _options(con, config, tried: str, into: str) -> None:
    """Each proposal on its first channel that passes every rule (its preferred channel
    when none does), with the proposal's own columns, its owner, cost and expected value;
    where more than one channel was tried and none passed, what each broke.

    The channel is chosen by an aggregation over the narrow columns of the tries and
    joined back (a window over the wide rows would sort them all); the list of what each
    channel broke is spelt out only for the proposals held back."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {into} AS
        WITH used AS (
            SELECT pid, count(*) AS channels_tried,
                   min(CASE WHEN fail IS NULL THEN rank END) AS passed, min(rank) AS first
            FROM {tried} GROUP BY pid
        ),
        tried_text AS (
            SELECT t.pid, string_agg(t.channel || ': ' || t.fail, ', ' ORDER BY t.rank)
                       AS tried
            FROM {tried} t JOIN used u ON u.pid = t.pid
            WHERE u.passed IS NULL AND u.channels_tried > 1
            GROUP BY t.pid
        )
        SELECT t.* EXCLUDE (customer_id, playbook, kind, cooldown_days, ignores_open_tickets),
               u.channels_tried, x.tried,
               p.*, {_owner_sql()} AS owner_id,
               coalesce(p.playbook_cost, t.channel_cost) AS cost,
               p.effect * p.value_at_stake * $margin - coalesce(p.playbook_cost, t.channel_cost)
                   AS expected_value
        FROM used u
        JOIN {tried} t ON t.pid = u.pid AND t.rank = coalesce(u.passed, u.first)
        JOIN _act_proposals p ON p.pid = u.pid
        LEFT JOIN tried_text x ON x.pid = u.pid
    """, {"margin": config.margin})


def _try(con, config, date: dt.date, into: str, proposals: str = "_act_proposals") -> None:
    p = Params()
    sql = candidates_sql(config, p).replace("FROM _act_proposals pr", f"FROM {proposals} pr")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {into} AS {sql}",
                {**p.values, **bound(sql, {"plan_date": date})})


def _held_from_options(con, date: dt.date, cooldown: int) -> None:
    """Proposals no channel passes, and marketing not worth its cost, into ``_act_held``;
    the rest into ``_act_pool``."""
    date_text = f"'{date.isoformat()}'"
    reason = f"""CASE fail
        WHEN 'do_not_contact' THEN {sql_sentence("do_not_contact", since="dnc_at::DATE")}
        WHEN 'opted_out' THEN {sql_sentence("opted_out", channel="channel",
                                            since="consent_at::DATE")}
        WHEN 'not_consented' THEN {sql_sentence("not_consented", channel="channel")}
        WHEN 'quiet_hours' THEN {sql_sentence("quiet_hours", channel="channel",
                                              date=date_text, zone="zone_name")}
        WHEN 'non_working_day' THEN {sql_sentence("non_working_day", date=date_text,
                                                  channel="channel")}
        WHEN 'open_ticket' THEN {sql_sentence("open_ticket", ticket="open_ticket",
                                              since="open_since::DATE")}
        WHEN 'cooling_down' THEN {sql_sentence("cooling_down", last="strftime(last_touch, "
                                               "'%Y-%m-%d %H:%M')", days="$cooldown")}
        WHEN 'repeated' THEN {sql_sentence("repeated", last="last_same",
                                           days="cooldown_days")}
        WHEN 'capped' THEN {sql_sentence("capped", count="cap_count", cap="cap_text")}
        WHEN 'quota' THEN {sql_sentence("quota", count="month_count", channel="channel",
                                        quota="monthly_quota")}
        END"""
    no_value = sql_sentence("no_value", value="round(expected_value, 2)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _act_held AS
        SELECT customer_id, playbook, kind, channel, owner_id, expected_value,
               CASE WHEN fail = 'opted_out' THEN 'not_consented' ELSE fail END AS reason_code,
               {reason} AS reason, reason AS proposal,
               CASE WHEN channels_tried > 1 THEN tried END AS tried
        FROM _act_options WHERE fail IS NOT NULL
        UNION ALL
        SELECT customer_id, playbook, kind, channel, owner_id, expected_value, 'no_value',
               {no_value}, reason, NULL
        FROM _act_options WHERE fail IS NULL AND kind = 'marketing' AND expected_value <= 0
    """, {"cooldown": cooldown})
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _act_pool AS
        SELECT * FROM _act_options
        WHERE fail IS NULL AND (kind = 'transactional' OR expected_value > 0)
    """)


def _rounds(ctx: PlanContext) -> None:
    """One action per customer per round, within each owner's capacity (see the module
    docstring), into ``_act_picked``; what capacity or a fuller day left out joins
    ``_act_held``."""
    con, config, date = ctx.workspace.connection, ctx.config, ctx.date
    used = con.execute("""
        SELECT customer_id, count(*) FROM action_log WHERE plan_date = $d
          AND status IN (SELECT unnest($touched)) GROUP BY 1""",
                       {"d": date, "touched": list(TOUCHED)}).fetchall()
    con.execute("CREATE OR REPLACE TEMP TABLE _act_slots AS SELECT customer_id, "
                "CAST($n AS BIGINT) AS slots FROM (SELECT DISTINCT customer_id FROM _act_pool)",
                {"n": config.per_customer_per_day})
    if used:
        con.register("_act_used_view", pa.table({"customer_id": [u[0] for u in used],
                                                 "n": [u[1] for u in used]}))
        con.execute("UPDATE _act_slots SET slots = slots - u.n FROM _act_used_view u "
                    "WHERE _act_slots.customer_id = u.customer_id")
        con.unregister("_act_used_view")
    _capacity(ctx)
    con.execute("CREATE OR REPLACE TEMP TABLE _act_picked AS SELECT *, 0 AS round "
                "FROM _act_pool WHERE false")
    for number in range(1, MAX_ROUNDS + 1):
        # The windows rank the narrow columns and the wide rows are joined back by pid:
        # a window sorts every column it carries.
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _act_pick AS
            SELECT p.* FROM _act_pool p SEMI JOIN (
                SELECT p.pid FROM _act_pool p JOIN _act_slots s USING (customer_id)
                WHERE s.slots > 0
                QUALIFY row_number() OVER (PARTITION BY p.customer_id
                                           ORDER BY p.expected_value DESC, p.playbook) = 1
            ) best USING (pid)""")
        if not con.execute("SELECT count(*) FROM _act_pick").fetchall()[0][0]:
            break
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _act_ranked AS
            SELECT p.*, r.room, r.place FROM _act_pick p JOIN (
                SELECT p.pid, c.room,
                       row_number() OVER (PARTITION BY p.owner_id, p.channel
                                          ORDER BY p.expected_value DESC, p.customer_id)
                           AS place
                FROM _act_pick p LEFT JOIN _act_room c USING (owner_id, channel)
            ) r USING (pid)""")
        con.execute("INSERT INTO _act_picked SELECT * EXCLUDE (room, place), $round "
                    "FROM _act_ranked WHERE room IS NULL OR place <= room", {"round": number})
        deferred = sql_sentence("capacity", owner="owner_id", channel="channel",
                                capacity="capacity")
        con.execute(f"""
            INSERT INTO _act_held
            SELECT r.customer_id, r.playbook, r.kind, r.channel, r.owner_id, r.expected_value,
                   'capacity', {deferred}, r.reason, NULL
            FROM _act_ranked r JOIN _act_room c USING (owner_id, channel)
            WHERE r.place > r.room""")
        con.execute("""
            UPDATE _act_room SET room = greatest(room - n.taken, 0) FROM (
                SELECT owner_id, channel, count(*) AS taken FROM _act_ranked
                WHERE room IS NOT NULL AND place <= room GROUP BY ALL) n
            WHERE _act_room.owner_id = n.owner_id AND _act_room.channel = n.channel""")
        con.execute("""
            UPDATE _act_slots SET slots = slots - 1 FROM (
                SELECT DISTINCT customer_id FROM _act_ranked
                WHERE room IS NULL OR place <= room) n
            WHERE _act_slots.customer_id = n.customer_id""")
        # Who takes part in the next round: those deferred by capacity, and those with
        # room left in their day; the others' remaining proposals lose to what they got.
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _act_waiting AS
            SELECT DISTINCT r.customer_id FROM _act_ranked r
            JOIN _act_slots s USING (customer_id) WHERE s.slots > 0""")
        con.execute(f"""
            INSERT INTO _act_held
            SELECT p.customer_id, p.playbook, p.kind, p.channel, p.owner_id, p.expected_value,
                   'lower_value', {sql_sentence("lower_value")}, p.reason, NULL
            FROM _act_pool p
            WHERE p.customer_id IN (SELECT customer_id FROM _act_ranked)
              AND p.customer_id NOT IN (SELECT customer_id FROM _act_waiting)
              AND p.pid NOT IN (SELECT pid FROM _act_ranked)""")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _act_pool AS
            SELECT p.* FROM _act_pool p
            WHERE (p.customer_id IN (SELECT customer_id FROM _act_waiting)
                   OR p.customer_id NOT IN (SELECT customer_id FROM _act_ranked))
              AND p.pid NOT IN (SELECT pid FROM _act_ranked)""")
        if config.per_customer_per_day > 1:
            _recheck(ctx, number)
    lower = sql_sentence("lower_value")
    full = sql_sentence("capacity", owner="p.owner_id", channel="p.channel",
                        capacity="c.capacity")
    con.execute(f"""
        INSERT INTO _act_held
        SELECT p.customer_id, p.playbook, p.kind, p.channel, p.owner_id, p.expected_value,
               CASE WHEN s.slots > 0 THEN 'capacity' ELSE 'lower_value' END,
               CASE WHEN s.slots > 0 THEN {full} ELSE {lower} END, p.reason, NULL
        FROM _act_pool p JOIN _act_slots s USING (customer_id)
        LEFT JOIN _act_room c ON c.owner_id = p.owner_id AND c.channel = p.channel""")


def _capacity(ctx: PlanContext) -> None:
    """``_act_room``: each owner's room left today on each channel with a limit, and the
    limit (``capacity``); actions already sent today take their room."""
    con, config = ctx.workspace.connection, ctx.config
    pairs = con.execute("SELECT DISTINCT owner_id, channel FROM _act_pool").fetchall()
    rows = [(o, c, config.capacity_of(o or "", c)) for o, c in pairs]
    rows = [r for r in rows if r[2] is not None]
    _register(con, "_act_room", pa.table({
        "owner_id": pa.array([r[0] for r in rows], pa.string()),
        "channel": pa.array([r[1] for r in rows], pa.string()),
        "capacity": pa.array([r[2] for r in rows], pa.int64()),
        "room": pa.array([r[2] for r in rows], pa.int64()),
    }))
    con.execute("""
        UPDATE _act_room SET room = greatest(room - n.taken, 0) FROM (
            SELECT owner_id, channel, count(*) AS taken FROM action_log
            WHERE plan_date = $d AND status IN (SELECT unnest($touched)) GROUP BY ALL) n
        WHERE _act_room.owner_id = n.owner_id AND _act_room.channel = n.channel""",
                {"d": ctx.date, "touched": list(TOUCHED)})


def _recheck(ctx: PlanContext, number: int) -> None:
    """With more than one action a day: the actions just chosen count as touches for the
    same customers' remaining proposals, which go through the policy again."""
    con, config, date = ctx.workspace.connection, ctx.config, ctx.date
    con.execute("""
        INSERT INTO _act_touches
        SELECT p.customer_id, p.channel, p.send_from, p.kind = 'transactional', p.local_day
        FROM _act_picked p WHERE p.round = $round""", {"round": number})
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _act_again AS
        SELECT * FROM _act_proposals WHERE pid IN
            (SELECT pid FROM _act_pool WHERE customer_id IN
                (SELECT customer_id FROM _act_picked WHERE round = $round))""",
                {"round": number})
    _try(con, config, date, "_act_retried", proposals="_act_again")
    _options(con, config, "_act_retried", "_act_redo")
    con.execute("DELETE FROM _act_pool WHERE pid IN (SELECT pid FROM _act_redo)")
    con.execute("ALTER TABLE _act_options RENAME TO _act_options_kept")
    con.execute("ALTER TABLE _act_redo RENAME TO _act_options")
    con.execute("CREATE OR REPLACE TEMP TABLE _act_held_kept AS SELECT * FROM _act_held")
    con.execute("CREATE OR REPLACE TEMP TABLE _act_pool_kept AS SELECT * FROM _act_pool")
    _held_from_options(con, date, config.policy.cooldown_days)
    con.execute("INSERT INTO _act_held_kept SELECT * FROM _act_held")
    con.execute("INSERT INTO _act_pool_kept SELECT * FROM _act_pool")
    con.execute("DROP TABLE _act_held")
    con.execute("ALTER TABLE _act_held_kept RENAME TO _act_held")
    con.execute("DROP TABLE _act_pool")
    con.execute("ALTER TABLE _act_pool_kept RENAME TO _act_pool")
    con.execute("DROP TABLE _act_options")
    con.execute("ALTER TABLE _act_options_kept RENAME TO _act_options")


def cleanup(con) -> None:
    for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary AND "
                               "table_name LIKE '\\_act\\_%' ESCAPE '\\'").fetchall():
        con.execute(f"DROP TABLE IF EXISTS {name}")

