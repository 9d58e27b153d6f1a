"""Credits owed, compliance reports and churn features on one small, hand-made book
(conftest.book: sla_helpers.CONTRACTS and TICKETS).

Every ticket is P1 with a 60-minute first-response target on the office calendar
(09:00-12:00, 13:00-18:00, Monday to Friday; October 2026: the 12th is a Monday). A
first response two hours after a 09:00 opening breaches at 10:00.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sla_helpers import add_tickets

from tenure.errors import ConfigError
from tenure.sla import credits, customer_breaches, parse_period, report


def test_credits_for_a_month(book):
    owed = credits(book, "2026-10")
    frame = owed.frame.set_index("customer_id")
    # ACME: 2 first-response breaches in October (resolution is not credited) x 50 = 100,
    # under the cap of 120.
    assert frame.loc["ACME", ["breaches", "per_breach", "before_cap", "cap", "owed"]].tolist() \
        == [2, 50.0, 100.0, 120.0, 100.0]
    # G1: the yearly fee of 1200 makes 100 a month; 10% is 10 per breach, 3 breaches = 30,
    # capped at 25% of 100 = 25.
    assert frame.loc["G1", ["breaches", "period_fee", "per_breach", "before_cap", "cap",
                            "owed"]].tolist() == [3, 100.0, 10.0, 30.0, 25.0, 25.0]
    # NOFEE: a percentage of no known fee cannot be priced.
    assert frame.loc["NOFEE", "breaches"] == 1 and pd.isna(frame.loc["NOFEE", "owed"])
    assert "C1" not in frame.index
    assert owed.total == 125.0 and owed.unpriced == 1
    # The clocks were evaluated as of the latest record, G1c's reply on 16 October.
    assert owed.as_of == pd.Timestamp("2026-10-16 11:00")


def test_credits_for_a_quarter_scale_the_fee(book):
    frame = credits(book, "2026-Q4").frame.set_index("customer_id")
    # Three months of a 100-a-month fee: 30 per breach x 3 = 90, capped at 25% of 300.
    assert frame.loc["G1", ["period_fee", "before_cap", "owed"]].tolist() == [300.0, 90.0, 75.0]
    september = credits(book, "2026-09").frame.set_index("customer_id")
    assert september.loc["ACME", "breaches"] == 1  # A0


def test_periods_are_checked():
    assert parse_period("2026-10").end == pd.Timestamp("2026-11-01")
    assert parse_period("2026").months == 12
    with pytest.raises(ConfigError, match="period '2026-13' is not a month"):
        parse_period("2026-13")


def test_report_counts_compliance_by_metric_team_and_customer(book):
    result = report(book, "2026-10-16 12:00", worst=2)
    by_metric = result.frame.set_index("metric")
    # First response: 8 clocks (every ticket), only S1 met: 1/8.
    assert by_metric.loc["first_response", ["clocks", "met", "breached"]].tolist() == [8, 1, 7]
    assert by_metric.loc["first_response", "compliance"] == 0.125
    # Resolution (acme and standard only): A0, A2 and S1 met, A1 breached: 3/4.
    assert by_metric.loc["resolution", ["clocks", "met", "breached"]].tolist() == [4, 3, 1]
    team = result.by_team[result.by_team.metric == "first_response"].set_index("team")
    # G1's owner changed on 15 October: G1a was rep_b's, G1b and G1c rep_c's.
    assert team.breached.to_dict() == {"(no owner)": 1, "rep_a": 3, "rep_b": 1, "rep_c": 2}
    # ACME: 4 breaches (A0, A1 and A2 first responses, A1 resolution); G1: 3.
    assert result.worst_customers.customer_id.tolist() == ["ACME", "G1"]
    assert result.worst_customers.breached.tolist() == [4, 3]
    assert result.worst_customers.open_breaches.tolist() == [1, 0]  # A1 is still open
    periods = result.by_period[result.by_period.metric == "first_response"]
    assert periods.period.astype(str).tolist() == ["2026-09-01", "2026-10-01"]
    assert periods.breached.tolist() == [1, 6]
    chart = result.chart().to_dict()
    assert chart["mark"]["type"] == "line"
    assert chart["encoding"]["y"]["field"] == "breach_rate"


def test_at_risk_lists_clocks_due_within_the_window(sla_workspace):
    ws = sla_workspace()
    add_tickets(ws, [("R1", "C1", "P1", "2026-10-12 09:00", None, None),
                     ("R2", "C1", "P1", "2026-10-12 09:30", "2026-10-12 09:40", None)])
    result = report(ws, "2026-10-12 09:20")
    # R1's first response is due at 10:00, within the 2 at-risk hours; its resolution is
    # due at 18:00. R2 opened later than 09:20.
    assert result.at_risk[["ticket_id", "metric"]].values.tolist() == [
        ["R1", "first_response"]]
    assert result.at_risk.remaining_minutes.tolist() == [40.0]


def test_breach_features_per_customer_as_of_a_date(book):
    from tenure.sla import clocks, evaluate

    evaluate(book, "2026-10-20")
    stored = clocks(book)
    features = customer_breaches(book, "2026-10-16 12:00", windows=(7, 40)).frame
    acme = features.set_index("customer_id").loc["ACME"]
    assert acme.breaches == 4
    # Within 7 days of 16 October 12:00: A1's two breaches and A2's; A0 (14 September)
    # only within 40 days.
    assert acme.breaches_7d == 3 and acme.breaches_40d == 4
    # The last breach was A2's, on 13 October at 10:00: 3 days and 2 hours before.
    assert acme.days_since_breach == pytest.approx(3 + 2 / 24)
    assert acme.open_breaches == 1
    s1 = features.set_index("customer_id").loc["C1"]
    assert s1.breaches == 0 and pd.isna(s1.days_since_breach) and s1.compliance == 1.0
    # Point in time: as of 13 October 09:30 A2 has not breached yet (due at 10:00).
    earlier = customer_breaches(book, "2026-10-13 09:30").frame.set_index("customer_id")
    assert earlier.loc["ACME", "breaches"] == 3  # A0, A1 first response, A1 resolution
    # Looking back leaves the stored evaluation as it was.
    pd.testing.assert_frame_equal(
        book.connection.execute("SELECT * EXCLUDE (as_of) FROM sla_results "
                                "ORDER BY ticket_id, metric").df(), stored)
