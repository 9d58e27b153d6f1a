"""Actions: ``tenure actions plan|list|explain|record|lift``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from tenure.capabilities._spec import Capability, option

__all__ = ["ACTIONS"]

# The playbooks' names, written out so that declaring the capabilities loads no playbook.
PLAYBOOK_NAMES = ("maintenance_due", "replenishment", "trade_in", "nurture", "at_risk",
                  "win_back", "cross_sell", "membership_upgrade", "care_calendar",
                  "service_recovery", "referral_ask", "handover_intro")
_DATE = "The plan date (default: the day after the latest order)."
_PLANNED = "The plan date (default: the latest date planned)."


@dataclass(frozen=True)
class PlanOptions:
    date: dt.date | None = option(None, help=_DATE)


@dataclass(frozen=True)
class ListOptions:
    date: dt.date | None = option(None, help=_PLANNED)
    owner: str | None = option(None, help="Only this owner's actions.")
    playbook: str | None = option(None, help="Only this playbook's actions.",
                                  choices=PLAYBOOK_NAMES)
    lang: str = option("en", help="Language of the headers and words: en or zh.",
                       choices=("en", "zh"))


@dataclass(frozen=True)
class ExplainOptions:
    customer_id: str = option(help="The customer to explain.", positional=True)
    date: dt.date | None = option(None, help=_PLANNED)
    owner: str | None = option(None, help="Only if this owner looks after the customer now.")


@dataclass(frozen=True)
class RecordOptions:
    source: Path = option(help="CSV, Parquet, JSON lines or Excel file of outcomes: "
                               "customer_id, playbook, plan_date, event, at, channel.",
                          positional=True)
    map: Path | None = option(None, help="Mapping file (TOML) from your column names to "
                                         "the outcome columns.")


@dataclass(frozen=True)
class LiftOptions:
    since: dt.date | None = option(None, help="First plan date measured (default: the "
                                              "first in the log).")
    until: dt.date | None = option(None, help="Last plan date measured (default: the last "
                                              "whose window has ended).")
    window: str = option("30d", help="Days (or weeks) after each action in which outcomes "
                                     "count, such as 30d or 4w.")
    uplift: bool = option(False, help="Also fit each playbook's uplift model and judge it "
                                      "on held-out customers.")
    record: bool = option(True, help="Record the measured effects for the planner (a "
                                     "report only reads them: no).")


def _latest_planned(ws) -> dt.date:
    from tenure.errors import InputError

    found = ws.connection.execute("SELECT max(plan_date) FROM action_runs").fetchall()[0][0]
    if found is None:
        raise InputError("nothing has been planned yet; plan a day first with `tenure "
                         "actions plan --date D`")
    return found


def _plan(ws, o: PlanOptions, progress):
    from tenure import actions

    date = o.date
    if date is None:
        last = ws.connection.execute("SELECT max(CAST(ordered_at AS DATE)) FROM orders"
                                     ).fetchall()[0][0]
        date = (last or dt.date.today()) + dt.timedelta(days=1)
    return actions.plan(ws, date, progress=progress)


def _list(ws, o: ListOptions, progress):
    from tenure import actions

    return actions.action_list(ws, o.date or _latest_planned(ws), owner=o.owner,
                               playbook=o.playbook, lang=o.lang)


def _explain(ws, o: ExplainOptions, progress):
    from tenure import actions

    if o.owner is not None:
        from tenure.customers import check_owner

        check_owner(ws, o.customer_id, o.owner)
    return actions.explain(ws, o.customer_id, o.date or _latest_planned(ws))


def _record(ws, o: RecordOptions, progress):
    from tenure import actions
    from tenure.io import Mapping

    mapping = Mapping.load(o.map) if o.map is not None else None
    return actions.record(ws, o.source, mapping, progress=progress)


def _lift(ws, o: LiftOptions, progress):
    from tenure import actions

    return actions.lift(ws, since=o.since, until=o.until, window=o.window, uplift=o.uplift,
                        write=o.record, progress=progress)


ACTIONS: tuple[Capability, ...] = (
    Capability("actions plan", "Plan a day's actions under the contact policy and write them "
               "to the action log.", PlanOptions, _plan, "tenure.actions:ActionPlan",
               "tenure actions plan --date 2026-01-05", writes=True, chart=True),
    Capability("actions list", "List a day's actions per owner, to work from (in Excel with "
               "--xlsx, in Chinese with --lang zh).", ListOptions, _list,
               "tenure.actions:ActionList",
               "tenure actions list --date 2026-01-05 --owner rep_01 --lang zh --xlsx 今日.xlsx"),
    Capability("actions explain", "Show every playbook considered for a customer on a day, and "
               "why each was chosen or not.", ExplainOptions, _explain,
               "tenure.actions:ActionExplanation",
               "tenure actions explain C0000001 --date 2026-01-05"),
    Capability("actions record", "Record channel outcomes of actions from a file; bad rows go "
               "to quarantine.", RecordOptions, _record, "tenure.actions:OutcomeRecord",
               "tenure actions record 触达结果.csv", writes=True),
    Capability("actions lift", "Measure each playbook and the programme against their "
               "control groups.", LiftOptions, _lift, "tenure.actions:ActionLift",
               "tenure actions lift --since 2026-01-01 --window 30d", writes=True, chart=True),
)
