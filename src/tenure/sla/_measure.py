"""The SLA clocks of every ticket, computed over whole arrays (no loop over tickets).

A ticket's history is its opening followed by its status changes, sorted by time. After
each change the clock runs (``open``, ``replied``), pauses (``pending``, ``on_hold``) or
stops (``resolved``). Between consecutive changes a running clock gains the business time
of its calendar; the cumulative sum within each ticket gives the clock's reading ``c`` at
every change, and from there its reading at any instant.

Each metric is a stretch of that clock:

- first response: from the opening to the first agent reply (the ticket's
  ``first_response_at`` or the first ``replied`` status, whichever is earlier);
- next response: from each time the customer writes again after a reply (a change back to
  ``open``) to the next ``replied``; one row per ticket, the longest such wait;
- resolution: from the opening to the resolution.

Resolving a ticket stops every clock. A target is breached when the clock's reading passes
it; the breach time is the last instant the reading still equalled the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tenure.sla._clock import MISSING, Clocks

__all__ = ["OPEN", "OPENING", "PAUSED", "REPLIED", "RESOLVED", "Measured", "TicketClocks",
           "measure"]

# Kinds of event, in the order events at the same instant are taken.
OPENING, OPEN, REPLIED, PAUSED, RESOLVED = 0, 1, 2, 3, 4
FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = 0, 1, 2
_SHIFT = 33


@dataclass
class TicketClocks:
    """Per ticket (index = ticket number): UTC seconds, clock and targets in seconds.

    ``first_response`` and ``resolved`` are MISSING when not (yet) recorded; a target of
    -1 means the policy sets none for that metric.
    """

    opened: np.ndarray
    first_response: np.ndarray
    resolved: np.ndarray
    clock: np.ndarray
    targets: np.ndarray  # shape (3, tickets): first response, next response, resolution

    def slice(self, start: int, stop: int) -> TicketClocks:
        return TicketClocks(self.opened[start:stop], self.first_response[start:stop],
                            self.resolved[start:stop], self.clock[start:stop],
                            self.targets[:, start:stop])


@dataclass
class Measured:
    """One entry per ticket and metric; instants in UTC seconds, MISSING where none."""

    ticket: np.ndarray
    metric: np.ndarray
    target: np.ndarray
    elapsed: np.ndarray
    breached: np.ndarray
    # The last instant the target is met (for a target met, had the clock run on from its
    # stop); MISSING for a clock paused now below its target.
    due: np.ndarray
    stopped: np.ndarray
    running: np.ndarray
    remaining: np.ndarray  # target less elapsed, for running clocks (negative: overdue)
    cycles: np.ndarray

    @classmethod
    def concatenate(cls, parts: list[Measured]) -> Measured:
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in cls.__dataclass_fields__))


def resolution_times(tickets: TicketClocks, ticket: np.ndarray, at: np.ndarray,
                     kind: np.ndarray) -> np.ndarray:
    """Each ticket's resolution: its ``resolved_at`` or first ``resolved`` status."""
    first = np.full(len(tickets.opened), MISSING, dtype=np.int64)
    done = kind == RESOLVED
    np.minimum.at(first, ticket[done], at[done])
    return np.minimum(tickets.resolved, first)


