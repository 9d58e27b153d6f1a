"""What a playbook is: a name, its kind, its defaults, its own settings, a reason template
and an eligibility query.

A playbook proposes; it does not decide. Its eligibility query, written in Ibis over the
workspace's tables as they stood before the plan date (:class:`~tenure.actions._context.
PlanContext`), returns one row per customer it would act on, with the value at stake and
the reason in plain words. The contact policy, the ranking and the control groups are the
planner's (:mod:`tenure.actions._planner`).

The columns an eligibility query returns (:data:`PROPOSAL_COLUMNS`): ``customer_id``;
``value_at_stake`` (what the outcome the playbook aims at is worth, in money: the value at
risk, the potential value, the offer's revenue); ``reason`` (one English sentence, built
from the playbook's template with :func:`sentence`; the Chinese comes from the catalog);
``offer`` (None: the playbook's configured offer); ``owner_id`` (None: the owner rule);
``due_date`` (None: the plan date); ``detail`` (what the action is about, such as a product,
for the list and ``explain``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from tenure.config import Setting

__all__ = ["PROPOSAL_COLUMNS", "Playbook", "add_days", "money", "percent", "proposals",
           "sentence"]

Kind = Literal["marketing", "transactional"]

PROPOSAL_COLUMNS: dict[str, str] = {
    "customer_id": "string", "value_at_stake": "float64", "reason": "string",
    "offer": "string", "owner_id": "string", "due_date": "date", "detail": "string",
}

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Playbook:
    """One playbook, declared once: the planner, the configuration check, the docs and the
    Chinese catalog all read this.

    ``settings`` are its own thresholds (each a :class:`~tenure.config.Setting` named
    ``actions.playbooks.NAME.SETTING``), read by ``eligible(ctx, values)`` from ``values``.
    ``reasons`` are its sentence templates (English, ``{name}`` for each part that varies);
    the catalog ``tenure/i18n/zh/actions.toml`` holds each in Chinese.
    """

    name: str
    title: str
    summary: str
    kind: Kind
    channels: tuple[str, ...]
    offer: str
    prior_effect: float
    outcome: str
    reasons: tuple[str, ...]
    eligible: Callable[[Any, Mapping[str, Any]], ir.Table]
    settings: tuple[Setting, ...] = ()
    owner: str = "current"
    holdout: float = 0.1
    cooldown_days: int = 30
    ignores_open_tickets: bool = False

    def setting(self, name: str) -> Setting:
        for setting in self.settings:
            if setting.key.rsplit(".", 1)[1] == name:
                return setting
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {s.key.rsplit(".", 1)[1]: s.default for s in self.settings}


def sentence(template: str, **parts: ir.Value) -> ir.StringValue:
    """``template`` with each ``{name}`` replaced by the text of ``parts[name]``, built in
    the engine (a missing part reads as an empty text)."""
    pieces: list[ir.StringValue] = []
    last = 0
    for match in _FIELD.finditer(template):
        if match.start() > last:
            pieces.append(ibis.literal(template[last:match.start()]))
        value = parts[match.group(1)]
        pieces.append(value.cast("string").fill_null(""))
        last = match.end()
    if last < len(template):
        pieces.append(ibis.literal(template[last:]))
    text = pieces[0]
    for piece in pieces[1:]:
        text = text.concat(piece)
    return text


def proposals(table: ir.Table, **columns: Any) -> ir.Table:
    """``table`` shaped into the proposal columns: each of :data:`PROPOSAL_COLUMNS` from
    ``columns`` (an expression or a plain value), missing ones as empty."""
    shaped = {}
    for name, kind in PROPOSAL_COLUMNS.items():
        value = columns.get(name)
        if value is None:
            shaped[name] = ibis.null(kind)
        elif isinstance(value, ir.Value):
            shaped[name] = value.cast(kind)
        else:
            shaped[name] = ibis.literal(value, kind)
    unknown = set(columns) - set(PROPOSAL_COLUMNS)
    if unknown:
        raise TypeError(f"not proposal columns: {sorted(unknown)}")
    return table.select(**shaped)


@ibis.udf.scalar.builtin(name="format")
def _format(template: str, value: int) -> str:
    """The engine's own ``format`` (fmt syntax)."""


def money(value: ir.NumericValue) -> ir.StringValue:
    """An amount as text with no decimals and thousands separators, as a reason shows it."""
    return _format("{:,}", value.round(0).cast("int64"))


def percent(value: ir.NumericValue) -> ir.StringValue:
    """A share as a whole percentage: 0.456 -> '46%'."""
    return (value * 100).round(0).cast("int64").cast("string").concat("%")


def add_days(day: ir.DateValue, days: ir.IntegerValue | int) -> ir.DateValue:
    """``day`` plus ``days`` whole days, as a date (the engine's date + interval is a
    timestamp, which Ibis would otherwise let through as a date)."""
    if isinstance(days, int):
        return (day + ibis.interval(days=days)).cast("timestamp").date()
    return (day + days.cast("int32").as_interval("D")).cast("timestamp").date()


def template_fields(template: str) -> list[str]:
    return _FIELD.findall(template)
