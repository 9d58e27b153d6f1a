"""Every feature group on the tiny hand-made shop, seen on 2024-07-01 with a 90-day horizon.

The dates: 2024-07-01 minus 2024-06-01 is 30 days, minus 2024-05-01 is 61, minus 2024-01-01
is 182 (2024 is a leap year), minus 2023-09-01 is 304.
"""

from __future__ import annotations

import pytest

from tenure.churn import snapshot

AS_OF = "2024-07-01"


@pytest.fixture(scope="module")
def snap(tiny):
    return snapshot(tiny, AS_OF, "90D")


@pytest.fixture(scope="module")
def c1(snap):
    return snap.frame.set_index("customer_id").loc["C1"]


@pytest.fixture(scope="module")
def c2(snap):
    return snap.frame.set_index("customer_id").loc["C2"]


def test_population_and_labels(snap):
    # C3 last bought 213 days before (more than the horizon: already churned); C4 only comes
    # later. C1 buys again on 2024-07-10, C2 never does.
    assert snap.frame["customer_id"].tolist() == ["C1", "C2"]
    assert snap.frame["churned"].tolist() == [False, True]
    assert "90 days" in str(snap)


def test_purchases(c1, c2):
    assert c1.days_since_last_purchase == 30
    assert c1.purchase_days == 3
    assert c1.tenure_days == 182
    # Gaps of 60 (Jan 1 to Mar 1) and 92 (Mar 1 to Jun 1) days: mean 76, spread 16.
    assert c1.mean_gap_days == 76
    assert c1.recency_ratio == pytest.approx(30 / 76)
    assert c1.gap_variation == pytest.approx(16 / 76)
    assert c1.total_spend == 250  # 100 + 50 + 150 - 50 refunded; the July order is the future
    assert c1.average_spend == 100  # 300 bought over 3 purchase days
    # The last 30 days start on 2024-06-01 and hold the 150 order; the last 90 too.
    assert (c1.purchases_30d, c1.spend_30d, c1.purchases_90d, c1.spend_90d) == (1, 150, 1, 150)
    assert (c1.purchases_365d, c1.spend_365d) == (3, 300)
    # 1 purchase in 90 days against 2 in the 92 days before: (1/90) / (2/92).
    assert c1.frequency_trend_90d == pytest.approx((1 / 90) / (2 / 92))
    assert c1.spend_trend_90d == pytest.approx((150 / 90) / (150 / 92))
    assert c1.frequency_trend_365d != c1.frequency_trend_365d  # no history a year back: NaN
    assert (c1.refunds, c1.refund_share) == (1, pytest.approx(50 / 300))
    assert (c2.days_since_last_purchase, c2.purchase_days, c2.tenure_days) == (61, 1, 61)
    assert c2.mean_gap_days != c2.mean_gap_days  # one purchase day: no gap


def test_products(c1, c2):
    assert c1.categories_bought == 3  # machine, filter, beans
    assert c1.products_owned == 1  # the machine is durable; beans and filters are consumed
    assert c1.services_due == 1  # bought 182 days ago, serviced every 180
    # Filters (60 days from Mar 1) ran out on Apr 30; beans (2 x 30 days from Jun 1) last to
    # Jul 31, so the latest supply has not run out.
    assert (c1.supplies_run_out, c1.days_since_supplies_ran_out) == (1, 0)
    # C2's one bag of beans from May 1 ran out on May 31: 31 days before.
    assert (c2.supplies_run_out, c2.days_since_supplies_ran_out) == (1, 31)
    assert c2.products_owned == 0


def test_support(c1, c2):
    # T1 and T2 were opened in the last 90 days; T3 is the future.
    assert c1.tickets_90d == 2
    # T1 was scored 2 when resolved on Jun 11; T2's score of 1 comes on Jul 2: not yet known.
    assert (c1.low_csat_90d, c1.worst_csat_90d) == (1, 2)
    # T1 waited 4 hours; T2 has no first_response_at but a `replied` status after 1 hour.
    assert c1.first_response_hours_90d == pytest.approx(2.5)
    assert (c1.open_tickets, c1.unanswered_tickets) == (1, 0)  # T2 is resolved only later
    assert (c2.tickets_90d, c2.low_csat_90d, c2.open_tickets) == (0, 0, 0)


