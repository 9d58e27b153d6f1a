"""Property tests: over random policies, calendars, time zones, consents and contact
histories, no plan breaks a rule, held-out customers are never in the plan, and planning
again changes nothing.

Each example builds a small shop, plans two consecutive days and checks every action of
the second day against the rules, recomputed here from the inputs (the contacts, the
first day's sends, the consents, the tickets) rather than read from the planner.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenure.actions import action_list, load_actions_config, plan
from tenure.actions._windows import allowed_minutes, working_spans

from .shop import make_shop, orders

ZONES = [None, "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata",
         "America/Los_Angeles"]
CHANNELS = ["wechat", "sms", "call"]
HOME = ZoneInfo("Asia/Shanghai")


@st.composite
def shops(draw):
    n = draw(st.integers(2, 10))
    customers = []
    for i in range(n):
        customers.append({
            "id": f"c{i}", "zone": draw(st.sampled_from(ZONES)),
            "owner": draw(st.sampled_from(["rep_a", "rep_b"])),
            "spend": draw(st.sampled_from([200.0, 1000.0, 5000.0])),
            "bought": draw(st.integers(25, 36)),       # days before the plan date
            "machine": draw(st.booleans()),            # owns a machine due for service
            "birthday": draw(st.booleans()),
            "consents": {c: draw(st.sampled_from([None, True, False])) for c in CHANNELS},
            "do_not_contact": draw(st.integers(0, 9)) == 0,
            "ticket": draw(st.integers(0, 4)) == 0,
            "touches": draw(st.lists(st.tuples(st.sampled_from(CHANNELS),
                                               st.integers(1, 40 * 24)), max_size=5)),
        })
    start, end = draw(st.integers(0, 23)), draw(st.integers(0, 23))
    policy = {
        "quiet": None if start == end else f"{start:02d}:00-{end:02d}:00",
        "cooldown": draw(st.integers(0, 3)),
        "caps": draw(st.lists(st.tuples(st.sampled_from([None, "sms", "wechat"]),
                                        st.integers(1, 3), st.integers(1, 7), st.booleans()),
                              max_size=3)),
        "quota": draw(st.integers(0, 4)),
        "capacity": draw(st.integers(0, 3)),
        "holdout": draw(st.sampled_from([0.0, 0.3, 0.5])),
        "global": draw(st.sampled_from([0.0, 0.2])),
    }
    day = dt.date(2026, 3, 1) + dt.timedelta(days=draw(st.integers(0, 40)))
    calendar = {"holiday": draw(st.booleans()), "workday": draw(st.booleans())}
    return customers, policy, day, calendar


def _caps_text(caps) -> str:
    texts = []
    for channel, touches, days, calendar in caps:
        text = f"{touches} per {days} {'calendar ' if calendar else ''}days"
        texts.append(f"{channel}: {text}" if channel else text)
    return "[" + ", ".join(f'"{t}"' for t in texts) + "]"


def _build(root: Path, customers, policy, day, calendar):
    rows, consents, contacts, tickets, owners, people = [], [], [], [], [], []
    for c in customers:
        bought = day - dt.timedelta(days=c["bought"])
        rows.append((c["id"], bought.isoformat(), None, 1, c["spend"]))
        if c["machine"]:
            rows.append((c["id"], (day - dt.timedelta(days=182)).isoformat(), "M1", 1, 3000.0))
        people.append({"customer_id": c["id"], "timezone": c["zone"],
                       "birthday": dt.date(1990, day.month, day.day) if c["birthday"] else None})
        owners.append({"customer_id": c["id"], "owner_id": c["owner"],
                       "from_at": "2025-01-01 09:00"})
        for channel, opted in c["consents"].items():
            if opted is not None:
                consents.append({"customer_id": c["id"], "channel": channel, "opted_in": opted,
                                 "at": "2025-06-01 10:00"})
        if c["do_not_contact"]:
            consents.append({"customer_id": c["id"], "channel": "all", "opted_in": False,
                             "at": "2025-07-01 10:00"})
        if c["ticket"]:
            tickets.append({"ticket_id": f"T{c['id']}", "customer_id": c["id"],
                            "opened_at": pd.Timestamp(day) - pd.Timedelta(days=2)})
        for k, (channel, hours) in enumerate(c["touches"]):
            contacts.append({"customer_id": c["id"], "channel": channel,
                             "sent_at": pd.Timestamp(day) - pd.Timedelta(hours=hours),
                             "campaign": f"old{k}"})
    made, order_lines = orders(*rows)
    holidays = [day.isoformat()] if calendar["holiday"] else []
    workdays = [(day + dt.timedelta(days=1)).isoformat()] if calendar["workday"] else []
    sla = f"""
[sla]
default_policy = "p"
[sla.calendars.office]
timezone = "Asia/Shanghai"
hours = {{ "mon-fri" = "09:00-18:00" }}
holidays = {holidays}
workdays = {workdays}
[sla.policies.p]
clock = "calendar"
targets.P1 = {{ first_response = 60 }}
"""
    quiet = f'"{policy["quiet"]}"' if policy["quiet"] else '""'
    actions = f"""
