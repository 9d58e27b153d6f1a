"""``action_list(workspace, date)``: the day's actions as lists a sales rep or a service
agent can work from (in Excel with ``--xlsx``), per owner, highest expected value first,
with the customer's name and contact details; in Chinese with ``lang="zh"`` (headers,
playbooks, channels, offers and reasons, from ``tenure/i18n/zh/actions.toml``).

Held-out and withdrawn actions are not listed: nobody is to act on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tenure._sql import bound
from tenure.actions._plan import plan_date
from tenure.actions.playbooks import PLAYBOOKS
from tenure.errors import ConfigError
from tenure.i18n import LANGUAGES, translate, word
from tenure.results import Result, counted

__all__ = ["LIST_COLUMNS", "ActionList", "action_list"]

LIST_COLUMNS = ["owner_id", "due_date", "customer_id", "name", "phone", "wechat_id",
                "channel", "playbook", "offer", "reason", "expected_value", "send_from",
                "send_until", "status"]


@dataclass(frozen=True)
class ActionList(Result):
    """The actions to work on ``date``: ``frame`` has owner_id, due_date, customer_id,
    name, phone, wechat_id, channel, playbook (its title), offer, reason, expected_value,
    send_from, send_until and status, with its headers and words in ``lang``; ``keys``
    names each row's action as the log and the outcomes do (customer_id, playbook,
    plan_date), in the order of ``frame`` whatever its language: the columns of an
    outcomes file, less the event."""

    date: dt.date
    lang: str
    frame: pd.DataFrame
    owners: int
    keys: pd.DataFrame | None = None

    @property
    def headline(self) -> dict[str, Any]:
        return {"date": self.date, "actions": len(self.frame), "owners": self.owners,
                "lang": self.lang}

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {} if self.keys is None else {"keys": self.keys}

    def lines(self) -> list[str]:
        text = (f"{counted(len(self.frame), 'action')} for {counted(self.owners, 'owner')} "
                f"on {self.date.isoformat()}.")
        return [translate(text, self.lang)]


def action_list(workspace, date: Any, *, owner: str | None = None,
                playbook: str | None = None, lang: str = "en") -> ActionList:
    """The actions of ``date`` to work on, for ``owner`` and ``playbook`` when given (see the
    module docstring)."""
    day = plan_date(date)
    if lang not in LANGUAGES:
        raise ConfigError(f"lang '{lang}' is not supported; use zh or en")
    if playbook is not None and playbook not in PLAYBOOKS:
        raise ConfigError(f"there is no playbook '{playbook}'; the playbooks are "
                          f"{', '.join(PLAYBOOKS)}")
    has_customers = workspace.connection.execute(
        "SELECT count(*) FROM customers").fetchall()[0][0] > 0
    people = ("c.name, c.phone, c.wechat_id" if has_customers
              else "NULL AS name, NULL AS phone, NULL AS wechat_id")
    sql = f"""
        SELECT l.owner_id, l.due_date, l.customer_id, {people}, l.channel, l.playbook,
               l.offer, l.reason, l.expected_value, l.send_from, l.send_until, l.status
        FROM action_log l LEFT JOIN customers c USING (customer_id)
        WHERE l.plan_date = $d AND l.status NOT IN ('held_out', 'withdrawn')
          AND ($owner IS NULL OR l.owner_id = $owner)
          AND ($playbook IS NULL OR l.playbook = $playbook)
        ORDER BY l.owner_id, l.expected_value DESC, l.customer_id"""
    frame = workspace.connection.execute(sql, bound(sql, {
        "d": day, "owner": owner, "playbook": playbook})).df()
    keys = frame[["customer_id", "playbook"]].assign(plan_date=day)
    frame["playbook"] = frame["playbook"].map(lambda p: PLAYBOOKS[p].title
                                              if p in PLAYBOOKS else p)
    owners = int(frame["owner_id"].nunique())
    if lang != "en":
        for column in ("playbook", "channel", "status"):
            frame[column] = _each(frame[column], lambda v: word(v, lang))
        for column in ("offer", "reason"):
            frame[column] = _each(frame[column], lambda v: translate(v, lang))
        frame = frame.rename(columns={c: word(c, lang) for c in frame.columns})
    return ActionList(day, lang, frame, owners, keys)


def _each(values: pd.Series, change) -> pd.Series:
    """``change`` applied once per distinct value (the list repeats few texts)."""
    distinct = values.dropna().unique()
    return values.map(dict(zip(distinct, [change(v) for v in distinct], strict=True)))
