"""Hand-made tickets whose every expected minute is worked out in a comment.

The office calendar (conftest.OFFICE): Asia/Shanghai, Monday to Friday 09:00-12:00 and
13:00-18:00 (480 minutes a day); 1-7 October 2026 are holidays, Sunday 20 September and
Saturday 10 October are make-up working days. October 2026: the 1st is a Thursday, the
16th a Friday, the 19th a Monday. P1 targets: first response 60, next response 120,
resolution 480 business minutes; P2: first response 240, resolution 960 calendar minutes.
"""

from __future__ import annotations

import pandas as pd
from sla_helpers import add_tickets, clocks_at, row

from tenure.sla import clocks, evaluate


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def test_a_weekend_stops_the_business_clock(sla_workspace):
    ws = sla_workspace()
    # Friday 17:00 to Monday 10:00.
    add_tickets(ws, [("T1", "C1", "P1", "2026-10-16 17:00", "2026-10-19 10:00", None)])
    frame = clocks_at(ws, "2026-10-19 12:00")
    first = row(frame, "T1", "first_response")
    # Friday 17:00-18:00 is 60 minutes, the weekend none, Monday 09:00-10:00 another 60.
    assert first.elapsed_minutes == 120
    assert first.breached
    # The 60 minutes were used up at Friday 18:00; a reply any time before Monday 09:00
    # would still have been on time, so the breach starts then.
    assert first.breached_at == ts("2026-10-19 09:00")
    assert first.stopped_at == ts("2026-10-19 10:00")
    resolution = row(frame, "T1", "resolution")
    # Still open at Monday 12:00: 60 on Friday + 180 on Monday morning = 240 of 480.
    assert resolution.running and not resolution.breached
    assert resolution.elapsed_minutes == 240
    assert resolution.remaining_minutes == 240
    # The other 240 minutes: Monday 13:00-17:00.
    assert resolution.due_at == ts("2026-10-19 17:00")


def test_a_holiday_counts_no_business_time(sla_workspace):
    ws = sla_workspace()
    # Wednesday 30 September 17:00 to Thursday 8 October 09:30, across the National Day week.
    add_tickets(ws, [("T2", "C1", "P1", "2026-09-30 17:00", "2026-10-08 09:30", None)])
    first = row(clocks_at(ws, "2026-10-08 12:00"), "T2", "first_response")
    # 30 September 17:00-18:00 = 60; 1-7 October none; 8 October 09:00-09:30 = 30.
    assert first.elapsed_minutes == 90
    # 60 minutes were used up on 30 September at 18:00; late from 8 October 09:00.
    assert first.breached_at == ts("2026-10-08 09:00")


def test_a_make_up_working_day_counts_like_a_monday(sla_workspace):
    ws = sla_workspace()
    # Friday 9 October 17:30 to Saturday 10 October 09:20; the Saturday is a working day.
    add_tickets(ws, [("T3", "C1", "P1", "2026-10-09 17:30", "2026-10-10 09:20", None)])
    first = row(clocks_at(ws, "2026-10-10 12:00"), "T3", "first_response")
    # Friday 17:30-18:00 = 30; Saturday 09:00-09:20 = 20 (Monday's hours).
    assert first.elapsed_minutes == 50
    assert not first.breached
    # The 10 minutes left at the reply would have run out at Saturday 09:30.
    assert first.due_at == ts("2026-10-10 09:30")