[actions]
global_holdout = {policy["global"]}
calendar = "office"
[actions.channels.wechat]
monthly_quota = {policy["quota"]}
[actions.channels.call]
capacity = {policy["capacity"]}
[actions.policy]
quiet_hours = {quiet}
cooldown_days = {policy["cooldown"]}
caps = {_caps_text(policy["caps"])}
[actions.playbooks.nurture]
channels = ["call", "wechat", "sms"]
holdout = {policy["holdout"]}
min_customers = 100000
grace_days = 30
[actions.playbooks.maintenance_due]
channels = ["wechat", "sms", "call"]
holdout = {policy["holdout"]}
[actions.playbooks.care_calendar]
channels = ["sms", "wechat"]
holdout = {policy["holdout"]}
"""
    for other in ("replenishment", "trade_in", "at_risk", "win_back", "cross_sell",
                  "membership_upgrade", "service_recovery", "referral_ask", "handover_intro"):
        actions += f"[actions.playbooks.{other}]\nenabled = false\n"
    tables = {"customers": people, "orders": made, "order_lines": order_lines,
              "products": [{"sku": "M1", "name": "machine", "maintenance_interval_days": 180}],
              "consents": consents, "contacts": contacts, "tickets": tickets,
              "owners": owners}
    return make_shop(root, tables, actions=actions, extra=sla)


def _local(moment: pd.Timestamp, zone: str | None) -> dt.datetime:
    aware = moment.to_pydatetime().replace(tzinfo=HOME)
    return aware.astimezone(ZoneInfo(zone)) if zone else aware


def _check_day(ws, day, customers, policy, calendar, earlier: pd.DataFrame) -> None:
    config = load_actions_config(ws)
    result = plan(ws, day)
    frame = result.frame
    by_id = {c["id"]: c for c in customers}
    # Held-out customers are logged, never listed for anyone to contact.
    listed = set(action_list(ws, day).frame["customer_id"])
    assert listed == set(frame.loc[frame["group"] == "treatment", "customer_id"])
    assert set(frame.loc[frame["group"] != "treatment", "status"]) <= {"held_out"}
    # One action a customer a day.
    assert frame.empty or frame["customer_id"].value_counts().max() == 1
    # Capacity (0: no limit): every action chosen takes its owner's room, held out or not.
    calls = frame[frame["channel"] == "call"]["owner_id"].value_counts()
    if policy["capacity"]:
        assert (calls <= policy["capacity"]).all()
    # The touches counted: earlier contacts, and the sends of the days planned before.
    history = []
    for c in customers:
        for channel, hours in c["touches"]:
            history.append((c["id"], channel, pd.Timestamp(by_id[c["id"]]["plan_start"])
                            - pd.Timedelta(hours=hours), False))
    for row in earlier.itertuples():
        history.append((row.customer_id, row.channel, row.send_from,
                        row.kind == "transactional"))
    for row in frame.itertuples():
        c = by_id[row.customer_id]
        channel = config.channels[row.channel]
        # Consent as of the plan date.
        assert not c["do_not_contact"]
        opted = c["consents"][row.channel]
        assert opted is not False
        if row.kind == "marketing" and channel.requires_opt_in:
            assert opted is True
        # Open tickets hold back both playbooks used here.
        assert not c["ticket"]
        # Quiet hours and sending hours, minute by minute in the customer's own zone.
        allowed = allowed_minutes(channel.hours, config.policy.quiet_hours)
        moment = row.send_from
        while moment < row.send_until:
            local = _local(moment, c["zone"])
            minute = local.hour * 60 + local.minute
            assert any(a <= minute < b for a, b in allowed), (row, local)
            if channel.staffed:
                # Working hours of the office calendar on the plan date.
                spans = working_spans(config.calendar, day)
                here = moment.hour * 60 + moment.minute
                assert any(a <= here < b for a, b in spans), (row, moment)
            moment += pd.Timedelta(minutes=5)
        # Caps, cool-down and quotas against the touches before this send.
        mine = [h for h in history if h[0] == row.customer_id]
        send_day = _local(row.send_from, c["zone"]).date()
        caps = (config.policy.caps if row.kind == "marketing"
                else config.policy.transactional_caps)
        for cap in caps:
            counted = 0
            for _, ch, at, transactional in mine:
                if cap.channel is not None and ch != cap.channel:
                    continue
                if row.kind == "transactional" and not transactional:
                    continue
                if cap.window == "rolling":
                    inside = at > row.send_from - pd.Timedelta(days=cap.days)
                else:
                    inside = (send_day - _local(at, c["zone"]).date()).days < cap.days
                counted += inside
            assert counted < cap.touches, (row, cap, mine)
        if row.kind == "marketing" and mine:
            last = max(at for _, _, at, _ in mine)
            assert last <= row.send_from - pd.Timedelta(days=config.policy.cooldown_days)
        quota = channel.monthly_quota
        if quota:
            month = [at for _, ch, at, _ in mine if ch == row.channel
                     and _local(at, c["zone"]).strftime("%Y-%m") == send_day.strftime("%Y-%m")]
            assert len(month) < quota
    return result


@pytest.mark.slow
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(shops())
def test_no_plan_breaks_the_policy(shop):
    customers, policy, day, calendar = shop
    with tempfile.TemporaryDirectory() as root:
        for c in customers:
            c["plan_start"] = pd.Timestamp(day)
        ws = _build(Path(root) / "s", customers, policy, day, calendar)
        try:
            first = _check_day(ws, day, customers, policy, calendar, pd.DataFrame(
                columns=["customer_id", "channel", "send_from", "kind"]))
            before = ws.connection.execute("SELECT * EXCLUDE (run_id, changed_run) FROM "
                                           "action_log ORDER BY ALL").df()
            again = plan(ws, day)
            after = ws.connection.execute("SELECT * EXCLUDE (run_id, changed_run) FROM "
                                          "action_log ORDER BY ALL").df()
            pd.testing.assert_frame_equal(before, after)
            assert (again.added, again.changed, again.removed) == (0, 0, 0)
            # The next day sees the first day's sends among the touches.
            sent = first.frame[first.frame["group"] == "treatment"]
            _check_day(ws, day + dt.timedelta(days=1), customers, policy, calendar, sent)
        finally:
            ws.close()
