"""The ``[actions]`` section of ``tenure.toml``: playbooks, channels, the contact policy,
capacity and control groups, checked in one place.

Every key is declared once, as a :class:`~tenure.config.Setting` (name, default, help,
check): the section's own (``actions.*``), the policy's (``actions.policy.*``), each
channel's (``actions.channels.NAME.*``), each playbook's common keys
(``actions.playbooks.NAME.*``) and each playbook's own thresholds (declared in its module).
A mistake is one sentence naming the key, what it holds and what is allowed. The format,
with a complete example, is in ``docs/actions.md``.

>>> config = ActionsConfig.from_section({"playbooks": {"at_risk": {"holdout": 0.2}}})
>>> config.playbooks["at_risk"].holdout, config.playbooks["at_risk"].channels
(0.2, ('call', 'wechat', 'sms'))
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from tenure.actions.playbooks import PLAYBOOKS, Playbook
from tenure.config import (
    Setting,
    _check_non_negative,
    _check_positive,
    _check_positive_number,
)
from tenure.errors import ConfigError
from tenure.sla._config import WEEKDAYS, Calendar, _calendar

__all__ = ["ActionsConfig", "Cap", "Channel", "PlaybookConfig", "Policy", "load_actions_config"]

PERIODS = ("month", "quarter", "year")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _check_period(value: str) -> None:
    if value not in PERIODS:
        raise ConfigError(f"'{value}' is not a period; use month, quarter or year")


def _check_share(value: float) -> None:
    if not 0 <= value <= 0.5:
        raise ConfigError(f"{value} should be a share from 0 to 0.5, such as 0.1: a control "
                          "group larger than the treated one measures less, not more")


def _check_hours(value: str) -> None:
    _minutes(value)


def _working_week(text: str) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Weekdays and hours such as "mon-fri 09:00-18:00" as the hours of each weekday
    (Monday first; a day not worked has none)."""
    days, _, span = str(text).strip().partition(" ")
    parts = [p.strip().lower()[:3] for p in days.split("-")]
    if not span.strip() or len(parts) not in (1, 2) or any(p not in WEEKDAYS for p in parts):
        raise ConfigError(f"'{text}' is not working days and hours; write them as "
                          "\"mon-fri 09:00-18:00\" (days: mon, tue, wed, thu, fri, sat, sun)")
    first, last = WEEKDAYS.index(parts[0]), WEEKDAYS.index(parts[-1])
    worked = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
    hours = (_minutes(span.strip()),)
    return tuple(hours if day in worked else () for day in range(7))


def _check_working_hours(value: str) -> None:
    if value:
        _working_week(value)


def _check_quiet(value: str) -> None:
    if value:
        _minutes(value, wraps=True)


def _check_ranking(value: str) -> None:
    if value not in ("prior", "uplift"):
        raise ConfigError(f"'{value}' is not a ranking; use prior (the playbook's effect, "
                          "then its measured lift) or uplift (each customer's predicted uplift)")


def _check_quota(value: Any) -> None:
    if value != "days" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigError(f"{value!r} should be a whole number of messages (0: no quota) or "
                          "\"days\" (as many as the month has days)")


def _check_margin(value: float) -> None:
    if not 0 < value <= 1:
        raise ConfigError(f"{value} should be a share above 0 and at most 1, such as 0.3")


def _check_effect(value: float) -> None:
    if not -1 <= value <= 1:
        raise ConfigError(f"{value} should be a change in a chance, between -1 and 1")


def _check_cost(value: float) -> None:
    if value < 0 and value != -1:
        raise ConfigError(f"{value} should be an amount of at least 0 (or -1 for the "
                          "channel's cost)")


def _minutes(text: str, *, wraps: bool = False) -> tuple[int, int]:
    """A span "HH:MM-HH:MM" as minutes after midnight; ``wraps`` allows one that runs past
    midnight, such as quiet hours "21:00-08:00"."""
    match = _HOURS.match(text) if isinstance(text, str) else None
    if match is None:
        raise ConfigError(f"'{text}' is not a span of hours; write it as \"09:00-21:00\"")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or start > 24 * 60 or end > 24 * 60 or start == end or (
            end < start and not wraps):
        raise ConfigError(f"'{text}' is not a span within one day; the end must come after "
                          "the start and be at most 24:00")
    return start, end


