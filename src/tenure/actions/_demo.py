"""The demo's simulated weeks of actions: a copy of the demo shop plans every day of the
first weeks after its data, the simulated world answers (:class:`tenure.simulate.
ActionWorld`), and the lift of what was done is measured against the control groups.

The copy is made afresh on every run from the same seed, so the demo's shop is left as it
was and running the demo again gives the same plans and the same lift.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import tomlkit

from tenure.actions._lift import ActionLift, lift
from tenure.actions._simulation import simulate_days
from tenure.simulate import ActionWorld
from tenure.workspace import Workspace

__all__ = ["ACTIONS_SECTION", "demo_actions"]

DAYS = 21
NEW_YEAR = "2026-01-01..2026-01-03"
WINDOW = 30
# Every playbook on; the simulator's membership tiers with rewards; calls follow the
# Shanghai office calendar of the [sla] section, with the New Year holiday of 2026.
ACTIONS_SECTION = """
[actions]
calendar = "shanghai"

[actions.playbooks.membership_upgrade]
tiers = { silver = { fee = 99, reward = 0.01 }, gold = { fee = 299, reward = 0.03 } }

[actions.playbooks.care_calendar]
customer_days = ["01-18"]
"""


def demo_actions(shop: Path, business, root: Path, step: Callable[[str], None]
                 ) -> tuple[ActionLift, list[str], Path]:
    """Copy ``shop`` to ``root``, plan and simulate :data:`DAYS` days there, and measure the
    lift; the lift, a few sentences and the copy's path."""
    target = root / "actions"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(shop, target)
    config = target / "tenure.toml"
    document = tomlkit.parse(config.read_text(encoding="utf-8"))
    document["sla"]["calendars"]["shanghai"]["holidays"].append(NEW_YEAR)
    config.write_text(tomlkit.dumps(document) + ACTIONS_SECTION, encoding="utf-8")
    world = ActionWorld(business, seed=2024)
    with Workspace(target) as ws:
        step(f"simulating {DAYS} days of actions")
        run = simulate_days(ws, world, DAYS, settle_days=WINDOW)
        step("measuring their lift")
        result = lift(ws, window=f"{WINDOW}d", until=run.last)
    contacts = run.contacts
    lines = [
        f"Actions: {DAYS} days of plans from {run.first.isoformat()} in {target}: "
        f"{int(run.days['actions'].sum()):,} contacts, {int(run.days['held_out'].sum()):,} "
        "held out as controls. The simulated customers answered: "
        f"{int(contacts['persuaded'].sum()):,} bought because of a contact, "
        f"{int(contacts['put_off'].sum()):,} were put off. The lift, over {WINDOW} days "
        "after each action:",
    ]
    return result, lines, target
