"""``plan(workspace, date)``: the day's actions, under the contact policy, written to the
action log.

>>> # plan = tenure.actions.plan(ws, "2026-01-05"); plan.frame.head()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tenure.actions._config import load_actions_config
from tenure.actions._context import PlanContext
from tenure.actions._ledger import write_ledger
from tenure.actions._planner import allocate, cleanup, effects, prepare
from tenure.actions._targeting import rank_by_uplift
from tenure.errors import ConfigError
from tenure.progress import Progress, steps_of
from tenure.results import Result, counted

__all__ = ["PLAN_COLUMNS", "SUPPRESSED_COLUMNS", "ActionPlan", "plan", "plan_date"]

PLAN_COLUMNS = ["customer_id", "playbook", "channel", "offer", "owner_id", "due_date",
                "expected_value", "cost", "reason", "group", "status", "kind", "send_from",
                "send_until", "effect", "value_at_stake", "detail", "note"]
SUPPRESSED_COLUMNS = ["customer_id", "playbook", "reason_code", "reason", "channel",
                      "owner_id", "expected_value", "tried"]


def plan_date(value: Any, name: str = "date") -> dt.date:
    """A plan date from a date, a datetime or ISO text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ConfigError(f"{name} {value!r} should be a date such as 2026-01-05") from None


@dataclass(frozen=True)
class ActionPlan(Result):
    """The actions of one day and what the planner held back.

    ``frame``: one row per action in the ledger for the date (withdrawn ones aside):
    customer_id, playbook, channel, offer, owner_id, due_date, expected_value, cost, reason,
    group (``treatment``, ``control`` or ``global_control``), status (``planned``,
    ``held_out`` for a control, or what was recorded: ``sent``, ``delivered``...), then
    kind, send_from and send_until (the window to send in, local time of the workspace),
    effect, value_at_stake, detail and note. ``suppressed``: every proposal not chosen,
    with reason_code and reason (the rule broken on the preferred channel), channel,
    owner_id, expected_value and, where several channels were tried, what each broke
    (``tried``). ``withdrawn``: actions this run withdrew.
    """

    date: dt.date
    frame: pd.DataFrame
    suppressed: pd.DataFrame
    withdrawn: pd.DataFrame
    proposals: int
    run_id: int
    added: int
    changed: int
    removed: int
    unchanged: int
    effects: dict[str, tuple[float, str]]
    notes: tuple[str, ...]
    seconds: float

    @property
    def headline(self) -> dict[str, Any]:
        groups = self.frame["group"].value_counts()
        codes = self.suppressed["reason_code"].value_counts()
        treated = self.frame[self.frame["group"] == "treatment"]
        return {
            "date": self.date, "proposals": self.proposals, "actions": len(treated),
            "control": int(groups.get("control", 0)),
            "global_control": int(groups.get("global_control", 0)),
            "suppressed": len(self.suppressed),
            "expected_value": float(treated["expected_value"].sum()),
            "cost": float(treated["cost"].sum()),
            "added": self.added, "changed": self.changed, "withdrawn": self.removed,
            "unchanged": self.unchanged, "run_id": self.run_id,
            **{f"held_{code}": int(n) for code, n in codes.items()},
        }

    def lines(self) -> list[str]:
        h = self.headline
        said = [f"Plan for {self.date.isoformat()}: {counted(h['actions'], 'action')} from "
                f"{counted(h['proposals'], 'proposal')}, expected incremental value "
                f"{h['expected_value']:,.0f} for a cost of {h['cost']:,.0f}; "
                f"{h['control'] + h['global_control']:,} held out as controls, "
                f"{h['suppressed']:,} not chosen."]
        said.append(f"Ledger: {self.added:,} added, {self.changed:,} changed, "
                    f"{self.removed:,} withdrawn, {self.unchanged:,} unchanged (run "
                    f"{self.run_id}).")
        measured = [f"{name} {effect:+.3f}" for name, (effect, source) in self.effects.items()
                    if source != "prior"]
        if measured:
            said.append("Effects learned from measured lift: " + ", ".join(measured) + ".")
        said += list(self.notes)
        return said

    def view(self) -> pd.DataFrame:
        return self.frame[["customer_id", "playbook", "channel", "owner_id", "expected_value",
                           "group", "status", "reason"]]

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"suppressed": self.suppressed, "withdrawn": self.withdrawn}

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        by_playbook = (self.frame.groupby(["playbook", "group"]).size().unstack(fill_value=0)
                       .reset_index() if len(self.frame) else pd.DataFrame())
        held = (self.suppressed.groupby(["playbook", "reason_code"]).size()
                .unstack(fill_value=0).reset_index() if len(self.suppressed)
                else pd.DataFrame())
        return [("Actions by playbook and group", by_playbook),
                ("Proposals not chosen, by reason", held),
                ("Actions, highest expected value first", self.view())]

    def chart(self):
        from tenure.charts._actions import plan_chart

        return plan_chart(self)


