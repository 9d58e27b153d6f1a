"""Point-in-time features: named groups of Ibis expressions, each feature with its words.

A :class:`FeatureGroup` turns the workspace as it stood at an as-of date into one row per
customer. Its ``build`` function receives a :class:`FeatureContext` and returns an Ibis table
keyed by ``customer_id``; it reads the workspace only through ``context.before(...)`` (rows
stamped before the as-of date) and ``context.known(...)`` (a later time stamp hidden), so a
group cannot see the future by accident. Each :class:`Feature` carries a description (what it
measures) and a reason template (how it reads in a customer's explanation).
"""

from __future__ import annotations

import datetime as dt
import math
import string
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import ibis

from tenure.churn._definition import ChurnDefinition
from tenure.contract import TABLES

__all__ = ["Feature", "FeatureContext", "FeatureGroup"]


@dataclass(frozen=True)
class Feature:
    """One model input.

    ``reason`` is a :meth:`str.format` template over the customer's feature values, read as a
    sentence when the feature pushes their risk up; ``{n:?ticket|tickets}`` picks the word
    for one or for several. ``fallback`` is used when a value the reason names is missing.
    ``fill`` replaces a missing value (a count with no rows is 0).

    >>> Feature("tickets", "tickets", "{tickets:.0f} {tickets:?ticket|tickets}").sentence(
    ...     {"tickets": 1.0})
    '1 ticket'
    """

    name: str
    description: str
    reason: str
    fallback: str | None = None
    fill: float | str | None = None
    categorical: bool = False

    def fields(self, template: str | None = None) -> tuple[str, ...]:
        parts = _WORDS.parse(template if template is not None else self.reason)
        return tuple(name for _, name, _, _ in parts if name)

    def sentence(self, values: Mapping[str, object]) -> str:
        """The reason for a customer whose feature values are ``values``."""
        if any(_missing(values.get(f)) for f in self.fields()):
            if self.fallback is None:
                return f"{self.description}: not known"
            return _WORDS.format(self.fallback, **values)
        return _WORDS.format(self.reason, **values)


class _Words(string.Formatter):
    """``str.format`` plus ``{n:?one|many}``, the word for one or for several."""

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec.startswith("?"):
            one, many = format_spec[1:].split("|")
            return one if value == 1 else many
        return super().format_field(value, format_spec)


_WORDS = _Words()


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class FeatureContext:
    """What a feature group may see: the workspace as it stood at ``as_of``.

    Tables that several groups read (the purchase history of every customer) are built once
    per context with :meth:`shared`; :meth:`close` drops them and every other temporary
    table the groups made.
    """

    workspace: object
    as_of: dt.date
    definition: ChurnDefinition
    _temporary: dict = field(default_factory=dict, compare=False, repr=False)

    def shared(self, key: str, build: Callable[[FeatureContext], ibis.Table]) -> ibis.Table:
        """``build(self)`` run once into a temporary table of the workspace's connection and
        returned as that table, here and to every later caller with the same ``key``."""
        if key not in self._temporary:
            self.temporary(key, build(self))
        return self._temporary[key][1]

    def temporary(self, key: str, data) -> ibis.Table:
        """``data`` (an Ibis expression, or an Arrow or pandas table) stored as a temporary
        table of the workspace's connection until :meth:`close`."""
        if key in self._temporary:
            self.workspace.connection.execute(f'DROP TABLE IF EXISTS "{self._temporary[key][0]}"')
        name = f"_tenure_churn_{key}_{uuid.uuid4().hex[:12]}"
        table = self.workspace.ibis.create_table(name, data, temp=True)
        self._temporary[key] = (name, table)
        return table

    def close(self) -> None:
        """Drop the temporary tables made for this date."""
        for name, _ in self._temporary.values():
            self.workspace.connection.execute(f'DROP TABLE IF EXISTS "{name}"')
        self._temporary.clear()

    @property
    def cutoff(self) -> ibis.Expr:
        """The as-of date as a timestamp literal: the first instant of the future."""
        return ibis.timestamp(dt.datetime.combine(self.as_of, dt.time()))

    @property
    def day(self) -> ibis.Expr:
        return ibis.date(self.as_of)

    def before(self, name: str) -> ibis.Table:
        """Rows of contract table ``name`` stamped before the as-of date (by its time column);
        later time stamps in those rows (a resolution, an end) are hidden as missing."""
        table = self.workspace.table(name)
        spec = TABLES[name]
        if spec.time_column is not None:
            table = table.filter(table[spec.time_column] < self.cutoff)
        return self.known(table, spec.name)

    def known(self, table: ibis.Table, name: str) -> ibis.Table:
        """``table`` with every time stamp of contract table ``name`` that is not before the
        as-of date replaced by missing."""
        spec = TABLES[name]
        hidden = {}
        for column in spec.columns:
            if column.type == "timestamp" and column.name != spec.time_column:
                value = table[column.name]
                hidden[column.name] = ibis.ifelse(value < self.cutoff, value, ibis.null())
        return table.mutate(**hidden) if hidden else table

    def days_since(self, value: ibis.Value) -> ibis.Value:
        """Whole days from ``value`` (a timestamp or date) to the as-of date."""
        day = value.date() if value.type().is_timestamp() else value
        return self.day.delta(day, unit="day")

    def since(self, days: int) -> ibis.Expr:
        """The timestamp ``days`` days before the as-of date."""
        return ibis.timestamp(dt.datetime.combine(self.as_of - dt.timedelta(days=days),
                                                  dt.time()))


@dataclass(frozen=True)
class FeatureGroup:
    """A named set of features built by one Ibis expression over the as-of workspace."""

    name: str
    description: str
    features: tuple[Feature, ...]
    build: Callable[[FeatureContext], ibis.Table] = field(repr=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.features]
        assert len(set(names)) == len(names), f"{self.name}: repeated feature names"