def measure(tickets: TicketClocks, ticket: np.ndarray, at: np.ndarray, kind: np.ndarray,
            clocks: Clocks, as_of: int) -> Measured:
    """Measure every ticket's clocks as of ``as_of`` (UTC seconds).

    ``ticket``, ``at`` and ``kind`` are the events sorted by ticket, time and kind: each
    ticket's OPENING first, then its status changes, none after its resolution or after
    ``as_of``; ``tickets`` carries the resolution found by :func:`resolution_times`.
    """
    m = len(tickets.opened)
    n = len(ticket)
    numbers = np.arange(m, dtype=np.int64)
    first = np.flatnonzero(kind == OPENING)
    last = np.r_[first[1:], n][: len(first)] - 1

    business = clocks.business(tickets.clock[ticket], at)
    running = kind <= REPLIED
    following = np.empty_like(business)
    following[:-1] = business[1:]
    following[last] = clocks.business(tickets.clock, np.full(m, as_of))
    gained = np.where(running, following - business, 0)
    before = np.cumsum(gained) - gained
    reading = before - before[first][ticket]
    reading_now = reading[last] + gained[last]
    time_key = (ticket << _SHIFT) + (at - clocks.origin)
    reading_key = (ticket << _SHIFT) + reading

    def reading_at(which: np.ndarray, when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The clock's reading at each instant, and its calendar's business time there."""
        p = np.searchsorted(time_key, (which << _SHIFT) + (when - clocks.origin),
                            side="right") - 1
        now = clocks.business(tickets.clock[which], when)
        return reading[p] + np.where(running[p], now - business[p], 0), now

    replies = np.flatnonzero(kind == REPLIED)
    earliest = replies[_run_starts(ticket[replies])]
    first_reply = np.full(m, MISSING, dtype=np.int64)
    first_reply[ticket[earliest]] = at[earliest]
    answered = np.minimum(np.minimum(tickets.first_response, first_reply), tickets.resolved)

    # Next response: the customer writes again (back to open) after the first reply; the
    # wait ends at the next reply or the resolution. Opens before that reply join the wait.
    wrote = np.flatnonzero((kind == OPEN) & (at > answered[ticket])
                           & (at < tickets.resolved[ticket]))
    after = np.searchsorted(replies, wrote)
    next_reply = np.r_[replies, n][after]
    has_reply = next_reply < n
    has_reply[has_reply] = ticket[next_reply[has_reply]] == ticket[wrote[has_reply]]
    wait_end = np.where(has_reply, at[np.minimum(next_reply, n - 1)], MISSING)
    wait_end = np.minimum(wait_end, tickets.resolved[ticket[wrote]])
    wait_key = np.where(has_reply, next_reply, n + ticket[wrote])
    starts_wait = _run_starts(wait_key)
    wrote, wait_end = wrote[starts_wait], wait_end[starts_wait]

    parts = []
    for metric, which, start_reading, stop in (
        (FIRST_RESPONSE, numbers, np.zeros(m, np.int64), answered),
        (NEXT_RESPONSE, ticket[wrote], reading[wrote], wait_end),
        (RESOLUTION, numbers, np.zeros(m, np.int64), tickets.resolved),
    ):
        target = tickets.targets[metric][which]
        keep = target >= 0
        which, start_reading = which[keep], start_reading[keep]
        stop, target = stop[keep], target[keep]
        is_running = stop == MISSING
        stopped = ~is_running
        stop_reading = reading_now[which].copy()
        stop_business = np.zeros(len(which), dtype=np.int64)
        stop_reading[stopped], stop_business[stopped] = reading_at(which[stopped],
                                                                   stop[stopped])
        elapsed = stop_reading - start_reading
        breached = elapsed > target
        clock = tickets.clock[which]
        late = breached | is_running
        met = ~late
        # A target met: the deadline it met, as if the clock had run on from its stop.
        due = np.full(len(which), MISSING, dtype=np.int64)
        due[met] = clocks.instant(clock[met], stop_business[met] + target[met] - elapsed[met])
        # Otherwise the last instant the reading equals the target: find the event after
        # which it got there, then the business time that takes from that event.
        goal = start_reading[late] + target[late]
        k = np.searchsorted(reading_key, (which[late] << _SHIFT) + goal, side="right") - 1
        due[late] = np.where(running[k], clocks.instant(clock[late],
                                                        business[k] + goal - reading[k]),
                             MISSING)
        parts.append(Measured(which, np.full(len(which), metric, np.int8), target, elapsed,
                              breached, due, stop, is_running,
                              np.where(is_running, target - elapsed, 0),
                              np.ones(len(which), np.int32)))
    parts[1] = _longest_wait(parts[1])
    return Measured.concatenate(parts)


def _longest_wait(waits: Measured) -> Measured:
    """One next-response entry per ticket: the longest wait, breached if any wait was (due
    then being the first breach), else with the due time of its latest wait; running state,
    stop and remaining time are the latest wait's."""
    if not len(waits.ticket):
        return waits
    starts = np.flatnonzero(_run_starts(waits.ticket))
    ends = np.r_[starts[1:], len(waits.ticket)] - 1
    breached = np.logical_or.reduceat(waits.breached, starts)
    first_breach = np.minimum.reduceat(np.where(waits.breached, waits.due, MISSING), starts)
    return Measured(
        ticket=waits.ticket[starts],
        metric=waits.metric[starts],
        target=waits.target[starts],
        elapsed=np.maximum.reduceat(waits.elapsed, starts),
        breached=breached,
        due=np.where(breached, first_breach, waits.due[ends]),
        stopped=waits.stopped[ends],
        running=waits.running[ends],
        remaining=waits.remaining[ends],
        cycles=np.diff(np.r_[starts, len(waits.ticket)]).astype(np.int32),
    )


def _run_starts(values: np.ndarray) -> np.ndarray:
    """True where a run of equal values begins."""
    return np.r_[True, values[1:] != values[:-1]] if len(values) else np.zeros(0, dtype=bool)
