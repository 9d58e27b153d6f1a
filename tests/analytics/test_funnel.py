"""The lead funnel on five hand-made leads, in a workspace with its own stage names, and
against the simulator's known advance rates and stage times."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tenure.analytics import funnel
from tenure.config import set_value
from tenure.errors import InputError
from tenure.simulate import simulate_business
from tenure.workspace import Workspace


def lead_rows(*rows):
    frame = pd.DataFrame(rows, columns=["lead_id", "stage", "entered_at", "source",
                                        "owner_id", "lost_reason"])
    frame["entered_at"] = pd.to_datetime(frame["entered_at"])
    return frame


LEADS = lead_rows(
    # L1 goes all the way: 2, 3, 4 and 10 days in ML, MQL, SL and SQL.
    ("L1", "ML", "2024-01-01", "website", "rep_1", None),
    ("L1", "MQL", "2024-01-03", "website", "rep_1", None),
    ("L1", "SL", "2024-01-06", "website", "rep_1", None),
    ("L1", "SQL", "2024-01-10", "website", "rep_1", None),
    ("L1", "won", "2024-01-20", "website", "rep_1", None),
    # L2 is lost after reaching MQL.
    ("L2", "ML", "2024-01-02", "website", "rep_1", None),
    ("L2", "MQL", "2024-01-06", "website", "rep_1", None),
    ("L2", "lost", "2024-01-10", "website", "rep_1", "no_budget"),
    # L3 skips MQL and is lost after SL.
    ("L3", "ML", "2024-01-05", "trade_show", "rep_1", None),
    ("L3", "SL", "2024-01-09", "trade_show", "rep_1", None),
    ("L3", "lost", "2024-01-12", "trade_show", "rep_1", "timing"),
    # L4 and L5 are still open, in ML and in MQL (written in lower case).
    ("L4", "ML", "2024-02-01", "referral", "rep_2", None),
    ("L5", "ML", "2024-02-03", "website", "rep_2", None),
    ("L5", "mql", "2024-02-05", "website", "rep_2", None),
)


def test_stage_by_stage():
    result = funnel(LEADS)
    table = result.frame.set_index("stage")
    # Reached: all 5; MQL: L1, L2, L3 (skipped it but went further), L5; SL: L1, L3; then L1.
    assert table["reached"].tolist() == [5, 4, 2, 1, 1]
    assert table["share_of_leads"].tolist() == [1.0, 0.8, 0.4, 0.2, 0.2]
    assert table["conversion"].tolist()[:4] == [0.8, 0.5, 0.5, 1.0]  # 4/5, 2/4, 1/2, 1/1
    assert math.isnan(table.loc["won", "conversion"])
    assert table.loc["MQL", "leakage"] == 0.5
    assert table["lost"].tolist() == [0, 1, 1, 0, 0]  # L2 at MQL, L3 at SL
    assert table["open"].tolist() == [1, 1, 0, 0, 0]  # L4 in ML, L5 in MQL
    assert result.lead_to_customer == 0.2  # 1 of 5
    assert result.leads == 5


def test_days_to_move_on_from_each_stage():
    table = funnel(LEADS).frame.set_index("stage")
    # From ML: L1 2 days, L2 4, L3 4 (to SL, skipping MQL), L5 2: median 3, p90 4.
    assert table.loc["ML", "median_days"] == 3.0
    assert table.loc["ML", "p90_days"] == pytest.approx(4.0)
    # From MQL only L1 moved on (3 days); L2 was lost and L5 is open.
    assert table.loc["MQL", "median_days"] == 3.0
    assert table.loc["SL", "median_days"] == 4.0  # L1; L3 was lost in SL
    assert table.loc["SQL", "median_days"] == 10.0


def test_lost_reasons_by_stage_and_periods():
    result = funnel(LEADS)
    lost = result.lost_reasons.set_index("stage")
    assert lost.loc["MQL", "lost_reason"] == "no_budget" and lost.loc["MQL", "share"] == 1.0
    assert lost.loc["SL", "lost_reason"] == "timing"
    months = result.by_period.set_index(result.by_period["period"].dt.strftime("%Y-%m"))
    assert months["leads"].to_dict() == {"2024-01": 3, "2024-02": 2}
    assert months.loc["2024-01", "lead_to_customer"] == pytest.approx(1 / 3)


def test_split_by_source_and_owner():
    by_source = funnel(LEADS, by="source").frame.set_index(["source", "stage"])
    assert by_source.loc[("website", "ML"), "reached"] == 3  # L1, L2, L5
    assert by_source.loc[("website", "won"), "share_of_leads"] == pytest.approx(1 / 3)
    by_owner = funnel(LEADS, by="owner").frame.set_index(["owner", "stage"])
    assert by_owner.loc[("rep_2", "MQL"), "reached"] == 1  # L5
    assert funnel(LEADS, start="2024-02-01").leads == 2  # entered in February


def test_unknown_stages_are_an_error():
    bad = pd.concat([LEADS, lead_rows(("L6", "demo", "2024-02-09", "web", "rep_2", None))])
    with pytest.raises(InputError, match="stage 'demo' is not one of ML, MQL, SL, SQL, won"):
        funnel(bad)


def test_stage_names_from_the_workspace_settings(tmp_path, write):
    path = tmp_path / "crm"
    Workspace.init(path).close()
    set_value(path / "tenure.toml", "funnel.stages", "线索,商机,成交")
    set_value(path / "tenure.toml", "funnel.lost_stage", "流失")
    csv = write("leads.csv", "线索ID,阶段,进入时间\n"
                             "1,线索,2024-03-01\n1,商机,2024-03-04\n1,成交,2024-03-09\n"
                             "2,线索,2024-03-02\n2,流失,2024-03-05\n")
    with Workspace(path) as ws:
        ws.ingest("leads", csv)
        result = funnel(ws)
    assert result.stages == ("线索", "商机", "成交")
    assert result.frame["reached"].tolist() == [2, 1, 1]
    assert result.frame.set_index("stage").loc["线索", "median_days"] == 3.0  # lead 1 only


def test_conversion_and_stage_times_match_the_simulator():
    business = simulate_business(20_000, seed=2)
    result = funnel(business.tables["leads"].to_pandas())
    table = result.frame.set_index("stage")
    # The simulator moves a lead on from ML, MQL, SL and SQL with chance 0.7, 0.7, 0.65 and
    # 0.6, after an exponential time of mean 4, 6, 9 and 14 days (median mean * ln 2).
    advance = [0.7, 0.7, 0.65, 0.6]
    means = [4.0, 6.0, 9.0, 14.0]
    for stage, p, mean in zip(["ML", "MQL", "SL", "SQL"], advance, means, strict=True):
        n = table.loc[stage, "reached"]
        assert abs(table.loc[stage, "conversion"] - p) < 3 * np.sqrt(p * (1 - p) / n)
        assert table.loc[stage, "median_days"] == pytest.approx(mean * np.log(2), rel=0.1)
        assert table.loc[stage, "p90_days"] == pytest.approx(mean * np.log(10), rel=0.1)