def test_pending_pauses_the_clock_and_the_customer_reply_starts_a_next_response_wait(
    sla_workspace,
):
    ws = sla_workspace()
    add_tickets(
        ws,
        [("T4", "C1", "P1", "2026-10-12 09:00", None, "2026-10-13 14:00")],
        [
            ("T4", "open", "2026-10-12 09:00"),
            ("T4", "replied", "2026-10-12 09:30"),
            ("T4", "pending", "2026-10-12 09:40"),  # waiting on the customer
            ("T4", "open", "2026-10-13 10:00"),  # the customer wrote back
            ("T4", "replied", "2026-10-13 11:30"),
            ("T4", "resolved", "2026-10-13 14:00"),
        ],
    )
    frame = clocks_at(ws, "2026-10-14 12:00")
    first = row(frame, "T4", "first_response")
    # The first `replied` status counts as the first response: Monday 09:00-09:30.
    assert first.elapsed_minutes == 30
    assert first.due_at == ts("2026-10-12 10:00")  # 30 more minutes from 09:30
    wait = row(frame, "T4", "next_response")
    # Tuesday 10:00 to 11:30 = 90 of 120 minutes.
    assert wait.elapsed_minutes == 90 and not wait.breached and wait.waits == 1
    # The 30 minutes left run out at 12:00; the clock then stands still over lunch, so a
    # reply up to 13:00 would still have been on time.
    assert wait.due_at == ts("2026-10-13 13:00")
    resolution = row(frame, "T4", "resolution")
    # Monday 09:00-09:40 = 40; paused until Tuesday 10:00; Tuesday 10:00-12:00 = 120 and
    # 13:00-14:00 = 60: 220 of 480.
    assert resolution.elapsed_minutes == 220
    assert not resolution.breached and not resolution.running
    # 260 minutes were left: Tuesday 14:00-18:00 = 240, then Wednesday 09:00-09:20.
    assert resolution.due_at == ts("2026-10-14 09:20")


def test_on_hold_pauses_and_a_breach_during_a_wait_is_dated(sla_workspace):
    ws = sla_workspace()
    add_tickets(
        ws,
        [("T5", "C1", "P1", "2026-10-12 09:00", "2026-10-12 09:10", None)],
        [
            ("T5", "on_hold", "2026-10-12 09:20"),  # waiting on a supplier
            ("T5", "open", "2026-10-12 15:00"),  # the customer chases
            ("T5", "pending", "2026-10-13 09:30"),  # an agent asks a question: no reply yet
        ],
    )
    frame = clocks_at(ws, "2026-10-13 12:00")
    wait = row(frame, "T5", "next_response")
    # Monday 15:00-18:00 = 180, Tuesday 09:00-09:30 = 30: the wait reached 210 minutes when
    # the ticket went pending, and stays there; it is still running (no reply).
    assert wait.elapsed_minutes == 210 and wait.running
    # 120 minutes after Monday 15:00 is 17:00.
    assert wait.breached and wait.breached_at == ts("2026-10-12 17:00")
    assert wait.remaining_minutes == 120 - 210
    resolution = row(frame, "T5", "resolution")
    # 09:00-09:20 = 20, on hold until 15:00, then 210 as above: 230, paused now.
    assert resolution.elapsed_minutes == 230 and resolution.running
    # Paused below its target: no due time while nobody can act.
    assert pd.isna(resolution.due_at) and not resolution.at_risk


def test_a_calendar_in_another_time_zone(sla_workspace):
    ws = sla_workspace()
    # UK1 is on the London policy. Shanghai is 7 hours ahead of London in summer time.
    add_tickets(ws, [
        # Shanghai Monday 15:00 = London 08:00; reply at Shanghai 16:45 = London 09:45.
        ("T6", "UK1", "P1", "2026-10-12 15:00", "2026-10-12 16:45", None),
        # Shanghai Tuesday 00:00 = London Monday 17:00; reply Shanghai Tuesday 16:30 =
        # London Tuesday 09:30.
        ("T7", "UK1", "P1", "2026-10-13 00:00", "2026-10-13 16:30", None),
    ])
    frame = clocks_at(ws, "2026-10-14 00:00")
    first = row(frame, "T6", "first_response")
    # London opens at 09:00: 09:00-09:45 = 45 minutes (the Shanghai office would count 105).
    assert first.elapsed_minutes == 45 and not first.breached
    # London 10:00 is Shanghai 17:00.
    assert first.due_at == ts("2026-10-12 17:00")
    late = row(frame, "T7", "first_response")
    # London Monday 17:00-17:30 = 30 and Tuesday 09:00-09:30 = 30: exactly the 60-minute
    # target, which is met.
    assert late.elapsed_minutes == 60 and not late.breached
    assert set(frame[frame.ticket_id == "T7"].metric) == {"first_response"}  # uk sets one target


