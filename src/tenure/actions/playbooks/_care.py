"""Care calendar: birthdays, purchase anniversaries and the business's own customer days,
for customers who bought within ``active_days``.

A birthday on 29 February is kept on 28 February in other years.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import ibis

from tenure.actions.playbooks._base import Playbook, add_days, proposals, sentence
from tenure.config import Setting, _check_non_negative, _check_positive
from tenure.errors import ConfigError

__all__ = ["CARE"]

NAME = "care_calendar"
BIRTHDAY = "birthday on {day}"
ANNIVERSARY = "anniversary of the first purchase, on {first}"
CUSTOMER_DAY = "{day} is our customer day"


def _check_days(value: Any) -> None:
    for text in value:
        match = re.fullmatch(r"(\d{2})-(\d{2})", text)
        try:
            dt.date(2024, int(match.group(1)), int(match.group(2)))
        except (AttributeError, ValueError):
            raise ConfigError(f"'{text}' is not a day of the year; write it as MM-DD such as "
                              "\"11-11\"") from None


def _same_day(day, target: dt.date):
    """``day`` (a date column) falls on ``target``'s month and day (29 February on 28
    February outside leap years)."""
    same = (day.month() == target.month) & (day.day() == target.day)
    leap = target.year % 4 == 0 and (target.year % 100 != 0 or target.year % 400 == 0)
    if target.month == 2 and target.day == 28 and not leap:
        same = same | ((day.month() == 2) & (day.day() == 29))
    return same


def _eligible(ctx, values):
    purchases = ctx.purchases()
    if purchases is None:
        return None
    active = purchases.filter(ctx.days_before(purchases.last_day) <= values["active_days"])
    value = ctx.value().select("customer_id", "spend_per_purchase")
    active = active.left_join(value, "customer_id").drop("customer_id_right")
    parts = []
    target = ctx.date + dt.timedelta(days=values["birthday_days_ahead"])
    customers = ctx.tables.optional("customers", ("customer_id", "birthday"))
    if customers is not None:
        born = customers.filter(customers.birthday.notnull() & _same_day(customers.birthday,
                                                                         target))
        rows = active.join(born.select("customer_id", "birthday"), "customer_id")
        parts.append(rows.mutate(priority=0, reason=sentence(
            BIRTHDAY, day=ibis.literal(target.isoformat()[5:])),
            due=ibis.literal(target)))
    if values["anniversaries"]:
        years = ctx.date.year - active.first_day.year()
        rows = active.filter(_same_day(active.first_day, ctx.date) & (years >= 1))
        parts.append(rows.mutate(priority=1, reason=sentence(ANNIVERSARY, first=rows.first_day),
            due=ibis.literal(ctx.date)))
    if ctx.date.isoformat()[5:] in values["customer_days"]:
        parts.append(active.mutate(priority=2, reason=sentence(
            CUSTOMER_DAY, day=ibis.literal(ctx.date.isoformat()[5:])),
            due=ibis.literal(ctx.date)))
    if not parts:
        return None
    shape = ["customer_id", "spend_per_purchase", "gross", "purchase_days", "priority",
             "reason", "due"]
    union = ibis.union(*[p.select(*shape) for p in parts])
    first = ibis.row_number().over(group_by="customer_id", order_by="priority")
    union = union.mutate(rank=first)
    chosen = union.filter(union.rank == 0)
    kinds = ibis.cases((chosen.priority == 0, "birthday"), (chosen.priority == 1, "anniversary"),
                       else_="customer day")
    return proposals(chosen, customer_id=chosen.customer_id,
                     value_at_stake=chosen.spend_per_purchase.fill_null(
                         chosen.gross / ibis.greatest(chosen.purchase_days, 1)),
                     reason=chosen.reason, due_date=add_days(chosen.due, 0), detail=kinds)


CARE = Playbook(
    name=NAME,
    title="Care calendar",
    summary="Birthdays, purchase anniversaries and the business's customer days, for "
            "customers active in the last year.",
    kind="marketing",
    channels=("wechat", "sms"),
    offer="a small gift",
    prior_effect=0.02,
    outcome="purchased",
    reasons=(BIRTHDAY, ANNIVERSARY, CUSTOMER_DAY),
    eligible=_eligible,
    cooldown_days=30,
    settings=(
        Setting(f"actions.playbooks.{NAME}.birthday_days_ahead", 0,
                "Days before a birthday the greeting goes (0: on the day).",
                _check_non_negative),
        Setting(f"actions.playbooks.{NAME}.anniversaries", True,
                "Whether the anniversary of a customer's first purchase counts."),
        Setting(f"actions.playbooks.{NAME}.customer_days", [],
                "The business's customer days, as MM-DD (such as [\"11-11\"]): every active "
                "customer is eligible on them.", _check_days),
        Setting(f"actions.playbooks.{NAME}.active_days", 365,
                "Only customers who bought within this many days.", _check_positive),
    ),
)
