"""Fitting and scoring a workspace, and the fit/score commands, on real DuckDB."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import tenure
from tenure.cli import app
from tenure.errors import ConfigError
from tenure.models import fit_workspace, load_model, parse_horizon, score
from tenure.workspace import Workspace


@pytest.fixture
def cdnow_ws(workspace):
    workspace.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
    return workspace


def test_score_writes_one_row_per_customer_and_is_idempotent(cdnow_ws):
    first = score(cdnow_ws, as_of="1997-10-01", horizon="90d")
    # Every CDNOW sample customer bought in the first quarter of 1997.
    assert first.customers == 2357
    again = score(cdnow_ws, as_of="1997-10-01", horizon="90d")
    con = cdnow_ws.connection
    rows = con.execute("SELECT count(*), count(DISTINCT customer_id) FROM scores").fetchone()
    assert rows == (2357, 2357)  # re-running replaced the rows of that as-of date
    assert again.model_version == first.model_version  # the saved fit was reused
    # The predictions the scores were joined with are gone from the connection.
    assert con.execute("SELECT count(*) FROM information_schema.tables "
                       "WHERE starts_with(table_name, '_tenure_')").fetchone()[0] == 0
    p_alive, expected = con.execute(
        "SELECT p_alive, expected_purchases FROM scores WHERE customer_id = '1'").fetchone()
    # Customer 1 as of 1997-10-01, in days: x = 2, t_x = 213, T = 273.
    model = load_model(con, first.model_version).model
    import pandas as pd

    one = pd.DataFrame({"frequency": [2], "recency": [213.0], "T": [273.0]})
    assert p_alive == pytest.approx(model.p_alive(one)[0])
    assert expected == pytest.approx(model.expected_purchases(one, 90.0)[0])
    score(cdnow_ws, as_of="1998-01-01", horizon="12w")
    assert con.execute("SELECT count(DISTINCT as_of) FROM scores").fetchone()[0] == 2


def test_fit_workspace_saves_the_model_with_its_window(cdnow_ws):
    report = fit_workspace(cdnow_ws, "bgnbd", unit="W", calibration_end="1997-09-30")
    assert round(report.metrics["log_likelihood"], 1) == -9582.4
    # FHL (2005): 1,882 repeat purchases in the 39-week holdout.
    assert report.metrics["actual_holdout"] == 1882
    saved = load_model(cdnow_ws.connection, model="bgnbd", unit="W")
    assert str(saved.window_end) == "1997-09-30"
    assert saved.model.params_ == pytest.approx(report.model.params_)
    assert saved.metrics["holdout_mae"] == pytest.approx(report.metrics["holdout_mae"])


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("12w", 84), ("30", 30)])
def test_horizons(text, days):
    assert parse_horizon(text) == days


def test_bad_horizon_is_a_one_line_error():
    with pytest.raises(ConfigError, match="'3 months' is not a length of time"):
        parse_horizon("3 months")


def test_cli_fit_and_score(cdnow_ws, tmp_path):
    import pandas as pd

    runner = CliRunner()
    path = str(cdnow_ws.path)
    cdnow_ws.close()
    fitted = runner.invoke(app, ["fit", "--model", "pnbd", "--calibration-end", "1997-09-30",
                                 "--workspace", path])
    assert fitted.exit_code == 0, fitted.output
    assert "Pareto/NBD" in fitted.output and "0.5533" in fitted.output
    # Scoring reuses the model fitted last, says which, and exports every customer.
    export = tmp_path / "scores.parquet"
    scored = runner.invoke(app, ["score", "--as-of", "1998-01-01", "--parquet", str(export),
                                 "--workspace", path], env={"COLUMNS": "200"})
    assert scored.exit_code == 0, scored.output
    assert "2,357 customers" in scored.output
    assert "scored with Pareto/NBD" in scored.output.replace("\n", " ")
    frame = pd.read_parquet(export)
    assert len(frame) == 2357 and frame["customer_id"].is_unique
    with Workspace(path) as ws:
        stored = ws.connection.execute(
            "SELECT customer_id, p_alive, clv FROM scores WHERE as_of = DATE '1998-01-01' "
            "ORDER BY customer_id").df()
        model = ws.connection.execute("SELECT DISTINCT model FROM scores").fetchall()
    assert model == [("pnbd",)]
    pd.testing.assert_frame_equal(frame[["customer_id", "p_alive", "clv"]], stored,
                                  check_dtype=False)
    bad = runner.invoke(app, ["fit", "--model", "nope", "--workspace", path])
    assert bad.exit_code == 2
    assert ("fit: model 'nope' is not supported; use bgnbd, pnbd, mbgnbd, ggomnbd, bgbb, sbg, "
            "gg or auto") in bad.output


@pytest.mark.parametrize("model_cls", ["BetaGeo", "ParetoNBD"])
def test_customer_scores_match_the_models_customer_by_customer(model_cls):
    import ibis
    import numpy as np

    from tenure.models import BetaGeo, GammaGamma, ParetoNBD, customer_scores, rfm_expression

    con = ibis.duckdb.connect()
    orders = con.create_table("orders", tenure.datasets.load_cdnow(kind="sample"))
    expr = rfm_expression(orders, observation_end="1997-09-30", unit="W")
    summary = con.create_table("summary", expr, temp=True)
    frame = summary.to_pandas().set_index("customer_id")
    purchases = {"BetaGeo": BetaGeo, "ParetoNBD": ParetoNBD}[model_cls]().fit(frame)
    spend = GammaGamma().fit(frame)
    query, histories = customer_scores(summary, purchases, spend, horizon=13.0,
                                       clv_horizon=52.0, steps=12, discount_rate=0.01,
                                       margin=0.3)
    scores = query.to_pandas().set_index("customer_id").loc[frame.index]
    # The 2,357 customers share 1,016 distinct histories (frequency, recency, T in weeks).
    assert len(scores) == 2357 and histories.weights.sum() == 2357
    assert len(histories) == 1016
    # The engine's join gives every customer what the models give row by row.
    np.testing.assert_allclose(scores.p_alive, purchases.p_alive(frame), rtol=1e-12)
    np.testing.assert_allclose(scores.expected_purchases,
                               purchases.expected_purchases(frame, 13.0), rtol=1e-12)
    np.testing.assert_allclose(scores.spend_per_purchase, spend.expected_spend(frame),
                               rtol=1e-12)
    np.testing.assert_allclose(scores.clv, spend.clv(purchases, frame, horizon=52.0,
                                                     discount_rate=0.01, margin=0.3, steps=12),
                               rtol=1e-12)
    # CLV is the discounted sum of the expected purchases of each period, valued at the spend
    # per purchase: with no discount and one period it is expected purchases times spend.
    one = spend.clv(purchases, frame, horizon=52.0, steps=1, margin=1.0)
    np.testing.assert_allclose(one, purchases.expected_purchases(frame, 52.0)
                               * spend.expected_spend(frame), rtol=1e-12)


def test_a_fit_on_too_little_data_is_saved_with_its_cautions(workspace):
    # Eight orders of five customers: the fit cannot pin anything down. It is saved (its
    # forecasts are numbers) but the report says why not to trust it, and so does the saved
    # model when loaded again (from its standard errors).
    import pandas as pd

    orders = pd.DataFrame({
        "order_id": [f"o{i}" for i in range(8)],
        "customer_id": ["a", "a", "b", "c", "c", "c", "d", "e"],
        "ordered_at": pd.to_datetime(["2024-01-02", "2024-02-10", "2024-01-05", "2024-01-07",
                                      "2024-01-20", "2024-03-01", "2024-02-01", "2024-02-15"]),
        "amount": [10.0, 12.0, 8.0, 20.0, 25.0, 22.0, 5.0, 9.0]})
    workspace.ingest("orders", orders)
    with pytest.warns(tenure.models.ModelWarning):
        report = fit_workspace(workspace, "bgnbd", unit="D")
    assert report.notes and all("penalizer_coef=0.01" in note for note in report.notes)
    saved = load_model(workspace.connection, report.model_version).model
    assert saved.cautions() and all("penalizer_coef=0.01" in n for n in saved.cautions())


def test_a_model_whose_forecasts_are_not_numbers_is_not_saved():
    import pandas as pd

    from tenure.errors import ModelError
    from tenure.models import BetaGeo
    from tenure.models._scores import check_forecasts

    # Parameters that are not numbers (as a corrupted saved model would have).
    broken = BetaGeo.from_params({"r": 0.2, "alpha": float("nan"), "a": 0.8, "b": 2.0})
    data = pd.DataFrame({"frequency": [1, 0], "recency": [5.0, 0.0], "T": [10.0, 10.0]})
    with pytest.raises(ModelError, match="not saved"):
        check_forecasts(broken, data)


def test_fit_every_kind_of_model_on_a_workspace(cdnow_ws):
    from tenure.models import GammaGamma, ModelWarning, ParetoNBD

    # auto: every purchase model on the calibration window, judged on the 39-week holdout.
    auto = fit_workspace(cdnow_ws, "auto", unit="W", calibration_end="1997-09-30")
    assert isinstance(auto.model, ParetoNBD) and auto.choice.chosen == "pnbd"
    assert auto.notes[-1] == auto.choice.reason
    assert "forecasts the holdout best" in auto.choice.reason
    # Gamma-Gamma on the 946 repeat buyers of the calibration window (FHL 2005).
    spend = fit_workspace(cdnow_ws, "gg", unit="W", calibration_end="1997-09-30")
    assert isinstance(spend.model, GammaGamma) and spend.metrics["customers"] == 946
    assert round(spend.model.params_["p"], 2) == 6.25
    # GGompertz/NBD goes to its Pareto/NBD limit there, and says so.
    with pytest.warns(ModelWarning, match="boundary"):
        gompertz = fit_workspace(cdnow_ws, "ggomnbd", unit="W", calibration_end="1997-09-30")
    assert any("boundary" in note for note in gompertz.notes)


def test_sbg_on_the_memberships(workspace):
    import pandas as pd

    # Six memberships from 1 Jan 2024, looked at on 31 Dec 2024 in months of 30.44 days:
    # two ended in their first month (1 period paid), one after 3 months and 10 days (4
    # periods), three still running (12 periods paid: 365 days / 30.44 = 11.99, plus one).
    workspace.ingest("memberships", pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "tier": ["gold"] * 6,
        "started_at": pd.to_datetime(["2024-01-01"] * 6),
        "ended_at": pd.to_datetime(["2024-01-20", "2024-01-25", "2024-04-10", None, None,
                                    None]),
    }))
    from tenure.models._workspace_fits import membership_durations

    table = membership_durations(workspace, end=pd.Timestamp("2024-12-31").date(), unit="M")
    rows = sorted(map(tuple, table[["duration", "churned", "weights"]].to_numpy().tolist()))
    assert rows == [(1, True, 2.0), (4, True, 1.0), (12, False, 3.0)]
    with pytest.warns(tenure.models.ModelWarning):  # six memberships pin little down
        report = fit_workspace(workspace, "sbg", unit="M", observation_end="2024-12-31")
    assert report.model.name == "sbg" and report.metrics["memberships"] == 6


def test_score_with_the_last_fitted_model_and_export(cdnow_ws, tmp_path):
    import pandas as pd

    from tenure.models import export_scores, score_date, score_frame

    fitted = fit_workspace(cdnow_ws, "pnbd", unit="W", calibration_end="1997-09-30")
    result = score(cdnow_ws, as_of="1998-01-01", horizon="13w", model="last")
    # The Pareto/NBD fitted in weeks was used as it is, and the result says so.
    assert result.model_version == fitted.model_version
    assert result.notes[0].startswith(f"scored with Pareto/NBD {fitted.model_version}")
    frame = score_frame(cdnow_ws)
    assert len(frame) == 2357 and set(frame.model) == {"pnbd"}
    # Customer 1 as of 1998-01-01 in weeks: orders on 1997-01-01, 01-18, 08-02 and 12-12
    # (x = 3, t_x = 345 days, T = 365 days), 13 weeks ahead.
    one = pd.DataFrame({"frequency": [3], "recency": [345 / 7], "T": [365 / 7]})
    row = frame.set_index("customer_id").loc["1"]
    assert row.expected_purchases == pytest.approx(fitted.model.expected_purchases(one, 13.0)[0])
    for name in ("scores.csv", "scores.parquet"):
        written = export_scores(cdnow_ws, tmp_path / name)
        assert written.rows == 2357 and str(written.as_of) == "1998-01-01"
    back = pd.read_parquet(tmp_path / "scores.parquet")
    assert back.clv.sum() == pytest.approx(frame.clv.sum())
    # The CSV starts with a byte-order mark, so that Excel reads it as UTF-8.
    assert (tmp_path / "scores.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    as_csv = pd.read_csv(tmp_path / "scores.csv", encoding="utf-8-sig", dtype={"customer_id": str})
    assert list(as_csv.columns) == list(back.columns) and len(as_csv) == 2357
    assert score_date(cdnow_ws).reason == "the latest of 1 scored date(s)"
    with pytest.raises(tenure.errors.ModelError, match="no value scores as of 1998-02-01"):
        score_frame(cdnow_ws, "1998-02-01")
