"""Membership upgrade: customers for whom a higher tier pays for itself on their expected
next-year spend (the value model's forecast, not last year's): the extra reward on that
spend exceeds the difference in fees. Super users (the top ``rfm.super_user_share`` by
value) not yet in the top tier are invited to it whatever the sums say.

Tiers are declared under ``tiers``, each with its yearly fee and the reward it pays as a
share of spend::

    [actions.playbooks.membership_upgrade.tiers]
    silver = { fee = 99, reward = 0.01 }
    gold = { fee = 299, reward = 0.03 }

A customer's tier is their membership in force at the plan date (``memberships``), and
none without one.
"""

from __future__ import annotations

from typing import Any

import ibis

from tenure.actions.playbooks._base import Playbook, money, percent, proposals, sentence
from tenure.actions.playbooks._products import one_per_customer
from tenure.config import Setting, _check_non_negative
from tenure.errors import ConfigError

__all__ = ["MEMBERSHIP"]

NAME = "membership_upgrade"
PAYS = ("{tier} pays for itself: {reward} more back on an expected {spend} of spending next "
        "year against {fee} more in fees")
SUPER = "among the top {share} of customers by value and not yet on {tier}"


def _check_tiers(value: Any) -> None:
    for name, tier in value.items():
        if not isinstance(tier, dict) or set(tier) - {"fee", "reward"} or "fee" not in tier:
            raise ConfigError(f"tier '{name}' should be a table such as "
                              "{ fee = 299, reward = 0.03 }")
        fee, reward = tier["fee"], tier.get("reward", 0.0)
        for what, number, top in (("fee", fee, None), ("reward", reward, 1.0)):
            if (isinstance(number, bool) or not isinstance(number, int | float) or number < 0
                    or (top is not None and number > top)):
                allowed = "a share between 0 and 1" if top else "an amount of at least 0"
                raise ConfigError(f"tier '{name}' has {what} = {number!r}; it should be "
                                  f"{allowed}")


def _eligible(ctx, values):
    tiers = sorted(values["tiers"].items(), key=lambda item: item[1]["fee"])
    value = ctx.value()
    if not tiers or value is None:
        if not tiers:
            ctx.notes.append("membership_upgrade: no tiers are declared under "
                             "[actions.playbooks.membership_upgrade.tiers]")
        return None
    ladder = ibis.memtable({
        "tier": [name for name, _ in tiers],
        "fee": [float(t["fee"]) for _, t in tiers],
        "reward": [float(t.get("reward", 0.0)) for _, t in tiers],
        "step": list(range(len(tiers)))})
    current = _current_tiers(ctx, ladder)
    rows = value.left_join(current, "customer_id").drop("customer_id_right")
    rows = rows.mutate(step=rows.step.fill_null(-1), fee_now=rows.fee_now.fill_null(0.0),
                       reward_now=rows.reward_now.fill_null(0.0))
    top_share = ctx.workspace.config["rfm.super_user_share"]
    rank = ibis.percent_rank().over(order_by=ibis.desc(rows.clv.fill_null(0.0)))
    rows = rows.mutate(super_user=rank < top_share)
    options = rows.cross_join(ladder.rename(step_up="step", fee_up="fee", reward_up="reward",
                                            tier_up="tier"))
    options = options.filter(options.step_up > options.step)
    spend = options.next_year_spend.fill_null(0.0)
    extra_reward = spend * (options.reward_up - options.reward_now)
    extra_fee = options.fee_up - options.fee_now
    top = len(tiers) - 1
    options = options.mutate(extra_reward=extra_reward, extra_fee=extra_fee,
                             benefit=extra_reward - extra_fee,
                             invite=options.super_user & (options.step_up == top))
    worth = options.filter((options.benefit > values["min_benefit"]) | options.invite)
    best = one_per_customer(worth, ibis.desc(worth.benefit), worth.step_up)
    pays = best.benefit > values["min_benefit"]
    reason = ibis.ifelse(
        pays,
        sentence(PAYS, tier=best.tier_up, reward=money(best.extra_reward),
                 spend=money(best.next_year_spend), fee=money(best.extra_fee)),
        sentence(SUPER, share=percent(ibis.literal(top_share)), tier=best.tier_up))
    return proposals(best, customer_id=best.customer_id, value_at_stake=best.extra_fee,
                     reason=reason, offer=best.tier_up, detail=best.tier_up)


def _current_tiers(ctx, ladder):
    """customer_id, step, fee_now and reward_now of the membership in force at the date."""
    members = ctx.before("memberships", ("customer_id", "tier", "fee", "started_at",
                                         "ended_at"))
    if members is None:
        return ladder.filter(ibis.literal(False)).select(
            customer_id=ibis.null("string"), step=ladder.step, fee_now=ladder.fee,
            reward_now=ladder.reward)
    live = members.filter(members.ended_at.isnull())
    latest = ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("started_at"))
    live = live.mutate(rank=latest)
    live = live.filter(live.rank == 0)
    known = live.join(ladder, live.tier.lower() == ladder.tier.lower())
    return known.select(live.customer_id, step=ladder.step,
                        fee_now=live.fee.fill_null(ladder.fee), reward_now=ladder.reward)


MEMBERSHIP = Playbook(
    name=NAME,
    title="Membership upgrade",
    summary="A higher tier pays for itself on the customer's expected next-year spend (the "
            "value model's forecast); super users are invited to the top tier.",
    kind="marketing",
    channels=("wechat", "call", "email"),
    offer="an upgrade",
    prior_effect=0.05,
    outcome="renewed",
    reasons=(PAYS, SUPER),
    eligible=_eligible,
    cooldown_days=90,
    settings=(
        Setting(f"actions.playbooks.{NAME}.tiers", {},
                "The tiers, each with its yearly fee and its reward as a share of spend: "
                "{ gold = { fee = 299, reward = 0.03 } }.", _check_tiers),
        Setting(f"actions.playbooks.{NAME}.min_benefit", 0.0,
                "How much the customer must gain a year (extra reward minus extra fee) "
                "for the upgrade to be proposed.", _check_non_negative),
    ),
)
