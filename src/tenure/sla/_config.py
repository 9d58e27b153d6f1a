"""The ``[sla]`` section of ``tenure.toml``: business-hours calendars and SLA policies.

Every value is checked when the section is read; a mistake is one sentence naming the key,
what it holds and what is allowed. The format, with a complete example, is in
``docs/sla.md``.
"""

from __future__ import annotations

import itertools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from tenure.errors import ConfigError

__all__ = ["METRICS", "Calendar", "Credit", "Policy", "SlaConfig", "Targets"]

METRICS: tuple[str, ...] = ("first_response", "next_response", "resolution")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Clock = Literal["business", "calendar"]

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")
_SECTION_KEYS = {"calendars", "policies", "default_policy", "default_priority",
                 "at_risk_hours", "membership_period_months"}
_CALENDAR_KEYS = {"timezone", "hours", "holidays", "workdays", "workday_hours"}
_POLICY_KEYS = {"calendar", "clock", "tiers", "customers", "targets", "credit", "monthly_fee"}
_CREDIT_KEYS = {"amount", "percent", "cap", "cap_percent", "metrics"}


@dataclass(frozen=True)
class Calendar:
    """Working hours in one time zone: weekly hours, holidays and make-up working days.

    ``hours[d]`` lists the (start, end) minutes after midnight worked on weekday ``d``
    (Monday is 0). A holiday has no hours; a make-up working day (a weekend day worked
    instead of a holiday, as in the Chinese public-holiday calendar) has ``workday_hours``.
    """

    name: str
    timezone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date]
    workdays: frozenset[date]
    workday_hours: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Targets:
    """The targets of one priority in one policy, in minutes (None: no target)."""

    priority: str
    first_response: int | None
    next_response: int | None
    resolution: int | None
    clock: Clock

    def minutes(self, metric: str) -> int | None:
        return getattr(self, metric)


@dataclass(frozen=True)
class Credit:
    """What a breach costs: a fixed amount or a percentage of the period's fee, capped."""

    amount: float | None
    percent: float | None
    cap: float | None
    cap_percent: float | None
    metrics: tuple[str, ...]

    @property
    def needs_fee(self) -> bool:
        return self.percent is not None or self.cap_percent is not None


@dataclass(frozen=True)
class Policy:
    """One SLA policy (a tier's or a named contract's) with its targets per priority."""

    name: str
    calendar: str | None
    tiers: tuple[str, ...]
    customers: tuple[str, ...]
    targets: Mapping[str, Targets]  # by priority, lower-cased
    credit: Credit | None
    monthly_fee: float | None


@dataclass(frozen=True)
class SlaConfig:
    """The calendars and policies of a workspace, validated.

    >>> SlaConfig.from_section({"policies": {"all": {"targets": {"P1": {
    ...     "first_response": "1h"}}}}, "default_policy": "all"}).policies["all"].targets["p1"]
    Targets(priority='P1', first_response=60, next_response=None, resolution=None, clock='calendar')
    """

    calendars: Mapping[str, Calendar]
    policies: Mapping[str, Policy]
    default_policy: str | None = None
    default_priority: str | None = None
    at_risk_hours: float = 4.0
    membership_period_months: int = 1

    @classmethod
    def from_section(cls, body: Mapping[str, Any], where: str = "tenure.toml") -> SlaConfig:
        """Read and check the body of the ``[sla]`` section."""
        _known_keys(body, _SECTION_KEYS, "sla", where)
        calendars = {
            name: _calendar(name, spec, where)
            for name, spec in _table(body.get("calendars", {}), "sla.calendars", where).items()
        }
        policies_body = _table(body.get("policies", {}), "sla.policies", where)
        if not policies_body:
            raise ConfigError(
                f"{where}: [sla] declares no policies; add one such as [sla.policies.standard] "
                "with its targets (see docs/sla.md)"
            )
        policies = {name: _policy(name, spec, calendars, where)
                    for name, spec in policies_body.items()}
        _check_unique(policies, "tiers", where)
        _check_unique(policies, "customers", where)
        default_policy = _optional_text(body, "default_policy", "sla", where)
        if default_policy is not None and default_policy not in policies:
            raise ConfigError(
                f"{where}: sla.default_policy = '{default_policy}' is not a policy; the policies "
                f"are {', '.join(policies)}"
            )
        at_risk = body.get("at_risk_hours", 4.0)
        if isinstance(at_risk, bool) or not isinstance(at_risk, int | float) or at_risk <= 0:
            raise ConfigError(f"{where}: sla.at_risk_hours = {at_risk!r} should be a positive "
                              "number of hours such as 4")
        months = body.get("membership_period_months", 1)
        if isinstance(months, bool) or not isinstance(months, int) or months < 1:
            raise ConfigError(f"{where}: sla.membership_period_months = {months!r} should be a "
                              "whole number of months such as 1 or 12")
        return cls(calendars, policies, default_policy,
                   _optional_text(body, "default_priority", "sla", where), float(at_risk), months)


