"""The plan as a ledger: idempotent re-planning, withdrawals and additions after new data,
nothing sent twice, outcomes recorded like ingest, lists in Chinese, and lift read from the
log and the orders."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tenure.actions import action_list, lift, plan, record
from tenure.cli import app
from tenure.errors import InputError

from .shop import make_shop, only, orders

DAY = dt.date(2026, 1, 10)
BOUGHT = "2025-12-11"
runner = CliRunner()


def nurture(**settings) -> str:
    return only("nurture", channels=("sms",), min_customers=10_000, **settings)


def buyers(*ids, amount=100.0):
    return orders(*[(c, BOUGHT, None, 1, amount) for c in ids])[0]


def log(ws) -> pd.DataFrame:
    return ws.connection.execute(
        'SELECT * EXCLUDE (run_id, changed_run) FROM action_log ORDER BY customer_id').df()


def test_planning_again_changes_nothing(tmp_path):
    ws = make_shop(tmp_path / "s", {"orders": buyers("c1", "c2", "c3")}, actions=nurture())
    first = plan(ws, DAY)
    before = log(ws)
    again = plan(ws, DAY)
    assert (first.added, again.added, again.changed, again.removed, again.unchanged) == (
        3, 0, 0, 0, 3)
    pd.testing.assert_frame_equal(log(ws), before)
    pd.testing.assert_frame_equal(again.suppressed, first.suppressed)


def test_new_data_withdraws_and_adds_only_what_was_not_sent(tmp_path):
    ws = make_shop(tmp_path / "s", {
        "orders": buyers("c1", "c2", "c3"),
        # c2 has a ticket open: held back on the first plan
        "tickets": [{"ticket_id": "T1", "customer_id": "c2", "opened_at": "2026-01-08 10:00"}]},
        actions=nurture())
    first = plan(ws, DAY)
    assert sorted(first.frame["customer_id"]) == ["c1", "c3"]
    # c3's message goes out; then news arrives, stamped before the plan date: c1 and c3
    # opted out of SMS yesterday, and c2's ticket was resolved.
    record(ws, pd.DataFrame({"customer_id": ["c3"], "playbook": ["nurture"],
                             "plan_date": [DAY], "event": ["sent"],
                             "at": [pd.Timestamp("2026-01-10 09:05")]}))
    ws.ingest("consents", pd.DataFrame({"customer_id": ["c1", "c3"], "channel": ["sms"] * 2,
                                        "opted_in": [False] * 2,
                                        "at": [pd.Timestamp("2026-01-09 20:00")] * 2}))
    ws.ingest("tickets", pd.DataFrame({"ticket_id": ["T1"], "customer_id": ["c2"],
                                       "opened_at": [pd.Timestamp("2026-01-08 10:00")],
                                       "resolved_at": [pd.Timestamp("2026-01-09 10:00")]}))
    again = plan(ws, DAY)
    # c1's unsent action is withdrawn with the reason; c2 is added; c3's was sent, so it
    # stays as it is, and nurture is not proposed to c3 again that day.
    assert (again.added, again.removed, again.unchanged) == (1, 1, 0)
    status = dict(zip(log(ws)["customer_id"], log(ws)["status"], strict=True))
    assert status == {"c1": "withdrawn", "c2": "planned", "c3": "sent"}
    note = log(ws).set_index("customer_id").loc["c1", "note"]
    assert note == "withdrawn: opted out of sms on 2026-01-09"
    assert again.withdrawn["customer_id"].tolist() == ["c1"]
    assert "c3" not in set(again.suppressed["customer_id"])
    # Once more with the same data: nothing moves.
    third = plan(ws, DAY)
    assert (third.added, third.changed, third.removed) == (0, 0, 0)


def test_record_validates_quarantines_and_is_idempotent(tmp_path):
    ids = [f"c{i}" for i in range(1, 9)]
    actions = nurture().replace("[actions.playbooks.nurture]\nholdout = 0.0",
                                "[actions.playbooks.nurture]\nholdout = 0.5")
    ws = make_shop(tmp_path / "s", {"orders": buyers(*ids)}, actions=actions)
    frame = plan(ws, DAY).frame.set_index("customer_id")
    treated = sorted(frame.index[frame["group"] == "treatment"])
    control = sorted(frame.index[frame["group"] == "control"])
    assert len(treated) >= 3 and control
    path = tmp_path / "结果.csv"
    path.write_text(
        "客户编号,策略,计划日期,结果,时间\n"
        f"{treated[0]},nurture,2026-01-10,已发送,2026-01-10 09:01\n"   # sent, in Chinese
        f"{treated[0]},nurture,2026/1/10,已读,2026-01-10 12:30\n"      # then read
        f"{treated[1]},nurture,2026-01-10,unsubscribed,2026-01-10 10:00\n"
        f"{treated[2]},nurture,2026-01-10,maybe,2026-01-10 10:00\n"    # not an event
        f"{control[0]},nurture,2026-01-10,sent,2026-01-10 10:00\n"     # a control, sent!
        "c99,nurture,2026-01-10,sent,2026-01-10 10:00\n"               # no such action
        f"{treated[2]},nurture,someday,sent,\n",                       # no date
        encoding="utf-8")
    first = record(ws, path)
    assert (first.rows_read, first.landed, first.quarantined_rows) == (7, 3, 4)
    held = first.quarantined.set_index("row")
    # Rows count from the header, as in ingest: the first data row is row 2.
    assert held.loc[5, "reason"] == "invalid_value" and held.loc[5, "column_name"] == "event"
    assert held.loc[6, "reason"] == "not_planned"
    assert held.loc[7, "reason"] == "unknown_action"
    assert held.loc[8, "column_name"] == "plan_date"
    status = log(ws).set_index("customer_id")["status"]
    assert (status[treated[0]], status[treated[1]], status[control[0]]) == (
        "opened", "unsubscribed", "held_out")
    again = record(ws, path)
    assert (again.landed, again.updated, again.unchanged, again.quarantined_rows) == (0, 0, 3, 4)
    quarantine = ws.quarantine("action_outcomes")
    assert len(quarantine) == 4  # the second file replaced the first's rows
    # The unsubscribe stops SMS for that customer from then on.
    later = plan(ws, DAY + dt.timedelta(days=1)).suppressed.set_index("customer_id")
    assert later.loc[treated[1], "reason_code"] == "not_consented"


def test_record_refuses_a_file_without_the_columns(tmp_path):
    ws = make_shop(tmp_path / "s", {"orders": buyers("c1")}, actions=nurture())
    path = tmp_path / "x.csv"
    path.write_text("who,what\nc1,sent\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column for customer_id, playbook, plan_date, "
                                         "event"):
        record(ws, path)


def test_lists_per_owner_in_chinese_and_in_excel(tmp_path):
    people = [{"customer_id": c, "name": n, "phone": p}
              for c, n, p in (("c1", "王伟", "13800000001"), ("c2", "李娜", "13800000002"))]
    owners = [{"customer_id": c, "owner_id": o, "from_at": "2025-01-01 09:00"}
              for c, o in (("c1", "rep_a"), ("c2", "rep_b"))]
    ws = make_shop(tmp_path / "s", {"customers": people, "orders": buyers("c1", "c2"),
                                    "owners": owners}, actions=nurture())
    plan(ws, DAY)
    mine = action_list(ws, DAY, owner="rep_a", lang="zh").frame
    assert list(mine.columns[:6]) == ["负责人", "截止日期", "客户编号", "姓名", "手机", "微信号"]
    row = mine.iloc[0]
    assert (row["负责人"], row["姓名"], row["渠道"], row["策略"], row["权益"], row["状态"]) == (
        "rep_a", "王伟", "短信", "新客培育", "回购优惠", "待执行")
    assert row["原因"] == "首次购买已过30天，尚未复购；第30天之后复购的可能逐渐降低"
    ws.close()
    xlsx = tmp_path / "今日.xlsx"
    out = runner.invoke(app, ["actions", "list", "--date", "2026-01-10", "--lang", "zh",
                              "--xlsx", str(xlsx), "-w", str(tmp_path / "s")],
                        env={"TENURE_WORKSPACE": ""})
    assert out.exit_code == 0, out.output
    sheet = load_workbook(xlsx)["result"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["负责人", "截止日期", "客户编号"]
    assert sheet.max_row == 3  # the header and two actions


def test_cli_explain_takes_the_customer_as_an_argument(tmp_path):
    ws = make_shop(tmp_path / "s", {"orders": buyers("c1")}, actions=nurture())
    plan(ws, DAY)
    ws.close()
    out = runner.invoke(app, ["actions", "explain", "c1", "--date", "2026-01-10", "--json", "-",
                              "-w", str(tmp_path / "s")], env={"TENURE_WORKSPACE": ""})
    assert out.exit_code == 0, out.output
    answer = json.loads(out.stdout)
    assert answer["headline"]["chosen"] == ["nurture"]
    out = runner.invoke(app, ["actions", "explain", "c1", "--date", "2026-02-01",
                              "-w", str(tmp_path / "s")], env={"TENURE_WORKSPACE": ""})
    assert out.exit_code == 2
    assert "no plan was made for 2026-02-01" in out.output


def test_lift_reads_outcomes_from_the_orders(tmp_path):
    ids = [f"c{i:03d}" for i in range(200)]
    actions = nurture().replace("[actions.playbooks.nurture]\nholdout = 0.0",
                                "[actions.playbooks.nurture]\nholdout = 0.5")
    ws = make_shop(tmp_path / "s", {"orders": buyers(*ids)}, actions=actions)
    frame = plan(ws, DAY).frame
    treated = frame.loc[frame["group"] == "treatment", "customer_id"].tolist()
    control = frame.loc[frame["group"] == "control", "customer_id"].tolist()
    # Every treated customer buys 100 three days later, no held-out customer does; one
    # treated customer buys on the 45th day, outside the 30-day window.
    later, _ = orders(*[(c, "2026-01-13", None, 1, 100) for c in treated],
                      (treated[0], "2026-02-24", None, 1, 100))
    ws.ingest("orders", pd.DataFrame(later).assign(order_id=lambda f: "L" + f["order_id"]))
    result = lift(ws, window="30d")
    rows = result.frame.set_index(["playbook", "metric"])
    bought = rows.loc[("nurture", "purchased")]
    assert (bought["n_treated"], bought["n_control"]) == (len(treated), len(control))
    assert (bought["treated_rate"], bought["control_rate"], bought["difference"]) == (1, 0, 1)
    assert bought["verdict"] == "higher"
    revenue = rows.loc[("nurture", "revenue")]
    # 100 each among the treated (the 45th-day order is outside), none among the held out.
    assert revenue["difference"] == 100.0
    assert revenue["incremental_revenue"] == 100.0 * len(treated)
    # The programme: every customer's first marketing action; nobody is in the global
    # holdout here, so it has no control to compare with.
    assert rows.loc[("programme", "purchased"), "verdict"] == "too few"
    # The measured lift is recorded for the planner.
    effects = ws.connection.execute("SELECT playbook, metric, estimate FROM action_effects "
                                    "WHERE metric = 'purchased'").fetchall()
    assert effects == [("nurture", "purchased", 1.0)]
