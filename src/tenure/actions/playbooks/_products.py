"""What customers own: the latest purchase of each product each customer bought, with the
product's intervals, shared by the maintenance, replenishment and trade-in playbooks."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["latest_purchases", "product_name"]


def latest_purchases(ctx, product_columns: tuple[str, ...]) -> ir.Table | None:
    """customer_id, sku, last_day (the latest day the customer bought it), quantity (units
    bought that day), spent (paid for them that day), name and category, and the
    ``product_columns`` of the product; only products whose first product column is set.
    None without order lines or products."""
    owned = ctx.owned()
    products = ctx.products(("name", "category", *product_columns))
    if owned is None or products is None:
        return None
    products = products.filter(products[product_columns[0]].notnull())
    return owned.join(products.select("sku", "name", "category", *product_columns), "sku")


def product_name(table: ir.Table) -> ir.StringValue:
    """The product's name, or its SKU when it has none."""
    return table.name.fill_null(table.sku)


def one_per_customer(table: ir.Table, *order: ir.Value) -> ir.Table:
    """The first row of each customer by ``order``."""
    first = ibis.row_number().over(group_by="customer_id", order_by=list(order))
    ranked = table.mutate(_first=first)
    return ranked.filter(ranked._first == 0).drop("_first")
