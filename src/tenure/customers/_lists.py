"""Lists of customers: a search, and the customers at risk with their reasons.

Both read the customer cards (:mod:`~tenure.customers._tables`) one page at a time: the
engine stops after the page it needs, and a page says whether more follow rather than
counting every match.

>>> import tempfile, tenure
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop")
>>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
>>> found = search(ws, "12", limit=3)
>>> found.frame["customer_id"].tolist(), found.more
(['12', '120', '1200'], True)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tenure.customers._tables import current, reading
from tenure.errors import ConfigError
from tenure.results import Result
from tenure.workspace._migrations import block_table

__all__ = ["BANDS", "LIST_COLUMNS", "SORTS", "CustomerList", "at_risk", "search"]

BANDS = ("high", "medium", "low")
# How a list may be sorted, and the order each means (the id breaks ties).
SORTS: dict[str, str] = {
    "customer_id": "customer_id",
    "value_at_risk": "value_at_risk DESC NULLS LAST, customer_id",
    "churn_risk": "churn_risk DESC NULLS LAST, customer_id",
    "clv": "clv DESC NULLS LAST, customer_id",
    "revenue": "revenue DESC NULLS LAST, customer_id",
    "last_order": "last_order DESC NULLS LAST, customer_id",
    "name": "name NULLS LAST, customer_id",
}
# The columns of a list, in the order a screen shows them.
LIST_COLUMNS = ("customer_id", "name", "phone", "email", "wechat_id", "segment", "region",
                "owner_id", "tier", "state", "orders", "revenue", "last_order", "p_alive",
                "clv", "churn_risk", "risk_band", "value_at_risk", "churn_reason_1",
                "churn_reason_2", "churn_reason_3")
STATES = ("new", "active", "resurrected", "at_risk", "churned", "dormant")
SEARCH = block_table("customer_search")
AT_RISK = block_table("customer_at_risk")


@dataclass(frozen=True)
class CustomerList(Result):
    """One page of customers: ``frame`` holds their cards (:data:`LIST_COLUMNS`);
    ``more`` says whether another page follows, from ``offset + limit``."""

    frame: pd.DataFrame
    title: str
    filters: dict[str, Any] = field(default_factory=dict)
    sort: str = "customer_id"
    offset: int = 0
    limit: int = 50
    more: bool = False
    as_of: dt.date | None = None

    @property
    def headline(self) -> dict[str, Any]:
        return {"shown": len(self.frame), "offset": self.offset, "limit": self.limit,
                "more": self.more,
                "next_offset": self.offset + self.limit if self.more else None,
                "sort": self.sort, "as_of": self.as_of,
                "value_at_risk": float(self.frame["value_at_risk"].sum(min_count=1))
                if len(self.frame) and self.frame["value_at_risk"].notna().any() else None,
                **{k: v for k, v in self.filters.items() if v is not None}}

    def lines(self) -> list[str]:
        if not len(self.frame):
            return ["No customer matches."]
        more = "; more follow" if self.more else ""
        return [f"{self.title}: customers {self.offset + 1:,} to "
                f"{self.offset + len(self.frame):,}{more}"]

    def view(self) -> pd.DataFrame:
        shown = [c for c in ("customer_id", "name", "segment", "owner_id", "state",
                             "churn_risk", "value_at_risk", "churn_reason_1")
                 if c in self.frame.columns]
        return self.frame[shown]


def _page(ws, where: list[str], params: dict[str, Any], sort: str, limit: int, offset: int,
          refresh: bool, *, source: str | None = None, order: str | None = None,
          cards: bool = False) -> tuple[pd.DataFrame, bool, dt.date | None]:
    """One page of cards: the ids of the page first (a narrow query over the columns it
    filters and sorts by), then their cards, found through the cards' index; or, when
    ``source`` holds the cards itself (``cards``), the page's rows at once."""
    if sort not in SORTS:
        allowed = ", ".join(SORTS)
        raise ConfigError(f"sort '{sort}' is not supported; use one of {allowed}")
    if limit < 1 or offset < 0:
        raise ConfigError(f"limit {limit} and offset {offset} should be at least 1 and 0")
    table = current(ws, refresh=refresh)
    sql = (f"SELECT customer_id FROM {source or table}"
           + (f" WHERE {' AND '.join(where)}" if where else "")
           + f" ORDER BY {order or SORTS[sort]} LIMIT $limit OFFSET $offset")
    columns = ", ".join(LIST_COLUMNS)
    if cards:
        with reading(ws) as con:
            frame = con.execute(sql.replace("SELECT customer_id", f"SELECT {columns}, "
                                            "state_as_of", 1),
                                {**params, "limit": limit + 1, "offset": offset}).df()
        more = len(frame) > limit
        frame = frame.iloc[:limit]
        return _dated(frame, more)
    with reading(ws) as con:
        ids = [row[0] for row in con.execute(sql, {**params, "limit": limit + 1,
                                                   "offset": offset}).fetchall()]
        more = len(ids) > limit
        ids = ids[:limit]
        if ids:
            # Bound one by one, so that the engine looks each up in the index.
            names = {f"id{k}": value for k, value in enumerate(ids)}
            frame = con.execute(f"SELECT {columns}, state_as_of FROM {table} WHERE "
                                f"customer_id IN ({', '.join('$' + n for n in names)})",
                                names).df()
            frame = frame.set_index("customer_id").loc[ids].reset_index()
        else:
            frame = con.execute(f"SELECT {columns}, state_as_of FROM {table} LIMIT 0").df()
    return _dated(frame, more)


