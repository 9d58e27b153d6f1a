"""What the uplift models see of a customer at the moment of an action: their purchase
history up to the action's date, in the engine, for any number of (customer, date) units at
once.

The same query serves training (every action of the log, each as of its own plan date) and
prediction (today's proposals), so a model never sees at training time what it would not
see when planning.
"""

from __future__ import annotations

__all__ = ["FEATURES", "unit_features_sql"]

FEATURES = ("recency_days", "purchase_days", "tenure_days", "spend_365d", "purchases_365d",
            "spend_per_purchase", "value_at_stake")


def unit_features_sql(units: str) -> str:
    """SQL giving, for each row of the table ``units`` (customer_id, plan_date,
    value_at_stake, and any other columns, kept), the features of :data:`FEATURES` from
    the orders before its plan date."""
    return f"""
    WITH days AS (
        SELECT customer_id, CAST(ordered_at AS DATE) AS day, sum(amount) AS amount
        FROM orders WHERE amount > 0 GROUP BY ALL
    ),
    per AS (
        SELECT u.customer_id, u.plan_date,
               max(d.day) AS last_day, min(d.day) AS first_day, count(d.day) AS purchase_days,
               coalesce(sum(d.amount), 0) AS gross,
               coalesce(sum(d.amount) FILTER (WHERE d.day >= u.plan_date - 365), 0)
                   AS spend_365d,
               count(d.day) FILTER (WHERE d.day >= u.plan_date - 365) AS purchases_365d
        FROM (SELECT DISTINCT customer_id, CAST(plan_date AS DATE) AS plan_date
              FROM {units}) u
        LEFT JOIN days d ON d.customer_id = u.customer_id AND d.day < u.plan_date
        GROUP BY ALL
    )
    SELECT u.*,
           coalesce(date_diff('day', per.last_day, per.plan_date), 9999) AS recency_days,
           per.purchase_days,
           coalesce(date_diff('day', per.first_day, per.plan_date), 0) AS tenure_days,
           per.spend_365d, per.purchases_365d,
           per.gross / greatest(per.purchase_days, 1) AS spend_per_purchase
    FROM {units} u JOIN per ON per.customer_id = u.customer_id
                           AND per.plan_date = CAST(u.plan_date AS DATE)
    """