def test_the_london_calendar_across_the_end_of_summer_time(sla_workspace):
    ws = sla_workspace()
    # London leaves summer time on Sunday 25 October 2026; Shanghai is then 8 hours ahead.
    # Shanghai Friday 23:30 = London Friday 16:30; reply Shanghai Monday 26 October 17:30 =
    # London Monday 09:30.
    add_tickets(ws, [("T8", "UK1", "P1", "2026-10-23 23:30", "2026-10-26 17:30", None)])
    first = row(clocks_at(ws, "2026-10-27 00:00"), "T8", "first_response")
    # London Friday 16:30-17:30 = 60, Monday 09:00-09:30 = 30.
    assert first.elapsed_minutes == 90
    # Used up at Friday 17:30 London; late from Monday 09:00 London = 17:00 Shanghai (the
    # gap is 8 hours now, not 7).
    assert first.breached_at == ts("2026-10-26 17:00")


def test_calendar_hours_count_the_real_hours_across_a_clock_change(sla_workspace):
    ws = sla_workspace(timezone="Europe/London")
    add_tickets(ws, [
        # Sunday 25 October 00:30 to 03:30 local: clocks went back at 02:00 to 01:00, so
        # 01:00-02:00 happened twice: 4 real hours = 240 minutes, exactly the P2 target.
        ("T9", "C1", "P2", "2026-10-25 00:30", "2026-10-25 03:30", None),
        # Sunday 29 March 00:30 to 03:30: clocks went forward at 01:00 to 02:00, so 2 real
        # hours = 120 minutes.
        ("T10", "C1", "P2", "2026-03-29 00:30", "2026-03-29 03:30", None),
    ])
    frame = clocks_at(ws, "2026-10-26 00:00")
    assert row(frame, "T9", "first_response").elapsed_minutes == 240
    assert not row(frame, "T9", "first_response").breached
    assert row(frame, "T10", "first_response").elapsed_minutes == 120
    # P2 resolution is 960 calendar minutes = 16 real hours; T9 is still open. From 00:30
    # local, 16 real hours with one hour repeated end at 15:30 local.
    assert row(frame, "T9", "resolution").breached_at == ts("2026-10-25 15:30")


def test_only_what_was_recorded_by_as_of_counts(sla_workspace):
    ws = sla_workspace()
    add_tickets(ws, [("T11", "C1", "P1", "2026-10-12 09:00", "2026-10-12 11:00", None),
                     ("T12", "C1", "P1", "2026-10-13 09:00", None, None)])
    frame = clocks_at(ws, "2026-10-12 09:45")
    first = row(frame, "T11", "first_response")
    # At 09:45 the reply of 11:00 has not happened: 45 minutes on a running clock, with the
    # target due at 10:00, within the 2 at-risk hours.
    assert first.running and first.elapsed_minutes == 45 and first.remaining_minutes == 15
    assert first.at_risk and first.due_at == ts("2026-10-12 10:00")
    assert "T12" not in set(frame.ticket_id)  # opened after as_of
    later = row(clocks_at(ws, "2026-10-12 12:00"), "T11", "first_response")
    # 09:00-11:00 = 120 minutes: breached at 10:00.
    assert later.elapsed_minutes == 120 and later.breached_at == ts("2026-10-12 10:00")


def test_results_are_replaced_not_added(sla_workspace):
    ws = sla_workspace()
    add_tickets(ws, [("T13", "C1", "P1", "2026-10-12 09:00", "2026-10-12 09:30", None)])
    first = evaluate(ws, "2026-10-12 12:00")
    again = evaluate(ws, "2026-10-12 12:00")
    assert first.rows == again.rows == 2  # first response and resolution
    assert ws.connection.execute("SELECT count(*) FROM sla_results").fetchall()[0][0] == 2
    # The same rows as an Ibis table, for further work in the engine.
    assert (clocks(ws).metric == "resolution").sum() == 1