def _table(value: Any, key: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} should be a table such as [{key}.NAME], not {value!r}")
    return value


def _known_keys(body: Mapping[str, Any], allowed: set[str], key: str, where: str) -> None:
    for name in body:
        if name not in allowed:
            raise ConfigError(f"{where}: {key}.{name} is not a known key; the keys of {key} are "
                              f"{', '.join(sorted(allowed))}")


def _optional_text(body: Mapping[str, Any], name: str, key: str, where: str) -> str | None:
    value = body.get(name)
    if value is not None and not (isinstance(value, str) and value.strip()):
        raise ConfigError(f"{where}: {key}.{name} = {value!r} should be a text in quotes")
    return value


def _texts(body: Mapping[str, Any], name: str, key: str, where: str) -> tuple[str, ...]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: {key}.{name} = {value!r} should be a list of texts such as "
                          "[\"a\", \"b\"]")
    return tuple(value)


def _hours(value: Any, key: str, where: str) -> tuple[tuple[int, int], ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ConfigError(f"{where}: {key} = {value!r} should be hours such as \"09:00-18:00\" "
                          "or a list of them")
    spans = []
    for item in items:
        match = _HOURS.match(item) if isinstance(item, str) else None
        if match is None:
            raise ConfigError(f"{where}: {key} has {item!r}; write hours as \"09:00-18:00\"")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or start >= end or end > 24 * 60:
            raise ConfigError(f"{where}: {key} has '{item}', which is not a span within one day; "
                              "the end must come after the start and be at most 24:00")
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise ConfigError(f"{where}: {key} has overlapping hours {value!r}; list each "
                              "working span once")
    return tuple(spans)


def _weekdays(name: str, key: str, where: str) -> list[int]:
    parts = [p.strip().lower()[:3] for p in name.split("-")]
    if len(parts) not in (1, 2) or any(p not in WEEKDAYS for p in parts):
        raise ConfigError(f"{where}: {key}.{name} is not a weekday; use mon, tue, wed, thu, fri, "
                          "sat, sun or a range such as \"mon-fri\"")
    first, last = WEEKDAYS.index(parts[0]), WEEKDAYS.index(parts[-1])
    if last < first:
        raise ConfigError(f"{where}: {key}.{name} runs backwards; write ranges such as "
                          "\"mon-fri\"")
    return list(range(first, last + 1))


def _dates(value: Any, key: str, where: str) -> frozenset[date]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {key} = {value!r} should be a list of dates such as "
                          "[\"2026-10-01..2026-10-07\", \"2026-12-25\"]")
    days: set[date] = set()
    for item in value:
        text = item.isoformat() if isinstance(item, date) else item
        try:
            first, _, last = str(text).partition("..")
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError:
            raise ConfigError(f"{where}: {key} has {item!r}; write a date as \"2026-10-01\" or "
                              "a range as \"2026-10-01..2026-10-07\"") from None
        if end < start:
            raise ConfigError(f"{where}: {key} has the range '{text}', which ends before it "
                              "starts")
        days.update(start + timedelta(days=i) for i in range((end - start).days + 1))
    return frozenset(days)


def _calendar(name: str, spec: Any, where: str) -> Calendar:
    key = f"sla.calendars.{name}"
    spec = _table(spec, key, where)
    _known_keys(spec, _CALENDAR_KEYS, key, where)
    zone = spec.get("timezone")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(f"{where}: {key}.timezone = {zone!r} is not a time zone name; use an "
                          "IANA name such as 'Asia/Shanghai'") from None
    hours_body = _table(spec.get("hours", {}), f"{key}.hours", where)
    week: list[tuple[tuple[int, int], ...]] = [()] * 7
    for days, value in hours_body.items():
        spans = _hours(value, f"{key}.hours.{days}", where)
        for day in _weekdays(days, f"{key}.hours", where):
            week[day] = spans
    if not any(week):
        raise ConfigError(f"{where}: {key}.hours names no working hours; add some such as "
                          "hours = {{ \"mon-fri\" = \"09:00-18:00\" }}")
    holidays = _dates(spec.get("holidays", []), f"{key}.holidays", where)
    workdays = _dates(spec.get("workdays", []), f"{key}.workdays", where)
    both = sorted(holidays & workdays)
    if both:
        raise ConfigError(f"{where}: {key} lists {both[0].isoformat()} both as a holiday and as "
                          "a make-up working day; keep it in one of the two lists")
    if "workday_hours" in spec:
        workday_hours = _hours(spec["workday_hours"], f"{key}.workday_hours", where)
    else:
        workday_hours = week[0] or next(h for h in week if h)
    return Calendar(name, zone, tuple(week), holidays, workdays, workday_hours)


