"""Point-in-time features: named groups of Ibis expressions, each feature with its words.

A :class:`FeatureGroup` turns the workspace as it stood at an as-of date into one row per
customer. Its ``build`` function receives a :class:`FeatureContext` and returns an Ibis table
keyed by ``customer_id``; it reads the workspace only through ``context.before(...)`` (rows
stamped before the as-of date) and ``context.known(...)`` (a later time stamp hidden), so a
group cannot see the future by accident. Each :class:`Feature` carries a description (what it
measures) and a reason template (how it reads in a customer's explanation).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import string
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import ibis
import numpy as np
import pandas as pd

from tenure.churn._definition import ChurnDefinition
from tenure.engine._backends import drop_kept, keep_table
from tenure.engine._history import as_of_rows, cutoff, hide_later

__all__ = ["Feature", "FeatureContext", "FeatureGroup"]


RISKS = ("high", "low")


@dataclass(frozen=True)
class Feature:
    """One model input.

    ``reason`` is a :meth:`str.format` template over the customer's feature values, read as a
    sentence when the feature pushes their risk up; ``{n:?ticket|tickets}`` picks the word
    for one or for several, and ``{currency}`` is the sign of the workspace currency.
    ``fallback`` is used when a value the reason names is missing. ``fill`` replaces a
    missing value (a count with no rows is 0).

    A sentence argues one way: "only ¥39 spent in the last 90 days" says that a *low* value
    is the risk. ``risk`` says which values the sentence calls a risk (``"high"`` or
    ``"low"``) and ``neutral`` the value that is neither (None: the median of the training
    rows); ``also`` does the same for the other values the sentence shows, as
    ``(name, risk, neutral)``. A feature is a reason for a customer only when their values
    lie on the side the sentence says, so that "buying 1.4x as often as before" is never
    given as a reason to leave, however the trees weighed it. ``missing_is_reason`` says
    whether the fallback reads as a reason ("no second purchase yet" does; "never handed to
    a new owner" does not).

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
    risk: str | None = None
    neutral: float | None = None
    also: tuple[tuple[str, str, float | None], ...] = ()
    missing_is_reason: bool = True

    def __post_init__(self) -> None:
        # A feature read back from a saved model has lists where it was written with tuples.
        object.__setattr__(self, "also", tuple(tuple(side) for side in self.also))
        for _, risk, _ in ((self.name, self.risk, None), *self.also):
            assert risk is None or risk in RISKS, f"{self.name}: risk '{risk}' is not {RISKS}"

    def fields(self, template: str | None = None) -> tuple[str, ...]:
        return _fields(template if template is not None else self.reason)

    def to_dict(self) -> dict:
        """The feature as JSON data (a saved model keeps its features)."""
        data = dataclasses.asdict(self)
        data["also"] = [list(side) for side in self.also]
        return data

    def sentence(self, values: Mapping[str, object]) -> str:
        """The reason for a customer whose feature values are ``values``."""
        if any(_missing(values.get(f)) for f in self.fields()):
            if self.fallback is None:
                return f"{self.description}: not known"
            return _format(self.fallback, values)
        return _format(self.reason, values)

    def argues(self, frame: pd.DataFrame, typical: Mapping[str, float]) -> np.ndarray:
        """Whether, for each row of ``frame``, the values lie on the side this feature's
        sentence calls a risk (``typical`` gives the neutral value of a feature without a
        fixed one; a feature missing from it is not checked)."""
        agrees = np.ones(len(frame), dtype=bool)
        for name, risk, neutral in ((self.name, self.risk, self.neutral), *self.also):
            reference = neutral if neutral is not None else typical.get(name)
            if risk is None or reference is None:
                continue
            values = pd.to_numeric(frame[name]).to_numpy(dtype="float64", na_value=np.nan)
            # Compared as the sentence shows them: a rate of 0.97 reads "1.0x as often as
            # before", which is no decline. Rounding both sides keeps every reason on the
            # risky side of the raw values too.
            digits = _shown_digits(self.reason, name)
            if digits is not None:
                values, reference = np.round(values, digits), round(reference, digits)
            with np.errstate(invalid="ignore"):
                side = values > reference if risk == "high" else values < reference
            agrees &= side | np.isnan(values)
        if not self.missing_is_reason:
            for name in self.fields():
                if name in frame.columns:
                    agrees &= frame[name].notna().to_numpy()
        return agrees

    def readings(self, name: str, values: Sequence[object]) -> list[str]:
        """How each of ``values`` (none missing) of field ``name`` reads in this feature's
        sentences, every form it takes joined: values that read alike give one sentence.

        >>> Feature("gap", "gap", "{gap:.1f}x").readings("gap", [3.14, 3.1, 2.0])
        ['3.1', '3.1', '2.0']
        """
        forms = [_reading(values, spec, conversion)
                 for template in (self.reason, self.fallback) if template
                 for _, field, spec, conversion in _WORDS.parse(template) if field == name]
        if len(forms) == 1:
            return forms[0]
        return ["\x1f".join(parts) for parts in zip(*forms, strict=True)]


class _Words(string.Formatter):
    """``str.format`` plus ``{n:?one|many}``, the word for one or for several."""

    def format_field(self, value: object, format_spec: str) -> str:
        if format_spec.startswith("?"):
            one, many = format_spec[1:].split("|")
            return one if value == 1 else many
        return super().format_field(value, format_spec)


_WORDS = _Words()


@functools.cache
def _fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in _WORDS.parse(template) if name)


