"""Workspaces with an [sla] section, and tickets written the way users bring them."""

from __future__ import annotations

from pathlib import Path

import pytest

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
