"""Product features: category breadth, products owned, service due, supplies run out."""

from __future__ import annotations

import ibis

from tenure.churn._features import Feature, FeatureContext, FeatureGroup

__all__ = ["PRODUCTS"]

FEATURES = (
    Feature("categories_bought", "product categories bought, ever",
            "{categories_bought:.0f} product categories bought", fill=0),
    Feature("products_owned", "durable products owned (those with a lifespan or a service "
            "interval)", "{products_owned:.0f} durable products owned", fill=0),
    Feature("services_due", "owned products past their first service interval",
            "{services_due:.0f} products due for service", fill=0),
    Feature("supplies_run_out", "consumable categories whose last purchase has run out",
            "{supplies_run_out:.0f} consumables run out", fill=0),
    Feature("days_since_supplies_ran_out",
            "days since the consumable bought last would have run out (0 while it lasts)",
            "supplies ran out {days_since_supplies_ran_out:.0f} days ago",
            fallback="no consumables bought"),
)


def _build(ctx: FeatureContext) -> ibis.Table:
    orders = ctx.before("orders")
    lines = ctx.workspace.table("order_lines")
    products = ctx.workspace.table("products")
    lines = lines.join(orders.select("order_id", "customer_id", "ordered_at"), "order_id")
    lines = lines.left_join(products, lines.sku == products.sku).select(
        lines.customer_id, lines.sku, day=lines.ordered_at.date(),
        quantity=lines.quantity.fill_null(1),
        category=products.category.fill_null(lines.sku),
        durable=products.lifespan_days.notnull() | products.maintenance_interval_days.notnull(),
        service_days=products.maintenance_interval_days,
        life_days=products.consumable_life_days,
    )

    # A product is owned while more units were bought than returned.
    held = lines.group_by("customer_id", "sku").aggregate(
        units=lines.quantity.sum(), first_day=lines.day.min(),
        durable=lines.durable.any(), service_days=lines.service_days.max())
    held = held.filter((held.units > 0) & held.durable)
    owned = held.group_by("customer_id").aggregate(
        products_owned=held.count(),
        services_due=(held.service_days.notnull()
                      & (ctx.days_since(held.first_day) >= held.service_days)).cast("int64").sum())

    # Each purchase of a consumable covers life x units days; a category runs out when the
    # latest cover ends before the as-of date.
    supplies = lines.filter(lines.life_days.notnull() & (lines.quantity > 0))
    supplies = supplies.mutate(
        covered=supplies.day.epoch_days() + supplies.life_days * supplies.quantity)
    cover = supplies.group_by("customer_id", "category").aggregate(covered=supplies.covered.max())
    as_of_day = ibis.date(ctx.as_of).epoch_days()
    run_out = cover.group_by("customer_id").aggregate(
        supplies_run_out=(cover.covered < as_of_day).cast("int64").sum(),
        days_since_supplies_ran_out=(as_of_day - cover.covered.max()).clip(lower=0))

    breadth = lines.filter(lines.quantity > 0)
    breadth = breadth.group_by("customer_id").aggregate(
        categories_bought=breadth.category.nunique())
    result = breadth.left_join(owned, "customer_id").select(
        breadth, owned.products_owned, owned.services_due)
    return result.left_join(run_out, "customer_id").select(
        result, run_out.supplies_run_out, run_out.days_since_supplies_ran_out)


PRODUCTS = FeatureGroup(
    "products",
    "Category breadth, durable products owned and due for service, consumables run out "
    "(order_lines and products).",
    FEATURES,
    _build,
)
