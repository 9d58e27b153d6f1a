"""Lifecycle states: hand-made histories, learned thresholds, and a check against a plain
Python reading of the definitions on random histories."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from tenure.analytics import LifecycleRules, customer_states, lifecycle
from tenure.engine._periods import first_day, index_of
from tenure.errors import InputError

from .conftest import make_orders

# Fixed thresholds: at risk after 30 days without a purchase, churned after 60.
FIXED = LifecycleRules(at_risk_days=30, churned_days=60)

# A buys in January and February, is lost, and comes back in June. B buys once.
HISTORY = make_orders(
    ("A", "2024-01-10", 10.0),
    ("A", "2024-02-05", 10.0),
    ("A", "2024-06-15", 10.0),
    ("B", "2024-01-20", 10.0),
)


def states_by_month(result) -> dict[str, dict[str, int]]:
    counts = result.counts().set_index("period")
    return {f"{p:%Y-%m}": {s: int(n) for s, n in row.items() if n} for p, row in counts.iterrows()}


def test_states_month_by_month_with_fixed_thresholds():
    result = lifecycle(HISTORY, end="2024-07-31", rules=FIXED)
    assert states_by_month(result) == {
        "2024-01": {"new": 2},
        # A bought again; B's last purchase is 40 days old at 29 February.
        "2024-02": {"active": 1, "at_risk": 1},
        # A: 55 days since 5 Feb at 31 March; B: 71 days, past 60 in March.
        "2024-03": {"at_risk": 1, "churned": 1},
        # A passes 60 days on 6 April; B was lost in March: dormant.
        "2024-04": {"churned": 1, "dormant": 1},
        "2024-05": {"dormant": 2},
        # A comes back after being lost: a win-back.
        "2024-06": {"resurrected": 1, "dormant": 1},
        # A's last purchase (15 June) is 46 days old at 31 July.
        "2024-07": {"at_risk": 1, "dormant": 1},
    }


def test_transitions_between_consecutive_months():
    result = lifecycle(HISTORY, end="2024-07-31", rules=FIXED)
    moves = result.transitions.assign(period=result.transitions["period"].dt.strftime("%Y-%m"))
    got = {(r.period, r.from_state, r.to_state): r.customers for r in moves.itertuples()}
    assert got == {
        ("2024-02", "new", "active"): 1, ("2024-02", "new", "at_risk"): 1,
        ("2024-03", "active", "at_risk"): 1, ("2024-03", "at_risk", "churned"): 1,
        ("2024-04", "at_risk", "churned"): 1, ("2024-04", "churned", "dormant"): 1,
        ("2024-05", "churned", "dormant"): 1, ("2024-05", "dormant", "dormant"): 1,
        ("2024-06", "dormant", "resurrected"): 1, ("2024-06", "dormant", "dormant"): 1,
        ("2024-07", "resurrected", "at_risk"): 1, ("2024-07", "dormant", "dormant"): 1,
    }
    matrix = result.matrix()
    # B stays dormant three times and A once leaves dormant: 3 of 4 moves from dormant.
    assert matrix.loc["dormant", "dormant"] == 0.75
    assert matrix.loc["dormant", "resurrected"] == 0.25


def test_start_hides_earlier_periods_but_their_history_still_counts():
    result = lifecycle(HISTORY, start="2024-05-01", end="2024-07-31", rules=FIXED)
    assert list(states_by_month(result)) == ["2024-05", "2024-06", "2024-07"]
    # A's June purchase is still a win-back: the March loss happened before the window.
    assert states_by_month(result)["2024-06"] == {"resurrected": 1, "dormant": 1}
    # Moves into May need April, which is not shown: the first moves are into June.
    assert result.transitions["period"].min() == pd.Timestamp("2024-06-01")


def test_same_day_purchases_and_refunds_do_not_change_states():
    noisy = pd.concat([HISTORY, make_orders(("A", "2024-02-05", 99.0),  # same day again
                                            ("B", "2024-03-10", -10.0))])  # a refund
    noisy["order_id"] = [f"N{i}" for i in range(len(noisy))]
    plain = lifecycle(HISTORY, end="2024-07-31", rules=FIXED)
    noisy_states = states_by_month(lifecycle(noisy, end="2024-07-31", rules=FIXED))
    assert noisy_states == states_by_month(plain)


def test_thresholds_learned_from_each_customers_rhythm():
    # C buys every 10 days, D twice 30 days apart, E once. The typical gap is the median of
    # the mean gaps of C (10) and D (30): 20 days. With one gap of weight (prior_gaps=1):
    # C's rhythm is (30 + 20) / (3 + 1) = 12.5 days, at risk after 25 and churned after 50;
    # D's is (30 + 20) / (1 + 1) = 25 days: at risk after 50, churned after 100;
    # E's is the business's 20 days: at risk after 40, churned after 80.
    orders = make_orders(
        ("C", "2024-01-01", 1.0), ("C", "2024-01-11", 1.0), ("C", "2024-01-21", 1.0),
        ("C", "2024-01-31", 1.0), ("D", "2024-01-01", 1.0), ("D", "2024-01-31", 1.0),
        ("E", "2024-01-15", 1.0),
    )
    result = lifecycle(orders, end="2024-04-30", rules=LifecycleRules(
        prior_gaps=1, at_risk_multiple=2, churned_multiple=4))
    assert result.thresholds.typical_gap_days == 20.0
    assert states_by_month(result) == {
        "2024-01": {"new": 3},
        # C at risk from 26 Feb, E from 25 Feb; D not before 22 March.
        "2024-02": {"active": 1, "at_risk": 2},
        # C passes 50 days on 22 March; D is at risk from 22 March.
        "2024-03": {"at_risk": 2, "churned": 1},
        # E passes 80 days on 5 April; D's 100 days come after the end.
        "2024-04": {"at_risk": 1, "churned": 1, "dormant": 1},
    }
    now = customer_states(orders, end="2024-04-30", rules=LifecycleRules(prior_gaps=1))
    now = now.frame.set_index("customer_id")
    assert now["state"].to_dict() == {"C": "dormant", "D": "at_risk", "E": "churned"}
    assert now.loc["C", "at_risk_after"] == 25.0 and now.loc["C", "churned_after"] == 50.0
    assert now.loc["E", "days_since"] == 106  # 15 January to 30 April


def test_one_purchase_only_and_nobody_repeating_needs_fixed_thresholds():
    once = make_orders(("A", "2024-01-10", 10.0), ("B", "2024-02-01", 5.0))
    with pytest.raises(InputError, match="no customer bought on two different days"):
        lifecycle(once)
    result = lifecycle(once, end="2024-03-31", rules=FIXED)
    # A: new in January, at risk from 10 February, churned from 11 March.
    # B: new in February, at risk from 3 March.
    assert states_by_month(result)["2024-03"] == {"at_risk": 1, "churned": 1}


def test_periods_with_nobody_buying_still_appear_with_zeros():
    result = lifecycle(HISTORY, period="week", end="2024-07-31", rules=FIXED)
    weeks = result.frame["period"].unique()
    # Every Monday from 8 January (the week of 10 January) to 29 July: 30 weeks.
    assert len(weeks) == 30
    # A counts from the week of 8 January, B from that of 15 January; nobody buys in most
    # weeks, yet each week holds both customers in some state.
    assert result.frame.groupby("period")["customers"].sum().tolist() == [1] + [2] * 29
    assert len(result.frame) == 30 * 6  # every state in every week, zeros included


def test_bad_threshold_options():
    with pytest.raises(InputError, match="at_risk_days=60 must be below churned_days=30"):
        lifecycle(HISTORY, rules=LifecycleRules(at_risk_days=60, churned_days=30))
    with pytest.raises(InputError, match="at_risk_multiple=5 must be below"):
        lifecycle(HISTORY, rules=LifecycleRules(at_risk_multiple=5, churned_multiple=4))
    with pytest.raises(InputError, match="alive_from='scores' needs value-model scores"):
        lifecycle(HISTORY, rules=replace(FIXED, alive_from="scores"))
    with pytest.raises(InputError, match=r"churned_days=-1 should be a number at least 0"):
        lifecycle(HISTORY, rules=LifecycleRules(churned_days=-1))


def test_p_alive_from_the_scores_judges_the_last_period():
    # A bought on 15 June; by rhythm (fixed 30/60 days) A is at risk at the end of July.
    # The scores say P(alive) = 0.9: active. B was lost long ago and the scores agree.
    scores = pd.DataFrame({"customer_id": ["A", "B"], "as_of": ["2024-07-31"] * 2,
                           "p_alive": [0.9, 0.05], "clv": [100.0, 0.0],
                           "model": ["pnbd", "pnbd"]})
    tables = {"orders": HISTORY, "scores": scores}
    result = lifecycle(tables, end="2024-07-31", rules=FIXED)
    assert result.thresholds.alive_from == "scores"
    assert states_by_month(result)["2024-07"] == {"active": 1, "dormant": 1}
    assert states_by_month(result)["2024-06"] == {"resurrected": 1, "dormant": 1}
    rhythm = lifecycle(tables, end="2024-07-31", rules=replace(FIXED, alive_from="rhythm"))
    assert states_by_month(rhythm)["2024-07"] == {"at_risk": 1, "dormant": 1}
    now = customer_states(tables, end="2024-07-31", rules=FIXED).frame.set_index("customer_id")
    assert now.loc["A", "state"] == "active" and now.loc["A", "p_alive"] == 0.9
    # Scores from an earlier month are not used for the last one.
    old = {"orders": HISTORY, "scores": scores.assign(as_of="2024-06-30")}
    assert lifecycle(old, end="2024-07-31", rules=FIXED).thresholds.alive_from == "rhythm"
    # Scores as of the next morning (what `tenure score` makes by default) saw every order
    # up to the end of July: they judge July; two days later they would see August.
    morning = {"orders": HISTORY, "scores": scores.assign(as_of="2024-08-01")}
    assert states_by_month(lifecycle(morning, end="2024-07-31", rules=FIXED))["2024-07"] == {
        "active": 1, "dormant": 1}
    later = {"orders": HISTORY, "scores": scores.assign(as_of="2024-08-02")}
    assert lifecycle(later, end="2024-07-31", rules=FIXED).thresholds.alive_from == "rhythm"


def test_the_scores_of_any_stored_date_serve_and_the_result_says_which_or_why_not():
    # Three stored dates: June (too early for July), 31 July (the one to use) and
    # 2 August (after the end: it saw August's orders).
    scores = pd.concat([
        pd.DataFrame({"customer_id": ["A", "B"], "as_of": day, "p_alive": p_alive,
                      "clv": 0.0, "model": "pnbd"})
        for day, p_alive in (("2024-06-30", [0.1, 0.1]), ("2024-07-31", [0.9, 0.05]),
                             ("2024-08-02", [0.1, 0.1]))])
    result = lifecycle({"orders": HISTORY, "scores": scores}, end="2024-07-31", rules=FIXED)
    assert result.thresholds.scores_as_of == dt.date(2024, 7, 31)
    # P(alive) 0.9 on 31 July: A is active (the other dates would make A churned).
    assert states_by_month(result)["2024-07"] == {"active": 1, "dormant": 1}
    assert "judged by P(alive) as of 2024-07-31" in result.lines()[1]
    # Without a date in July, the result says which dates there are and what to do.
    early = scores[scores["as_of"] != "2024-07-31"]
    result = lifecycle({"orders": HISTORY, "scores": early}, end="2024-07-31", rules=FIXED)
    assert result.thresholds.alive_from == "rhythm"
    assert ("the pnbd scores were not used: they are as of 2024-06-30, 2024-08-02, none in the "
            "month holding 2024-07-31 or on the day after it; score with `tenure score "
            "--as-of 2024-08-01`") in result.lines()[1]


def test_p_alive_cuts_and_bg_nbd_scores():
    # P(alive) 0.6 for A: at risk under the default cuts (below 0.8, churned below 0.5),
    # active with at_risk_p_alive=0.5.
    scores = pd.DataFrame({"customer_id": ["A", "B"], "as_of": ["2024-07-31"] * 2,
                           "p_alive": [0.6, 0.05], "clv": 0.0, "model": "pnbd"})
    tables = {"orders": HISTORY, "scores": scores}
    assert states_by_month(lifecycle(tables, end="2024-07-31", rules=FIXED))["2024-07"] == {
        "at_risk": 1, "dormant": 1}
    loose = lifecycle(tables, end="2024-07-31",
                      rules=replace(FIXED, at_risk_p_alive=0.5))
    assert states_by_month(loose)["2024-07"] == {"active": 1, "dormant": 1}
    with pytest.raises(InputError, match=r"churned_p_alive=0\.9 must not be above"):
        lifecycle(tables, rules=replace(FIXED, churned_p_alive=0.9))
    # BG/NBD scores are left aside unless asked for: that model keeps alive for ever every
    # customer who never bought again.
    bg = {"orders": HISTORY, "scores": scores.assign(model="bgnbd")}
    auto = lifecycle(bg, end="2024-07-31", rules=FIXED)
    assert auto.thresholds.alive_from == "rhythm" and auto.thresholds.set_aside == "bgnbd"
    assert "bgnbd scores were not used" in auto.lines()[1]
    assert lifecycle(bg, end="2024-07-31",
                     rules=replace(FIXED, alive_from="scores")).thresholds.alive_from == "scores"


# -- the same definitions, read plainly in Python, on random histories ----------------------
def reference_states(orders: pd.DataFrame, period: str, as_of: dt.date, multiples=(2.0, 4.0),
                     prior: float = 1.0) -> dict[tuple[str, int], str]:
    bought = orders[(orders["amount"] >= 0) & (orders["ordered_at"].dt.date <= as_of)]
    days = {c: sorted(set(g["ordered_at"].dt.date)) for c, g in bought.groupby("customer_id")}
    means = [(d[-1] - d[0]).days / (len(d) - 1) for d in days.values() if len(d) >= 2]
    typical = float(np.median(means))
    last_number = index_of(as_of, period)
    states = {}
    for customer, history in days.items():
        first = index_of(history[0], period)
        previous = None
        for number in range(first, last_number + 1):
            judged = as_of if number == last_number else (
                first_day(number + 1, period) - dt.timedelta(days=1))
            seen = [d for d in history if d <= judged]
            here = [d for d in seen if index_of(d, period) == number]
            if here:
                state = "new" if number == first else (
                    "resurrected" if previous in ("churned", "dormant") else "active")
            else:
                gaps = len(seen) - 1
                span = (seen[-1] - seen[0]).days
                rhythm = (span + prior * typical) / (gaps + prior) if gaps + prior else typical
                since = (judged - seen[-1]).days
                if since > multiples[1] * rhythm:
                    state = "dormant" if previous in ("churned", "dormant") else "churned"
                elif since > multiples[0] * rhythm:
                    state = "at_risk"
                else:
                    state = "active"
            states[(customer, number)] = state
            previous = state
    return states


def random_orders(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(40):
        start = rng.integers(0, 150)
        n = rng.integers(1, 8)
        when = start + np.cumsum(rng.exponential(rng.uniform(5, 60), n)).astype(int)
        for day in when[when < 240]:
            amount = -5.0 if rng.random() < 0.05 else 10.0
            rows.append((f"c{c:02d}", str(dt.date(2024, 1, 1) + dt.timedelta(days=int(day))),
                         amount))
    rows.append(("c00", "2024-01-01", 10.0))
    rows.append(("c00", "2024-01-01", 12.0))  # a same-day duplicate
    return make_orders(*rows)


@pytest.mark.parametrize(("seed", "period"), [(1, "month"), (2, "week"), (3, "day"),
                                              (4, "quarter")])
def test_counts_and_moves_match_a_plain_reading_of_the_definitions(seed, period):
    orders = random_orders(seed)
    as_of = dt.date(2024, 8, 20)
    expected = reference_states(orders, period, as_of)
    result = lifecycle(orders, period=period, end=as_of)
    ref = pd.Series(expected).rename_axis(["customer_id", "number"]).rename("state")
    ref = ref.reset_index()
    want = ref.groupby(["number", "state"]).size()
    got = result.frame.assign(number=[index_of(p.date(), period) for p in result.frame["period"]])
    got = got[got["customers"] > 0].set_index(["number", "state"])["customers"]
    assert got.sort_index().to_dict() == want.sort_index().to_dict()

    ref["previous"] = ref.groupby("customer_id")["state"].shift(1)
    moves = ref.dropna(subset=["previous"]).groupby(["number", "previous", "state"]).size()
    got_moves = result.transitions.assign(
        number=[index_of(p.date(), period) for p in result.transitions["period"]])
    got_moves = got_moves.set_index(["number", "from_state", "to_state"])["customers"]
    assert got_moves.sort_index().to_dict() == moves.sort_index().to_dict()

    now = customer_states(orders, period=period, end=as_of).frame.set_index("customer_id")
    last = index_of(as_of, period)
    assert now["state"].to_dict() == {c: s for (c, n), s in expected.items() if n == last}
