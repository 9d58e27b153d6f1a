"""Each playbook's rule on a hand-made shop, with a comment on every expected action. The
plan date is Saturday 10 January 2026 unless a test says otherwise; each test turns every
other playbook off and holds nobody out, so the plan holds exactly what the rule selects."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tenure.actions import plan
from tenure.actions._config import load_actions_config
from tenure.actions._context import PlanContext
from tenure.actions.playbooks import learned_days

from .shop import make_shop, only, orders, planned, write_test_scores

DAY = dt.date(2026, 1, 10)


def customers(*ids, **columns) -> list[dict]:
    rows = [{"customer_id": c, "first_seen": pd.Timestamp("2024-01-01")} for c in ids]
    for name, values in columns.items():
        for row, value in zip(rows, values, strict=True):
            row[name] = value
    return rows


PRODUCTS = [
    {"sku": "M1", "name": "machine", "category": "machine", "maintenance_interval_days": 180},
    {"sku": "M2", "name": "grinder", "category": "grinder", "maintenance_interval_days": 365},
    {"sku": "B1", "name": "beans", "category": "beans"},
    {"sku": "F1", "name": "filter", "category": "filter", "consumable_life_days": 60},
    {"sku": "F2", "name": "big filter", "category": "filter", "consumable_life_days": 60},
    {"sku": "G1", "name": "kettle", "category": "kettle", "lifespan_days": 365,
     "successor_sku": "G2", "trade_in_value": 200.0},
    {"sku": "G2", "name": "kettle II", "category": "kettle", "lifespan_days": 365},
]


def test_maintenance_due(tmp_path):
    made, lines = orders(
        ("c1", "2025-07-16", "M1", 1, 3000),  # due 2026-01-12, within the 7 days of lead
        ("c2", "2025-07-16", "M1", 1, 3000),  # serviced 2025-12-01: next due 2026-05-30
        ("c3", "2024-12-01", "M2", 1, 800),   # due 2025-12-01, 40 days overdue (> 30)
        ("c4", "2025-01-05", "M2", 1, 800),   # due 2026-01-05, 5 days overdue
        ("c5", "2025-07-16", "B1", 1, 100),   # beans need no service
        ("c6", "2025-08-01", "M1", 1, 3000),  # due 2026-01-28, not within 7 days yet
    )
    ws = make_shop(tmp_path / "s", {
        "customers": customers("c1", "c2", "c3", "c4", "c5", "c6"), "products": PRODUCTS,
        "orders": made, "order_lines": lines,
        "service_events": [{"customer_id": "c2", "sku": "M1", "at": "2025-12-01 10:00",
                            "kind": "maintenance"}]}, actions=only("maintenance_due"))
    result = plan(ws, DAY)
    assert planned(result) == {
        "c1": "machine was bought on 2025-07-16 and is due for maintenance on 2026-01-12 "
              "(every 180 days)",
        "c4": "grinder was bought on 2025-01-05 and is due for maintenance on 2026-01-05 "
              "(every 365 days)"}
    due = dict(zip(result.frame["customer_id"], result.frame["due_date"], strict=True))
    # c1's service is due in two days; c4's is overdue, so due today.
    assert due == {"c1": pd.Timestamp("2026-01-12"), "c4": pd.Timestamp("2026-01-10")}
    # Transactional: the plan says so, and its value is the customer's spend per purchase.
    assert set(result.frame["kind"]) == {"transactional"}


def test_replenishment(tmp_path):
    made, lines = orders(
        ("c1", "2025-11-15", "F1", 2, 50),  # 2 x 60 days: runs out 2026-03-15
        ("c2", "2025-11-12", "F1", 1, 50),  # runs out 2026-01-11, within the 5 days of lead
        ("c3", "2025-10-01", "F1", 1, 50),  # ran out 2025-11-30, more than 14 days ago
        ("c4", "2025-11-12", "F1", 1, 50),  # like c2, but...
        ("c4", "2025-12-20", "F2", 1, 80),  # ...a later filter lasts until 2026-02-18
    )
    ws = make_shop(tmp_path / "s", {
        "customers": customers("c1", "c2", "c3", "c4"), "products": PRODUCTS,
        "orders": made, "order_lines": lines}, actions=only("replenishment"))
    result = plan(ws, DAY)
    assert planned(result) == {"c2": "1 x filter bought on 2025-11-12 run out around 2026-01-11"}
    # The value at stake is what the supply cost.
    assert result.frame["value_at_stake"].tolist() == [50.0]


def test_trade_in(tmp_path):
    made, lines = orders(
        ("c1", "2025-01-20", "G1", 1, 600),  # end of life 2026-01-20, within 30 days
        ("c2", "2025-01-20", "G1", 1, 600),  # like c1, but replaced by...
        ("c2", "2025-06-01", "G2", 1, 900),  # ...the successor since (its life ends in June)
        ("c3", "2024-03-01", "G1", 1, 600),  # ended 2025-03-01, more than 180 days ago
    )
    ws = make_shop(tmp_path / "s", {
        "customers": customers("c1", "c2", "c3"), "products": PRODUCTS, "orders": made,
        "order_lines": lines}, actions=only("trade_in"))
    result = plan(ws, DAY)
    assert planned(result) == {
        "c1": "kettle bought on 2025-01-20 reaches the end of its 365-day life on 2026-01-20"}
    # The offer names the trade-in value and the successor, worth what it sells for.
    assert result.frame["offer"].tolist() == ["trade in kettle for 200 off kettle II"]
    assert result.frame["value_at_stake"].tolist() == [900.0]


def test_nurture_rungs(tmp_path):
    # Too few customers to learn from: every rung uses default_days = 30, nudged for 7.
    made, _ = orders(
        ("c1", "2025-12-11", None, 1, 100),   # one purchase 30 days ago: nudge
        ("c2", "2025-12-20", None, 1, 100),   # one purchase 21 days ago: not yet
        *[("c3", f"2025-{m:02d}-11", None, 1, 100) for m in (8, 9, 10, 11, 12)],  # loyal
        ("c4", "2025-10-01", None, 1, 100),   # two purchases, the last 36 days ago: nudge
        ("c4", "2025-12-05", None, 1, 100),
        ("c5", "2025-11-20", None, 1, 100),   # 51 days: past the 7 days of grace
    )
    ws = make_shop(tmp_path / "s", {"customers": customers("c1", "c2", "c3", "c4", "c5"),
                                    "orders": made},
                   actions=only("nurture", min_customers=1000))
    assert planned(plan(ws, DAY)) == {
        "c1": "first purchase 30 days ago and no second yet; second purchases become rarer "
              "after day 30",
        "c4": "2 purchases, the last 36 days ago; the next becomes less likely after day 30, "
              "3 more to become loyal"}


def test_nurture_learns_where_the_next_purchase_starts_to_fall(tmp_path):
    # 300 customers, each buying a second time 8 to 12 days after the first (week 1 of
    # waiting, counted from 0): the hazard peaks in that week and falls after it, so the
    # nudge goes at the end of it, day 14. The second rung has nobody: default_days.
    rows = []
    for i in range(300):
        rows.append((f"k{i}", "2025-06-01", None, 1, 50))
        rows.append((f"k{i}", f"2025-06-{9 + i % 5:02d}", None, 1, 50))
    made, _ = orders(*rows)
    ws = make_shop(tmp_path / "s", {"orders": made},
                   actions=only("nurture", min_customers=100, default_days=45))
    config = load_actions_config(ws)
    ctx = PlanContext(ws, DAY, config)
    learned = learned_days(ctx, config.playbooks["nurture"].values)
    assert learned == {1: 14, 2: 45, 3: 45, 4: 45}


def test_at_risk_reads_churn_scores(tmp_path):
    made, _ = orders(*[(c, "2025-09-01", None, 1, 300) for c in ("c1", "c2", "c3")])
    ws = make_shop(tmp_path / "s", {"customers": customers("c1", "c2", "c3"), "orders": made},
                   actions=only("at_risk"))
    write_test_scores(ws, dt.date(2026, 1, 1), [
        # risk 0.7 x CLV 1,000 = 700 at risk: reach out, with the customer's own reason
        {"customer_id": "c1", "p_alive": 0.4, "clv": 1000.0, "expected_purchases": 1.0,
         "expected_spend": 300.0, "horizon_days": 90, "model": "pnbd", "churn_risk": 0.7,
         "churn_reason_1": "no purchase for 131 days"},
        # 0.7 x 100 = 70 at risk, under the 100 threshold
        {"customer_id": "c2", "p_alive": 0.4, "clv": 100.0, "expected_purchases": 1.0,
         "expected_spend": 300.0, "horizon_days": 90, "model": "pnbd", "churn_risk": 0.7,
         "churn_reason_1": "x"},
        # risk 0.3 is under the 0.5 threshold, however valuable
        {"customer_id": "c3", "p_alive": 0.9, "clv": 5000.0, "expected_purchases": 1.0,
         "expected_spend": 300.0, "horizon_days": 90, "model": "pnbd", "churn_risk": 0.3,
         "churn_reason_1": "y"}])
    result = plan(ws, DAY)
    assert planned(result) == {
        "c1": "churn risk 70% with 700 at risk; the strongest reason: no purchase for 131 days"}
    assert result.frame["value_at_stake"].tolist() == [pytest.approx(700.0)]


def test_at_risk_without_churn_scores_says_what_to_run(tmp_path):
    made, _ = orders(("c1", "2025-09-01", None, 1, 300))
    ws = make_shop(tmp_path / "s", {"orders": made}, actions=only("at_risk"))
    result = plan(ws, DAY)
    assert len(result.frame) == 0
    assert any("run `tenure churn score` first" in line for line in result.lines())


def test_win_back_offer_follows_the_churn_reason(tmp_path):
    made, _ = orders(
        ("c1", "2025-06-01", None, 1, 500),  # 223 days quiet, spent 500: product reason
        ("c2", "2025-12-01", None, 1, 500),  # 40 days: not churned at 90
        ("c3", "2023-06-01", None, 1, 500),  # more than 730 days: given up on
        ("c4", "2025-05-01", None, 1, 50),   # spent 50 a year, under the 100 minimum
        ("c5", "2025-06-01", None, 1, 300),  # service reason
        ("c6", "2025-06-01", None, 1, 300),  # no reason recorded: the default offer
    )
    reasons = [
        {"customer_id": "c1", "at": "2025-08-01 10:00", "code": "bugs", "side": "product"},
        {"customer_id": "c5", "at": "2025-08-01 10:00", "code": "service"},
    ]
    ws = make_shop(tmp_path / "s", {"customers": customers("c1", "c2", "c3", "c4", "c5", "c6"),
                                    "orders": made, "churn_reasons": reasons},
                   actions=only("win_back", churned_days=90))
    result = plan(ws, DAY)
    offers = dict(zip(result.frame["customer_id"], result.frame["offer"], strict=True))
    assert offers == {"c1": "the fix, or our new model", "c5": "an apology from your owner",
                      "c6": "a we-miss-you offer"}
    assert planned(result)["c1"] == ("last bought 223 days ago after spending 500 a year; "
                                     "reason recorded: bugs")


def test_cross_sell_from_co_purchases(tmp_path):
    rows = []
    for c in ("k1", "k2", "k3", "k4"):  # bought A and B long ago
        rows += [(c, "2025-03-01", "A", 1, 10), (c, "2025-03-02", "B", 1, 30)]
    rows.append(("k5", "2026-01-02", "A", 1, 10))   # bought A a week ago: offered B
    rows.append(("k6", "2026-01-02", "C", 1, 20))   # bought C only: no rule from C
    made, lines = orders(*rows)
    products = [{"sku": s, "name": n} for s, n in (("A", "mug"), ("B", "tray"), ("C", "pot"))]
    ws = make_shop(tmp_path / "s", {"products": products, "orders": made,
                                    "order_lines": lines},
                   actions=only("cross_sell", min_customers=2, min_lift=1.0))
    result = plan(ws, DAY)
    # A -> B: 4 of the 5 buyers of A bought B (80%); B's share is 4 of 6 customers, so
    # buyers of A buy it 0.8 / (4/6) = 1.2 times as often.
    assert planned(result) == {"k5": "80% of the customers who bought mug also bought tray, "
                                     "1.2 times the usual rate"}
    assert result.frame["offer"].tolist() == ["tray"]
    assert result.frame["value_at_stake"].tolist() == [30.0]


def test_membership_upgrade_on_expected_spend(tmp_path):
    made, _ = orders(*[(c, "2025-12-01", None, 1, 100) for c in ("c1", "c2", "c3", "c4")])
    members = [{"customer_id": "c2", "tier": "silver", "fee": 99.0,
                "started_at": "2025-06-01 00:00"}]
    tiers = {"silver": {"fee": 99, "reward": 0.01}, "gold": {"fee": 299, "reward": 0.03}}
    ws = make_shop(tmp_path / "s", {"customers": customers("c1", "c2", "c3", "c4"),
                                    "orders": made, "memberships": members},
                   actions=only("membership_upgrade", tiers=tiers))

    def score(c, spend, clv):
        # Next year's spend = expected purchases x spend per purchase over a 365-day horizon.
        return {"customer_id": c, "p_alive": 0.9, "clv": clv, "expected_purchases": 1.0,
                "expected_spend": spend, "horizon_days": 365, "model": "pnbd"}
    write_test_scores(ws, dt.date(2026, 1, 1), [
        score("c1", 20_000.0, 500.0),  # gold: 3% of 20,000 = 600 back for 299: +301 a year
        score("c2", 5_000.0, 400.0),   # silver to gold: +2% = 100 back for 200 more: no
        score("c3", 8_000.0, 9_000.0),  # pays for no tier (240 - 299 < 0), but the top
                                        # customer by value: invited to gold
        score("c4", 1_000.0, 10.0)])    # nothing
    result = plan(ws, DAY)
    assert planned(result) == {
        "c1": "gold pays for itself: 600 more back on an expected 20,000 of spending next "
              "year against 299 more in fees",
        "c3": "among the top 1% of customers by value and not yet on gold"}
    assert set(result.frame["offer"]) == {"gold"}


def test_care_calendar(tmp_path):
    made, _ = orders(
        ("c1", "2025-12-01", None, 1, 100),  # birthday today
        ("c2", "2025-12-01", None, 1, 100),  # birthday tomorrow
        ("c3", "2025-01-10", None, 1, 100),  # first purchase a year ago today
        ("c4", "2024-01-10", None, 1, 100),  # two years ago, but not active within 365 days
    )
    people = customers("c1", "c2", "c3", "c4", birthday=[
        dt.date(1990, 1, 10), dt.date(1990, 1, 11), None, dt.date(1985, 1, 10)])
    ws = make_shop(tmp_path / "s", {"customers": people, "orders": made},
                   actions=only("care_calendar"))
    assert planned(plan(ws, DAY)) == {
        "c1": "birthday on 01-10", "c3": "anniversary of the first purchase, on 2025-01-10"}


def test_care_calendar_customer_day_and_29_february(tmp_path):
    made, _ = orders(("c1", "2026-01-20", None, 1, 100), ("c2", "2026-01-20", None, 1, 100))
    people = customers("c1", "c2", birthday=[dt.date(2000, 2, 29), dt.date(2000, 3, 1)])
    ws = make_shop(tmp_path / "s", {"customers": people, "orders": made},
                   actions=only("care_calendar", customer_days=["02-28"]))
    # 2026 has no 29 February: c1's birthday is kept on the 28th, the customer day, which
    # every active customer shares; the birthday comes first.
    assert planned(plan(ws, dt.date(2026, 2, 28))) == {
        "c1": "birthday on 02-28", "c2": "02-28 is our customer day"}


SLA = """
[sla]
default_policy = "all"

