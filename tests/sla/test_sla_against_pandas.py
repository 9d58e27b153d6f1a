"""Deadlines agree with pandas' CustomBusinessHour on random tickets (seed 5).

pandas knows weekly hours and holidays but not make-up working days, so the calendar here
has none; it also has no pauses, so the tickets have no status history.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sla_helpers import clocks_at

SECTION = """
[sla]
default_policy = "office"

[sla.calendars.office]
timezone = "Asia/Shanghai"
hours = { "mon-fri" = ["09:00-12:00", "13:30-18:00"] }
holidays = ["2026-10-01..2026-10-07", "2026-12-25"]

[sla.policies.office]
calendar = "office"
targets.P1 = { first_response = "3h" }
targets.P2 = { first_response = "10h" }
targets.P3 = { first_response = "25h" }
"""
HOURS = {"P1": 3, "P2": 10, "P3": 25}


def test_first_response_deadlines_match_pandas(sla_workspace):
    rng = np.random.default_rng(5)
    n = 300
    opened = (pd.Timestamp("2026-09-01")
              + pd.to_timedelta(rng.integers(0, 120 * 86_400, n), unit="s"))
    priority = rng.choice(list(HOURS), n)
    ws = sla_workspace(SECTION)
    ws.ingest("tickets", pd.DataFrame({
        "ticket_id": [f"T{i:04d}" for i in range(n)], "customer_id": "C1",
        "priority": priority, "opened_at": opened}))
    frame = clocks_at(ws, "2027-06-01").set_index("ticket_id")

    hour = pd.offsets.CustomBusinessHour(
        start=["09:00", "13:30"], end=["12:00", "18:00"], weekmask="Mon Tue Wed Thu Fri",
        holidays=[*pd.date_range("2026-10-01", "2026-10-07"), pd.Timestamp("2026-12-25")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        expected = [o + HOURS[p] * hour for o, p in zip(opened, priority, strict=True)]
    got = frame.loc[[f"T{i:04d}" for i in range(n)], "due_at"]
    assert (got.to_numpy() == pd.DatetimeIndex(expected).to_numpy()).all()
    # Never answered, every one of them breached by June 2027, at its deadline.
    assert (frame.breached_at == frame.due_at).all()
