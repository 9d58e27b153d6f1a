"""Bad input goes to quarantine with a reason, and nothing else changes."""

from __future__ import annotations

import pandas as pd
from pandas.testing import assert_frame_equal
from sla_helpers import OFFICE, add_tickets, clocks_at

from tenure.sla import clocks, evaluate

GOOD = [
    ("T1", "C1", "P1", "2026-10-12 09:00", "2026-10-12 09:30", None),
    ("T2", "C1", "P1", "2026-10-12 10:00", "2026-10-12 10:20", "2026-10-12 15:00"),
]
GOOD_STATUS = [
    ("T1", "open", "2026-10-12 09:00"),
    ("T1", "replied", "2026-10-12 09:30"),
    ("T2", "replied", "2026-10-12 10:20"),
    ("T2", "resolved", "2026-10-12 15:00"),
]
AS_OF = "2026-10-13 12:00"


def test_bad_rows_are_held_back_with_reasons_and_the_rest_is_unchanged(sla_workspace):
    clean = sla_workspace()
    add_tickets(clean, GOOD, GOOD_STATUS)
    expected = clocks_at(clean, AS_OF)

    ws = sla_workspace()
    add_tickets(
        ws,
        [*GOOD, ("T3", "C1", "P9", "2026-10-12 11:00", None, None)],  # P9: no such priority
        [
            *GOOD_STATUS,
            ("T1", "replied", "2026-10-12 08:00"),  # a response before the ticket opened
            ("T2", "pending", "2026-10-12 16:00"),  # a change after the resolution
            ("T2", "escalated", "2026-10-12 11:00"),  # a status tenure does not know
            ("T404", "open", "2026-10-12 11:00"),  # no such ticket
        ],
    )
    result = evaluate(ws, AS_OF)
    assert_frame_equal(clocks(ws), expected)
    held = ws.quarantine(source="sla")
    assert sorted(zip(held.table_name, held.reason, held.value, strict=True)) == [
        ("ticket_status", "after_resolution", "2026-10-12 16:00:00"),
        ("ticket_status", "before_opened", "2026-10-12 08:00:00"),
        ("ticket_status", "unknown_status", "escalated"),
        ("ticket_status", "unknown_ticket", "T404"),
        ("tickets", "unknown_priority", "P9"),
    ]
    assert result.quarantined == 5
    message = held.set_index("reason").message
    assert message["unknown_priority"] == (
        "ticket T3 has priority 'P9', which policy 'standard' does not name; its priorities "
        "are P1, P2; correct the ticket or add the priority to [sla.policies.standard.targets]")
    assert "after it was resolved at 2026-10-12 15:00:00" in message["after_resolution"]
    assert "before it opened at 2026-10-12 09:00:00" in message["before_opened"]

    # Evaluating again replaces the quarantined rows instead of adding to them.
    assert evaluate(ws, AS_OF).quarantined == 5
    assert len(ws.quarantine(source="sla")) == 5


def test_a_response_before_opening_is_stopped_at_ingest(sla_workspace):
    ws = sla_workspace()
    tickets = pd.DataFrame({
        "ticket_id": ["T1", "T2"], "customer_id": ["C1", "C1"], "priority": ["P1", "P1"],
        "opened_at": pd.to_datetime(["2026-10-12 09:00", "2026-10-12 10:00"]),
        "first_response_at": pd.to_datetime(["2026-10-12 08:00", "2026-10-12 10:30"]),
    })
    report = ws.ingest("tickets", tickets)
    assert report.problems == {"inconsistent": 1}
    frame = clocks_at(ws, AS_OF)
    assert set(frame.ticket_id) == {"T2"}  # T1 never landed


def test_tickets_outside_every_policy_are_counted_not_quarantined(sla_workspace):
    ws = sla_workspace(OFFICE.replace('default_policy = "standard"\n', ""))
    add_tickets(ws, [("T1", "C1", "P1", "2026-10-12 09:00", None, None),
                     ("T2", "UK1", "P1", "2026-10-12 09:00", None, None)])
    result = evaluate(ws, AS_OF)
    assert result.uncovered == 1  # C1 is in no policy and there is no default
    assert result.tickets == 1  # UK1 is on the uk contract
    assert result.quarantined == 0


def test_deleted_tickets_leave_no_trace(sla_workspace):
    ws = sla_workspace()
    add_tickets(ws, GOOD, GOOD_STATUS)
    ws.connection.execute("DELETE FROM tickets WHERE ticket_id = 'T1'")
    result = evaluate(ws, AS_OF)
    # T1's row number is free now; T2 alone is measured, and T1's status changes name a
    # ticket that no longer exists.
    assert (result.tickets, result.uncovered) == (1, 0)
    assert set(clocks(ws).ticket_id) == {"T2"}
    assert set(ws.quarantine(source="sla").reason) == {"unknown_ticket"}
