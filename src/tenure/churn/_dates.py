"""As-of dates and horizons as the user writes them, and the span of the data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import pandas as pd

from tenure.errors import ConfigError

__all__ = ["DataSpan", "as_of_date", "as_of_dates", "data_span", "horizon_days"]

_HORIZON = re.compile(r"^\s*(\d+)\s*([dDwW]?)\s*$")


def horizon_days(value: str | int) -> int:
    """A horizon as whole days: ``"26W"`` is 182, ``"90D"``, ``"90"`` and ``90`` are 90.

    >>> horizon_days("26W")
    182
    """
    if isinstance(value, bool):
        raise ConfigError(f"horizon {value!r} is not a length; write days or weeks such as "
                          "'182D' or '26W'")
    if isinstance(value, int):
        days = value
    else:
        match = _HORIZON.match(str(value))
        if not match:
            raise ConfigError(f"horizon '{value}' is not understood; write days or weeks such "
                              "as '182D' or '26W'")
        days = int(match.group(1)) * (7 if match.group(2).lower() == "w" else 1)
    if days < 1:
        raise ConfigError(f"horizon '{value}' is not a length; give at least one day, "
                          "such as '182D' or '26W'")
    return days


def as_of_date(value: str | dt.date | dt.datetime | pd.Timestamp) -> dt.date:
    """An as-of date: the start of that day; everything stamped before it is the past."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise ConfigError(f"as-of '{value}' is not a date; write it like 2024-06-30")
    if stamp != stamp.normalize():
        raise ConfigError(f"as-of '{value}' has a time of day; give a date such as "
                          f"{stamp.date().isoformat()} (the past is everything before it)")
    return stamp.date()


def as_of_dates(values: Iterable) -> list[dt.date]:
    """Several as-of dates, sorted, without repeats."""
    if isinstance(values, str | dt.date | pd.Timestamp):
        values = [values]
    return sorted({as_of_date(v) for v in values})


class DataSpan:
    """The first and last day the workspace has records for, from its orders and memberships.

    ``end`` is the day after the last record: a label window must end on or before it.
    """

    def __init__(self, first: dt.date, end: dt.date) -> None:
        self.first = first
        self.end = end

    def __repr__(self) -> str:
        return f"DataSpan({self.first.isoformat()}, {self.end.isoformat()})"

    def check_start(self, as_of: dt.date) -> None:
        """Fail unless some record comes before ``as_of``."""
        if as_of <= self.first:
            raise ConfigError(
                f"as-of {as_of.isoformat()} is not after the first record on "
                f"{self.first.isoformat()}; choose a later as-of date so that there is a past "
                "to learn from"
            )

    def check_window(self, as_of: dt.date, days: int) -> None:
        """Fail unless the label window ``[as_of, as_of + days)`` lies inside the data."""
        self.check_start(as_of)
        reach = as_of + dt.timedelta(days=days)
        if reach > self.end:
            latest = self.end - dt.timedelta(days=days)
            last = self.end - dt.timedelta(days=1)
            raise ConfigError(
                f"a horizon of {days} days after as-of {as_of.isoformat()} reaches "
                f"{reach.isoformat()}, past the last record on {last.isoformat()}; choose an "
                f"as-of date on or before {latest.isoformat()} or a shorter horizon"
            )


def data_span(workspace) -> DataSpan:
    """The span of the workspace's orders and membership starts.

    Membership end dates are left out: a business may record when a paid period will end
    before it does.
    """
    # One Ibis query (not the workspace's SQL), so that the span of tables on Spark is read
    # the same way.
    orders, memberships = workspace.table("orders"), workspace.table("memberships")
    times = orders.select(at=orders.ordered_at).union(
        memberships.select(at=memberships.started_at))
    span = workspace.ibis.to_pyarrow(times.aggregate(first=times.at.min(), last=times.at.max()))
    row = [span["first"][0].as_py(), span["last"][0].as_py()]
    if row[0] is None:
        raise ConfigError("the workspace holds no orders; ingest orders first with "
                          "`tenure ingest orders FILE`")
    return DataSpan(row[0].date(), row[1].date() + dt.timedelta(days=1))
