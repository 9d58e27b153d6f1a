"""The contact policy, as one query over every proposal and channel: consent, quiet hours,
working days, open tickets, cool-down, repeat intervals, frequency caps and monthly quotas.

Each proposal is tried on each of its playbook's channels in order of preference; the first
channel that passes every rule is the one used. A proposal no channel passes is held back
with the reason of its preferred channel: the first rule it breaks, in the order of
:data:`CHECKS`, as a code and a sentence.

What counts as a touch (the history the caps, the cool-down and the quotas read): the
``contacts`` table (touches sent by other systems; rows whose campaign starts with
``tenure:`` are tenure's own and are counted from the log instead) and every action of the
action log that was not withdrawn, held-out ones included: a customer held out as a
control goes through the same rules as one contacted, so the two groups stay alike.
Marketing caps count every touch; transactional caps count transactional touches.
"""

from __future__ import annotations

import re

from tenure._sql import Params

__all__ = ["CHECKS", "REASONS", "candidates_sql", "sql_sentence"]

# The rules in the order they are tried, each with its sentence (English; the Chinese is
# in tenure/i18n/zh/actions.toml). {name} stands for a part that varies.
REASONS: dict[str, str] = {
    "do_not_contact": "asked not to be contacted at all, on {since}",
    "not_consented": "has not opted in to {channel}",
    "opted_out": "opted out of {channel} on {since}",
    "quiet_hours": "no time within {channel} hours on {date} falls outside the quiet hours "
                   "in {zone}",
    "non_working_day": "{date} is not a working day, and {channel} needs a person",
    "open_ticket": "ticket {ticket} has been open since {since}",
    "cooling_down": "was last contacted at {last}, within the {days}-day cool-down",
    "repeated": "this playbook acted on {last}, within its {days}-day repeat interval",
    "capped": "{count} touches already reach the cap of {cap}",
    "quota": "{count} {channel} messages this month reach the monthly quota of {quota}",
    "no_value": "expected incremental value {value} does not cover its cost",
    "lower_value": "a higher-value action was chosen for this customer today",
    "capacity": "{owner} has no {channel} capacity left today ({capacity} actions)",
}
CHECKS = ("do_not_contact", "not_consented", "quiet_hours", "non_working_day", "open_ticket",
          "cooling_down", "repeated", "capped", "quota")
_FIELD = re.compile(r"\{(\w+)\}")


def sql_sentence(code: str, **parts: str) -> str:
    """The sentence of ``code`` as a SQL expression: each ``{name}`` replaced by the SQL
    text ``parts[name]`` cast to text."""
    template = REASONS[code]
    pieces, last = [], 0
    for match in _FIELD.finditer(template):
        pieces.append("'" + template[last:match.start()].replace("'", "''") + "'")
        pieces.append(f"coalesce(CAST({parts[match.group(1)]} AS VARCHAR), '')")
        last = match.end()
    pieces.append("'" + template[last:].replace("'", "''") + "'")
    return "(" + " || ".join(p for p in pieces if p != "''") + ")"


def _cap_columns(caps, prefix: str, transactional_only: bool, p: Params) -> tuple[list, list]:
    """The count of touches inside each cap's window, as aggregate SQL, and the test of
    each count against its cap."""
    counts, tests = [], []
    for i, cap in enumerate(caps):
        name = f"{prefix}{i}"
        where = []
        if cap.window == "rolling":
            where.append(f"t.touched_at > k.send_from "
                         f"- INTERVAL (CAST({p(cap.days)} AS INTEGER)) DAY")
        else:
            where.append(f"t.local_day > k.local_day - CAST({p(cap.days)} AS INTEGER)")
        if cap.channel is not None:
            where.append(f"t.channel = {p(cap.channel)}")
        if transactional_only:
            where.append("t.transactional")
        counts.append(f"count(t.touched_at) FILTER (WHERE {' AND '.join(where)}) AS {name}")
        tests.append((name, cap, p(cap.touches), p(cap.text)))
    return counts, tests