SECTION: tuple[Setting, ...] = (
    Setting("actions.per_customer_per_day", 1,
            "Actions a customer may receive on one day; the highest expected value wins.",
            _check_positive),
    Setting("actions.global_holdout", 0.05,
            "Share of customers who receive no marketing at all, so that the programme as a "
            "whole is measured.", _check_share),
    Setting("actions.reshuffle", "quarter",
            "How often the global holdout is drawn again: month, quarter or year.",
            _check_period),
    Setting("actions.holdout_period", "quarter",
            "How often each playbook's control group is drawn again: month, quarter or year.",
            _check_period),
    Setting("actions.calendar", "",
            "A calendar of the [sla] section whose working days and hours (holidays and "
            "make-up working days included) bound the channels a person works (staffed); "
            "empty: actions.working_hours."),
    Setting("actions.working_hours", "mon-fri 09:00-18:00",
            "Without actions.calendar: the working days and hours, in the workspace's time "
            "zone, that bound the channels a person works (a call is made from the office, "
            "whatever the customer's own hours); empty: no bound but the channel's hours.",
            _check_working_hours),
    Setting("actions.margin", 1.0,
            "Share of revenue that is profit, applied to the value at stake.", _check_margin),
    Setting("actions.ranking", "prior",
            "How effects are ranked: prior (the playbook's prior, then its measured lift "
            "shrunk toward it) or uplift (each customer's uplift predicted from the "
            "playbook's own treated and control outcomes).", _check_ranking),
    Setting("actions.min_measured", 200,
            "Treated and control customers each a playbook needs before its measured lift "
            "(or its uplift model) is used.", _check_positive),
)
POLICY: tuple[Setting, ...] = (
    Setting("actions.policy.quiet_hours", "21:00-08:00",
            "Hours in the customer's own time zone when nobody is contacted (may run past "
            "midnight); empty: none.", _check_quiet),
    Setting("actions.policy.cooldown_days", 2,
            "Days after any touch before the next marketing touch.", _check_non_negative),
    Setting("actions.policy.caps", ["3 per 7 days", "1 per 1 calendar day"],
            "Frequency caps on marketing touches, counting every touch: \"N per D days\" "
            "(a rolling window of D x 24 hours before the send) or \"N per D calendar days\" "
            "(the customer's own calendar days, today included); prefix a channel to cap "
            "it alone: \"sms: 4 per 30 days\"."),
    Setting("actions.policy.transactional_caps", ["2 per 1 calendar day"],
            "Frequency caps on transactional touches (maintenance, service recovery), "
            "counting transactional touches only; same format as caps."),
    Setting("actions.policy.transactional_opt_in", False,
            "Whether transactional touches need the marketing opt-in of a channel that "
            "requires one; an opt-out (and do-not-contact) always stops them."),
    Setting("actions.policy.suppress_open_tickets", True,
            "Hold back every playbook but service recovery while the customer has a ticket "
            "open."),
)
CHANNEL: tuple[Setting, ...] = (
    Setting("actions.channels.NAME.requires_opt_in", True,
            "Marketing on this channel needs the customer's opt-in (consents)."),
    Setting("actions.channels.NAME.hours", "09:00-21:00",
            "Hours, in the customer's own time zone, when messages on this channel go.",
            _check_hours),
    Setting("actions.channels.NAME.staffed", False,
            "A person works this channel (a call, a visit): the workspace calendar's working "
            "days and hours apply, and owners' capacity."),
    Setting("actions.channels.NAME.capacity", 0,
            "Actions one owner can do on this channel in a day (0: no limit); "
            "[actions.capacity] sets it per owner.", _check_non_negative),
    Setting("actions.channels.NAME.monthly_quota", 0,
            "Messages one customer may receive on this channel in a calendar month (0: no "
            "quota; \"days\": as many as the month has days).", _check_quota),
    Setting("actions.channels.NAME.cost", 0.0, "Cost of one contact on this channel.",
            _check_non_negative),
)
# The channels every workspace starts with; [actions.channels.NAME] changes or adds one.
DEFAULT_CHANNELS: dict[str, dict[str, Any]] = {
    "wechat": {"monthly_quota": 4, "cost": 0.0},
    "sms": {"cost": 0.05},
    "email": {"hours": "08:00-22:00", "cost": 0.01},
    "call": {"requires_opt_in": False, "hours": "09:00-18:00", "staffed": True,
             "capacity": 30, "cost": 5.0},
}
PLAYBOOK: tuple[Setting, ...] = (
    Setting("actions.playbooks.NAME.enabled", True, "Whether the playbook proposes actions."),
    Setting("actions.playbooks.NAME.channels", ["wechat"],
            "Channels in order of preference; the first one the policy allows is used."),
    Setting("actions.playbooks.NAME.offer", "", "What the action offers (a default per "
                                                 "playbook; some playbooks choose per customer)."),
    Setting("actions.playbooks.NAME.owner", "current",
            "Who does the action: current (the customer's owner) or an owner id."),
    Setting("actions.playbooks.NAME.fallback_owner", "unassigned",
            "Who does it when the customer has no current owner."),
    Setting("actions.playbooks.NAME.holdout", 0.1,
            "Share of the customers it would act on held out as its control group.",
            _check_share),
    Setting("actions.playbooks.NAME.cost", -1.0,
            "Cost of one action; -1 uses the channel's cost.", _check_cost),
    Setting("actions.playbooks.NAME.prior_effect", 0.05,
            "Expected change in the chance of the playbook's outcome per action, until its "
            "lift is measured.", _check_effect),
    Setting("actions.playbooks.NAME.prior_sd", 0.05,
            "How uncertain the prior effect is (a standard deviation): the measured lift "
            "outweighs the prior once its standard error is below this.",
            _check_positive_number),
    Setting("actions.playbooks.NAME.cooldown_days", 30,
            "Days before the same playbook may act on the same customer again.",
            _check_non_negative),
)

