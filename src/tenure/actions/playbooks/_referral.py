"""Referral ask: satisfied customers who have already brought others: a mean satisfaction
score of ``min_csat`` or more (or, without scores, ``min_purchases`` purchases and no bad
score), and at least ``min_referrals`` customers referred (``customers.referrer_id``).

The value at stake is what a referred customer has spent in their first year, on average.
"""

from __future__ import annotations

import ibis

from tenure.actions.playbooks._base import Playbook, proposals, sentence
from tenure.config import Setting, _check_positive

__all__ = ["REFERRAL"]

NAME = "referral_ask"
RATED = "has referred customers ({referrals} so far) and rates us {csat} of 5 on average"
LOYAL = ("has referred customers ({referrals} so far) and bought on {purchases} days without "
         "a complaint")


def _eligible(ctx, values):
    customers = ctx.before("customers", ("customer_id", "referrer_id", "first_seen"))
    purchases = ctx.purchases()
    if customers is None or purchases is None:
        return None
    referred = customers.filter(customers.referrer_id.notnull())
    counts = referred.group_by(customer_id=referred.referrer_id).aggregate(
        referrals=referred.count())
    rows = purchases.join(counts.filter(counts.referrals >= values["min_referrals"]),
                          "customer_id")
    tickets = ctx.before("tickets", ("customer_id", "csat"))
    if tickets is not None:
        rated = tickets.filter(tickets.csat.notnull())
        scores = rated.group_by("customer_id").aggregate(
            csat=rated.csat.mean(), worst=rated.csat.min())
        rows = rows.left_join(scores, "customer_id").drop("customer_id_right")
    else:
        rows = rows.mutate(csat=ibis.null("float64"), worst=ibis.null("int64"))
    satisfied = ibis.ifelse(rows.csat.notnull(), rows.csat >= values["min_csat"],
                            rows.purchase_days >= values["min_purchases"])
    due = rows.filter(satisfied & (rows.worst.isnull() | (rows.worst > 2)))
    first_year = _referred_value(ctx, referred)
    reason = ibis.ifelse(due.csat.notnull(),
                         sentence(RATED, referrals=due.referrals, csat=due.csat.round(1)),
                         sentence(LOYAL, referrals=due.referrals, purchases=due.purchase_days))
    return proposals(due, customer_id=due.customer_id,
                     value_at_stake=ibis.literal(first_year, "float64"), reason=reason)


def _referred_value(ctx, referred) -> float:
    """What referred customers spent in their first 365 days, on average."""
    orders = ctx.orders()
    joined = orders.join(referred.select("customer_id", "first_seen"), "customer_id")
    first_year = joined.filter(joined.ordered_at < joined.first_seen + ibis.interval(days=365))
    spent = first_year.group_by("customer_id").aggregate(spent=first_year.amount.sum())
    mean = spent.spent.mean().execute()
    return 0.0 if mean is None or mean != mean else float(mean)


REFERRAL = Playbook(
    name=NAME,
    title="Referral ask",
    summary="Customers with high satisfaction who have already referred others are asked "
            "for another referral.",
    kind="marketing",
    channels=("wechat", "call"),
    offer="a referral reward",
    prior_effect=0.05,
    outcome="referred",
    reasons=(RATED, LOYAL),
    eligible=_eligible,
    cooldown_days=90,
    settings=(
        Setting(f"actions.playbooks.{NAME}.min_referrals", 1,
                "Customers referred already that prove the ability to bring others.",
                _check_positive),
        Setting(f"actions.playbooks.{NAME}.min_csat", 4.0,
                "Mean satisfaction score (1 to 5) from which a customer is satisfied.",
                _check_positive),
        Setting(f"actions.playbooks.{NAME}.min_purchases", 3,
                "Purchases that count as satisfaction for a customer with no scores.",
                _check_positive),
    ),
)