def candidates_sql(config, p: Params) -> str:
    """The query that tries every proposal on every channel (see the module docstring).

    It reads the temporary tables the planner prepares (``_act_proposals``,
    ``_act_channels``, ``_act_windows``, ``_act_customers``, ``_act_consent``,
    ``_act_touches``, ``_act_repeats``) and gives one row per proposal (by its ``pid``) and
    channel with the first rule it breaks (``fail``, None when it passes) and the parts of
    its sentence; the proposal's other columns stay behind, so the rows the rules go over
    are narrow.
    """
    policy = config.policy
    marketing_counts, marketing_tests = _cap_columns(policy.caps, "m", False, p)
    transactional_counts, transactional_tests = _cap_columns(
        policy.transactional_caps, "x", True, p)
    counts = ",\n               ".join([
        "max(t.touched_at) AS last_touch",
        "count(t.touched_at) FILTER (WHERE t.channel = k.channel "
        "AND date_trunc('month', t.local_day) = date_trunc('month', k.local_day)) AS month_count",
        *marketing_counts, *transactional_counts])
    hit_count, hit_text = [], []
    for kind, tests in (("marketing", marketing_tests), ("transactional", transactional_tests)):
        for name, _cap, touches, text in tests:
            test = f"c.kind = '{kind}' AND h.{name} >= {touches}"
            hit_count.append(f"WHEN {test} THEN h.{name}")
            hit_text.append(f"WHEN {test} THEN {text}")
    cap_count = f"CASE {' '.join(hit_count)} END" if hit_count else "NULL::BIGINT"
    cap_text = f"CASE {' '.join(hit_text)} END" if hit_text else "NULL::VARCHAR"
    cooldown = p(policy.cooldown_days)
    suppress = "true" if policy.suppress_open_tickets else "false"
    transactional_opt_in = "true" if policy.transactional_opt_in else "false"
    fail = f"""
        CASE
          WHEN c.dnc_opted_in = false THEN 'do_not_contact'
          WHEN c.opted_in = false THEN 'opted_out'
          WHEN c.requires_opt_in AND coalesce(c.opted_in, false) = false
               AND (c.kind = 'marketing' OR {transactional_opt_in}) THEN 'not_consented'
          WHEN c.send_from IS NULL THEN c.window_why
          WHEN {suppress} AND c.open_ticket IS NOT NULL AND NOT c.ignores_open_tickets
               THEN 'open_ticket'
          WHEN c.kind = 'marketing' AND c.last_touch
               > c.send_from - INTERVAL (CAST({cooldown} AS INTEGER)) DAY THEN 'cooling_down'
          WHEN c.last_same IS NOT NULL
               AND c.last_same > $plan_date - CAST(c.cooldown_days AS INTEGER) THEN 'repeated'
          WHEN c.cap_text IS NOT NULL THEN 'capped'
          WHEN c.monthly_quota IS NOT NULL AND c.month_count >= c.monthly_quota THEN 'quota'
        END"""
    return f"""
    WITH cand AS (
        SELECT pr.pid, pr.customer_id, pr.playbook, pr.kind, pr.cooldown_days,
               pr.ignores_open_tickets, ch.channel, ch.rank, ch.requires_opt_in, ch.staffed,
               ch.channel_cost, cu.zone, cu.zone_name, cu.current_owner, cu.open_ticket,
               cu.open_since, cu.global_draw,
               CASE WHEN ch.monthly_quota = -1 THEN day(last_day(w.local_day))
                    WHEN ch.monthly_quota > 0 THEN ch.monthly_quota END AS monthly_quota,
               w.send_from, w.send_until, w.local_day, w.why AS window_why,
               co.opted_in, co.changed_at AS consent_at, dnc.opted_in AS dnc_opted_in,
               dnc.changed_at AS dnc_at, r.last_same
        FROM _act_proposals pr
        JOIN _act_channels ch USING (playbook)
        JOIN _act_customers cu USING (customer_id)
        JOIN _act_windows w ON w.zone IS NOT DISTINCT FROM cu.zone AND w.channel = ch.channel
        LEFT JOIN _act_consent co ON co.customer_id = pr.customer_id
                                 AND co.channel = ch.channel
        LEFT JOIN _act_consent dnc ON dnc.customer_id = pr.customer_id
                                  AND dnc.channel = 'all'
        LEFT JOIN _act_repeats r ON r.customer_id = pr.customer_id
                                AND r.playbook = pr.playbook
    ),
    keys AS (
        SELECT DISTINCT customer_id, channel, send_from, local_day FROM cand
        WHERE send_from IS NOT NULL
    ),
    history AS (
        SELECT k.customer_id, k.channel, k.send_from,
               {counts}
        FROM keys k LEFT JOIN _act_touches t ON t.customer_id = k.customer_id
        GROUP BY ALL
    )
    SELECT c.*, {fail} AS fail FROM (
        SELECT c.*, h.last_touch, coalesce(h.month_count, 0) AS month_count,
               {cap_count} AS cap_count, {cap_text} AS cap_text
        FROM cand c
        LEFT JOIN history h ON h.customer_id = c.customer_id AND h.channel = c.channel
                           AND h.send_from = c.send_from
    ) c
    """
