"""Business time as a step function, looked up for whole arrays of instants at once.

For each calendar, ``business(t)`` is the number of working seconds from a fixed origin to
the instant ``t``: it rises one second per second inside working hours and stays flat
outside them (nights, weekends, holidays). Working time between two instants is the
difference of their values, and the inverse answers "when will N more working seconds have
passed". Clock 0 counts every second (calendar hours); calendar ``i`` of the list given is
clock ``i + 1``.

Each calendar becomes a sorted table of working intervals in UTC seconds, with the working
seconds before each; every lookup is one ``searchsorted`` over all clocks, keyed by
``clock << 33 | seconds since the origin``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tenure.sla._config import Calendar
from tenure.sla._timezone import Zone

__all__ = ["MISSING", "Clocks"]

MISSING = np.iinfo(np.int64).max // 2  # "no such instant": sorts after every real one
_SHIFT = 33  # 2**33 seconds is 272 years: room for any origin-relative instant
_DAY = 86_400
_HOUR = 3_600


def working_intervals(calendar: Calendar, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (UTC seconds) of every working span from ``first`` to ``last``."""
    zone = Zone(calendar.timezone, first, last)
    local_first, local_last = zone.to_local(np.array([first, last]))
    days = np.arange(local_first // _DAY - 1, local_last // _DAY + 2, dtype=np.int64)
    kind = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    as_dates = days.astype("datetime64[D]")
    if calendar.holidays:
        kind[np.isin(as_dates, np.array(sorted(calendar.holidays), dtype="datetime64[D]"))] = 7
    if calendar.workdays:
        kind[np.isin(as_dates, np.array(sorted(calendar.workdays), dtype="datetime64[D]"))] = 8
    spans_of_kind = (*calendar.hours, (), calendar.workday_hours)
    starts, ends = [], []
    for k, spans in enumerate(spans_of_kind):
        midnight = days[kind == k] * _DAY
        for start_minute, end_minute in spans:
            starts.append(midnight + start_minute * 60)
            ends.append(midnight + end_minute * 60)
    start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
    end = np.concatenate(ends) if ends else np.zeros(0, np.int64)
    order = np.argsort(start, kind="stable")
    start, end = zone.to_utc(start[order]), zone.to_utc(end[order])
    keep = end > start  # a span inside the hour skipped by a clock change has no length
    return start[keep], end[keep]


class Clocks:
    """The every-hour clock and one business clock per calendar, from ``first`` to ``last``
    (UTC seconds); lookups outside that span are not valid."""

    def __init__(self, calendars: Sequence[Calendar], first: int, last: int) -> None:
        self.origin = first - 3 * _DAY
        self.names = ["calendar", *(c.name for c in calendars)]
        spans = [(np.array([self.origin]), np.array([last + 3 * _DAY]))]
        spans += [working_intervals(c, first, last) for c in calendars]
        keys, cums, starts, lengths = [], [], [], []
        for clock, (start, end) in enumerate(spans):
            # A zero-length span at the origin makes every instant find a span of its own clock.
            start = np.r_[self.origin, start]
            length = np.r_[0, end - start[1:]]
            cum = np.cumsum(length) - length
            keys.append((clock << _SHIFT) + (start - self.origin))
            cums.append((clock << _SHIFT) + cum)
            starts.append(start)
            lengths.append(length)
        # A last key larger than any instant's ends every forward scan below.
        self._start_keys = np.r_[np.concatenate(keys), np.iinfo(np.int64).max]
        self._cum_keys = np.concatenate(cums)
        self._starts = np.concatenate(starts)
        self._lengths = np.concatenate(lengths)
        self._cums = self._cum_keys - (self._cum_keys >> _SHIFT << _SHIFT)
        # For each clock and hour since the origin, the last span starting by that hour:
        # a lookup then starts there and steps forward over the few spans that start
        # within the hour, instead of a binary search over every span.
        self._hours = (last + 3 * _DAY - self.origin) // _HOUR + 2
        hour_keys = ((np.arange(len(spans), dtype=np.int64)[:, None] << _SHIFT)
                     + np.arange(self._hours, dtype=np.int64)[None, :] * _HOUR).ravel()
        self._hour_first = np.searchsorted(self._start_keys, hour_keys, side="right") - 1

    def _span(self, clock: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Index of the last span of ``clock`` starting at or before ``at``."""
        key = (clock << _SHIFT) + (at - self.origin)
        i = self._hour_first[clock * self._hours + (at - self.origin) // _HOUR]
        step = self._start_keys[i + 1] <= key
        while step.any():
            i = i + step
            step = self._start_keys[i + 1] <= key
        return i

    def business(self, clock: np.ndarray, at: np.ndarray) -> np.ndarray:
        """Working seconds of ``clock`` from the origin to each instant ``at``."""
        clock = np.asarray(clock, dtype=np.int64)
        at = np.asarray(at, dtype=np.int64)
        i = self._span(clock, at)
        return self._cums[i] + np.clip(at - self._starts[i], 0, self._lengths[i])

    def instant(self, clock: np.ndarray, value: np.ndarray) -> np.ndarray:
        """The last instant at which ``clock`` shows ``value`` working seconds.

        The last, because the clock stays at a value through the night: a reply at 08:00
        is as much on time as one at 18:00 the evening before. MISSING where the value lies
        beyond the span the clocks were built for.
        """
        clock = np.asarray(clock, dtype=np.int64)
        value = np.asarray(value, dtype=np.int64)
        i = np.searchsorted(self._cum_keys, (clock << _SHIFT) + value, side="right") - 1
        offset = value - self._cums[i]
        return np.where(offset <= self._lengths[i], self._starts[i] + offset, MISSING)
