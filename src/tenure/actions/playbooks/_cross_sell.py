"""Upsell and cross-sell: the next product for each customer from co-purchase associations
(support, confidence and lift, counted in the engine over customers' baskets) and their own
history.

A customer's basket is every product they bought before the plan date. For a pair of
products A and B: support(A, B) is the share of customers who bought both, confidence(A ->
B) = support(A, B) / support(A), and lift = confidence(A -> B) / support(B), how many times
more often buyers of A buy B than customers at large (Agrawal, Imielinski & Swami 1993).
Each customer who bought within ``recent_days`` is offered the product B they have not
bought with the highest confidence from a product A they have, among the rules above the
thresholds (the ``rules_per_product`` most confident from each A). The rules are counted
over the baskets of at most ``sample_customers`` customers, a sample drawn by a stable hash
of their ids.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tenure.actions._context import customer_hash
from tenure.actions.playbooks._base import Playbook, percent, proposals, sentence
from tenure.config import Setting, _check_fraction, _check_positive, _check_positive_number

__all__ = ["CROSS_SELL", "associations"]

NAME = "cross_sell"
REASON = ("{confidence} of the customers who bought {antecedent} also bought {product}, "
          "{lift} times the usual rate")


def associations(baskets: ir.Table, *, min_customers: int, min_confidence: float,
                 min_lift: float) -> ir.Table:
    """The rules A -> B over ``baskets`` (customer_id, sku; one row per product a customer
    bought): antecedent, consequent, customers (who bought both), support, confidence and
    lift, for pairs bought together by at least ``min_customers`` customers."""
    keyed = baskets.select(key=customer_hash(baskets.customer_id), sku=baskets.sku)
    total = keyed.key.nunique().as_scalar()
    single = keyed.group_by("sku").aggregate(buyers=keyed.count())
    left, right = keyed.view(), keyed.view()
    pairs = left.join(right, (left.key == right.key) & (left.sku != right.sku))
    pairs = pairs.select(antecedent=left.sku, consequent=right.sku)
    counted = pairs.group_by("antecedent", "consequent").aggregate(customers=pairs.count())
    counted = counted.filter(counted.customers >= min_customers)
    a = single.rename(antecedent="sku", antecedent_buyers="buyers")
    b = single.rename(consequent="sku", consequent_buyers="buyers")
    rules = counted.join(a, "antecedent").join(b, "consequent")
    confidence = rules.customers / rules.antecedent_buyers.cast("float64")
    rules = rules.select(
        "antecedent", "consequent", "customers",
        support=rules.customers / total.cast("float64"), confidence=confidence,
        lift=confidence / (rules.consequent_buyers / total.cast("float64")))
    return rules.filter((rules.confidence >= min_confidence) & (rules.lift >= min_lift))


def _eligible(ctx, values):
    owned = ctx.owned()
    purchases = ctx.purchases()
    if owned is None or purchases is None:
        return None
    ids = ctx.tables.keep(ctx.prices().select(
        "sku", id=ibis.row_number().over(order_by="sku").cast("int32")))

    def baskets(customers: ir.Table) -> ir.Table:
        mine = owned.semi_join(customers.select("customer_id"), "customer_id")
        return mine.join(ids, "sku").select("customer_id", key=customer_hash(mine.customer_id),
                                            sku=ids.id)

    # The rules from a sample of customers: shares of a few hundred thousand baskets are as
    # good as of millions, at a fraction of the pairs to count.
    rules = associations(baskets(ctx.sample(purchases, values["sample_customers"])),
                         min_customers=values["min_customers"],
                         min_confidence=values["min_confidence"], min_lift=values["min_lift"])
    # The strongest rules from each product: a customer's candidates are a few per product
    # they own, not every product in the catalogue.
    strongest = ibis.row_number().over(group_by="antecedent",
                                       order_by=[ibis.desc("confidence"), "consequent"])
    rules = rules.mutate(rank=strongest)
    rules = ctx.tables.keep(rules.filter(rules.rank < values["rules_per_product"]))
    recent = purchases.filter(ctx.days_before(purchases.last_day) <= values["recent_days"])
    mine = ctx.tables.keep(baskets(recent))
    candidates = mine.join(rules, mine.sku == rules.antecedent).select(
        "customer_id", "key", "antecedent", "consequent", "confidence", "lift")
    have = mine.select("key", consequent="sku")
    fresh = candidates.anti_join(have, ["key", "consequent"])
    score = fresh.confidence * 1_000_000 + fresh.lift
    best = fresh.group_by("key").aggregate(
        customer_id=fresh.customer_id.arbitrary(),
        consequent=fresh.consequent.argmax(score), antecedent=fresh.antecedent.argmax(score),
        confidence=fresh.confidence.max(), lift=fresh.lift.argmax(score))
    # Back from ids to products.
    names = ctx.products(("name",)).select("sku", "name")
    catalogue = ids.left_join(names, "sku").drop("sku_right").left_join(
        ctx.prices(), "sku").drop("sku_right")
    b = catalogue.select(consequent="id", product_sku="sku",
                         product=catalogue.name.fill_null(catalogue.sku),
                         price=catalogue.price)
    a = catalogue.select(antecedent="id", antecedent_name=catalogue.name.fill_null(
        catalogue.sku))
    best = best.join(b, "consequent").join(a, "antecedent")
    reason = sentence(REASON, confidence=percent(best.confidence),
                      antecedent=best.antecedent_name, product=best.product,
                      lift=best.lift.round(1))
    return proposals(best, customer_id=best.customer_id,
                     value_at_stake=best.price.fill_null(0.0), reason=reason,
                     offer=best.product, detail=best.product_sku)


CROSS_SELL = Playbook(
    name=NAME,
    title="Upsell and cross-sell",
    summary="The next product for a recent buyer, from co-purchase associations (support, "
            "confidence, lift) and the customer's own history.",
    kind="marketing",
    channels=("wechat", "email", "sms"),
    offer="a recommended product",
    prior_effect=0.03,
    outcome="purchased",
    reasons=(REASON,),
    eligible=_eligible,
    cooldown_days=30,
    settings=(
        Setting(f"actions.playbooks.{NAME}.min_customers", 20,
                "Customers who bought both products that a rule needs.", _check_positive),
        Setting(f"actions.playbooks.{NAME}.min_confidence", 0.05,
                "Share of the buyers of A who bought B that a rule needs.", _check_fraction),
        Setting(f"actions.playbooks.{NAME}.recent_days", 30,
                "Only customers who bought within this many days are offered a next product.",
                _check_positive),
        Setting(f"actions.playbooks.{NAME}.sample_customers", 200_000,
                "Customers whose baskets the rules are counted on (a stable sample when "
                "there are more).", _check_positive),
        Setting(f"actions.playbooks.{NAME}.rules_per_product", 5,
                "Rules kept from each product, the most confident first.", _check_positive),
        Setting(f"actions.playbooks.{NAME}.min_lift", 1.2,
                "How many times the usual rate buyers of A buy B for a rule to count.",
                _check_positive_number),
    ),
)
