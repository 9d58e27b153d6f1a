"""Early-life nurture: a new customer who has not come back, nudged at the point where the
chance of their next purchase starts to fall, rung by rung up to the purchase that makes
customers loyal.

The point is learned from the data for each rung k (a customer with k purchase days): the
weekly hazard of the (k+1)-th purchase, the share of customers still waiting at the start
of week w after their k-th purchase who make the next one in that week (weeks with fewer
than 30 customers still waiting aside). Where it peaks, the next purchase is most likely;
after it, the longer a customer waits the less likely they come back, so the nudge goes at
the end of the peak week. A rung where fewer than ``min_customers`` made the next purchase
uses ``default_days``. The hazards are counted over at most
``sample_customers`` customers, a sample drawn by a stable hash of their ids.
"""

from __future__ import annotations

import ibis
import numpy as np

from tenure.actions.playbooks._base import Playbook, proposals, sentence
from tenure.config import Setting, _check_non_negative, _check_positive

__all__ = ["NURTURE", "learned_days"]

NAME = "nurture"
FIRST = ("first purchase {days} days ago and no second yet; second purchases become rarer "
         "after day {point}")
LADDER = ("{purchases} purchases, the last {days} days ago; the next becomes less likely "
          "after day {point}, {left} more to become loyal")
WEEKS = 52
MIN_WAITING = 30


def _purchase_days(ctx, sample: int):
    orders = ctx.sample(ctx.orders(), sample)
    bought = orders.filter(orders.amount > 0)
    days = bought.select("customer_id", day=bought.ordered_at.date()).distinct()
    rung = ibis.row_number().over(group_by="customer_id", order_by="day") + 1
    after = days.day.lead().over(ibis.window(group_by="customer_id", order_by="day"))
    return days.mutate(rung=rung, next_day=after)


def learned_days(ctx, values) -> dict[int, int]:
    """The day after the k-th purchase at which the chance of the next one starts to fall,
    for each rung k below ``loyal_purchases`` (see the module docstring)."""
    loyal = values["loyal_purchases"]
    days = _purchase_days(ctx, values["sample_customers"])
    days = days.filter(days.rung < loyal)
    today = ibis.date(ctx.date)
    waited = ibis.ifelse(days.next_day.notnull(), days.next_day.delta(days.day, unit="day"),
                         today.delta(days.day, unit="day"))
    week = (waited // 7).cast("int64")
    rows = days.mutate(week=ibis.least(week, WEEKS), came=days.next_day.notnull())
    counts = rows.group_by("rung", "week").aggregate(
        ended=rows.count(), came=rows.came.sum().cast("int64")).execute()
    learned = {}
    for k in range(1, loyal):
        group = counts[counts["rung"] == k].set_index("week").reindex(range(WEEKS + 1),
                                                                       fill_value=0)
        # Waiting at the start of week w: every customer whose wait ended in week w or later.
        at_risk = group["ended"][::-1].cumsum()[::-1].to_numpy(dtype=float)
        came = group["came"].to_numpy(dtype=float)
        if came.sum() < values["min_customers"]:
            learned[k] = values["default_days"]
            continue
        # Weeks with few customers still waiting say little; they do not count.
        hazard = np.divide(came, at_risk, out=np.zeros_like(came), where=at_risk >= MIN_WAITING)
        learned[k] = int((int(np.argmax(hazard[:WEEKS])) + 1) * 7)
    return learned


def _eligible(ctx, values):
    purchases = ctx.purchases()
    if purchases is None:
        return None
    points = learned_days(ctx, values)
    ctx.notes.append("nurture: the next purchase starts to become less likely after "
                     + ", ".join(f"day {d} (rung {k})" for k, d in points.items()))
    point = ibis.cases(*[(purchases.purchase_days == k, d) for k, d in points.items()],
                       else_=None)
    waited = ctx.days_before(purchases.last_day)
    rows = purchases.mutate(point=point, waited=waited)
    window = ((rows.purchase_days < values["loyal_purchases"]) & (rows.waited >= rows.point)
              & (rows.waited < rows.point + values["grace_days"]))
    due = rows.filter(window)
    value = ctx.value()
    due = due.left_join(value.select("customer_id", "spend_per_purchase"), "customer_id").drop(
        "customer_id_right")
    reason = ibis.ifelse(
        due.purchase_days == 1,
        sentence(FIRST, days=due.waited, point=due.point),
        sentence(LADDER, purchases=due.purchase_days, days=due.waited, point=due.point,
                 left=values["loyal_purchases"] - due.purchase_days))
    return proposals(due, customer_id=due.customer_id,
                     value_at_stake=due.spend_per_purchase.fill_null(
                         due.gross / ibis.greatest(due.purchase_days, 1)),
                     reason=reason, detail=due.purchase_days.cast("string"))


NURTURE = Playbook(
    name=NAME,
    title="Early-life nurture",
    summary="A new customer has not bought again by the day the chance of their next "
            "purchase starts to fall (learned per rung), up to the purchase that makes "
            "customers loyal.",
    kind="marketing",
    channels=("wechat", "sms", "email"),
    offer="a welcome-back offer",
    prior_effect=0.05,
    outcome="purchased",
    reasons=(FIRST, LADDER),
    eligible=_eligible,
    cooldown_days=30,
    settings=(
        Setting(f"actions.playbooks.{NAME}.loyal_purchases", 5,
                "The purchase from which customers count as loyal: nudges stop there.",
                _check_positive),
        Setting(f"actions.playbooks.{NAME}.grace_days", 7,
                "Days after the learned point in which a customer is still nudged (a plan "
                "missed on the day catches up).", _check_positive),
        Setting(f"actions.playbooks.{NAME}.min_customers", 200,
                "Customers who made the next purchase that a rung needs for its point to be "
                "learned.", _check_positive),
        Setting(f"actions.playbooks.{NAME}.sample_customers", 200_000,
                "Customers whose purchases the points are learned from (a stable sample when "
                "there are more).", _check_positive),
        Setting(f"actions.playbooks.{NAME}.default_days", 30,
                "The point used for a rung with too few customers to learn from.",
                _check_non_negative),
    ),
)
