"""When on the plan date a channel may reach a customer: its sending hours in the customer's
own time zone, less the quiet hours, within the plan date in the workspace's zone, and, for
a channel a person works, within the working hours that day of the workspace calendar
(holidays and make-up working days included) or, without one, of ``actions.working_hours``.

The window depends only on the customer's zone and the channel, so it is worked out once per
zone and channel (a handful) with :mod:`zoneinfo`, and joined to the customers in the
engine. Local times are turned into instants both ways round a change of the clocks: a
window starts at the later reading of its first minute and ends at the earlier reading of
its last, so that a wall-clock time that does not exist (the hour skipped in spring) or
happens twice (the hour repeated in autumn) never stretches it into quiet hours.

>>> import datetime as dt
>>> from tenure.actions._config import ActionsConfig
>>> config = ActionsConfig.from_section({})
>>> w = send_window(dt.date(2026, 3, 8), "Asia/Shanghai", "America/New_York",
...                 config.channels["sms"], config.policy.quiet_hours, None)
>>> w.send_from, w.send_until   # 09:00-21:00 on 7 March in New York (EST), in Shanghai
(datetime.datetime(2026, 3, 8, 0, 0), datetime.datetime(2026, 3, 8, 10, 0))
>>> w.local_day
datetime.date(2026, 3, 7)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tenure.sla._config import Calendar

__all__ = ["Window", "allowed_minutes", "send_window", "working_spans"]

DAY = 24 * 60


@dataclass(frozen=True)
class Window:
    """The first span of the plan date in which the channel may reach the customer, as
    naive local times of the workspace's zone, and the customer's own calendar day then;
    or no span and why (``quiet_hours`` or ``non_working_day``)."""

    send_from: dt.datetime | None
    send_until: dt.datetime | None
    local_day: dt.date | None
    why: str | None = None


def allowed_minutes(hours: tuple[int, int], quiet: tuple[int, int] | None
                    ) -> list[tuple[int, int]]:
    """The spans of a day (minutes after midnight) within ``hours`` and outside ``quiet``
    (which may run past midnight)."""
    if quiet is None:
        return [hours]
    q0, q1 = quiet
    open_spans = [(q1, q0)] if q0 > q1 else [(0, q0), (q1, DAY)]
    spans = []
    for a, b in open_spans:
        start, end = max(a, hours[0]), min(b, hours[1])
        if start < end:
            spans.append((start, end))
    return spans


def working_spans(calendar: Calendar, day: dt.date) -> tuple[tuple[int, int], ...]:
    """The working hours of ``day`` in ``calendar`` (none on a holiday; a make-up day's
    hours on a make-up working day)."""
    if day in calendar.holidays:
        return ()
    if day in calendar.workdays:
        return calendar.workday_hours
    return calendar.hours[day.weekday()]


def _instant(day: dt.date, minutes: int, zone: ZoneInfo, *, start: bool) -> float:
    moment = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
    readings = [moment.replace(tzinfo=zone, fold=f).timestamp() for f in (0, 1)]
    return max(readings) if start else min(readings)


def _utc_spans(day: dt.date, spans, zone: ZoneInfo) -> list[tuple[float, float]]:
    return [(_instant(day, a, zone, start=True), _instant(day, b, zone, start=False))
            for a, b in spans]


def send_window(date: dt.date, workspace_zone: str, customer_zone: str,
                channel, quiet: tuple[int, int] | None, calendar: Calendar | None) -> Window:
    """The send window of ``channel`` for a customer in ``customer_zone`` on ``date`` (see
    the module docstring)."""
    home = ZoneInfo(workspace_zone)
    theirs = ZoneInfo(customer_zone)
    day_start = _instant(date, 0, home, start=True)
    day_end = _instant(date + dt.timedelta(days=1), 0, home, start=True)
    bounds = [(day_start, day_end)]
    if channel.staffed and calendar is not None:
        # The calendar's own day: the plan date there.
        spans = working_spans(calendar, date)
        if not spans:
            return Window(None, None, None, "non_working_day")
        cal_zone = ZoneInfo(calendar.timezone)
        bounds = [(max(a, day_start), min(b, day_end))
                  for a, b in _utc_spans(date, spans, cal_zone)]
    allowed = allowed_minutes(channel.hours, quiet)
    found = []
    for shift in (-1, 0, 1):
        local = date + dt.timedelta(days=shift)
        for a, b in _utc_spans(local, allowed, theirs):
            for c, d in bounds:
                start, end = max(a, c), min(b, d)
                if end - start >= 60:  # at least a minute to send in
                    found.append((start, end, local))
    if not found:
        return Window(None, None, None, "quiet_hours")
    start, end, local = min(found)

    def naive(instant: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(instant, home).replace(tzinfo=None)

    return Window(naive(start), naive(end), local)
