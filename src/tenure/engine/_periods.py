"""Calendar periods as whole numbers, the same in the engine and in Python.

A period is numbered so that consecutive periods differ by one: days and weeks count from
Monday 1900-01-01, months are ``year * 12 + month - 1`` and quarters ``year * 4 +
quarter - 1``. Weeks start on Monday. Day differences are taken on dates, never on
timestamps, so that every engine agrees.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from tenure.errors import InputError

__all__ = ["PERIODS", "Period", "check_dates", "check_period", "index", "index_of", "starts"]

Period = Literal["day", "week", "month", "quarter"]
PERIODS: tuple[str, ...] = ("day", "week", "month", "quarter")
_ALIASES = {"d": "day", "日": "day", "天": "day", "w": "week", "周": "week", "星期": "week",
            "m": "month", "月": "month", "q": "quarter", "季": "quarter", "季度": "quarter",
            "daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter",
            "days": "day", "weeks": "week", "months": "month", "quarters": "quarter"}
_EPOCH = dt.date(1900, 1, 1)  # a Monday


def check_period(value: Any) -> Period:
    """``value`` as one of the periods, or an InputError listing them."""
    text = str(value).strip().lower()
    text = _ALIASES.get(text, text)
    if text not in PERIODS:
        raise InputError(f"period '{value}' is not supported; use day, week, month or quarter")
    return text  # type: ignore[return-value]


def check_date(value: Any, name: str) -> dt.date | None:
    """A date from a date, datetime, pandas Timestamp or text (ISO or 2024年1月5日)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    chinese = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日?", text)
    try:
        if chinese:
            return dt.date(*(int(g) for g in chinese.groups()))
        return pd.Timestamp(text).date()
    except (ValueError, TypeError):
        raise InputError(f"{name} '{value}' is not a date; write it like 2024-01-31") from None


def check_dates(start: Any, end: Any) -> tuple[dt.date | None, dt.date | None]:
    """The date range filter, checked: both ends optional and inclusive."""
    first, last = check_date(start, "start"), check_date(end, "end")
    if first is not None and last is not None and last < first:
        raise InputError(f"end {last} is before start {first}; swap them")
    return first, last


def index(day: ir.DateValue, period: Period) -> ir.IntegerValue:
    """The number of the period holding ``day`` (an engine expression)."""
    if period == "month":
        return day.year() * 12 + day.month() - 1
    if period == "quarter":
        return day.year() * 4 + day.quarter() - 1
    days = day.delta(ibis.date(_EPOCH), unit="day")
    return days if period == "day" else days // 7


def index_of(day: dt.date, period: Period) -> int:
    """The number of the period holding ``day``, computed in Python like :func:`index`."""
    if period == "month":
        return day.year * 12 + day.month - 1
    if period == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    days = (day - _EPOCH).days
    return days if period == "day" else days // 7


def first_day(number: int, period: Period) -> dt.date:
    """The first day of period ``number``."""
    if period == "month":
        return dt.date(number // 12, number % 12 + 1, 1)
    if period == "quarter":
        return dt.date(number // 4, (number % 4) * 3 + 1, 1)
    return _EPOCH + dt.timedelta(days=number * (1 if period == "day" else 7))


def starts(numbers: pd.Series, period: Period) -> pd.Series:
    """The first day of each period number, as datetime64 (vectorised)."""
    values = np.asarray(numbers, dtype="int64")
    if period in ("day", "week"):
        step = 1 if period == "day" else 7
        out = np.datetime64(_EPOCH, "D") + values * step
    else:
        months = values if period == "month" else values * 3
        out = (months - (1970 * 12)).astype("datetime64[M]").astype("datetime64[D]")
    return pd.Series(pd.to_datetime(out), index=numbers.index)