_CAP = re.compile(r"^\s*(?:(?P<channel>[\w-]+)\s*:\s*)?(?P<touches>\d+)\s+per\s+(?P<days>\d+)"
                  r"\s+(?P<calendar>calendar\s+)?days?\s*$")


@dataclass(frozen=True)
class Cap:
    """At most ``touches`` touches over ``days`` days (``rolling``: the days x 24 hours
    before the send; ``calendar``: the customer's calendar days, the send's included), on
    ``channel`` or on every channel (None)."""

    touches: int
    days: int
    window: Literal["rolling", "calendar"]
    channel: str | None
    text: str


@dataclass(frozen=True)
class Channel:
    name: str
    requires_opt_in: bool
    hours: tuple[int, int]
    staffed: bool
    capacity: int
    monthly_quota: int | str
    cost: float


@dataclass(frozen=True)
class Policy:
    quiet_hours: tuple[int, int] | None
    cooldown_days: int
    caps: tuple[Cap, ...]
    transactional_caps: tuple[Cap, ...]
    transactional_opt_in: bool
    suppress_open_tickets: bool


@dataclass(frozen=True)
class PlaybookConfig:
    """One playbook with its settings in force: the common ones and its own (``values``)."""

    playbook: Playbook
    enabled: bool
    channels: tuple[str, ...]
    offer: str
    owner: str
    fallback_owner: str
    holdout: float
    cost: float | None
    prior_effect: float
    prior_sd: float
    cooldown_days: int
    values: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.playbook.name

    @property
    def kind(self) -> str:
        return self.playbook.kind


