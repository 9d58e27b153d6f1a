"""Days of plans in a simulated world: each morning the planner plans from what the
workspace knows, the world answers the contacts (:class:`tenure.simulate.ActionWorld`), and
the day's orders and the channels' reports come back into the workspace, as they would in a
business that runs tenure every day.

>>> # world = ActionWorld(business); run = simulate_days(ws, world, days=21)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from tenure.actions._plan import plan
from tenure.actions._record import record
from tenure.progress import Progress, steps_of

__all__ = ["SimulatedDays", "simulate_days"]


@dataclass(frozen=True)
class SimulatedDays:
    """What the simulated days did: the day's plan counts (``days``: date, actions,
    held_out, suppressed, orders) and the world's answer to every contact (``contacts``)."""

    first: dt.date
    last: dt.date
    days: pd.DataFrame
    contacts: pd.DataFrame


def simulate_days(workspace, world, days: int, *, settle_days: int = 30,
                  progress: Progress = None) -> SimulatedDays:
    """Plan ``days`` days from the world's first day on ``workspace`` (which holds the
    world's business), let the world answer, and ingest each day's orders and the sends;
    then ``settle_days`` more days of orders, so that the last actions' windows end."""
    first = world.first_day
    rows = []
    with steps_of(progress, days + 1) as step:
        for i in range(days):
            day = first + dt.timedelta(days=i)
            step(f"day {i + 1} of {days}: {day.isoformat()}")
            planned = plan(workspace, day)
            world.respond(planned.frame)
            sent = planned.frame[planned.frame["status"] == "planned"]
            if len(sent):
                record(workspace, pd.DataFrame({
                    "customer_id": sent["customer_id"], "playbook": sent["playbook"],
                    "plan_date": day, "event": "sent", "at": sent["send_from"],
                    "channel": sent["channel"]}))
            orders = world.orders(day, day + dt.timedelta(days=1))
            if len(orders):
                workspace.ingest("orders", orders)
            h = planned.headline
            rows.append({"date": day, "actions": h["actions"],
                         "held_out": h["control"] + h["global_control"],
                         "suppressed": h["suppressed"], "orders": len(orders)})
        step(f"{settle_days} more days of orders")
        last = first + dt.timedelta(days=days)
        later = world.orders(last, last + dt.timedelta(days=settle_days))
        if len(later):
            workspace.ingest("orders", later)
    return SimulatedDays(first, first + dt.timedelta(days=days - 1), pd.DataFrame(rows),
                         world.treated.copy())
