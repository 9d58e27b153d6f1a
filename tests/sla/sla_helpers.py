"""Helpers for the SLA tests: tickets written the way users bring them."""

from __future__ import annotations

import pandas as pd

from tenure.sla import clocks, evaluate
from tenure.workspace import Workspace

OFFICE = """
[sla]
default_policy = "standard"
at_risk_hours = 2

[sla.calendars.beijing]
timezone = "Asia/Shanghai"
hours = { "mon-fri" = ["09:00-12:00", "13:00-18:00"] }
holidays = ["2026-10-01..2026-10-07"]
workdays = ["2026-09-20", "2026-10-10"]

[sla.calendars.london]
timezone = "Europe/London"
hours = { "mon-fri" = "09:00-17:30" }

[sla.policies.standard]
calendar = "beijing"
targets.P1 = { first_response = 60, next_response = 120, resolution = "8h" }
targets.P2 = { first_response = 240, resolution = "16h", clock = "calendar" }

[sla.policies.uk]
calendar = "london"
customers = ["UK1"]
targets.P1 = { first_response = 60 }
"""


def add_tickets(ws: Workspace, rows: list[tuple], status: list[tuple] = ()) -> None:
    """Ingest tickets (ticket_id, customer_id, priority, opened_at, first_response_at,
    resolved_at) and status changes (ticket_id, status, at)."""
    tickets = pd.DataFrame(rows, columns=["ticket_id", "customer_id", "priority", "opened_at",
                                          "first_response_at", "resolved_at"])
    for column in ("opened_at", "first_response_at", "resolved_at"):
        tickets[column] = pd.to_datetime(tickets[column])
    ws.ingest("tickets", tickets)
    if status:
        changes = pd.DataFrame(status, columns=["ticket_id", "status", "at"])
        changes["at"] = pd.to_datetime(changes["at"])
        ws.ingest("ticket_status", changes)


def row(frame: pd.DataFrame, ticket: str, metric: str) -> pd.Series:
    found = frame[(frame.ticket_id == ticket) & (frame.metric == metric)]
    assert len(found) == 1, f"{ticket} {metric}: {len(found)} rows"
    return found.iloc[0]


# Gold members (a yearly fee), ACME's named contract and a contract without a known fee.
CONTRACTS = OFFICE.replace("at_risk_hours = 2\n",
                           "at_risk_hours = 2\nmembership_period_months = 12\n") + """
[sla.policies.gold]
calendar = "beijing"
tiers = ["Gold"]
credit = { percent = 10, cap_percent = 25 }
targets.P1 = { first_response = 60 }

[sla.policies.acme]
calendar = "beijing"
customers = ["ACME"]
monthly_fee = 1000
credit = { amount = 50, cap = 120, metrics = ["first_response"] }
targets.P1 = { first_response = 60, resolution = 480 }

[sla.policies.pct]
calendar = "beijing"
customers = ["NOFEE"]
credit = { percent = 5 }
targets.P1 = { first_response = 60 }
"""

TICKETS = [
    # ACME: first response breached in September (not in October's credits)...
    ("A0", "ACME", "P1", "2026-09-14 09:00", "2026-09-14 11:00", "2026-09-14 12:00"),
    # ...and twice in October; A1 is never resolved, so its resolution breaches too.
    ("A1", "ACME", "P1", "2026-10-12 09:00", "2026-10-12 11:00", None),
    ("A2", "ACME", "P1", "2026-10-13 09:00", "2026-10-13 10:30", "2026-10-13 11:00"),
    # G1, a gold member: three breaches.
    ("G1a", "G1", "P1", "2026-10-14 09:00", "2026-10-14 11:00", None),
    ("G1b", "G1", "P1", "2026-10-15 09:00", "2026-10-15 11:00", None),
    ("G1c", "G1", "P1", "2026-10-16 09:00", "2026-10-16 11:00", None),
    # NOFEE's contract is a percentage, but no fee is known.
    ("N1", "NOFEE", "P1", "2026-10-14 14:00", "2026-10-14 16:00", None),
    # C1 is on the standard policy, which owes nothing; this ticket met its targets.
    ("S1", "C1", "P1", "2026-10-14 09:00", "2026-10-14 09:10", "2026-10-14 10:00"),
]


def clocks_at(ws, as_of):
    """Every clock of ``ws`` as evaluated (and stored) at ``as_of``."""
    evaluate(ws, as_of)
    return clocks(ws)
