"""A synthetic business with known ground truth, covering every contract table.

Customers arrive over the first 85% of the observation window. Each one buys by a
buy-till-you-die process whose parameters are drawn from known distributions:

- Pareto/NBD (default): purchase rate ``lambda ~ Gamma(r, alpha)`` and dropout rate
  ``mu ~ Gamma(s, beta)`` per day; the customer is alive for an exponential time with rate
  ``mu`` after the first purchase and buys as a Poisson process with rate ``lambda`` while
  alive (Schmittlein, Morrison & Colombo 1987).
- BG/NBD: the same purchases, but after each repeat purchase the customer drops out with
  probability ``p ~ Beta(a, b)`` (Fader, Hardie & Lee 2005).

Both rates scale with ``exp(coefficients . covariates)`` of the customer's segment and
acquisition channel. Spend per order follows the Gamma-Gamma model: ``nu ~ Gamma(q, gamma)``
per customer, each order ``~ Gamma(p, nu)`` (Colombo & Jiang 1999; Fader, Hardie & Lee 2005).

Two experiences cut lives short, with known probabilities: a support ticket whose first
response missed its target and that was scored 1 or 2 (``bad_service_churn``), and a
hand-over to a new owner (``handover_churn``). The latent rates, each customer's time of
death and its cause are saved beside the data so that tests can check what tenure recovers.
"""

from __future__ import annotations

import codecs
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tenure.errors import TenureError
from tenure.progress import Progress, steps_of
from tenure.simulate import _catalog as cat

__all__ = ["Business", "BusinessParams", "simulate_business", "write_business"]

DAY_US = 86_400_000_000


@dataclass(frozen=True)
class MembershipTier:
    fee: float
    a: float  # sBG: churn probability per year ~ Beta(a, b)
    b: float


@dataclass(frozen=True)
class BusinessParams:
    """Every parameter of the simulated business; saved as ``truth.json``."""

    start: str = "2023-01-01"
    end: str = "2025-12-31"
    process: Literal["pnbd", "bgnbd"] = "pnbd"
    # Purchase rate per day ~ Gamma(shape r, rate alpha).
    r: float = 0.5
    alpha: float = 80.0
    # Pareto/NBD dropout rate per day ~ Gamma(shape s, rate beta).
    s: float = 0.6
    beta: float = 300.0
    # BG/NBD dropout probability after each repeat purchase ~ Beta(a, b).
    a: float = 0.8
    b: float = 4.0
    # Gamma-Gamma spend: each order ~ Gamma(p, nu), nu ~ Gamma(q, gamma).
    p: float = 6.0
    q: float = 4.0
    gamma: float = 150.0
    # log multipliers of the purchase rate and the dropout by covariate level.
    purchase_coefficients: dict[str, float] = field(default_factory=lambda: {
        "segment=smb": math.log(1.4), "segment=enterprise": math.log(2.0)})
    dropout_coefficients: dict[str, float] = field(default_factory=lambda: {
        "acquisition_channel=referral": math.log(0.7),
        "acquisition_channel=marketplace": math.log(1.3)})
    refund_rate: float = 0.03
    ticket_rate: float = 0.08
    bad_service_churn: float = 0.3
    handover_rate: float = 0.12
    handover_churn: float = 0.15
    membership_rate: float = 0.2
    tiers: dict[str, MembershipTier] = field(default_factory=lambda: {
        "silver": MembershipTier(99.0, 1.2, 1.8), "gold": MembershipTier(299.0, 1.0, 3.0)})
    gold_share: float = 0.3
    referrer_share: float = 0.05
    campaigns: int = 24
    campaign_reach: float = 0.06

    def __post_init__(self) -> None:
        if self.process not in ("pnbd", "bgnbd"):
            raise TenureError(f"process '{self.process}' is not known; use pnbd or bgnbd")
        if np.datetime64(self.end) <= np.datetime64(self.start):
            raise TenureError(f"end {self.end} must come after start {self.start}")


@dataclass
class Business:
    """The simulated tables (Arrow), each customer's latent state, and the parameters."""

    tables: dict[str, pa.Table]
    latent: pa.Table
    params: BusinessParams
    n_customers: int
    seed: int

    def truth(self) -> dict:
        return {"n_customers": self.n_customers, "seed": self.seed, "time_unit": "day",
                **asdict(self.params)}


def _ids(prefix: str, index: np.ndarray, width: int) -> pa.Array:
    text = pc.cast(pa.array(index, pa.int64()), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(text, width, "0"), "")


def _times(start_us: int, days: np.ndarray) -> pa.Array:
    # Whole seconds, as business systems record them.
    us = start_us + np.round(days * 86_400).astype(np.int64) * 1_000_000
    return pa.array(us, pa.timestamp("us"))