def plan(workspace, date: Any, *, progress: Progress = None) -> ActionPlan:
    """Plan the actions of ``date`` on ``workspace`` and write them to the action log.

    Every enabled playbook of ``[actions.playbooks]`` proposes, as of the data before the
    date; the contact policy holds back what it must; the planner keeps one action per
    customer (``actions.per_customer_per_day``) within each owner's capacity, by expected
    incremental value; control groups are drawn by a stable hash. Running it again for the
    same date and data changes nothing; after new data it withdraws or adds only actions
    not yet sent (see :mod:`tenure.actions._ledger`).
    """
    day = plan_date(date)
    config = load_actions_config(workspace)
    started = time.perf_counter()
    con = workspace.connection
    with steps_of(progress, 5 + len(config.enabled)) as step:
        ctx = PlanContext(workspace, day, config)
        ctx.effects = effects(con, config, day)
        try:
            proposals = prepare(ctx, step)
            if config.ranking == "uplift":
                rank_by_uplift(ctx)
            allocate(ctx, step)
            step("writing the ledger")
            with workspace.transaction():
                change = write_ledger(con, day, proposals, _settings_text(workspace),
                                      started)
        finally:
            cleanup(con)
    frame, suppressed, withdrawn = read_plan(con, day, change.run_id)
    return ActionPlan(day, frame, suppressed, withdrawn, proposals, change.run_id,
                      change.added, change.changed, change.withdrawn, change.unchanged,
                      ctx.effects, tuple(ctx.notes), time.perf_counter() - started)


def _settings_text(workspace) -> str:
    section = workspace.config.section("actions")
    text = json.dumps(section, sort_keys=True, default=str)
    return hashlib.md5(text.encode("utf-8")).hexdigest()[:12]


def read_plan(con, day: dt.date, run_id: int | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The ledger of ``day``: its actions (withdrawn ones aside), the proposals not chosen,
    and the actions withdrawn by run ``run_id`` (every withdrawn one without a run)."""
    columns = ", ".join(f'"{c}"' for c in PLAN_COLUMNS)
    frame = con.execute(f"""
        SELECT {columns} FROM action_log WHERE plan_date = $d AND status <> 'withdrawn'
        ORDER BY expected_value DESC, customer_id, playbook""", {"d": day}).df()
    suppressed = con.execute(f"""
        SELECT {", ".join(SUPPRESSED_COLUMNS)} FROM action_suppressed WHERE plan_date = $d
        ORDER BY customer_id, playbook""", {"d": day}).df()
    withdrawn = con.execute(f"""
        SELECT {columns} FROM action_log WHERE plan_date = $d AND status = 'withdrawn'
          AND ($run IS NULL OR changed_run = $run) ORDER BY customer_id, playbook""",
                            {"d": day, "run": run_id}).df()
    return frame, suppressed, withdrawn
