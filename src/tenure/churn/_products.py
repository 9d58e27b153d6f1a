"""Product features: category breadth, products owned, service due, supplies run out."""

from __future__ import annotations

import ibis

from tenure.churn._features import Feature, FeatureContext, FeatureGroup

__all__ = ["PRODUCTS"]

FEATURES = (
    Feature("categories_bought", "product categories bought, ever",
            "only {categories_bought:.0f} product "
            "{categories_bought:?category|categories} bought", fill=0, risk="low"),
    Feature("products_owned", "durable products owned (those with a lifespan or a service "
            "interval)", "only {products_owned:.0f} durable "
            "{products_owned:?product|products} owned", fill=0, risk="low"),
    Feature("services_due", "owned products past their first service interval",
            "{services_due:.0f} {services_due:?product|products} due for "
            "service", fill=0, risk="high", neutral=0.0),
    Feature("supplies_run_out", "consumable categories whose last purchase has run out",
            "{supplies_run_out:.0f} "
            "{supplies_run_out:?consumable|consumables} run out", fill=0, risk="high",
            neutral=0.0),
    Feature("days_since_supplies_ran_out",
            "days since the supplies bought ran out (0 while one still lasts)",
            "supplies ran out {days_since_supplies_ran_out:.0f} "
            "{days_since_supplies_ran_out:?day|days} ago",
            fallback="no consumables bought", risk="high", neutral=0.0,
            missing_is_reason=False),
)


def _build(ctx: FeatureContext) -> ibis.Table:
    orders = ctx.before("orders")
    lines = ctx.workspace.table("order_lines")
    products = ctx.workspace.table("products")
    lines = lines.join(orders.select("order_id", "customer_id", "ordered_at"), "order_id")
    lines = lines.left_join(products, lines.sku == products.sku).select(
        lines.customer_id, lines.sku, day=lines.ordered_at.date().epoch_days(),
        quantity=lines.quantity.fill_null(1), category=products.category.fill_null(lines.sku),
        durable=products.lifespan_days.notnull() | products.maintenance_interval_days.notnull(),
        service_days=products.maintenance_interval_days,
        # Each purchase of a consumable covers its life times the units bought.
        covered=lines.ordered_at.date().epoch_days()
        + products.consumable_life_days * lines.quantity.fill_null(1))
    as_of_day = ibis.date(ctx.as_of).epoch_days()

    # Categories, and when the supply of each ran out: the latest cover of its purchases.
    bought = lines.filter(lines.quantity > 0)
    kinds = bought.group_by("customer_id", "category").aggregate(covered=bought.covered.max())
    kinds = kinds.group_by("customer_id").aggregate(
        categories_bought=kinds.count(),
        supplies_run_out=(kinds.covered < as_of_day).cast("int64").sum(where=kinds.covered
                                                                       .notnull()),
        covered=kinds.covered.max())

    # Durable products are owned while more units were bought than returned.
    durable = lines.filter(lines.durable)
    held = durable.group_by("customer_id", "sku").aggregate(
        units=durable.quantity.sum(), first_day=durable.day.min(where=durable.quantity > 0),
        service_days=durable.service_days.max())
    held = held.filter(held.units > 0)
    due = held.service_days.notnull() & (as_of_day - held.first_day >= held.service_days)
    owned = held.group_by("customer_id").aggregate(
        products_owned=held.count(), services_due=due.cast("int64").sum())

    return kinds.left_join(owned, "customer_id").select(
        kinds.customer_id, kinds.categories_bought, owned.products_owned, owned.services_due,
        kinds.supplies_run_out,
        days_since_supplies_ran_out=(as_of_day - kinds.covered).clip(lower=0))


PRODUCTS = FeatureGroup(
    "products",
    "Category breadth, durable products owned and due for service, consumables run out "
    "(order_lines and products).",
    FEATURES,
    _build,
)