def _nullable_times(start_us: int, days: np.ndarray) -> pa.Array:
    mask = ~np.isfinite(days)
    us = start_us + np.round(np.where(mask, 0.0, days) * 86_400).astype(np.int64) * 1_000_000
    return pa.array(us, pa.timestamp("us"), mask=mask)


def _pick(rng: np.random.Generator, values: list, weights, size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(values), size=size, p=w / w.sum())


def _take(values: list, index: np.ndarray) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32()),
                                          pa.array(values)).cast(pa.string())


def _group_rank(groups: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal (sorted) group ids."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


def simulate_business(
    n_customers: int,
    seed: int = 0,
    params: BusinessParams | None = None,
    *,
    progress: Progress = None,
) -> Business:
    """Simulate ``n_customers`` customers of a coffee-equipment business.

    >>> business = simulate_business(1000, seed=1)
    >>> business.tables["customers"].num_rows
    1000
    """
    if n_customers < 1:
        raise TenureError(f"--customers {n_customers} must be at least 1")
    params = params or BusinessParams()
    step = steps_of(progress)
    rng = np.random.default_rng(seed)
    n = n_customers
    start_us = int(np.datetime64(params.start, "us").astype(np.int64))
    horizon = float((np.datetime64(params.end) - np.datetime64(params.start)).astype(int)) + 1.0

    # -- customers and their latent rates ---------------------------------------------------
    step("customers")
    t0 = np.sort(horizon * 0.85 * rng.random(n) ** (1 / 1.3))
    segment = _pick(rng, cat.SEGMENTS, cat.SEGMENT_WEIGHTS, n)
    channel = _pick(rng, cat.CHANNELS, cat.CHANNEL_WEIGHTS, n)

    # Referrals: a referral customer names an earlier customer, drawn in proportion to a
    # heavy-tailed propensity that only a few customers have, scaled by their channel.
    propensity = np.array([cat.CHANNEL_REFERRAL_PROPENSITY[c] for c in cat.CHANNELS])[channel]
    can_refer = rng.random(n) < params.referrer_share
    weight = np.where(can_refer, (rng.pareto(1.5, n) + 1.0) * propensity, 0.0)
    cumulative = np.cumsum(weight)
    referral = channel == cat.CHANNELS.index("referral")
    before = np.r_[0.0, cumulative[:-1]]
    referral &= before > 0
    referrer = np.full(n, -1, dtype=np.int64)
    draws = rng.random(int(referral.sum())) * before[referral]
    referrer[referral] = np.minimum(np.searchsorted(cumulative, draws, side="right"),
                                    np.flatnonzero(referral) - 1)
    # A referral customer with no earlier referrer came by search instead.
    channel = np.where((channel == cat.CHANNELS.index("referral")) & ~referral,
                       cat.CHANNELS.index("search"), channel)

    def covariate_effect(coefficients: dict[str, float]) -> np.ndarray:
        effect = np.zeros(n)
        for name, value in coefficients.items():
            variable, level = name.split("=")
            codes = {"segment": (segment, cat.SEGMENTS),
                     "acquisition_channel": (channel, cat.CHANNELS)}[variable]
            effect += value * (codes[0] == codes[1].index(level))
        return np.exp(effect)

    lam = rng.gamma(params.r, 1 / params.alpha, n) * covariate_effect(params.purchase_coefficients)
    dropout_scale = covariate_effect(params.dropout_coefficients)
    nu = rng.gamma(params.q, 1 / params.gamma, n)

    # -- purchases -----------------------------------------------------------------------
    step("orders")
    if params.process == "pnbd":
        mu = rng.gamma(params.s, 1 / params.beta, n) * dropout_scale
        death = t0 + rng.exponential(1 / mu)
        until = np.minimum(death, horizon)
        n_repeat = rng.poisson(lam * (until - t0))
        owner = np.repeat(np.arange(n), n_repeat)
        when = t0[owner] + rng.random(len(owner)) * (until - t0)[owner]
        order = np.lexsort((when, owner))
        owner, when = owner[order], when[order]
        dropout_value = mu
    else:
        prob = np.clip(rng.beta(params.a, params.b, n) * dropout_scale, 1e-9, 1.0)
        arrivals = rng.poisson(lam * (horizon - t0))
        owner = np.repeat(np.arange(n), arrivals)
        when = t0[owner] + rng.random(len(owner)) * (horizon - t0)[owner]
        order = np.lexsort((when, owner))
        owner, when = owner[order], when[order]
        survive = rng.geometric(prob)  # repeat purchases made before dropping out
        rank = _group_rank(owner)
        keep = rank < survive[owner]
        # The customer drops out right after the repeat purchase numbered `survive`.
        last = keep & (rank == survive[owner] - 1)
        death = np.full(n, np.inf)
        death[owner[last]] = when[last]
        owner, when = owner[keep], when[keep]
        dropout_value = prob
    cause = np.where(np.isfinite(death) & (death < horizon), 1, 0)  # 1 natural, 2, 3 below

    # Orders: the first purchase at t0, then the repeats.
    o_customer = np.r_[np.arange(n), owner]
    o_time = np.r_[t0, when]
    o_first = np.r_[np.ones(n, bool), np.zeros(len(owner), bool)]

    # -- support tickets, and the service failures that end lives early -----------------
    step("tickets")
    has_ticket = rng.random(len(o_time)) < params.ticket_rate
    k_customer = o_customer[has_ticket]
    k_open = o_time[has_ticket] + rng.exponential(5.0, has_ticket.sum())
    k_priority = _pick(rng, cat.TICKET_PRIORITIES, cat.TICKET_PRIORITY_WEIGHTS, len(k_open))
    target = np.array([cat.RESPONSE_TARGET_MINUTES[p] for p in cat.TICKET_PRIORITIES])[k_priority]
    first_minutes = rng.lognormal(np.log(0.7 * target), 0.55)
    breached = first_minutes > target
    cycles = _pick(rng, [0, 1, 2], [0.6, 0.3, 0.1], len(k_open))
    answered = rng.random(len(k_open)) < 0.6
    score = 4.6 - 1.4 * breached - 0.3 * cycles + rng.normal(0, 0.7, len(k_open))
    csat = np.clip(np.round(score), 1, 5).astype(np.int64)
    bad = breached & answered & (csat <= 2)
    # A customer's first bad experience may end their life within a few weeks.
    quits = bad & (rng.random(len(k_open)) < params.bad_service_churn)
    quit_at = k_open + first_minutes / 1440 + rng.exponential(20.0, len(k_open))
    service_death = np.full(n, np.inf)
    np.minimum.at(service_death, k_customer[quits], quit_at[quits])
    # Only experiences before the customer's own end count.
    service_death = np.where(service_death > death, np.inf, service_death)
    opened_before = np.full(n, np.inf)
    np.minimum.at(opened_before, k_customer[quits], k_open[quits])
    service_death = np.where(opened_before < np.minimum(death, horizon), service_death, np.inf)
    cause = np.where(service_death < np.minimum(death, horizon), 2, cause)
    death = np.minimum(death, service_death)

    # -- owners and hand-overs ---------------------------------------------------------------
    step("owners")
    b2b = segment > 0
    first_owner = np.where(b2b, rng.integers(0, len(cat.REPS), n),
                           rng.integers(0, len(cat.SERVICE_ACCOUNTS), n))
    handed = rng.random(n) < params.handover_rate
    hand_at = t0 + rng.random(n) * (horizon - t0)
    handed &= hand_at < np.minimum(death, horizon)
    hand_quit = handed & (rng.random(n) < params.handover_churn)
    hand_death = np.where(hand_quit, hand_at + rng.exponential(30.0, n), np.inf)
    cause = np.where(hand_death < np.minimum(death, horizon), 3, cause)
    death = np.minimum(death, hand_death)
    pool = np.where(b2b, len(cat.REPS), len(cat.SERVICE_ACCOUNTS))
    second_owner = (first_owner + 1 + rng.integers(0, 10**6, n) % (pool - 1)) % pool
    owner_names = np.array(cat.REPS + cat.SERVICE_ACCOUNTS, dtype=object)
    offset = np.where(b2b, 0, len(cat.REPS))

    # Drop what happened after the (possibly earlier) end of each life.
    alive_order = (o_time <= death[o_customer]) & (o_time < horizon)
    o_customer, o_time, o_first = o_customer[alive_order], o_time[alive_order], o_first[alive_order]
    keep_ticket = (k_open < np.minimum(death, horizon)[k_customer])
    death_at = np.where(death < horizon, death, np.inf)

    # -- orders table ----------------------------------------------------------------------
    step("order tables")
    n_orders = len(o_time)
    amount = np.round(rng.gamma(params.p, 1.0, n_orders) / nu[o_customer], 2)
    amount = np.maximum(amount, 0.01)
    by_time = np.argsort(o_time, kind="stable")
    o_customer, o_time, o_first, amount = (o_customer[by_time], o_time[by_time],
                                           o_first[by_time], amount[by_time])
    order_ids = _ids("O", np.arange(1, n_orders + 1), 9)
    refunded = rng.random(n_orders) < params.refund_rate
    r_time = o_time[refunded] + rng.exponential(7.0, refunded.sum())
    r_ok = r_time < horizon
    r_index = np.flatnonzero(refunded)[r_ok]
    r_amount = -np.round(amount[r_index] * np.where(rng.random(len(r_index)) < 0.7, 1.0,
                                                    rng.uniform(0.2, 0.8, len(r_index))), 2)
    customer_ids = _ids("C", np.arange(1, n + 1), 7)
    orders = pa.table({
        "order_id": pa.concat_arrays([order_ids, pc.binary_join_element_wise(
            order_ids.take(pa.array(r_index)), "R", "")]),
        "customer_id": customer_ids.take(pa.array(np.r_[o_customer, o_customer[r_index]])),
        "ordered_at": _times(start_us, np.r_[o_time, r_time[r_ok]]),
        "amount": np.r_[amount, r_amount],
        "currency": pa.array(["CNY"] * (n_orders + len(r_index))).dictionary_encode()
        .cast(pa.string()),
    })

    # -- products and order lines --------------------------------------------------------
    products, line_skus = _products()
    lines_per_order = 1 + rng.binomial(2, 0.35, n_orders)
    l_order = np.repeat(np.arange(n_orders), lines_per_order)
    l_no = _group_rank(l_order) + 1
    mix = np.where(o_first[l_order][:, None], cat.FIRST_ORDER_MIX, cat.REPEAT_ORDER_MIX)
    cumulative_mix = np.cumsum(mix, axis=1)
    line_kind = (rng.random(len(l_order))[:, None] > cumulative_mix).sum(axis=1)
    line_kind = np.minimum(line_kind, len(cat.PRODUCT_LINES) - 1)
    sku_in_line = (rng.random(len(l_order)) * np.array([len(s) for s in line_skus])[line_kind]
                   ).astype(np.int64)
    sku_offsets = np.r_[0, np.cumsum([len(s) for s in line_skus])[:-1]]
    sku_index = sku_offsets[line_kind] + sku_in_line
    consumable = np.isin(line_kind, [2, 3, 4])
    quantity = np.where(consumable, 1 + rng.binomial(2, 0.4, len(l_order)), 1)
    share = rng.gamma(1.0, 1.0, len(l_order))
    share /= np.add.reduceat(share, np.r_[0, np.cumsum(lines_per_order)[:-1]])[l_order]
    unit_price = np.round(amount[l_order] * share / quantity, 2)
    order_lines = pa.table({
        "order_id": order_ids.take(pa.array(l_order)),
        "line_no": l_no,
        "sku": products.column("sku").take(pa.array(sku_index)),
        "quantity": quantity.astype(np.int64),
        "unit_price": unit_price,
    })

    # -- tickets and their status history ------------------------------------------------
    tickets, ticket_status = _tickets(rng, params, start_us, horizon, customer_ids,
                                      k_customer[keep_ticket], k_open[keep_ticket],
                                      k_priority[keep_ticket], first_minutes[keep_ticket],
                                      cycles[keep_ticket], answered[keep_ticket],
                                      csat[keep_ticket])

    # -- customers table -------------------------------------------------------------------
    step("customers table")
    customers = _customers(rng, n, start_us, t0, segment, channel, referrer, customer_ids)

    # -- leads for business customers, and the leads that were lost ---------------------
    step("leads")
    leads = _leads(rng, start_us, horizon, t0, b2b, customer_ids)

    # -- contacts and consents -----------------------------------------------------------
    step("contacts")
    contacts, consents = _contacts(rng, params, start_us, horizon, t0, death_at, customer_ids)

    # -- memberships (contractual, sBG) ------------------------------------------------
    step("memberships")
    memberships, theta = _memberships(rng, params, start_us, horizon, t0, death_at,
                                      customer_ids)

    # -- owners and churn reasons --------------------------------------------------------
    step("owners and reasons")
    first_name = owner_names[offset + first_owner]
    second_name = owner_names[offset + second_owner]
    h = np.flatnonzero(handed)
    owners = pa.table({
        "customer_id": pa.concat_arrays([customer_ids, customer_ids.take(pa.array(h))]),
        "owner_id": pa.array(np.r_[first_name, second_name[h]].astype(str)),
        "from_at": _times(start_us, np.r_[t0, hand_at[h]]),
        "to_at": _nullable_times(start_us, np.r_[np.where(handed, hand_at, np.inf),
                                                 np.full(len(h), np.inf)]),
    })
    churn_reasons = _churn_reasons(rng, start_us, horizon, death_at, cause, customer_ids)

    # -- what later versions added, from their own stream so the tables above stay as
    # they were for a given seed ---------------------------------------------------------
    extra = np.random.default_rng([seed, 1])
    customers = customers.append_column("timezone", _timezones(extra, n))
    equipment = np.flatnonzero(
        np.isin(line_kind, [i for i, line in enumerate(cat.PRODUCT_LINES) if line[5]]))
    service_events = _service_events(
        extra, start_us, horizon, customer_ids, o_customer[l_order[equipment]],
        o_time[l_order[equipment]], products.column("sku").take(pa.array(sku_index[equipment])),
        products.column("maintenance_interval_days").to_numpy(zero_copy_only=False)[
            sku_index[equipment]].astype(float), death_at)

    latent = pa.table({
        "customer_id": customer_ids,
        "first_purchase_at": _times(start_us, t0),
        "purchase_rate": lam,
        ("dropout_rate" if params.process == "pnbd" else "dropout_probability"): dropout_value,
        "spend_nu": nu,
        "expected_spend": params.p / nu,
        "death_at": _nullable_times(start_us, death_at),
        "alive_at_end": ~np.isfinite(death_at),
        "death_cause": _take(["none", "natural", "service", "handover"], cause),
        "handed_over_at": _nullable_times(start_us, np.where(handed, hand_at, np.inf)),
        "membership_churn_probability": pa.array(theta, mask=np.isnan(theta)),
    })
    tables = {
        "customers": customers, "orders": orders, "order_lines": order_lines,
        "products": products, "leads": leads, "tickets": tickets,
        "ticket_status": ticket_status, "contacts": contacts, "consents": consents,
        "memberships": memberships, "owners": owners, "service_events": service_events,
        "churn_reasons": churn_reasons,
    }
    return Business(tables, latent, params, n, seed)


def _products() -> tuple[pa.Table, list[list[str]]]:
    rows: dict[str, list] = {k: [] for k in (
        "sku", "name", "category", "maintenance_interval_days", "consumable_life_days",
        "lifespan_days", "successor_sku", "trade_in_value")}
    per_line = []
    for prefix, category, name, count, lifespan, maintenance, life, trade_in in cat.PRODUCT_LINES:
        skus = [f"{prefix}-{i:03d}" for i in range(1, count + 1)]
        per_line.append(skus)
        for i, sku in enumerate(skus):
            rows["sku"].append(sku)
            rows["name"].append(f"{name} {prefix}{i + 1}")
            rows["category"].append(category)
            rows["maintenance_interval_days"].append(maintenance)
            rows["consumable_life_days"].append(life)
            rows["lifespan_days"].append(lifespan)
            # Equipment models are replaced by the next model of the line.
            rows["successor_sku"].append(skus[i + 1] if lifespan and i + 1 < count else None)
            rows["trade_in_value"].append(trade_in)
    schema = pa.schema([("sku", pa.string()), ("name", pa.string()), ("category", pa.string()),
                        ("maintenance_interval_days", pa.int64()),
                        ("consumable_life_days", pa.int64()), ("lifespan_days", pa.int64()),
                        ("successor_sku", pa.string()), ("trade_in_value", pa.float64())])
    return pa.table(rows, schema=schema), per_line


def _customers(rng, n, start_us, t0, segment, channel, referrer, customer_ids) -> pa.Table:
    surname = np.array(cat.SURNAMES, dtype=object)[rng.integers(0, len(cat.SURNAMES), n)]
    given = np.array(cat.GIVEN, dtype=object)[rng.integers(0, len(cat.GIVEN), n)]
    given2 = np.where(rng.random(n) < 0.6,
                      np.array(cat.GIVEN, dtype=object)[rng.integers(0, len(cat.GIVEN), n)], "")
    names = pc.binary_join_element_wise(pa.array(surname.astype(str)),
                                        pa.array(given.astype(str)),
                                        pa.array(given2.astype(str)), "")
    phone = _ids("1", rng.integers(3_000_000_000, 9_999_999_999, n), 10)
    email = pc.binary_join_element_wise(pc.utf8_lower(customer_ids), "@example.com", "")
    wechat = pc.binary_join_element_wise("wx_", pc.utf8_lower(customer_ids), "")
    region = _pick(rng, cat.REGIONS, cat.REGION_WEIGHTS, n)
    birthday_days = rng.integers(-15_000, -6_500, n)  # born 1982-2005 for a 2023 start
    company = np.where(segment == 1, rng.lognormal(2.5, 0.8, n),
                       np.where(segment == 2, rng.lognormal(6.0, 1.0, n), np.nan))
    has_ref = referrer >= 0
    return pa.table({
        "customer_id": customer_ids,
        "first_seen": _times(start_us, t0),
        "name": names,
        "phone": phone,
        "email": email,
        "wechat_id": wechat,
        "region": _take(cat.REGIONS, region),
        "segment": _take(cat.SEGMENTS, segment),
        "acquisition_channel": _take(cat.CHANNELS, channel),
        "referrer_id": customer_ids.take(pa.array(np.where(has_ref, referrer, 0), mask=~has_ref)),
        "birthday": pa.array((start_us // DAY_US + birthday_days).astype(np.int32), pa.date32()),
        "company_size": pa.array(np.round(np.nan_to_num(company)).astype(np.int64) + 1,
                                 mask=np.isnan(company)),
    })


def _timezones(rng, n) -> pa.Array:
    """Most customers live in the business's zone (left empty); a few abroad say theirs."""
    zone = _pick(rng, [None, *cat.ABROAD_ZONES], [1 - cat.ABROAD_SHARE] + [
        cat.ABROAD_SHARE / len(cat.ABROAD_ZONES)] * len(cat.ABROAD_ZONES), n)
    names = np.array([None, *cat.ABROAD_ZONES], dtype=object)[zone]
    return pa.array(names, pa.string())


def _service_events(rng, start_us, horizon, customer_ids, customer, bought, sku, interval,
                    death_at) -> pa.Table:
    """Services on the equipment customers bought: each interval after the purchase (or the
    previous service), a living customer has the product serviced with probability
    ``SERVICE_TAKE_UP``, a little late or early."""
    end = np.minimum(death_at[customer], horizon)
    cycles = np.floor(np.maximum(end - bought, 0) / interval).astype(np.int64)
    which = np.repeat(np.arange(len(customer)), cycles)
    k = _group_rank(which) + 1
    at = bought[which] + k * interval[which] * rng.uniform(0.9, 1.2, len(which))
    keep = (rng.random(len(which)) < cat.SERVICE_TAKE_UP) & (at < end[which])
    which, at = which[keep], at[keep]
    kind = np.where(rng.random(len(which)) < 0.85, 0, 1)
    return pa.table({
        "customer_id": customer_ids.take(pa.array(customer[which])),
        "sku": sku.take(pa.array(which)),
        "at": _times(start_us, at),
        "kind": _take(["maintenance", "repair"], kind),
    })


def _leads(rng, start_us, horizon, t0, b2b, customer_ids) -> pa.Table:
    stages = ["ML", "MQL", "SL", "SQL", "won"]
    mean_days = [4.0, 6.0, 9.0, 14.0]  # time spent in ML, MQL, SL, SQL
    advance = np.array([0.7, 0.7, 0.65, 0.6])  # chance of moving on from each of them
    won = np.flatnonzero(b2b)
    # Won leads: the stages run backwards from the customer's first purchase.
    durations = np.column_stack([rng.exponential(m, len(won)) for m in mean_days])
    won_entered = t0[won][:, None] - np.cumsum(durations[:, ::-1], axis=1)[:, ::-1]
    won_entered = np.column_stack([won_entered, t0[won]])
    # Lost leads: as many as the advance rates imply, each lost after the stage it reached.
    p_win = float(np.prod(advance))
    n_lost = round(len(won) * (1 - p_win) / p_win)
    reach = np.r_[1.0, np.cumprod(advance[:-1])] * (1 - advance)
    last_stage = rng.choice(4, n_lost, p=reach / reach.sum())  # 0 = lost while in ML
    lost_start = rng.random(n_lost) * horizon * 0.95
    lost_durations = np.column_stack([rng.exponential(m, n_lost) for m in mean_days])
    lost_entered = lost_start[:, None] + np.c_[np.zeros(n_lost), np.cumsum(lost_durations, 1)]

    w_lead = np.repeat(np.arange(len(won)), 5)
    w_stage = np.tile(np.arange(5), len(won))
    w_time = won_entered.ravel()
    keep_w = w_time >= 0  # stages before the business's start are not recorded
    # A lost lead has a row for each stage it entered and a final `lost` row.
    l_lead = np.repeat(np.arange(n_lost), last_stage + 2)
    l_step = _group_rank(l_lead)
    l_is_lost = l_step == last_stage[l_lead] + 1
    l_time = lost_entered[l_lead, np.where(l_is_lost, l_step, l_step)]
    keep_l = l_time < horizon
    reason_lists = [cat.LOST_REASONS[s] for s in stages[:4]]
    reason_pick = (rng.random(len(l_lead)) * np.array([len(r) for r in reason_lists])[
        last_stage[l_lead]]).astype(int)
    flat_reasons = np.array([r for group in reason_lists for r in group], dtype=object)
    offsets = np.r_[0, np.cumsum([len(r) for r in reason_lists])[:-1]]
    lost_reason = np.where(l_is_lost, flat_reasons[offsets[last_stage[l_lead]] + reason_pick],
                           None)

    total = len(won) + n_lost
    lead_ids = _ids("L", np.arange(1, total + 1), 8)
    source = _pick(rng, cat.LEAD_SOURCES, cat.LEAD_SOURCE_WEIGHTS, total)
    owner = rng.integers(0, len(cat.REPS), total)
    lead_index = np.r_[w_lead[keep_w], len(won) + l_lead[keep_l]]
    stage_code = np.r_[w_stage[keep_w], np.where(l_is_lost, 5, l_step)[keep_l]]
    customer = np.r_[np.where(w_stage == 4, won[w_lead], -1)[keep_w], np.full(keep_l.sum(), -1)]
    has_customer = customer >= 0
    return pa.table({
        "lead_id": lead_ids.take(pa.array(lead_index)),
        "stage": _take([*stages, "lost"], stage_code),
        "entered_at": _times(start_us, np.r_[w_time[keep_w], l_time[keep_l]]),
        "source": _take(cat.LEAD_SOURCES, source[lead_index]),
        "owner_id": _take(cat.REPS, owner[lead_index]),
        "customer_id": customer_ids.take(pa.array(np.where(has_customer, customer, 0),
                                                  mask=~has_customer)),
        "lost_reason": pa.array(np.r_[np.full(keep_w.sum(), None), lost_reason[keep_l]],
                                pa.string()),
    })


def _tickets(rng, params, start_us, horizon, customer_ids, customer, opened, priority,
             first_minutes, cycles, answered, csat) -> tuple[pa.Table, pa.Table]:
    m = len(opened)
    first_reply = opened + first_minutes / 1440
    # Each pending cycle: the customer takes a while to answer, then an agent replies.
    waits = rng.exponential(1.0, (m, 2))
    replies = rng.lognormal(np.log(0.15), 0.6, (m, 2))
    pending_at = np.full((m, 2), np.nan)
    open_again = np.full((m, 2), np.nan)
    replied_again = np.full((m, 2), np.nan)
    now = first_reply.copy()
    for c in range(2):
        active = cycles > c
        pending_at[active, c] = now[active] + 0.01
        open_again[active, c] = pending_at[active, c] + waits[active, c]
        replied_again[active, c] = open_again[active, c] + replies[active, c]
        now = np.where(active, replied_again[:, c], now)
    resolved = now + rng.exponential(0.5, m)
    resolved_in = resolved < horizon
    first_in = first_reply < horizon
    ticket_ids = _ids("T", np.arange(1, m + 1), 8)
    category = _pick(rng, cat.TICKET_CATEGORIES, [0.15, 0.3, 0.15, 0.2, 0.2], m)
    tickets = pa.table({
        "ticket_id": ticket_ids,
        "customer_id": customer_ids.take(pa.array(customer)),
        "priority": _take(cat.TICKET_PRIORITIES, priority),
        "opened_at": _times(start_us, opened),
        "first_response_at": _nullable_times(start_us, np.where(first_in, first_reply, np.inf)),
        "resolved_at": _nullable_times(start_us, np.where(resolved_in, resolved, np.inf)),
        "csat": pa.array(csat, mask=~(answered & resolved_in)),
        "category": _take(cat.TICKET_CATEGORIES, category),
    })
    events = [(opened, 0), (first_reply, 1)]
    for c in range(2):
        events += [(pending_at[:, c], 2), (open_again[:, c], 0), (replied_again[:, c], 1)]
    events.append((resolved, 3))
    when = np.concatenate([e[0] for e in events])
    code = np.concatenate([np.full(m, e[1]) for e in events])
    which = np.tile(np.arange(m), len(events))
    keep = np.isfinite(when) & (when < horizon)
    order = np.lexsort((when[keep], which[keep]))
    status = pa.table({
        "ticket_id": ticket_ids.take(pa.array(which[keep][order])),
        "status": _take(["open", "replied", "pending", "resolved"], code[keep][order]),
        "at": _times(start_us, when[keep][order]),
    })
    del params
    return tickets, status


def _contacts(rng, params, start_us, horizon, t0, death_at, customer_ids):
    n = len(t0)
    sent_days = np.linspace(horizon * 0.1, horizon * 0.98, params.campaigns)
    kinds = rng.integers(0, len(cat.CAMPAIGN_KINDS), params.campaigns)
    # Each campaign reaches a random share of the customers acquired before it.
    known = np.searchsorted(t0, sent_days)
    reach = np.minimum(rng.binomial(n, params.campaign_reach, params.campaigns), known)
    c_campaign = np.repeat(np.arange(params.campaigns), reach)
    c_customer = (rng.random(len(c_campaign)) * known[c_campaign]).astype(np.int64)
    sent = sent_days[c_campaign] + rng.random(len(c_campaign)) * 0.5
    alive = sent < death_at[c_customer]
    u = rng.random(len(sent))
    outcome = np.where(alive, np.select([u < 0.02, u < 0.08, u < 0.3], [3, 2, 1], 0),
                       np.where(u < 0.05, 1, 0))
    channel = rng.integers(0, len(cat.CONTACT_CHANNELS), len(sent))
    names = np.array([f"{cat.CAMPAIGN_KINDS[k]}_{i + 1:02d}" for i, k in enumerate(kinds)],
                     dtype=object)
    contacts = pa.table({
        "customer_id": customer_ids.take(pa.array(c_customer)),
        "channel": _take(cat.CONTACT_CHANNELS, channel),
        "sent_at": _times(start_us, sent),
        "campaign": pa.array(names[c_campaign].astype(str)),
        "kind": _take(cat.CAMPAIGN_KINDS, kinds[c_campaign]),
        "outcome": _take(["delivered", "opened", "clicked", "purchased"], outcome),
    })
    k = len(cat.CONTACT_CHANNELS)
    rates = np.array([cat.CONSENT_RATES[c] for c in cat.CONTACT_CHANNELS])
    g_customer = np.repeat(np.arange(n), k)
    g_channel = np.tile(np.arange(k), n)
    opted = rng.random(n * k) < rates[g_channel]
    withdraws = opted & (rng.random(n * k) < 0.08)
    w_time = t0[g_customer] + rng.random(n * k) * (horizon - t0[g_customer])
    consents = pa.table({
        "customer_id": customer_ids.take(pa.array(np.r_[g_customer, g_customer[withdraws]])),
        "channel": _take(cat.CONTACT_CHANNELS, np.r_[g_channel, g_channel[withdraws]]),
        "opted_in": np.r_[opted, np.zeros(withdraws.sum(), bool)],
        "at": _times(start_us, np.r_[t0[g_customer], w_time[withdraws]]),
    })
    return contacts, consents


def _memberships(rng, params, start_us, horizon, t0, death_at, customer_ids):
    n = len(t0)
    joins = t0 + rng.exponential(45.0, n)
    member = (rng.random(n) < params.membership_rate) & (joins < np.minimum(death_at, horizon))
    idx = np.flatnonzero(member)
    names = list(params.tiers)
    tier = np.where(rng.random(len(idx)) < params.gold_share, names.index("gold"),
                    names.index("silver"))
    a = np.array([params.tiers[t].a for t in names])[tier]
    b = np.array([params.tiers[t].b for t in names])[tier]
    fee = np.array([params.tiers[t].fee for t in names])[tier]
    theta_i = rng.beta(a, b)
    years = rng.geometric(theta_i)  # periods paid before not renewing (sBG)
    ended = joins[idx] + 365.0 * years
    theta = np.full(n, np.nan)
    theta[idx] = theta_i
    table = pa.table({
        "customer_id": customer_ids.take(pa.array(idx)),
        "tier": _take(names, tier),
        "fee": fee,
        "started_at": _times(start_us, joins[idx]),
        "ended_at": _nullable_times(start_us, np.where(ended < horizon, ended, np.inf)),
    })
    return table, theta


def _churn_reasons(rng, start_us, horizon, death_at, cause, customer_ids) -> pa.Table:
    gone = np.flatnonzero(np.isfinite(death_at))
    recorded = gone[rng.random(len(gone)) < 0.35]
    at = death_at[recorded] + rng.exponential(20.0, len(recorded))
    keep = at < horizon
    recorded, at = recorded[keep], at[keep]
    codes = cat.CHURN_CODES_CUSTOMER + cat.CHURN_CODES_PRODUCT
    weights = np.array([0.12, 0.06, 0.1, 0.14, 0.12, 0.1, 0.16, 0.08, 0.12])
    natural = rng.choice(len(codes), len(recorded), p=weights / weights.sum())
    code = np.where(cause[recorded] >= 2, codes.index("service"), natural)
    side = np.where(code < len(cat.CHURN_CODES_CUSTOMER), 0, 1)
    return pa.table({
        "customer_id": customer_ids.take(pa.array(recorded)),
        "at": _times(start_us, at),
        "code": _take(codes, code),
        "side": _take(["customer", "product"], side),
        "note": pa.nulls(len(recorded), pa.string()),
    })


def write_business(business: Business, folder: str | Path, *, fmt: str = "parquet") -> Path:
    """Write each table as ``TABLE.parquet`` (or ``.csv``), plus ``truth.json`` and
    ``latent.parquet``, into ``folder``."""
    if fmt not in ("parquet", "csv"):
        raise TenureError(f"format '{fmt}' is not supported; use parquet or csv")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in business.tables.items():
        if fmt == "parquet":
            pq.write_table(table, folder / f"{name}.parquet", compression="zstd")
        else:
            # A byte-order mark first, like every CSV tenure writes, so that Excel reads
            # the file as UTF-8.
            with (folder / f"{name}.csv").open("wb") as handle:
                handle.write(codecs.BOM_UTF8)
                pacsv.write_csv(table, handle)
    pq.write_table(business.latent, folder / "latent.parquet", compression="zstd")
    (folder / "truth.json").write_text(json.dumps(business.truth(), indent=2, default=_json),
                                       encoding="utf-8")
    return folder


def _json(value):
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    raise TypeError(type(value).__name__)
