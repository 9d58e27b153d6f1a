"""Local wall-clock times to UTC instants and back, over whole NumPy arrays.

Workspace timestamps are naive local times; calendars keep their own time zone. Both become
UTC seconds here, through the zone's offset changes found once for the span of the data.

Two local times need a rule. In the hour repeated when clocks go back, a time is read as the
first of the two (still summer time). A time in the hour skipped when clocks go forward does
not exist; it is read as the moment the clocks went forward. Both rules keep the order of
times, so a ticket's history stays in order after conversion.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

__all__ = ["Zone"]

_DAY = 86_400
_FAR = np.iinfo(np.int64).max // 4


class Zone:
    """A time zone's UTC offsets between two instants (epoch seconds).

    >>> z = Zone("Europe/London", 1_790_000_000, 1_800_000_000)
    >>> local = np.array([1_792_891_800])  # 2026-10-25 01:30, the repeated hour
    >>> int(z.to_utc(local)[0] - local[0])  # read as summer time, one hour ahead of UTC
    -3600
    """

    def __init__(self, name: str, first: int, last: int) -> None:
        self.name = name
        zone = ZoneInfo(name)

        def offset(instant: int) -> int:
            return int(datetime.fromtimestamp(instant, zone).utcoffset().total_seconds())

        # Offsets change at most a few times a year: sample daily, then find each change
        # to the second by bisection.
        days = range(first - 2 * _DAY, last + 3 * _DAY, _DAY)
        instants, offsets = [], [offset(days[0])]
        previous = offsets[0]
        for day in days[1:]:
            current = offset(day)
            if current != previous:
                lo, hi = day - _DAY, day
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if offset(mid) == previous:
                        lo = mid
                    else:
                        hi = mid
                instants.append(hi)
                offsets.append(current)
                previous = current
        self.starts = np.array([-_FAR, *instants], dtype=np.int64)  # each offset from here
        self.offsets = np.array(offsets, dtype=np.int64)
        # A local time moves to the next offset once it passes both readings of the change.
        self._local_starts = np.r_[-_FAR, self.starts[1:] + np.maximum(self.offsets[:-1],
                                                                       self.offsets[1:])]
        self._next_change = np.r_[self.starts[1:], _FAR]

    def to_utc(self, local: np.ndarray) -> np.ndarray:
        """UTC seconds of local wall-clock seconds (the rules are in the module docstring)."""
        local = np.asarray(local, dtype=np.int64)
        if len(self.offsets) == 1:
            return local - self.offsets[0]
        j = np.searchsorted(self._local_starts, local, side="right") - 1
        return np.minimum(local - self.offsets[j], self._next_change[j])

    def to_local(self, utc: np.ndarray) -> np.ndarray:
        """Local wall-clock seconds of UTC seconds."""
        utc = np.asarray(utc, dtype=np.int64)
        if len(self.offsets) == 1:
            return utc + self.offsets[0]
        j = np.searchsorted(self.starts, utc, side="right") - 1
        return utc + self.offsets[j]