def test_service(tiny, c1, c2):
    # By the tiny [sla] (every hour counts, a first reply due in 45 minutes, a resolution in
    # 20 hours): T1 answered after 4 hours (missed at 08:45 on Jun 10) and resolved after 24
    # (missed at 04:00 on Jun 11); T2 answered after an hour (missed at 09:45 on Jun 25) and
    # still open on Jul 1 (missed at 05:00 on Jun 26, still running). T3 is the future.
    assert c1.sla_breaches_90d == 4
    assert c1.sla_open_breaches == 1
    assert c1.days_since_sla_breach == pytest.approx(4 + 19 / 24)
    assert (c2.sla_breaches_90d, c2.sla_open_breaches) == (0, 0)
    assert c2.isna()["days_since_sla_breach"]
    # The stored SLA results are not touched by looking back.
    assert tiny.connection.execute("SELECT count(*) FROM sla_results").fetchall()[0][0] == 0


def test_value(snap):
    # The BG/NBD P(alive) and expected purchases, fitted on the two customers' histories.
    values = snap.frame.set_index("customer_id")[["p_alive", "expected_purchases"]]
    assert values.notna().all().all()
    assert ((values["p_alive"] > 0) & (values["p_alive"] <= 1)).all()
    assert (values["expected_purchases"] >= 0).all()


def test_engagement(c1, c2):
    # Jun 20 and Jun 28 count; Jul 3 is the future. The Jun 28 click is under 7 days old at
    # the as-of date, so its outcome is not counted yet.
    assert (c1.contacts_90d, c1.contacts_answered_90d, c1.response_rate_365d) == (2, 1, 1.0)
    # sms: opted out on Jun 15; email and wechat opted in (wechat is withdrawn only on Jul 2).
    assert (c1.channels_opted_in, c1.channels_opted_out, c1.consent_withdrawn_90d) == (2, 1, 1)
    assert (c2.contacts_90d, c2.contacts_answered_90d, c2.response_rate_365d) == (1, 0, 0.0)
    assert (c2.channels_opted_in, c2.channels_opted_out) == (0, 0)


def test_membership(c1, c2):
    # Gold since 2023-09-01 (304 days); its end on 2024-09-01 is not known on 2024-07-01.
    assert (c1.membership_tier, c1.membership_days) == ("gold", 304)
    assert c1.days_to_renewal == 365 - 304
    assert c1.memberships_lapsed == 0
    assert (c2.membership_tier, c2.memberships_lapsed) == ("none", 1)  # silver ended Jan 1


def test_relationship(c1, c2):
    # rep_a then rep_b from May 1 (61 days before); rep_c arrives on Jul 5.
    assert (c1.owner_changes, c1.days_since_owner_change) == (1, 61)
    assert c1.referrals_made == 1  # C2 (May 1); C4 arrives in August
    assert (c1.segment, c1.acquisition_channel) == ("smb", "search")
    assert (c2.segment, c2.acquisition_channel) == ("unknown", "referral")
    assert (c2.owner_changes, c2.referrals_made) == (0, 0)


def test_contractual_definition_counts_members(tiny):
    snap = snapshot(tiny, AS_OF, "30D", definition="contractual")
    # Only C1 holds a membership on Jul 1, and still holds it on Jul 31 (it ends Sep 1).
    assert snap.frame["customer_id"].tolist() == ["C1"]
    assert snap.frame["churned"].tolist() == [False]
    later = snapshot(tiny, AS_OF, "70D", definition="contractual")
    assert later.frame["churned"].tolist() == [True]  # Sep 9 is past the Sep 1 end


def test_every_feature_has_words(snap):
    for feature in snap.features:
        assert feature.description and feature.reason
        values = snap.frame.iloc[0].to_dict()
        assert feature.sentence(values)


def test_reasons_read_as_sentences(snap):
    by_name = {f.name: f for f in snap.features}
    recency = by_name["days_since_last_purchase"]
    # 142 days against a usual gap of 47 days.
    assert recency.sentence({"days_since_last_purchase": 142.0, "recency_ratio": 142 / 47}) == (
        "no purchase for 142 days, 3.0x their usual gap")
    assert recency.sentence({"days_since_last_purchase": 1.0, "recency_ratio": float("nan")}) == (
        "no purchase for 1 day, and no second purchase yet")
    low = by_name["low_csat_90d"]
    assert low.sentence({"low_csat_90d": 1.0}) == (
        "1 support ticket scored 1 or 2 out of 5 in the last 90 days")
    assert low.sentence({"low_csat_90d": 2.0}).startswith("2 support tickets")
    assert by_name["worst_csat_90d"].sentence({"worst_csat_90d": None}) == (
        "no satisfaction score in the last 90 days")
    assert by_name["acquisition_channel"].sentence({"acquisition_channel": "douyin"}) == (
        "came through douyin")
