"""Win-back: churned customers with potential value left, with the offer following the
churn reason recorded for them (``churn_reasons``): the fix or the new product for a
reason on the product's side, a re-introduction for one on the customer's side, an apology
from the owner for a service failure.

A customer has churned when their last purchase is older than ``churned_days`` (0: the
churn model's horizon from the scores, else a year); the potential is what they spent a
year while they bought.
"""

from __future__ import annotations

import ibis

from tenure.actions.playbooks._base import Playbook, money, proposals, sentence
from tenure.config import Setting, _check_non_negative, _check_positive

__all__ = ["WIN_BACK"]

NAME = "win_back"
REASON = "last bought {days} days ago after spending {value} a year; reason recorded: {code}"
SERVICE_CODES = ("service",)


def _eligible(ctx, values):
    purchases = ctx.purchases()
    if purchases is None:
        return None
    gone_after = values["churned_days"] or _horizon(ctx) or 365
    waited = ctx.days_before(purchases.last_day)
    active_years = ibis.greatest(purchases.last_day.delta(purchases.first_day, unit="day")
                                 .cast("float64") / 365.0, 1.0)
    rows = purchases.mutate(waited=waited, potential=purchases.gross / active_years)
    gone = rows.filter((rows.waited > gone_after) & (rows.waited <= values["max_days"])
                       & (rows.potential >= values["min_value"]))
    gone = _with_reason(ctx, gone)
    side = gone.side
    offer = ibis.cases(
        (side == "service", values["offer_service"]),
        (side == "product", values["offer_product"]),
        (side == "customer", values["offer_customer"]),
        else_=ibis.null("string"))
    reason = sentence(REASON, days=gone.waited, value=money(gone.potential),
                      code=gone.code.fill_null("none"))
    return proposals(gone, customer_id=gone.customer_id, value_at_stake=gone.potential,
                     reason=reason, offer=offer, detail=gone.code)


def _horizon(ctx) -> int | None:
    found = ctx.workspace.connection.execute(
        "SELECT max(churn_horizon_days) FROM scores WHERE as_of <= $d AND churn_risk IS NOT "
        "NULL", {"d": ctx.date}).fetchall()[0][0]
    return None if found is None else int(found)


def _with_reason(ctx, gone):
    """``gone`` with the latest churn reason recorded before the date (code, and the side:
    service, product or customer; the configured lists decide where none was recorded)."""
    reasons = ctx.before("churn_reasons", ("customer_id", "at", "code", "side"))
    if reasons is None:
        return gone.mutate(code=ibis.null("string"), side=ibis.null("string"))
    latest = ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("at"))
    reasons = reasons.mutate(rank=latest)
    reasons = reasons.filter(reasons.rank == 0)
    config = ctx.workspace.config
    customer_side = config["churn_reasons.customer_side"]
    product_side = config["churn_reasons.product_side"]
    code = reasons.code
    side = ibis.cases(
        (code.isin(SERVICE_CODES), "service"),
        (reasons.side.notnull(), reasons.side),
        (code.isin(customer_side), "customer"),
        (code.isin(product_side), "product"),
        else_=ibis.null("string"))
    reasons = reasons.select("customer_id", "code", side=side)
    return gone.left_join(reasons, "customer_id").drop("customer_id_right")


WIN_BACK = Playbook(
    name=NAME,
    title="Win-back",
    summary="Churned customers with potential value left; the offer follows the churn reason "
            "recorded for them.",
    kind="marketing",
    channels=("wechat", "sms", "email"),
    offer="a we-miss-you offer",
    prior_effect=0.03,
    outcome="purchased",
    reasons=(REASON,),
    eligible=_eligible,
    cooldown_days=90,
    settings=(
        Setting(f"actions.playbooks.{NAME}.churned_days", 0,
                "Days without a purchase after which a customer has churned; 0 uses the "
                "churn model's horizon (a year without churn scores).", _check_non_negative),
        Setting(f"actions.playbooks.{NAME}.max_days", 730,
                "Days without a purchase after which win-back is no longer tried.",
                _check_positive),
        Setting(f"actions.playbooks.{NAME}.min_value", 100.0,
                "Yearly spend while active from which a churned customer is worth winning "
                "back.", _check_non_negative),
        Setting(f"actions.playbooks.{NAME}.offer_product", "the fix, or our new model",
                "The offer for a customer who left for a reason on the product's side."),
        Setting(f"actions.playbooks.{NAME}.offer_customer", "a re-introduction",
                "The offer for a customer who left for a reason on their own side."),
        Setting(f"actions.playbooks.{NAME}.offer_service", "an apology from your owner",
                "The offer for a customer who left after a service failure."),
    ),
)
