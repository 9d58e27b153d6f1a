"""Repurchase with trade-in: a product reaches the end of its lifespan; the customer is
offered its successor with the product's trade-in value."""

from __future__ import annotations

import ibis

from tenure.actions.playbooks._base import Playbook, add_days, money, proposals, sentence
from tenure.actions.playbooks._products import latest_purchases, one_per_customer, product_name
from tenure.config import Setting, _check_non_negative

__all__ = ["TRADE_IN"]

NAME = "trade_in"
REASON = "{product} bought on {bought} reaches the end of its {lifespan}-day life on {end}"
OFFER = "trade in {product} for {value} off {successor}"


def _eligible(ctx, values):
    owned = latest_purchases(ctx, ("lifespan_days", "successor_sku", "trade_in_value"))
    if owned is None:
        return None
    # Replaced already: another product of the same category bought since.
    owned = owned.mutate(group=owned.category.fill_null(owned.sku))
    newest = owned.group_by("customer_id", "group").aggregate(last_day=owned.last_day.max())
    owned = owned.semi_join(newest, ["customer_id", "group", "last_day"])
    owned = owned.mutate(end=add_days(owned.last_day, owned.lifespan_days))
    today = ibis.date(ctx.date)
    window = ((add_days(owned.end, -values["lead_days"]) <= today)
              & (add_days(owned.end, values["late_days"]) >= today))
    ending = one_per_customer(owned.filter(window), owned.end.asc(), owned.sku.asc())
    # What the successor sells for, else what this one does.
    prices = ctx.prices()
    products = ctx.products(("name",))
    successors = products.select(successor_sku="sku", successor_name=products.name)
    ending = ending.left_join(successors, "successor_sku").drop("successor_sku_right")
    ending = ending.left_join(prices.rename(successor_sku="sku", successor_price="price"),
                              "successor_sku").drop("successor_sku_right")
    ending = ending.left_join(prices.rename(own_price="price"), "sku").drop("sku_right")
    successor = ending.successor_name.fill_null(ending.successor_sku).fill_null(
        ibis.literal("its replacement"))
    offer = sentence(OFFER, product=product_name(ending),
                     value=money(ending.trade_in_value.fill_null(0.0)), successor=successor)
    stake = ending.successor_price.fill_null(ending.own_price).fill_null(ending.spent)
    reason = sentence(REASON, product=product_name(ending), bought=ending.last_day,
                      lifespan=ending.lifespan_days, end=ending.end)
    return proposals(ending, customer_id=ending.customer_id, value_at_stake=stake,
                     reason=reason, offer=offer, detail=ending.sku)


TRADE_IN = Playbook(
    name=NAME,
    title="Repurchase with trade-in",
    summary="A product reaches the end of its lifespan: offer its successor with the "
            "product's trade-in value.",
    kind="marketing",
    channels=("call", "wechat"),
    offer="the successor with a trade-in",
    prior_effect=0.04,
    outcome="purchased",
    reasons=(REASON, OFFER),
    eligible=_eligible,
    cooldown_days=60,
    settings=(
        Setting(f"actions.playbooks.{NAME}.lead_days", 30,
                "Days before the end of the product's life the offer may go.",
                _check_non_negative),
        Setting(f"actions.playbooks.{NAME}.late_days", 180,
                "Days after the end of its life after which the playbook stops offering.",
                _check_non_negative),
    ),
)
