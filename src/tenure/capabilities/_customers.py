"""The customers one by one, and the pages of the saved models: ``tenure customers ...``
and ``tenure models ...``."""

from __future__ import annotations

from dataclasses import dataclass

from tenure.capabilities._spec import Capability, option

__all__ = ["CUSTOMERS"]

_SORTS = ("customer_id", "value_at_risk", "churn_risk", "clv", "revenue", "last_order",
          "name")
_STATES = ("new", "active", "resurrected", "at_risk", "churned", "dormant")
_REFRESH = ("Rebuild the customer tables first when the data changed since they were "
            "built.")
_OWNER = "Only the customers this owner looks after now."


@dataclass(frozen=True)
class PageOptions:
    """One page of a list of customers."""

    sort: str = option("customer_id", help="Order of the list.", choices=_SORTS)
    limit: int = option(50, help="Customers per page.", low=1, high=10_000)
    offset: int = option(0, help="Customers to skip (the pages before).", low=0)
    refresh: bool = option(True, help=_REFRESH)


@dataclass(frozen=True)
class SearchOptions(PageOptions):
    query: str | None = option(None, help="Start of a customer id, or part of a name, phone "
                                          "or e-mail, or a WeChat id.")
    segment: str | None = option(None, help="Only this segment.")
    state: str | None = option(None, help="Only this lifecycle state.", choices=_STATES)
    risk_band: str | None = option(None, help="Only this churn risk band.",
                                   choices=("high", "medium", "low"))
    owner: str | None = option(None, help=_OWNER)
    tier: str | None = option(None, help="Only this membership tier.")


@dataclass(frozen=True)
class AtRiskOptions(PageOptions):
    sort: str = option("value_at_risk", help="Order of the list.", choices=_SORTS)
    owner: str | None = option(None, help=_OWNER)
    segment: str | None = option(None, help="Only this segment.")
    band: str | None = option(None, help="high or medium; default: both.",
                              choices=("high", "medium"))


@dataclass(frozen=True)
class ProfileOptions:
    customer_id: str = option(help="The customer's id.")
    owner: str | None = option(None, help="Only if this owner looks after the customer now.")
    refresh: bool = option(True, help=_REFRESH)


@dataclass(frozen=True)
class OverviewOptions:
    period: str = option("month", help="week, month or quarter.",
                         choices=("week", "month", "quarter"))
    periods: int = option(12, help="How many periods back.", low=1, high=520)


@dataclass(frozen=True)
class PrepareOptions:
    force: bool = option(False, help="Rebuild even when the tables are current.")


@dataclass(frozen=True)
class NoOptions:
    pass


def _search(ws, o: SearchOptions, progress):
    from tenure import customers

    return customers.search(ws, o.query, segment=o.segment, state=o.state,
                            risk_band=o.risk_band, owner=o.owner, tier=o.tier, sort=o.sort,
                            limit=o.limit, offset=o.offset, refresh=o.refresh)


def _at_risk(ws, o: AtRiskOptions, progress):
    from tenure import customers

    return customers.at_risk(ws, owner=o.owner, segment=o.segment, band=o.band, sort=o.sort,
                             limit=o.limit, offset=o.offset, refresh=o.refresh)


def _profile(ws, o: ProfileOptions, progress):
    from tenure import customers

    return customers.profile(ws, o.customer_id, owner=o.owner, refresh=o.refresh)


def _overview(ws, o: OverviewOptions, progress):
    from tenure import customers

    return customers.overview(ws, period=o.period, periods=o.periods)


def _prepare(ws, o: PrepareOptions, progress):
    from tenure import customers

    return customers.prepare(ws, force=o.force, progress=progress)


def _value(ws, o: NoOptions, progress):
    from tenure import customers

    return customers.value_overview(ws)


def _models(ws, o: NoOptions, progress):
    from tenure import customers

    return customers.model_overview(ws)


CUSTOMERS: tuple[Capability, ...] = (
    Capability("customers overview", "Active customers, net growth and quick ratio, "
               "retention, revenue concentration, value at risk and SLA compliance, each "
               "with its trend.", OverviewOptions, _overview, "tenure.customers:Overview",
               "tenure customers overview --period month", chart=True),
    Capability("customers search", "Find customers by id, name, phone, e-mail or WeChat id, "
               "segment, state, risk band, owner or tier.", SearchOptions, _search,
               "tenure.customers:CustomerList", "tenure customers search --query 138 "
               "--risk-band high"),
    Capability("customers at-risk", "The customers most likely to leave, with their "
               "reasons, the most value at risk first.", AtRiskOptions, _at_risk,
               "tenure.customers:CustomerList", "tenure customers at-risk --owner rep-07"),
    Capability("customers profile", "Everything about one customer: orders, value, risk "
               "and reasons, products due, tickets, consents, contacts, owners, referrals.",
               ProfileOptions, _profile, "tenure.customers:CustomerProfile",
               "tenure customers profile --customer-id C0000042", chart=True),
    Capability("customers prepare", "Build the customer tables the lists and profiles read, "
               "where the data changed.", PrepareOptions, _prepare,
               "tenure.customers:CustomerTables", "tenure customers prepare", writes=True),
    Capability("models value", "The distribution of CLV and P(alive) by purchases and "
               "recency, from the latest value scores.", NoOptions, _value,
               "tenure.customers:ValueOverview", "tenure models value --chart value.html",
               chart=True),
    Capability("models list", "Every saved model, value and churn, with its fit, and the "
               "latest value model's holdout tracking.", NoOptions, _models,
               "tenure.customers:ModelOverview", "tenure models list --chart tracking.html",
               chart=True),
)