def _dated(frame: pd.DataFrame, more: bool) -> tuple[pd.DataFrame, bool, dt.date | None]:
    """The page without its date column, whether more follow, and the date its states
    were judged at."""
    as_of = frame["state_as_of"].iloc[0] if len(frame) else None
    frame = frame.drop(columns="state_as_of").reset_index(drop=True)
    return frame, more, pd.Timestamp(as_of).date() if as_of is not None and \
        not pd.isna(as_of) else None


def _choice(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise ConfigError(f"{name} '{value}' is not supported; use "
                          f"{', '.join(allowed[:-1])} or {allowed[-1]}")


def search(ws, query: str | None = None, *, segment: str | None = None,
           state: str | None = None, risk_band: str | None = None,
           owner: str | None = None, tier: str | None = None, sort: str = "customer_id",
           limit: int = 50, offset: int = 0, refresh: bool = True) -> CustomerList:
    """Customers whose id, name, phone, e-mail or WeChat id starts with ``query`` (case
    ignored), or whose phone ends with it (three digits or more); narrowed by segment,
    lifecycle state, risk band, owner and tier. ``refresh`` rebuilds the customer tables
    first when the data changed since (the service keeps them current itself)."""
    _choice("state", state, STATES)
    _choice("risk_band", risk_band, BANDS)
    where, params = [], {}
    text = (query or "").strip()
    if text:
        # Words starting with the text, found in the sorted search table; digits are also
        # looked for at the end of phone numbers (kept there backwards, marked with ~).
        words = "(word >= $word AND word < $word || chr(1114111))"
        if text.isdigit() and len(text) >= 3:
            words += " OR (word >= $tail AND word < $tail || chr(1114111))"
            params["tail"] = "~" + text[::-1]
        params["word"] = text.lower()
        hits = f"(SELECT DISTINCT customer_id FROM {SEARCH} WHERE {words})"
        if sort == "customer_id" and all(v is None for v in (segment, state, risk_band,
                                                               owner, tier)):
            # The search table alone gives the page's ids, already in their order.
            frame, more, as_of = _page(ws, [], params, sort, limit, offset, refresh,
                                       source=hits)
            filters = {"query": text}
            return CustomerList(frame, "Customers found", filters, sort, offset, limit,
                                more, as_of)
        where.append(f"customer_id IN {hits}")
    for column, value in (("segment", segment), ("state", state), ("risk_band", risk_band),
                          ("owner_id", owner), ("tier", tier)):
        if value is not None:
            where.append(f"{column} = ${column}")
            params[column] = value
    frame, more, as_of = _page(ws, where, params, sort, limit, offset, refresh)
    filters = {"query": text or None, "segment": segment, "state": state,
               "risk_band": risk_band, "owner": owner, "tier": tier}
    return CustomerList(frame, "Customers found", filters, sort, offset, limit, more, as_of)


def at_risk(ws, *, owner: str | None = None, segment: str | None = None,
            band: str | None = None, sort: str = "value_at_risk", limit: int = 50,
            offset: int = 0, refresh: bool = True) -> CustomerList:
    """Customers whose churn risk is in the high band (``band="high"``), the medium band,
    or either (the default), with their three reasons; the most value at risk (churn
    risk times CLV) first unless ``sort`` says otherwise."""
    _choice("band", band, BANDS[:2])
    where = ["risk_band IN ('high', 'medium')" if band is None else "risk_band = $band"]
    params: dict[str, Any] = {} if band is None else {"band": band}
    for column, value in (("owner_id", owner), ("segment", segment)):
        if value is not None:
            where.append(f"{column} = ${column}")
            params[column] = value
    ranked = sort == "value_at_risk"  # the stored ranking, which holds the cards too
    if ranked and band is None and owner is None and segment is None:
        # Every customer at risk, in rank order: the page is the ranks after the offset,
        # a block of rows the engine finds by its zone maps.
        where, offset_read = ["risk_rank > $after AND risk_rank <= $after + $limit"], 0
        params = {"after": offset}
    else:
        offset_read = offset
    frame, more, as_of = _page(ws, where, params, sort, limit, offset_read, refresh,
                               source=AT_RISK if ranked else None,
                               order="risk_rank" if ranked else None, cards=ranked)
    filters = {"owner": owner, "segment": segment, "band": band}
    return CustomerList(frame, "Customers at risk", filters, sort, offset, limit, more, as_of)
