"""The contact policy on hand-made shops: consent, time zones and quiet hours, caps of both
kinds, quotas, cool-down, open tickets, capacity, one action a day, control groups, and
what ``explain`` says. Every customer here bought once, 30 days before the plan date
(Saturday 10 January 2026), which makes them due for the early-life nurture (its point is
30 days when too few customers teach it one)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tenure.actions import action_list, explain, plan
from tenure.actions._groups import fraction, period_label
from tenure.workspace import Workspace

from .shop import make_shop, only, orders

DAY = dt.date(2026, 1, 10)
BOUGHT = "2025-12-11"


def nurture(channels=("wechat", "sms"), **settings) -> str:
    return only("nurture", channels=channels, min_customers=10_000, **settings).replace(
        "[actions.channels.sms]\nrequires_opt_in = false\n", "")


def buyers(*ids, amount=100.0):
    return orders(*[(c, BOUGHT, None, 1, amount) for c in ids])[0]


def consent(customer, channel, opted_in, at):
    return {"customer_id": customer, "channel": channel, "opted_in": opted_in, "at": at}


def contact(customer, channel, at, campaign="promo"):
    return {"customer_id": customer, "channel": channel, "sent_at": at, "campaign": campaign}


def by_customer(result, column="channel"):
    return dict(zip(result.frame["customer_id"], result.frame[column], strict=True))


def held(result):
    frame = result.suppressed
    return dict(zip(frame["customer_id"], zip(frame["reason_code"], frame["reason"],
                                              strict=True), strict=True))


def test_consent_per_channel_as_of_the_date(tmp_path):
    ws = make_shop(tmp_path / "s", {
        "orders": buyers("c1", "c2", "c3", "c4", "c5"),
        "consents": [
            consent("c1", "wechat", True, "2025-06-01 10:00"),    # WeChat: the first choice
            consent("c2", "wechat", False, "2025-06-01 10:00"),   # no WeChat, but SMS
            consent("c2", "sms", True, "2025-06-01 10:00"),
            consent("c3", "wechat", True, "2025-06-01 10:00"),    # opted out since
            consent("c3", "wechat", False, "2025-12-20 10:00"),
            consent("c4", "wechat", True, "2025-06-01 10:00"),    # asked for no contact
            consent("c4", "all", False, "2025-12-24 10:00"),
            consent("c5", "wechat", False, "2025-06-01 10:00"),   # opts in on the plan
            consent("c5", "wechat", True, "2026-01-10 08:00"),    # date: not known yet
        ]}, actions=nurture())
    result = plan(ws, DAY)
    assert by_customer(result) == {"c1": "wechat", "c2": "sms"}
    assert held(result) == {
        "c3": ("not_consented", "opted out of wechat on 2025-12-20"),
        "c4": ("do_not_contact", "asked not to be contacted at all, on 2025-12-24"),
        "c5": ("not_consented", "opted out of wechat on 2025-06-01")}
    tried = dict(zip(result.suppressed["customer_id"], result.suppressed["tried"], strict=True))
    assert tried["c3"] == "wechat: opted_out, sms: not_consented"


def test_transactional_needs_no_opt_in_but_an_opt_out_stops_it(tmp_path):
    made, lines = orders(("c1", "2025-07-16", "M1", 1, 3000), ("c2", "2025-07-16", "M1", 1, 3000))
    ws = make_shop(tmp_path / "s", {
        "products": [{"sku": "M1", "name": "machine", "maintenance_interval_days": 180}],
        "orders": made, "order_lines": lines,
        "consents": [consent("c2", "sms", False, "2025-12-01 10:00")]},
        actions=only("maintenance_due").replace("requires_opt_in = false", ""))
    result = plan(ws, DAY)
    # c1 never opted in to SMS; a maintenance reminder is transactional, so it goes.
    assert by_customer(result) == {"c1": "sms"}
    assert held(result)["c2"] == ("not_consented", "opted out of sms on 2025-12-01")


def test_quiet_hours_in_the_customers_own_zone(tmp_path):
    people = [{"customer_id": "ny", "timezone": "America/New_York"},
              {"customer_id": "sh", "timezone": None},
              {"customer_id": "xx", "timezone": "Mars/Olympus"}]
    ws = make_shop(tmp_path / "s", {"customers": people, "orders": buyers("ny", "sh", "xx")},
                   actions=nurture(channels=("sms",)) + "\n[actions.channels.sms]\n"
                   "requires_opt_in = false\n")
    result = plan(ws, DAY).frame.set_index("customer_id")
    # SMS goes 09:00-21:00 in the customer's zone, quiet from 21:00 to 08:00. New York is
    # 13 hours behind Shanghai in January: 09:00-21:00 there on 9 January is 22:00 on the
    # 9th to 10:00 on the 10th here, so on the plan date the window is 00:00-10:00.
    assert (result.loc["ny", "send_from"], result.loc["ny", "send_until"]) == (
        pd.Timestamp("2026-01-10 00:00"), pd.Timestamp("2026-01-10 10:00"))
    assert (result.loc["sh", "send_from"], result.loc["sh", "send_until"]) == (
        pd.Timestamp("2026-01-10 09:00"), pd.Timestamp("2026-01-10 21:00"))
    # An unknown zone is read as the workspace's, and the plan says so.
    assert result.loc["xx", "send_from"] == pd.Timestamp("2026-01-10 09:00")
    lines = plan(ws, DAY).lines()
    assert any("1 time zone names of customers are not known (Mars/Olympus)" in line
               for line in lines)


def test_no_hour_left_outside_quiet_hours(tmp_path):
    ws = make_shop(tmp_path / "s", {"orders": buyers("c1")},
                   actions=nurture(channels=("sms",)) + "\n[actions.channels.sms]\n"
                   "requires_opt_in = false\n[actions.policy]\nquiet_hours = \"08:30-08:00\"\n")
    # Quiet from 08:30 round to 08:00: the only half hour left is outside SMS hours.
    assert held(plan(ws, DAY)) == {"c1": (
        "quiet_hours", "no time within sms hours on 2026-01-10 falls outside the quiet hours "
        "in Asia/Shanghai")}


def test_calls_keep_office_hours_without_a_calendar(tmp_path):
    # No actions.calendar: calls keep actions.working_hours, Monday to Friday 09:00-18:00 in
    # the workspace's zone (Shanghai). Both customers spent 1,000 30 days before Monday 12
    # January, so the nurture proposes a call to each on that day (worth 5% of it, less 5
    # for the call).
    people = [{"customer_id": "ny", "timezone": "America/New_York"},
              {"customer_id": "sh", "timezone": None}]
    made, _ = orders(("ny", "2025-12-13", None, 1, 1000), ("sh", "2025-12-13", None, 1, 1000))
    ws = make_shop(tmp_path / "s", {"customers": people, "orders": made},
                   actions=nurture(channels=("call",)))
    monday = plan(ws, "2026-01-12")
    # Shanghai: the call's own hours (09:00-18:00) are the office's.
    assert monday.frame[["customer_id", "send_from", "send_until"]].values.tolist() == [
        ["sh", pd.Timestamp("2026-01-12 09:00"), pd.Timestamp("2026-01-12 18:00")]]
    # New York, 13 hours behind: 09:00-18:00 there is 22:00-07:00 here, always outside
    # the office's hours, so nobody is asked to call at three in the morning.
    assert held(monday)["ny"][0] == "quiet_hours"
    # Saturday 17 January, 35 days on (the nurture still asks): the office is closed.
    saturday = plan(ws, "2026-01-17")
    assert len(saturday.frame) == 0
    assert held(saturday)["sh"] == (
        "non_working_day", "2026-01-17 is not a working day, and call needs a person")
    # An empty actions.working_hours leaves calls their own hours every day: New York's
    # Friday 11:00-18:00 is 00:00-07:00 on Saturday here (Shanghai, called on the 12th, is
    # within the nurture's repeat interval).
    ws.close()
    config = tmp_path / "s" / "tenure.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[actions]\n", "[actions]\nworking_hours = \"\"\n", 1), encoding="utf-8")
    ws = Workspace(tmp_path / "s")
    assert by_customer(plan(ws, "2026-01-17"), "send_from") == {
        "ny": pd.Timestamp("2026-01-17 00:00")}


def test_caps_rolling_and_per_calendar_day_cooldown_and_quota(tmp_path):
    people = [{"customer_id": c, "timezone": "America/New_York" if c == "ny" else None}
              for c in ("c1", "ny", "sh", "c3", "c4", "c5")]
    contacts = [
        # c1: three touches in the last seven days reach "3 per 7 days"
        contact("c1", "email", "2026-01-04 10:00"), contact("c1", "email", "2026-01-06 10:00"),
        contact("c1", "email", "2026-01-08 10:00"),
        # ny and sh were both touched at 14:00 on 9 January, Shanghai time: 01:00 that day in
        # New York, the same calendar day there as the first window of the plan (00:00-10:00
        # here is 11:00-21:00 on the 9th there), so "1 per 1 calendar day" holds ny back;
        # for sh it was yesterday
        contact("ny", "email", "2026-01-09 14:00"), contact("sh", "email", "2026-01-09 14:00"),
        # c3 had WeChat's four messages of January: SMS instead
        *[contact("c3", "wechat", f"2026-01-0{d} 10:00") for d in (1, 2, 3, 4)],
        # c4 was tenure's own contact: counted from the log, not from here
        contact("c4", "wechat", "2026-01-09 10:00", campaign="tenure:nurture"),
    ]
    ws = make_shop(tmp_path / "s", {"customers": people,
                                    "orders": buyers("c1", "ny", "sh", "c3", "c4"),
                                    "contacts": contacts},
                   actions=nurture() + "\n[actions.channels.wechat]\nrequires_opt_in = false\n"
                   "[actions.channels.sms]\nrequires_opt_in = false\n"
                   "[actions.policy]\ncooldown_days = 0\n")
    result = plan(ws, DAY)
    assert by_customer(result) == {"sh": "wechat", "c3": "sms", "c4": "wechat"}
    reasons = held(result)
    assert reasons["c1"] == ("capped", "3 touches already reach the cap of 3 per 7 days")
    assert reasons["ny"] == ("capped", "1 touches already reach the cap of 1 per 1 calendar day")


def test_cooldown_after_any_touch(tmp_path):
    ws = make_shop(tmp_path / "s", {
        "orders": buyers("c1", "c2"),
        # c1 was touched yesterday, within the 2-day cool-down; c2 three days ago
        "contacts": [contact("c1", "sms", "2026-01-09 11:00"),
                     contact("c2", "sms", "2026-01-07 08:00")]},
        actions=nurture(channels=("sms",)) + "\n[actions.channels.sms]\n"
        "requires_opt_in = false\n")
    result = plan(ws, DAY)
    assert list(by_customer(result)) == ["c2"]
    assert held(result)["c1"] == ("cooling_down", "was last contacted at 2026-01-09 11:00, "
                                                  "within the 2-day cool-down")


def test_open_tickets_hold_marketing_back(tmp_path):
    ws = make_shop(tmp_path / "s", {
        "orders": buyers("c1", "c2"),
        "tickets": [
            # open since the 8th: nurture waits
            {"ticket_id": "T1", "customer_id": "c1", "opened_at": "2026-01-08 10:00"},
            # resolved the day before the plan: no longer in the way
            {"ticket_id": "T2", "customer_id": "c2", "opened_at": "2026-01-08 10:00",
             "resolved_at": "2026-01-09 10:00"}]},
        actions=nurture(channels=("sms",)) + "\n[actions.channels.sms]\n"
        "requires_opt_in = false\n")
    result = plan(ws, DAY)
    assert list(by_customer(result)) == ["c2"]
    assert held(result)["c1"] == ("open_ticket", "ticket T1 has been open since 2026-01-08")


def test_capacity_one_action_a_day_and_the_next_best(tmp_path):
    # Three customers of rep_01, who makes two calls a day; they spent 3,000, 2,000 and
    # 1,000, so the nurture call (5% of it, less 5 for the call) is worth most for the
    # first. The third is deferred by capacity and takes their next proposal, a birthday
    # greeting by SMS, in the next round.
    people = [{"customer_id": c, "birthday": dt.date(1990, 1, 10) if c == "c3" else None}
              for c in ("c1", "c2", "c3")]
    made, _ = orders(("c1", BOUGHT, None, 1, 3000), ("c2", BOUGHT, None, 1, 2000),
                     ("c3", BOUGHT, None, 1, 1000))
    owner = [{"customer_id": c, "owner_id": "rep_01", "from_at": "2025-01-01 09:00"}
             for c in ("c1", "c2", "c3")]
    actions = nurture(channels=("call",)).replace(
        "[actions.playbooks.care_calendar]\nenabled = false",
        "[actions.playbooks.care_calendar]\nholdout = 0.0\nchannels = [\"sms\"]")
    # The plan date is a Saturday: this office calls on Saturdays too.
    actions = actions.replace("[actions]\n", "[actions]\nworking_hours = \"mon-sat 09:00-18:00\"\n",
                              1)
    actions += ("\n[actions.channels.sms]\nrequires_opt_in = false\n"
                "[actions.capacity]\nrep_01 = { call = 2 }\n")
    ws = make_shop(tmp_path / "s", {"customers": people, "orders": made, "owners": owner},
                   actions=actions)
    result = plan(ws, DAY)
    chosen = {(r.customer_id, r.playbook, r.channel) for r in result.frame.itertuples()}
    assert chosen == {("c1", "nurture", "call"), ("c2", "nurture", "call"),
                      ("c3", "care_calendar", "sms")}
    nurture_held = result.suppressed[result.suppressed["playbook"] == "nurture"]
    assert nurture_held[["customer_id", "reason_code", "reason"]].values.tolist() == [
        ["c3", "capacity", "rep_01 has no call capacity left today (2 actions)"]]


def test_the_higher_value_wins_the_day(tmp_path):
    people = [{"customer_id": "c1", "birthday": dt.date(1990, 1, 10)}]
    ws = make_shop(tmp_path / "s", {"customers": people, "orders": buyers("c1")},
                   actions=nurture(channels=("sms",)).replace(
                       "[actions.playbooks.care_calendar]\nenabled = false",
                       "[actions.playbooks.care_calendar]\nholdout = 0.0\nchannels = [\"sms\"]")
                   + "\n[actions.channels.sms]\nrequires_opt_in = false\n")
    result = plan(ws, DAY)
    # Nurture's prior effect (0.05) beats the birthday's (0.02) on the same 100 at stake.
    assert result.frame["playbook"].tolist() == ["nurture"]
    assert held(result)["c1"] == ("lower_value", "a higher-value action was chosen for this "
                                                 "customer today")
    assert result.frame["expected_value"].tolist() == [100 * 0.05 - 0.05]


def test_control_groups_are_a_stable_hash_and_never_contacted(tmp_path):
    ids = [f"c{i:03d}" for i in range(300)]
    actions = nurture(channels=("sms",)).replace("global_holdout = 0.0",
                                                 "global_holdout = 0.1")
    actions = actions.replace("[actions.playbooks.nurture]\nholdout = 0.0",
                              "[actions.playbooks.nurture]\nholdout = 0.2")
    ws = make_shop(tmp_path / "s", {"orders": buyers(*ids)},
                   actions=actions + "\n[actions.channels.sms]\nrequires_opt_in = false\n")
    result = plan(ws, DAY)
    frame = result.frame.set_index("customer_id")
    quarter = period_label(DAY, "quarter")
    for customer in ids:
        if fraction(customer, quarter) < 0.1:
            expected = "global_control"
        elif fraction(customer, "nurture", quarter) < 0.2:
            expected = "control"
        else:
            expected = "treatment"
        assert frame.loc[customer, "group"] == expected, customer
    counts = frame["group"].value_counts()
    assert 15 <= counts["global_control"] <= 45 and 40 <= counts["control"] <= 80
    assert set(frame.loc[frame["group"] != "treatment", "status"]) == {"held_out"}
    # Held-out customers are logged with what they would have received, and never listed.
    listed = action_list(ws, DAY).frame
    assert set(listed["customer_id"]) == set(frame.index[frame["group"] == "treatment"])


def test_explain_answers_why_not(tmp_path):
    ws = make_shop(tmp_path / "s", {
        "orders": buyers("c1"),
        "consents": [consent("c1", "wechat", False, "2025-06-01 10:00")]},
        actions=nurture(channels=("wechat",)))
    plan(ws, DAY)
    answer = explain(ws, "c1", DAY)
    row = answer.frame.set_index("playbook").loc["nurture"]
    assert (row["outcome"], row["reason_code"]) == ("not chosen", "not_consented")
    assert row["why"] == "opted out of wechat on 2025-06-01"
    assert row["proposal"].startswith("first purchase 30 days ago")
    assert answer.frame.set_index("playbook").loc["win_back", "outcome"] == "disabled"
    assert answer.lines()[0] == ("Customer c1 on 2026-01-10: 1 of 1 playbooks proposed an "
                                 "action; none was chosen.")


def test_a_second_action_a_day_counts_the_first_as_a_touch(tmp_path):
    # c1 owns a machine due for service (transactional, worth most) and is due for a nurture
    # nudge; two actions a day are allowed.
    made, lines = orders(("c1", "2025-07-12", "M1", 1, 3000), ("c1", BOUGHT, None, 1, 100))
    tables = {"products": [{"sku": "M1", "name": "machine", "maintenance_interval_days": 180}],
              "orders": made, "order_lines": lines}
    actions = only("nurture", channels=("sms",), min_customers=10_000).replace(
        "[actions.playbooks.maintenance_due]\nenabled = false",
        "[actions.playbooks.maintenance_due]\nholdout = 0.0\nchannels = [\"sms\"]")
    actions = actions.replace("global_holdout = 0.0", "global_holdout = 0.0\n"
                              "per_customer_per_day = 2")
    ws = make_shop(tmp_path / "a", tables, actions=actions)
    result = plan(ws, DAY)
    # The service reminder goes first; it is a touch today, so the nudge, marketing, waits
    # out the cool-down.
    assert result.frame["playbook"].tolist() == ["maintenance_due"]
    assert held(result)["c1"][0] == "cooling_down"
    # Without a cool-down or caps, both go.
    ws = make_shop(tmp_path / "b", tables, actions=actions + "\n[actions.policy]\n"
                   "cooldown_days = 0\ncaps = []\n")
    assert sorted(plan(ws, DAY).frame["playbook"]) == ["maintenance_due", "nurture"]