[sla.policies.all]
clock = "calendar"
targets.P1 = { first_response = 60 }
"""


def test_service_recovery_within_a_day_open_tickets_allowed(tmp_path):
    made, _ = orders(*[(c, "2025-12-01", None, 1, 100) for c in ("c1", "c2", "c3", "c4")])
    tickets = [
        # c1 rated a ticket 1 of 5 yesterday afternoon: recovery is due
        {"ticket_id": "T1", "customer_id": "c1", "priority": "P1",
         "opened_at": "2026-01-09 09:00", "first_response_at": "2026-01-09 09:10",
         "resolved_at": "2026-01-09 14:00", "csat": 1},
        # c2's bad score came two days ago: too late
        {"ticket_id": "T2", "customer_id": "c2", "priority": "P1",
         "opened_at": "2026-01-08 09:00", "first_response_at": "2026-01-08 09:10",
         "resolved_at": "2026-01-08 10:00", "csat": 2},
        # c3 rated 3: not a bad experience
        {"ticket_id": "T3", "customer_id": "c3", "priority": "P1",
         "opened_at": "2026-01-09 09:00", "first_response_at": "2026-01-09 09:10",
         "resolved_at": "2026-01-09 10:00", "csat": 3},
        # c4's ticket waited two hours for a first response (target one hour): it breached
        # at 11:00 yesterday and is still open, which holds back every playbook but this
        {"ticket_id": "T4", "customer_id": "c4", "priority": "P1",
         "opened_at": "2026-01-09 10:00", "first_response_at": "2026-01-09 12:00"},
    ]
    ws = make_shop(tmp_path / "s", {"orders": made, "tickets": tickets},
                   actions=only("service_recovery"), extra=SLA)
    assert planned(plan(ws, DAY)) == {
        "c1": "rated ticket T1 1 of 5 at 2026-01-09 14:00:00",
        "c4": "ticket T4 missed its first response target at 2026-01-09 11:00:00"}


def test_referral_ask(tmp_path):
    made, _ = orders(
        ("c1", "2025-12-01", None, 1, 100),
        ("c2", "2025-12-01", None, 1, 100),
        ("c3", "2025-12-01", None, 1, 100),
        *[("c4", d, None, 1, 100) for d in ("2025-10-01", "2025-11-01", "2025-12-01")],
        # what referred customers spend in their first year is what a referral is worth
        *[(r, "2024-02-01", None, 1, 100) for r in ("r1", "r2", "r3", "r4")],
    )
    people = customers("c1", "c2", "c3", "c4", "r1", "r2", "r3", "r4",
                       referrer_id=[None, None, None, None, "c1", "c1", "c2", "c4"])
    tickets = [{"ticket_id": "T1", "customer_id": "c1", "opened_at": "2025-11-01 10:00",
                "resolved_at": "2025-11-01 12:00", "csat": 5},
               {"ticket_id": "T2", "customer_id": "c2", "opened_at": "2025-11-01 10:00",
                "resolved_at": "2025-11-01 12:00", "csat": 1}]
    ws = make_shop(tmp_path / "s", {"customers": people, "orders": made, "tickets": tickets},
                   actions=only("referral_ask"))
    assert planned(plan(ws, DAY)) == {
        # c1 referred two and rates us 5: ask
        "c1": "has referred customers (2 so far) and rates us 5.0 of 5 on average",
        # c2 referred one but rated a ticket 1: not now; c3 referred nobody
        # c4 has no scores, but three purchases without a complaint
        "c4": "has referred customers (1 so far) and bought on 3 days without a complaint"}


def test_handover_introduction_and_customers_left_alone(tmp_path):
    made, _ = orders(*[(c, "2025-12-01", None, 1, 100) for c in ("c1", "c2", "c3")])
    owners = [
        # c1 changed hands a week ago: the new owner introduces themselves
        {"customer_id": "c1", "owner_id": "rep_a", "from_at": "2025-01-01 09:00",
         "to_at": "2026-01-03 09:00"},
        {"customer_id": "c1", "owner_id": "rep_b", "from_at": "2026-01-03 09:00"},
        # c2's owner left on 1 December and nobody took over: flagged to unassigned
        {"customer_id": "c2", "owner_id": "rep_a", "from_at": "2025-01-01 09:00",
         "to_at": "2025-12-01 09:00"},
        # c3 changed hands 100 days ago: too long ago to introduce
        {"customer_id": "c3", "owner_id": "rep_a", "from_at": "2025-01-01 09:00",
         "to_at": "2025-10-02 09:00"},
        {"customer_id": "c3", "owner_id": "rep_c", "from_at": "2025-10-02 09:00"},
    ]
    ws = make_shop(tmp_path / "s", {"orders": made, "owners": owners},
                   actions=only("handover_intro", prior_effect=0.5))
    result = plan(ws, DAY)
    assert planned(result) == {"c1": "rep_b took over from rep_a on 2026-01-03",
                               "c2": "has had no owner since 2025-12-01 (last: rep_a)"}
    owners_of = dict(zip(result.frame["customer_id"], result.frame["owner_id"], strict=True))
    assert owners_of == {"c1": "rep_b", "c2": "unassigned"}
