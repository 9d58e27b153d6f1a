"""Scoring writes churn risk and reasons into the shared ``scores`` table, idempotently and
without touching the columns other capabilities write there."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tenure.churn import ChurnModel, features, model_path, score, train
from tenure.churn._reasons import arguing
from tenure.errors import ConfigError

AS_OF = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def model(sim_workspace):
    return train(sim_workspace, ["2024-06-01", "2024-09-01"], "120D")


def _table(ws):
    return ws.connection.execute(
        "SELECT * FROM scores ORDER BY as_of, customer_id").df()


def test_scores_share_the_table_and_rewrite_only_their_columns(sim_workspace, model):
    ws = sim_workspace
    counted = features(ws, AS_OF, model.definition_)
    first, second = counted.frame["customer_id"].iloc[:2]
    with ws.transaction() as con:
        # As another capability (the value models) would have left it.
        con.execute("DELETE FROM scores")
        con.execute("INSERT INTO scores (customer_id, as_of, p_alive, model) VALUES "
                    "($a, $d, 0.7, 'bgnbd'), ('GONE', $d, 0.2, 'bgnbd'), "
                    "($a, DATE '2025-01-01', 0.9, 'bgnbd')",
                    {"a": first, "d": AS_OF})
    result = score(ws, AS_OF, model)
    assert result.written and len(result.frame) == len(counted)
    assert result.frame["churn_risk"].is_monotonic_decreasing
    table = _table(ws)
    today = table[table["as_of"].dt.date == AS_OF].set_index("customer_id")
    # Every counted customer, plus GONE (not counted, keeps its p_alive and no churn risk).
    assert len(today) == len(counted) + 1
    assert today.loc[first, "p_alive"] == 0.7 and 0 < today.loc[first, "churn_risk"] < 1
    assert today.loc["GONE", "p_alive"] == 0.2 and today.loc["GONE"].isna()["churn_risk"]
    assert today.loc[second].isna()["p_alive"] and today.loc[second, "churn_risk"] > 0
    assert (today.loc[counted.frame["customer_id"], "churn_model_version"] == model.version).all()
    assert (today.loc[counted.frame["customer_id"], "churn_horizon_days"] == 120).all()
    # A reason for everyone but a customer whom no feature moves towards churn in the
    # direction its sentence says.
    pushes = model.contributions(counted).drop(columns="bias").to_numpy() > 0
    raising = (pushes & arguing(model, counted.frame)).any(axis=1)
    assert today["churn_reason_1"].notna().sum() == raising.sum() >= len(counted) - 30
    assert len(table[table["as_of"].dt.date == dt.date(2025, 1, 1)]) == 1  # other date kept

    # Scoring again changes nothing.
    score(ws, AS_OF, model)
    assert _table(ws).equals(table)

    # A stale churn score of a customer not counted any more is cleared; a row left with no
    # value at all is removed.
    with ws.transaction() as con:
        con.execute("UPDATE scores SET churn_risk = 0.5 WHERE customer_id = 'GONE'")
        con.execute("INSERT INTO scores (customer_id, as_of, churn_risk) VALUES "
                    "('STALE', $d, 0.4)", {"d": AS_OF})
    score(ws, AS_OF, model)
    assert _table(ws).equals(table)


def test_score_reads_the_saved_model_and_can_skip_writing(sim_workspace, model):
    path = model.save(model_path(sim_workspace))
    assert path == sim_workspace.path / "models" / "churn.json"
    result = score(sim_workspace, "2025-03-01", write=False)
    assert not result.written and result.model_version == model.version
    assert "customers scored at 2025-03-01" in str(result)
    assert ChurnModel.load(path).version == model.version


def test_reasons_for_the_riskiest_share_only(sim_workspace, model):
    result = score(sim_workspace, AS_OF, model, reasons_share=0.1, write=False)
    frame = result.frame  # riskiest first
    explained = -(-len(frame) // 10)  # a tenth, rounded up
    assert frame["churn_reason_1"].iloc[:explained].notna().all()
    assert frame["churn_reason_1"].iloc[explained:].isna().all()
    with pytest.raises(ConfigError, match="reasons_share 2 should be between 0"):
        score(sim_workspace, AS_OF, model, reasons_share=2)


@pytest.mark.slow
def test_reasons_by_either_method(sim_workspace, model):
    path = score(sim_workspace, AS_OF, model, write=False)
    shap = score(sim_workspace, AS_OF, model, reasons_share=0.1, reasons_method="shap",
                 write=False)
    # The path reasons come with the risk from one pass over the trees: the same risk, to
    # the last bit, as predict_proba.
    counted = features(sim_workspace, AS_OF, model.definition_)
    risk = pd.Series(model.predict_proba(counted), index=counted.frame["customer_id"])
    for result in (path, shap):
        np.testing.assert_array_equal(result.frame["churn_risk"],
                                      risk[result.frame["customer_id"]])
    explained = -(-len(counted) // 10)
    riskiest = shap.frame.head(explained)
    expected = model.explain(counted.frame[counted.frame["customer_id"].isin(
        riskiest["customer_id"])], method="shap").wide().set_index("customer_id")
    for i in (1, 2, 3):
        assert (riskiest[f"churn_reason_{i}"].fillna("").tolist()
                == expected.loc[riskiest["customer_id"], f"reason_{i}"].fillna("").tolist())


def test_value_model_and_churn_scores_keep_each_others_columns(sim_workspace, model):
    from tenure.models import score as value_score

    ws = sim_workspace
    with ws.transaction() as con:
        con.execute("DELETE FROM scores")
    day = dt.date(2025, 4, 1)
    values = value_score(ws, as_of=day, horizon="90d")
    churn = score(ws, day, model)
    both = _table(ws)
    both = both[both["as_of"].dt.date == day]
    assert both["p_alive"].notna().sum() == values.customers
    assert both["churn_risk"].notna().sum() == len(churn.frame)
    # Scoring the value models again leaves every churn column as it was, and back.
    again = value_score(ws, as_of=day, horizon="90d")
    assert again.customers == values.customers
    after = _table(ws)
    after = after[after["as_of"].dt.date == day]
    pd.testing.assert_frame_equal(after.reset_index(drop=True), both.reset_index(drop=True))
    score(ws, day, model)
    pd.testing.assert_frame_equal(
        _table(ws)[lambda t: t["as_of"].dt.date == day].reset_index(drop=True),
        both.reset_index(drop=True))