@dataclass(frozen=True)
class ActionsConfig:
    """The ``[actions]`` section, checked (see the module docstring)."""

    playbooks: Mapping[str, PlaybookConfig]
    channels: Mapping[str, Channel]
    policy: Policy
    capacity: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    per_customer_per_day: int = 1
    global_holdout: float = 0.05
    reshuffle: str = "quarter"
    holdout_period: str = "quarter"
    calendar: Calendar | None = None
    working_hours: str = ""
    margin: float = 1.0
    ranking: str = "prior"
    min_measured: int = 200

    @classmethod
    def from_section(cls, body: Mapping[str, Any], *, sla: Mapping[str, Any] | None = None,
                     where: str = "tenure.toml") -> ActionsConfig:
        """Read and check the body of ``[actions]`` (``sla``: the body of ``[sla]``, whose
        calendars ``actions.calendar`` may name)."""
        body = _table(body, "actions", where)
        parts = {"policy", "channels", "playbooks", "capacity"}
        top = _values(SECTION, {k: v for k, v in body.items() if k not in parts},
                      "actions", where, extra=parts)
        policy_values = _values(POLICY, _table(body.get("policy", {}), "actions.policy", where),
                                "actions.policy", where)
        channels = _channels(_table(body.get("channels", {}), "actions.channels", where), where)
        policy = Policy(
            _quiet(policy_values["quiet_hours"]), policy_values["cooldown_days"],
            _caps(policy_values["caps"], "actions.policy.caps", channels, where),
            _caps(policy_values["transactional_caps"], "actions.policy.transactional_caps",
                  channels, where, transactional=True),
            policy_values["transactional_opt_in"], policy_values["suppress_open_tickets"])
        playbooks = _playbooks(_table(body.get("playbooks", {}), "actions.playbooks", where),
                               channels, where)
        capacity = _capacity(_table(body.get("capacity", {}), "actions.capacity", where),
                             channels, where)
        calendar = None
        if top["calendar"]:
            calendars = _table((sla or {}).get("calendars", {}), "sla.calendars", where)
            if top["calendar"] not in calendars:
                known = ", ".join(calendars) or "none yet"
                raise ConfigError(f"{where}: actions.calendar = '{top['calendar']}' is not a "
                                  f"calendar of [sla.calendars]; the calendars are: {known}")
            calendar = _calendar(top["calendar"], calendars[top["calendar"]], where)
        return cls(playbooks, channels, policy, capacity, top["per_customer_per_day"],
                   top["global_holdout"], top["reshuffle"], top["holdout_period"], calendar,
                   top["working_hours"], top["margin"], top["ranking"], top["min_measured"])

    def staffed_calendar(self, timezone: str) -> Calendar | None:
        """What bounds the channels a person works: ``actions.calendar``, else the working
        week of ``actions.working_hours`` in ``timezone`` (the workspace's), else None."""
        if self.calendar is not None or not self.working_hours:
            return self.calendar
        week = _working_week(self.working_hours)
        return Calendar("working_hours", timezone, week, frozenset(), frozenset(),
                        next(h for h in week if h))

    def capacity_of(self, owner: str, channel: str) -> int | None:
        """Actions ``owner`` can do on ``channel`` in a day (None: no limit). An owner's
        own figure (``[actions.capacity]``) wins over the channel's, where 0 means no
        limit."""
        own = self.capacity.get(owner, {})
        if channel in own or "*" in own:
            return own.get(channel, own.get("*"))
        return self.channels[channel].capacity or None

    @property
    def enabled(self) -> list[PlaybookConfig]:
        return [p for p in self.playbooks.values() if p.enabled]


def load_actions_config(workspace) -> ActionsConfig:
    """The checked ``[actions]`` section of ``workspace`` (defaults when it has none)."""
    config = workspace.config
    return ActionsConfig.from_section(config.section("actions"), sla=config.section("sla"),
                                      where=str(workspace.path / "tenure.toml"))


# -- the parts ------------------------------------------------------------------------------

def _table(value: Any, key: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} should be a table such as [{key}], not {value!r}")
    return value


def _name(setting: Setting) -> str:
    return setting.key.rsplit(".", 1)[1]


def _values(settings: tuple[Setting, ...], body: Mapping[str, Any], key: str, where: str, *,
            defaults: Mapping[str, Any] | None = None, extra: set[str] = frozenset()
            ) -> dict[str, Any]:
    """Each setting's value from ``body`` (checked), else ``defaults``, else its default;
    an unknown key is an error that lists the known ones."""
    by_name = {_name(s): s for s in settings}
    for name in body:
        if name not in by_name and name not in extra:
            known = sorted([*by_name, *extra])
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else (
                f"; the keys of {key} are {', '.join(known)}")
            raise ConfigError(f"{where}: {key}.{name} is not a known key{hint}")
    values = {}
    for name, setting in by_name.items():
        concrete = Setting(f"{key}.{name}", setting.default, setting.help, setting.check)
        if name in body:
            value = body[name]
            if name == "monthly_quota" and value == "days":
                values[name] = value
                continue
            values[name] = concrete.coerce(value, where=where)
        elif defaults is not None and name in defaults:
            values[name] = defaults[name]
        else:
            values[name] = setting.default
    return values


def _quiet(text: str) -> tuple[int, int] | None:
    return _minutes(text, wraps=True) if text else None


def _channels(body: Mapping[str, Any], where: str) -> dict[str, Channel]:
    names = [*DEFAULT_CHANNELS, *[n for n in body if n not in DEFAULT_CHANNELS]]
    channels = {}
    for name in names:
        key = f"actions.channels.{name}"
        values = _values(CHANNEL, _table(body.get(name, {}), key, where), key, where,
                         defaults=DEFAULT_CHANNELS.get(name, {}))
        channels[name] = Channel(name, values["requires_opt_in"], _minutes(values["hours"]),
                                 values["staffed"], values["capacity"],
                                 values["monthly_quota"], values["cost"])
    return channels


