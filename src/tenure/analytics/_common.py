"""What every analysis shares: the window it looks at, the split by a customer attribute,
the orders it reads, confidence intervals and the result protocol."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from tenure.contract import TABLES
from tenure.engine._periods import Period, check_dates, check_period
from tenure.engine._tables import Tables
from tenure.errors import InputError
from tenure.results import Result

__all__ = ["CUSTOMER_ATTRIBUTES", "Result", "Window", "check_window", "customer_groups",
           "wilson"]

# Customer attributes every analysis can be split by; `tier` is the membership tier.
CUSTOMER_ATTRIBUTES = ("segment", "region", "acquisition_channel", "tier")
GROUP = "_group"
ALL = "all"


@dataclass(frozen=True)
class Window:
    """The periods, split and dates an analysis looks at (dates inclusive)."""

    period: Period
    by: str | None
    start: dt.date | None
    end: dt.date | None


def check_window(period: Any, by: str | None, start: Any, end: Any) -> Window:
    first, last = check_dates(start, end)
    if by is not None and (not isinstance(by, str) or not by.strip()):
        raise InputError(f"by={by!r} is not a column name; use one of "
                         f"{', '.join(CUSTOMER_ATTRIBUTES)}")
    return Window(check_period(period), by.strip() if by else None, first, last)


def check_number(value: Any, name: str, *, low: float = 0.0, high: float | None = None,
                 whole: bool = False, strict: bool = True) -> Any:
    """A numeric option, checked against its range, with a one-line error otherwise."""
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and whole:
        ok = float(value).is_integer()
    if ok:
        ok = value > low if strict else value >= low
    if ok and high is not None:
        ok = value < high
    if not ok:
        kind = "a whole number" if whole else "a number"
        bound = f"above {low:g}" if strict else f"at least {low:g}"
        if high is not None:
            bound += f" and below {high:g}"
        raise InputError(f"{name}={value!r} should be {kind} {bound}")
    return int(value) if whole else float(value)


def setting(tables: Tables, value: Any, key: str) -> Any:
    """An option given to the function, else the workspace setting ``key``."""
    return tables.config[key] if value is None else value


# -- orders ---------------------------------------------------------------------------------
ORDER_COLUMNS = ("customer_id", "order_id", "ordered_at", "amount")


def orders(tables: Tables, why: str) -> ir.Table:
    table = tables.table("orders", ("customer_id", "ordered_at", "amount"), why=why)
    return table.select("customer_id", "ordered_at", "amount")


def observation_end(tables: Tables, table: ir.Table, column: str, window: Window) -> dt.date:
    """The last day looked at: ``end`` when given, else the day of the latest ``column``."""
    if window.end is not None:
        return window.end
    last = tables.scalar(table[column].max())
    if last is None or pd.isna(last):
        raise InputError("there are no rows to analyse; ingest data first")
    return pd.Timestamp(last).date()


def last_order_day(tables: Tables, table: ir.Table, as_of: dt.date, window: Window) -> dt.date:
    """The day of the latest order (``as_of`` itself unless ``end`` was given)."""
    if window.end is None:
        return as_of
    return pd.Timestamp(tables.scalar(table.ordered_at.max())).date()


def until(table: ir.Table, column: str, as_of: dt.date) -> ir.Table:
    """Rows of ``table`` stamped on or before the day ``as_of``."""
    return table.filter(table[column] < ibis.timestamp(as_of + dt.timedelta(days=1)))


def day_of(value: ir.TimestampValue) -> ir.DateValue:
    return value.date()


def days_between(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    return later.delta(earlier, unit="day")


# -- splits ---------------------------------------------------------------------------------
def customer_groups(tables: Tables, by: str | None, as_of: dt.date,
                    primary: ir.Table | None = None,
                    time_column: str = "ordered_at") -> ir.Table | None:
    """``customer_id`` and ``_group``: each customer's value of ``by``, or None without a
    split. A table handed in directly may carry the attribute itself; it is then taken from
    each customer's earliest row."""
    if by is None:
        return None
    if primary is not None and tables.workspace is None and by in primary.columns:
        key = primary[time_column] if time_column in primary.columns else primary.customer_id
        return primary.group_by("customer_id").agg(
            **{GROUP: primary[by].cast("string").argmin(key)})
    if by == "tier":
        members = tables.table("memberships", ("customer_id", "tier", "started_at"),
                               why="splitting by tier")
        members = until(members, "started_at", as_of)
        return members.group_by("customer_id").agg(
            **{GROUP: members.tier.argmax(members.started_at)})
    known = TABLES["customers"].has(by) or tables.has_column("customers", by)
    if not known or by in ("customer_id", "referrer_id"):
        raise InputError(f"by='{by}' is not a customer attribute; use one of "
                         f"{', '.join(CUSTOMER_ATTRIBUTES)}")
    customers = tables.table("customers", ("customer_id", by), why=f"splitting by {by}")
    return customers.select("customer_id", **{GROUP: customers[by].cast("string")})


def with_group(table: ir.Table, groups: ir.Table | None, by: str | None) -> ir.Table:
    """``table`` with the ``_group`` of its customer (``all`` without a split; ``unknown``
    or, for tiers, ``none`` when the customer has no value)."""
    if groups is None:
        return table.mutate(**{GROUP: ibis.literal(ALL)})
    joined = table.left_join(groups, table.customer_id == groups.customer_id)
    joined = joined.drop("customer_id_right")
    missing = "none" if by == "tier" else "unknown"
    return joined.mutate(**{GROUP: joined[GROUP].fill_null(missing)})


def name_group(frame: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """The ``_group`` column renamed to the attribute, or dropped without a split."""
    if GROUP not in frame.columns:
        return frame
    if by is None:
        return frame.drop(columns=GROUP)
    return frame.rename(columns={GROUP: by})


def group_keys(by: str | None) -> list[str]:
    return [by] if by else []


# -- statistics -----------------------------------------------------------------------------
def z_value(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson(successes: Any, n: Any, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (Wilson 1927); NaN where n is 0."""
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        centre = (p + z * z / (2 * m)) / (1 + z * z / m)
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
    return centre - half, centre + half


def difference_ci(p1: Any, n1: Any, p2: Any, n2: Any,
                  confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe's hybrid score interval for a difference of two proportions p1 - p2
    (Newcombe 1998, method 10), built from the two Wilson intervals."""
    p1, n1, p2, n2 = (np.asarray(v, dtype=float) for v in (p1, n1, p2, n2))
    l1, u1 = wilson(p1 * n1, n1, confidence)
    l2, u2 = wilson(p2 * n2, n2, confidence)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return low, high


def safe_ratio(numerator: Any, denominator: Any) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den == 0, np.nan, num / np.where(den == 0, 1, den))


# -- results -------------------------------------------------------------------------------
# Every analysis returns a tenure.results.Result: frame, headline, lines(), view(), chart()
# and to_dict().
