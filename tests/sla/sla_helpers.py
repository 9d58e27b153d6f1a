"""Helpers for the SLA tests: tickets written the way users bring them."""

from __future__ import annotations

import pandas as pd

from tenure.workspace import Workspace


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