def _caps(texts: list[str], key: str, channels: Mapping[str, Channel], where: str, *,
          transactional: bool = False) -> tuple[Cap, ...]:
    caps = []
    for i, text in enumerate(texts):
        match = _CAP.match(text)
        if match is None:
            raise ConfigError(f"{where}: {key}[{i}] = '{text}' is not a cap; write it as "
                              "\"3 per 7 days\", \"1 per 1 calendar day\" or \"sms: 4 per 30 "
                              "days\"")
        channel = match.group("channel")
        if channel is not None and channel not in channels:
            raise ConfigError(f"{where}: {key}[{i}] = '{text}' names channel '{channel}'; the "
                              f"channels are {', '.join(channels)}")
        touches, days = int(match.group("touches")), int(match.group("days"))
        if days < 1:
            raise ConfigError(f"{where}: {key}[{i}] = '{text}' counts over 0 days; give at "
                              "least 1")
        if transactional and touches == 0:
            required = ", ".join(p.name for p in PLAYBOOKS.values() if p.kind == "transactional")
            raise ConfigError(f"{where}: {key}[{i}] = '{text}' allows no transactional touch "
                              f"at all, which would stop {required}; allow at least 1, or "
                              "disable those playbooks")
        caps.append(Cap(touches, days, "calendar" if match.group("calendar") else "rolling",
                        channel, text.strip()))
    return tuple(caps)


def _playbooks(body: Mapping[str, Any], channels: Mapping[str, Channel], where: str
               ) -> dict[str, PlaybookConfig]:
    for name in body:
        if name not in PLAYBOOKS:
            close = difflib.get_close_matches(name, list(PLAYBOOKS), n=1)
            hint = f"did you mean {close[0]}?" if close else (
                f"the playbooks are {', '.join(PLAYBOOKS)}")
            raise ConfigError(f"{where}: there is no playbook '{name}' "
                              f"([actions.playbooks.{name}]); {hint}")
    configs = {}
    for name, playbook in PLAYBOOKS.items():
        key = f"actions.playbooks.{name}"
        given = _table(body.get(name, {}), key, where)
        own = {_name(s) for s in playbook.settings}
        common = _values(PLAYBOOK, {k: v for k, v in given.items() if k not in own}, key,
                         where, extra=own, defaults={
                             "channels": list(playbook.channels), "offer": playbook.offer,
                             "owner": playbook.owner, "holdout": playbook.holdout,
                             "prior_effect": playbook.prior_effect,
                             "prior_sd": max(abs(playbook.prior_effect), 0.01),
                             "cooldown_days": playbook.cooldown_days})
        values = _values(playbook.settings, {k: v for k, v in given.items() if k in own}, key,
                         where)
        if not common["channels"]:
            raise ConfigError(f"{where}: {key}.channels is empty; name at least one of "
                              f"{', '.join(channels)}")
        for channel in common["channels"]:
            if channel not in channels:
                raise ConfigError(f"{where}: {key}.channels names '{channel}', which is not a "
                                  f"channel; the channels are {', '.join(channels)} (declare "
                                  f"another as [actions.channels.{channel}])")
        configs[name] = PlaybookConfig(
            playbook, common["enabled"], tuple(common["channels"]), common["offer"],
            common["owner"], common["fallback_owner"], common["holdout"],
            None if common["cost"] == -1 else common["cost"], common["prior_effect"],
            common["prior_sd"], common["cooldown_days"], values)
    return configs


def _capacity(body: Mapping[str, Any], channels: Mapping[str, Channel], where: str
              ) -> dict[str, dict[str, int]]:
    capacity: dict[str, dict[str, int]] = {}
    for owner, value in body.items():
        key = f"actions.capacity.{owner}"
        items = {"*": value} if not isinstance(value, dict) else value
        capacity[owner] = {}
        for channel, number in items.items():
            shown = key if channel == "*" else f"{key}.{channel}"
            if channel != "*" and channel not in channels:
                raise ConfigError(f"{where}: {shown} names '{channel}', which is not a "
                                  f"channel; the channels are {', '.join(channels)}")
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise ConfigError(f"{where}: {shown} = {number!r} should be a whole number "
                                  "of actions a day, 0 or more")
            capacity[owner][channel] = number
    return capacity
