"""Hand-over introduction: when a customer's owner changes, the new owner introduces
themselves within ``intro_days``, the most valuable customers first (the planner ranks by
value); a customer whose assignments have all ended is flagged to ``unassigned_owner``.

Only customers who bought within ``active_days`` are considered.
"""

from __future__ import annotations

import ibis

from tenure.actions.playbooks._base import Playbook, proposals, sentence
from tenure.config import Setting, _check_positive

__all__ = ["HANDOVER"]

NAME = "handover_intro"
NEW = "{owner} took over from {previous} on {since}"
ORPHAN = "has had no owner since {ended} (last: {previous})"


def _eligible(ctx, values):
    owners = ctx.before("owners", ("customer_id", "owner_id", "from_at", "to_at"))
    purchases = ctx.purchases()
    if owners is None or purchases is None:
        return None
    active = purchases.filter(ctx.days_before(purchases.last_day) <= values["active_days"])
    active = active.select("customer_id")
    order = ibis.window(group_by="customer_id", order_by="from_at")
    owners = owners.mutate(previous=owners.owner_id.lag().over(order))
    newest = ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("from_at"))
    owners = owners.mutate(rank=newest)
    latest = owners.filter(owners.rank == 0)
    since = ctx.cutoff - ibis.interval(days=values["intro_days"])
    changed = latest.filter(latest.to_at.isnull() & latest.previous.notnull()
                            & (latest.previous != latest.owner_id) & (latest.from_at >= since))
    changed = changed.join(active, "customer_id")
    new = changed.select("customer_id", owner=changed.owner_id, detail=changed.previous,
                         reason=sentence(NEW, owner=changed.owner_id, previous=changed.previous,
                                         since=changed.from_at.date()))
    # No assignment in force: the latest one has ended.
    ended = latest.filter(latest.to_at.notnull()).join(active, "customer_id")
    orphans = ended.select("customer_id", owner=ibis.literal(values["unassigned_owner"]),
                           detail=ended.owner_id,
                           reason=sentence(ORPHAN, ended=ended.to_at.date(),
                                           previous=ended.owner_id))
    union = ibis.union(new, orphans)
    value = ctx.value().select("customer_id", "clv")
    union = union.left_join(value, "customer_id").drop("customer_id_right")
    return proposals(union, customer_id=union.customer_id,
                     value_at_stake=union.clv.fill_null(0.0), reason=union.reason,
                     owner_id=union.owner, detail=union.detail)


HANDOVER = Playbook(
    name=NAME,
    title="Hand-over introduction",
    summary="When a customer's owner changes, the new owner introduces themselves, most "
            "valuable customers first; customers left with no owner are flagged.",
    kind="marketing",
    channels=("call", "wechat"),
    offer="an introduction from your new owner",
    prior_effect=0.04,
    outcome="retained",
    reasons=(NEW, ORPHAN),
    eligible=_eligible,
    cooldown_days=30,
    settings=(
        Setting(f"actions.playbooks.{NAME}.intro_days", 14,
                "Days after the change within which the new owner introduces themselves.",
                _check_positive),
        Setting(f"actions.playbooks.{NAME}.active_days", 365,
                "Only customers who bought within this many days.", _check_positive),
        Setting(f"actions.playbooks.{NAME}.unassigned_owner", "unassigned",
                "Who gets the customers left with no owner."),
    ),
)
