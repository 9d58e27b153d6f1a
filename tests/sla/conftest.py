"""Workspaces with an [sla] section, and tickets written the way users bring them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sla_helpers import CONTRACTS, OFFICE, TICKETS, add_tickets

from tenure.workspace import Workspace


@pytest.fixture
def sla_workspace(tmp_path: Path):
    """Make a workspace with the given [sla] text (OFFICE by default) and time zone."""
    opened: list[Workspace] = []

    def make(section: str = OFFICE, timezone: str = "Asia/Shanghai") -> Workspace:
        path = tmp_path / f"ws{len(opened)}"
        Workspace.init(path, timezone=timezone).close()
        with open(path / "tenure.toml", "a", encoding="utf-8") as config:
            config.write(section)
        ws = Workspace(path)
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


@pytest.fixture
def book(sla_workspace):
    ws = sla_workspace(CONTRACTS)
    add_tickets(ws, TICKETS)
    ws.ingest("memberships", pd.DataFrame({
        "customer_id": ["G1"], "tier": ["gold"], "fee": [1200.0],
        "started_at": pd.to_datetime(["2026-01-01"])}))
    ws.ingest("owners", pd.DataFrame({
        "customer_id": ["ACME", "G1", "G1"], "owner_id": ["rep_a", "rep_b", "rep_c"],
        "from_at": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-10-15"]),
        "to_at": pd.to_datetime([None, "2026-10-15", None])}))
    return ws
