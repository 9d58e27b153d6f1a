"""The customer summary: one row per customer over their orders (the RFM summary).

Per customer with an order: ``first_purchase`` and ``last_purchase`` (days; empty for a
customer with refunds only), ``purchases`` (purchase days), ``orders`` (purchase orders),
``revenue`` (net, refunds included, to the millionth so that sums taken in another order
agree), the profile attributes of the customers table (segment, acquisition channel,
region) and ``categories`` (product categories bought, when order lines and products
tell).

Over all the orders the summary is a building block like the customer activity: a
workspace stores it (``analytics_customer_summary``, with ``customer_key`` numbering the
customers in the order of their ids) and rebuilds it when the tables it reads change. The
categories, costly to count (every order line), are stored apart
(``analytics_customer_categories``, by ``customer_key``) so that only the analyses that
read them pay for them. Over a window of dates the summary is summed from the day
activity.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from tenure.engine._activity import all_days, day_activity
from tenure.engine._tables import Tables

__all__ = ["PROFILE_ATTRIBUTES", "customer_categories", "customer_summary", "summary_between"]

PROFILE_ATTRIBUTES = ("segment", "acquisition_channel", "region")
SOURCES = ("orders", "customers")
RECIPE = 2
CATEGORY_SOURCES = ("orders", "order_lines", "products")
# Each customer's categories over all orders, by customer_key (so the summary's sources too).
CATEGORIES_RECIPE = 1
# Each customer's categories with the day each was first bought: counts as of any day.
FIRSTS_RECIPE = 1


def customer_summary(tables: Tables) -> ir.Table:
    """The summary of every customer with an order, over all the orders, without the
    categories (see :func:`customer_categories`)."""
    return tables.block("customer_summary", SOURCES, lambda: _summary(tables), recipe=RECIPE)


def customer_categories(tables: Tables) -> ir.Table | None:
    """customer_key and categories (bought over all orders) of the customers of
    :func:`customer_summary` who bought a product with a category; None without order
    lines or products."""
    if _categories(tables, None, None) is None:
        return None
    return tables.block("customer_categories", (*SOURCES, *CATEGORY_SOURCES[1:]),
                        lambda: _categories_by_key(tables), recipe=CATEGORIES_RECIPE)


def summary_between(tables: Tables, start: dt.date | None, as_of: dt.date,
                    last_order: dt.date, by: str | None = None) -> ir.Table:
    """The summary over the orders from ``start`` (or the first) to ``as_of``, without
    the attribute ``by`` (it comes with the split)."""
    days = day_activity(tables, as_of, last_order)
    if start is not None:
        days = days.filter(days.day >= start)
    per = _with_categories(_sums(days), _categories(tables, start, as_of))
    attributes = _attributes(tables, by)
    if attributes is not None:
        per = per.left_join(attributes, "customer_id").drop("customer_id_right")
    return per


def _summary(tables: Tables) -> ir.Table:
    per = _sums(all_days(tables))
    attributes = _attributes(tables, None)
    if attributes is not None:
        per = per.left_join(attributes, "customer_id").drop("customer_id_right")
    # Numbered in the order of their ids: a result sorted by id sorts numbers, not text.
    return per.mutate(customer_key=ibis.row_number().over(order_by="customer_id"))


def _categories_by_key(tables: Tables) -> ir.Table:
    keys = customer_summary(tables).select("customer_id", "customer_key")
    counted = _categories(tables, None, None)
    return counted.join(keys, "customer_id").select("customer_key", "categories")


def _sums(days: ir.Table) -> ir.Table:
    return days.group_by("customer_id").agg(
        first_purchase=days.first_in.min(), last_purchase=days.last_day.max(),
        purchases=days.bought_days.sum(), orders=days.orders.sum(),
        revenue=days.revenue.sum().round(6))


def _with_categories(per: ir.Table, categories: ir.Table | None) -> ir.Table:
    if categories is None:
        return per.mutate(categories=ibis.null("int64"))
    return per.left_join(categories, "customer_id").drop("customer_id_right")


def _categories(tables: Tables, start: dt.date | None, as_of: dt.date | None
                ) -> ir.Table | None:
    """Distinct product categories each customer bought (from ``start`` to ``as_of``;
    all of them without either), when order lines and products are there to tell."""
    lines = tables.optional("order_lines", ("order_id", "sku"))
    products = tables.optional("products", ("sku", "category"))
    if lines is None or products is None:
        return None
    if as_of is None:
        bought = _bought_categories(tables, lines, products)
        return bought.group_by("customer_id").agg(categories=bought.category.nunique())
    if start is None:
        # Every category bought by as_of: those first bought by then.
        firsts = tables.block("first_categories", CATEGORY_SOURCES,
                              lambda: _first_categories(tables, lines, products),
                              recipe=FIRSTS_RECIPE)
        firsts = firsts.filter(firsts.first_day <= as_of)
        return firsts.group_by("customer_id").agg(categories=firsts.count())
    bought = _bought_categories(tables, lines, products)
    bought = bought.filter((bought.day >= start) & (bought.day <= as_of))
    return bought.group_by("customer_id").agg(categories=bought.category.nunique())


def _bought_categories(tables: Tables, lines: ir.Table, products: ir.Table) -> ir.Table:
    """customer_id, day and category of every purchased order line with a category."""
    rows = tables.table("orders", ("customer_id", "order_id", "ordered_at", "amount"),
                        why="category breadth")
    rows = rows.filter(rows.amount >= 0).select("customer_id", "order_id",
                                                day=rows.ordered_at.date())
    bought = rows.join(lines.select("order_id", "sku"), "order_id").join(
        products.select("sku", "category"), "sku")
    return bought.filter(bought.category.notnull())


def _first_categories(tables: Tables, lines: ir.Table, products: ir.Table) -> ir.Table:
    """Each category a customer bought, with the day they first bought it."""
    bought = _bought_categories(tables, lines, products)
    return bought.group_by("customer_id", "category").agg(first_day=bought.day.min())


def _attributes(tables: Tables, by: str | None) -> ir.Table | None:
    customers = tables.optional("customers", ("customer_id",))
    if customers is None:
        return None
    present = [a for a in PROFILE_ATTRIBUTES if a in customers.columns and a != by]
    if not present:
        return None
    return customers.select("customer_id", *[customers[a].cast("string") for a in present])