def _minutes(value: Any, key: str, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None or not any(match.groups()):
        raise ConfigError(f"{where}: {key} = {value!r} should be minutes (a whole number) or a "
                          "duration such as \"4h\", \"30m\" or \"1h30m\"")
    minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    if minutes <= 0:
        raise ConfigError(f"{where}: {key} = {value!r} should be more than zero minutes")
    return minutes


def _clock(value: Any, key: str, where: str) -> Clock:
    if value not in ("business", "calendar"):
        raise ConfigError(f"{where}: {key} = {value!r} should be \"business\" (hours of the "
                          "policy's calendar) or \"calendar\" (every hour of the day)")
    return value


def _policy(name: str, spec: Any, calendars: Mapping[str, Calendar], where: str) -> Policy:
    key = f"sla.policies.{name}"
    spec = _table(spec, key, where)
    _known_keys(spec, _POLICY_KEYS, key, where)
    calendar = _optional_text(spec, "calendar", key, where)
    if calendar is not None and calendar not in calendars:
        known = ", ".join(calendars) or "none yet"
        raise ConfigError(f"{where}: {key}.calendar = '{calendar}' is not a calendar; the "
                          f"calendars are: {known} (declare it as [sla.calendars.{calendar}])")
    default_clock = _clock(spec.get("clock", "business" if calendar else "calendar"),
                           f"{key}.clock", where)
    targets: dict[str, Targets] = {}
    for priority, body in _table(spec.get("targets", {}), f"{key}.targets", where).items():
        tkey = f"{key}.targets.{priority}"
        body = _table(body, tkey, where)
        _known_keys(body, {*METRICS, "clock"}, tkey, where)
        clock = _clock(body.get("clock", default_clock), f"{tkey}.clock", where)
        if clock == "business" and calendar is None:
            raise ConfigError(f"{where}: {tkey} counts business hours but {key} names no "
                              "calendar; add calendar = \"NAME\" to the policy or use "
                              "clock = \"calendar\"")
        minutes = {m: _minutes(body[m], f"{tkey}.{m}", where) for m in METRICS if m in body}
        if not minutes:
            raise ConfigError(f"{where}: {tkey} sets no target; give at least one of "
                              f"{', '.join(METRICS)}")
        lowered = priority.strip().lower()
        if lowered in targets:
            raise ConfigError(f"{where}: {key}.targets names priority '{priority}' twice "
                              "(priorities are compared without case)")
        targets[lowered] = Targets(priority, minutes.get("first_response"),
                                   minutes.get("next_response"), minutes.get("resolution"), clock)
    if not targets:
        raise ConfigError(f"{where}: {key} has no targets; add [{key}.targets.P1] with "
                          "first_response, next_response or resolution")
    credit = _credit(spec["credit"], f"{key}.credit", where) if "credit" in spec else None
    fee = spec.get("monthly_fee")
    if fee is not None and (isinstance(fee, bool) or not isinstance(fee, int | float) or fee < 0):
        raise ConfigError(f"{where}: {key}.monthly_fee = {fee!r} should be an amount such as 3000")
    return Policy(name, calendar, _texts(spec, "tiers", key, where),
                  _texts(spec, "customers", key, where), targets, credit,
                  None if fee is None else float(fee))


def _credit(spec: Any, key: str, where: str) -> Credit:
    spec = _table(spec, key, where)
    _known_keys(spec, _CREDIT_KEYS, key, where)
    values: dict[str, float | None] = {}
    for name in ("amount", "percent", "cap", "cap_percent"):
        value = spec.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or value < 0):
            raise ConfigError(f"{where}: {key}.{name} = {value!r} should be a number of at "
                              "least 0")
        values[name] = None if value is None else float(value)
    if (values["amount"] is None) == (values["percent"] is None):
        raise ConfigError(f"{where}: {key} should set exactly one of amount (a fixed credit per "
                          "breach) or percent (of the period's fee per breach)")
    if values["cap"] is not None and values["cap_percent"] is not None:
        raise ConfigError(f"{where}: {key} sets both cap and cap_percent; keep one of them")
    metrics = _texts(spec, "metrics", key, where) or METRICS
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ConfigError(f"{where}: {key}.metrics has '{unknown[0]}'; the metrics are "
                          f"{', '.join(METRICS)}")
    return Credit(values["amount"], values["percent"], values["cap"], values["cap_percent"],
                  tuple(metrics))


def _check_unique(policies: Mapping[str, Policy], field: str, where: str) -> None:
    seen: dict[str, str] = {}
    for policy in policies.values():
        for value in getattr(policy, field):
            folded = value.lower() if field == "tiers" else value
            if folded in seen:
                raise ConfigError(f"{where}: {field[:-1]} '{value}' is in both "
                                  f"sla.policies.{seen[folded]}.{field} and "
                                  f"sla.policies.{policy.name}.{field}; give it one policy")
            seen[folded] = policy.name