@functools.cache
def _shown_digits(template: str, name: str) -> int | None:
    """The decimals ``template`` shows ``name`` with (``{x:.1f}``: 1), None if it does not
    show it as a fixed-point number."""
    for _, shown, spec, _ in _WORDS.parse(template):
        if shown == name and spec and spec.endswith("f") and "." in spec:
            return int(spec[spec.rindex(".") + 1:-1])
    return None


@functools.cache
def _compiled(template: str) -> tuple[str, tuple[tuple[str, str, str, str], ...]] | None:
    """``template`` as a plain ``str.format`` template, each ``{n:?one|many}`` replaced by a
    field of its own, with those fields (key, name, one, many); None if a field is not a
    plain name. ``str.format`` runs in C, ``_WORDS.format`` in Python."""
    parts, words = [], []
    for literal, name, spec, conversion in _WORDS.parse(template):
        parts.append(literal.replace("{", "{{").replace("}", "}}"))
        if name is None:
            continue
        if not name.isidentifier():
            return None
        if spec.startswith("?"):
            one, many = spec[1:].split("|")
            words.append((f"_word{len(words)}", name, one, many))
            parts.append(f"{{_word{len(words) - 1}}}")
        else:
            parts.append(f"{{{name}{'!' + conversion if conversion else ''}"
                         f"{':' + spec if spec else ''}}}")
    return "".join(parts), tuple(words)


def _format(template: str, values: Mapping[str, object]) -> str:
    compiled = _compiled(template)
    if compiled is None:
        return _WORDS.format(template, **values)
    plain, words = compiled
    return plain.format(**values, **{key: one if values[name] == 1 else many
                                     for key, name, one, many in words})


def _reading(values: Sequence[object], spec: str, conversion: str | None) -> list[str]:
    if conversion is None and spec.startswith("?"):
        one, many = spec[1:].split("|")
        return [one if value == 1 else many for value in values]
    if conversion is None:
        return [format(value, spec) for value in values]
    return [_WORDS.format_field(_WORDS.convert_field(value, conversion), spec)
            for value in values]


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
    counted: ibis.Table | None = field(default=None, compare=False, repr=False)
    _temporary: dict = field(default_factory=dict, compare=False, repr=False)

    def customers(self) -> ibis.Table:
        """The customers counted at the as-of date (customer_id): the rows of a group that
        gives every one of them a value, joined to what it knows of them."""
        if self.counted is None:
            raise RuntimeError("the customers are counted when the snapshot is taken")
        return self.counted.select("customer_id")

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
            drop_kept(self.workspace.ibis, self._temporary[key][0])
        name = f"_tenure_churn_{key}_{uuid.uuid4().hex[:12]}"
        table = keep_table(self.workspace.ibis, name, data)
        self._temporary[key] = (name, table)
        return table

    def close(self) -> None:
        """Drop the temporary tables made for this date."""
        for name, _ in self._temporary.values():
            drop_kept(self.workspace.ibis, name)
        self._temporary.clear()

    @property
    def cutoff(self) -> ibis.Expr:
        """The as-of date as a timestamp literal: the first instant of the future."""
        return cutoff(self.as_of)

    @property
    def day(self) -> ibis.Expr:
        return ibis.date(self.as_of)

    def before(self, name: str) -> ibis.Table:
        """Rows of contract table ``name`` stamped before the as-of date (by its time column);
        later time stamps in those rows (a resolution, an end) are hidden as missing."""
        return as_of_rows(self.workspace.table(name), name, self.as_of)

    def known(self, table: ibis.Table, name: str) -> ibis.Table:
        """``table`` with every time stamp of contract table ``name`` that is not before the
        as-of date replaced by missing."""
        return hide_later(table, name, self.as_of)

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
