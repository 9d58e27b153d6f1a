"""The lift report against the simulator's truth: a simulated shop of 40,000 customers plans
one day with every playbook on and half of each playbook's customers held out (a tenth of
all customers in the global holdout); the world answers the contacts with effects that
differ between customers (persuadables, sure things, lost causes, sleeping dogs), and a
month of orders comes back. One day of plans keeps each playbook's effect its own: later
actions caused by earlier ones would otherwise count in both."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tenure.actions import UpliftModel, lift, plan
from tenure.actions._features import FEATURES, unit_features_sql
from tenure.actions.playbooks import PLAYBOOKS
from tenure.contract import LOAD_ORDER
from tenure.models import score
from tenure.simulate import ActionWorld, simulate_business, write_business
from tenure.workspace import Workspace
from tenure.workspace._migrations import CHURN_SCORE_COLUMNS
from tenure.workspace._scores import write_scores

pytestmark = pytest.mark.slow
WINDOW = 30


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("truth")
    business = simulate_business(40_000, seed=21)
    write_business(business, root / "data")
    ws = Workspace.init(root / "shop", timezone="Asia/Shanghai")
    for name in LOAD_ORDER:
        ws.ingest(name, root / "data" / f"{name}.parquet")
    score(ws, as_of="2026-01-01", horizon="90d", model="pnbd")
    # Churn risk as 1 - P(alive): the at-risk playbook needs some, the test the ranking.
    with ws.transaction() as con:
        write_scores(con, dt.date(2026, 1, 1), """
            SELECT customer_id, 1 - p_alive AS churn_risk, 'quiet' AS churn_reason_1,
                   NULL AS churn_reason_2, NULL AS churn_reason_3, 'sim' AS churn_model_version,
                   90 AS churn_horizon_days
            FROM scores WHERE as_of = DATE '2026-01-01' AND p_alive IS NOT NULL""",
                     CHURN_SCORE_COLUMNS)
    ws.close()
    config = root / "shop" / "tenure.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[actions]\nglobal_holdout = 0.1\n"
                      "[actions.policy]\ncaps = []\ntransactional_caps = []\n"
                      + "".join(f"[actions.playbooks.{p}]\nholdout = 0.5\n" for p in PLAYBOOKS),
                      encoding="utf-8")
    ws = Workspace(root / "shop")
    world = ActionWorld(business, seed=5)
    day = world.first_day
    world.respond(plan(ws, day).frame)
    ws.ingest("orders", world.orders(day, day + dt.timedelta(days=WINDOW + 1)))
    result = lift(ws, window=f"{WINDOW}d", until=day)
    units = ws.connection.execute("""SELECT customer_id, playbook, plan_date, "group"
                                     FROM action_log WHERE "group" <> 'global_control'""").df()
    yield ws, world, result, world.true_effects(units, WINDOW)
    ws.close()


def test_each_playbooks_lift_recovers_its_true_effect(world):
    _, _, result, truth = world
    rows = result.frame.set_index(["playbook", "metric"])
    checked = []
    for playbook, units in truth.groupby("playbook"):
        counts = units["group"].value_counts()
        if min(counts.get("treatment", 0), counts.get("control", 0)) < 500:
            continue
        for metric, column in (("purchased", "true_purchased"), ("revenue", "true_revenue")):
            row = rows.loc[(playbook, metric)]
            true = units[column].mean()
            se = (row["ci_high"] - row["ci_low"]) / (2 * 1.959964)
            # Within three standard errors: with several playbooks and two metrics, a plain
            # 95% interval would miss one now and then by chance.
            assert abs(row["difference"] - true) < 3 * se, (playbook, metric, true, row)
        checked.append(playbook)
    assert len(checked) >= 4, checked
    # The largest experiment is precise enough to exclude zero, with the truth inside.
    win_back = rows.loc[("win_back", "purchased")]
    true = truth.loc[truth["playbook"] == "win_back", "true_purchased"].mean()
    assert win_back["verdict"] == "higher" and win_back["ci_low"] < true < win_back["ci_high"]


def test_the_programme_lift_is_the_sum_of_the_playbooks(world):
    _, _, result, truth = world
    rows = result.frame.set_index(["playbook", "metric"])
    programme = rows.loc[("programme", "revenue")]
    marketing = [p for p in PLAYBOOKS.values() if p.kind == "marketing"]
    revenue = result.frame[(result.frame["metric"] == "revenue")
                           & result.frame["playbook"].isin([p.name for p in marketing])]
    playbooks_sum = revenue["incremental_revenue"].sum()
    treated = truth[(truth["group"] == "treatment")
                    & truth["playbook"].isin([p.name for p in marketing])]
    true_sum = treated["true_revenue"].sum()
    low = programme["ci_low"] * programme["n_treated"]
    high = programme["ci_high"] * programme["n_treated"]
    # The programme against the global holdout, the playbooks each against its own control,
    # and the simulator's own sum of what the contacts did: one amount.
    assert low < playbooks_sum < high
    assert low < true_sum < high
    assert rows.loc[("programme", "purchased"), "verdict"] == "higher"


def test_uplift_ranks_persuadables_better_than_churn_risk(world):
    ws, _, _, truth = world
    units = truth[truth["playbook"] == "win_back"]
    ws.connection.register("_test_units", units[["customer_id", "plan_date", "group",
                                                  "true_purchased"]].assign(value_at_stake=0.0))
    data = ws.connection.execute(unit_features_sql("_test_units")).df()
    risk = ws.connection.execute("SELECT customer_id, churn_risk FROM scores WHERE churn_risk "
                                 "IS NOT NULL").df()
    bought = ws.connection.execute("""
        SELECT customer_id, true AS bought FROM orders
        WHERE amount > 0 AND ordered_at >= DATE '2026-01-01'
          AND ordered_at < DATE '2026-01-01' + INTERVAL 30 DAY GROUP BY 1""").df()
    data = data.merge(risk, on="customer_id", how="left").merge(
        bought, on="customer_id", how="left").sort_values("customer_id", ignore_index=True)
    y = data["bought"].notna().to_numpy(dtype=float)
    treated = (data["group"] == "treatment").to_numpy()
    X = data[list(FEATURES)].astype(float)
    test = np.random.default_rng(0).random(len(data)) < 0.5
    model = UpliftModel(method="x_learner").fit(X[~test], treated[~test], y[~test])
    held = data[test]
    top = len(held) // 5

    def true_gain(score) -> float:
        return held.iloc[np.argsort(-np.asarray(score), kind="stable")[:top]][
            "true_purchased"].sum()

    by_uplift = true_gain(model.predict(X[test]))
    by_risk = true_gain(held["churn_risk"].fillna(0.0))
    # Contacting the top 20% the model picks gains far more purchases than contacting the
    # 20% most at risk, who include the lost causes.
    assert by_uplift > 1.5 * by_risk > 0
