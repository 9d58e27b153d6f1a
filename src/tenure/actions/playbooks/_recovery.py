"""Service recovery: within a day of an SLA breach or of a satisfaction score of 1 or 2, the
customer's owner reaches out (one bad experience loses about a third of customers). The
breaches are the clocks of the ``[sla]`` section as of the plan date; the scores are those
of tickets resolved in the day before it. Open tickets do not hold this playbook back: it
is the answer to them.
"""

from __future__ import annotations

import ibis

from tenure.actions.playbooks._base import Playbook, proposals, sentence
from tenure.actions.playbooks._products import one_per_customer
from tenure.config import Setting, _check_positive

__all__ = ["RECOVERY"]

NAME = "service_recovery"
BREACH = "ticket {ticket} missed its {metric} target at {when}"
SCORE = "rated ticket {ticket} {csat} of 5 at {when}"


def _eligible(ctx, values):
    since = ctx.cutoff - ibis.interval(hours=values["within_hours"])
    parts = []
    breaches = _breaches(ctx)
    if breaches is not None:
        recent = breaches.filter(breaches.breached_at >= since)
        parts.append(recent.select(
            "customer_id", when=recent.breached_at, priority=ibis.literal(0),
            reason=sentence(BREACH, ticket=recent.ticket_id,
                            metric=recent.metric.re_replace("_", " "),
                            when=recent.breached_at)))
    tickets = ctx.before("tickets", ("customer_id", "ticket_id", "resolved_at", "csat"))
    if tickets is not None:
        unhappy = tickets.filter(tickets.csat.notnull() & (tickets.csat <= values["max_csat"])
                                 & (tickets.resolved_at >= since))
        parts.append(unhappy.select(
            "customer_id", when=unhappy.resolved_at, priority=ibis.literal(1),
            reason=sentence(SCORE, ticket=unhappy.ticket_id, csat=unhappy.csat,
                            when=unhappy.resolved_at)))
    if not parts:
        return None
    union = ibis.union(*parts)
    chosen = one_per_customer(union, union.priority, ibis.desc(union.when))
    value = ctx.value()
    chosen = chosen.left_join(value.select("customer_id", "clv"), "customer_id").drop(
        "customer_id_right")
    return proposals(chosen, customer_id=chosen.customer_id,
                     value_at_stake=chosen.clv.fill_null(0.0), reason=chosen.reason)


def _breaches(ctx):
    """Every SLA clock that breached, as evaluated at the plan date: customer_id,
    ticket_id, metric, breached_at; None without an [sla] section or tickets."""
    workspace = ctx.workspace
    if not workspace.config.section("sla") or ctx.tables.rows("tickets") == 0:
        return None
    from tenure.sla import evaluate
    from tenure.sla._evaluate import SCRATCH_TABLE

    evaluate(workspace, ctx.date.isoformat(), store=False)
    clocks = workspace.ibis.table(SCRATCH_TABLE)
    breached = clocks.filter(clocks.breached & clocks.breached_at.notnull())
    return ctx.tables.keep(breached.select(
        "customer_id", "ticket_id", "metric",
        breached_at=breached.breached_at.cast("timestamp")))


RECOVERY = Playbook(
    name=NAME,
    title="Service recovery",
    summary="Within a day of an SLA breach or a satisfaction score of 1-2, the owner "
            "reaches out.",
    kind="transactional",
    channels=("call", "wechat", "sms"),
    offer="an apology and a fix",
    prior_effect=0.10,
    outcome="retained",
    reasons=(BREACH, SCORE),
    eligible=_eligible,
    cooldown_days=7,
    ignores_open_tickets=True,
    settings=(
        Setting(f"actions.playbooks.{NAME}.within_hours", 24,
                "Hours after a breach or a bad score in which recovery is due.",
                _check_positive),
        Setting(f"actions.playbooks.{NAME}.max_csat", 2,
                "Satisfaction scores up to this one count as a bad experience.",
                _check_positive),
    ),
)
