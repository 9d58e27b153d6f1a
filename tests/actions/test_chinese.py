"""What the actions' results say exists in Chinese: every sentence of a plan, a file of
outcomes, an explanation's summary and the lift report comes out of the catalog translated,
with its numbers and names kept, and a missing plan's error too."""

from __future__ import annotations

import pandas as pd

from tenure.actions import explain, lift, plan, record
from tenure.errors import InputError
from tenure.i18n import translate

from .shop import only, orders
from .test_ledger import DAY, buyers, make_shop, nurture


def _zh(line: str) -> str:
    said = translate(line, "zh")
    assert said != line, line
    return said


def test_the_sentences_of_a_plan_its_outcomes_and_its_lift(tmp_path):
    ids = [f"c{i:03d}" for i in range(200)]
    actions = nurture().replace("[actions.playbooks.nurture]\nholdout = 0.0",
                                "[actions.playbooks.nurture]\nholdout = 0.5")
    # c000 has a ticket open, so one proposal is not chosen.
    ws = make_shop(tmp_path / "s", {"orders": buyers(*ids), "tickets": [
        {"ticket_id": "T1", "customer_id": "c000", "opened_at": "2026-01-08 10:00"}]},
        actions=actions)
    made = plan(ws, DAY)
    said = [_zh(line) for line in made.lines()]
    assert said[0].startswith(f"{DAY.isoformat()}的计划：从200条提议中选出")
    assert "未选中" in said[0] and said[1].startswith("动作日志：新增199条")
    treated = made.frame.loc[made.frame["group"] == "treatment", "customer_id"].tolist()
    # The first treated customer's message was sent; the second row names no action.
    done = record(ws, pd.DataFrame({"customer_id": [treated[0], "nobody"],
                                    "playbook": ["nurture"] * 2,
                                    "plan_date": [DAY.isoformat()] * 2,
                                    "event": ["sent"] * 2}))
    assert [_zh(line) for line in done.lines()] == [
        "a data frame：读取2行，写入1条结果，更新0条，未变0条，隔离1行。",
        "可用 `tenure quarantine action_outcomes` 查看。"]
    # Only nurture is on: one playbook considered.
    assert _zh(explain(ws, treated[0], DAY).lines()[0]) == (
        f"客户{treated[0]}在{DAY.isoformat()}：1个策略中有1个提议了动作；选中：新客培育。")
    assert _zh(explain(ws, "c000", DAY).lines()[0]).endswith("均未选中。")
    later, _ = orders(*[(c, "2026-01-11", None, 1, 100) for c in treated])
    ws.ingest("orders", pd.DataFrame(later).assign(order_id=lambda f: "L" + f["order_id"]))
    measured = lift(ws, window="2d")
    said = [_zh(line) for line in measured.lines()]
    assert said[0] == (f"{DAY.isoformat()}至{DAY.isoformat()}计划的动作的提升（结果统计2天）："
                       "3项更高，0项更低，0项尚无定论。")
    assert said[1].startswith("新客培育，购买率：干预组100.00%，对照组0.00%")


def test_a_missing_plan_in_chinese(tmp_path):
    ws = make_shop(tmp_path / "s", {"orders": buyers("c1")}, actions=nurture())
    try:
        explain(ws, "c1", DAY)
    except InputError as error:
        assert _zh(str(error)) == (f"{DAY.isoformat()}没有计划；请用 `tenure actions plan "
                                   f"--date {DAY.isoformat()}` 生成")
    else:
        raise AssertionError("explain answered for a day never planned")


def test_every_line_of_an_explanation(tmp_path):
    # Nurture on WeChat, then e-mail, both needing an opt-in that c1 never gave; c2 gave
    # one for WeChat.
    actions = only("nurture", channels=("wechat", "email"), min_customers=10_000)
    ws = make_shop(tmp_path / "s", {"orders": buyers("c1", "c2"), "consents": [
        {"customer_id": "c2", "channel": "wechat", "opted_in": True, "at": "2025-01-01"}]},
        actions=actions)
    plan(ws, DAY)
    assert [_zh(line) for line in explain(ws, "c1", DAY).lines()] == [
        f"客户c1在{DAY.isoformat()}：1个策略中有1个提议了动作；均未选中。",
        "新客培育：未选中：未授权通过微信联系（已尝试：微信：未授权，邮箱：未授权）"]
    assert [_zh(line) for line in explain(ws, "c2", DAY).lines()][1:] == [
        "新客培育：已选中：今天该客户预期价值最高的动作，通过微信执行"]
