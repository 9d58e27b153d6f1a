"""The simulator: contract-conformant tables and ground truth that matches its parameters."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.compute as pc
import pytest

from tenure import Workspace
from tenure.config import set_value
from tenure.contract import LOAD_ORDER, TABLES
from tenure.simulate import BusinessParams, simulate_business, write_business


def test_same_seed_same_business_other_seed_other_business():
    a, b = simulate_business(500, seed=3), simulate_business(500, seed=3)
    c = simulate_business(500, seed=4)
    assert all(a.tables[t].equals(b.tables[t]) for t in a.tables)
    assert not a.tables["orders"].equals(c.tables["orders"])


def test_every_table_lands_clean_with_strict_references(tmp_path, small_business):
    # A round trip through the real ingest: every simulated row satisfies the contract,
    # every reference points at a row ingested before it.
    ws = Workspace.init(tmp_path / "w", timezone="Asia/Shanghai")
    set_value(ws.path / "tenure.toml", "ingest.strict_references", "true")
    ws.close()
    with Workspace(tmp_path / "w") as ws:
        for name in LOAD_ORDER:
            report = ws.ingest(name, small_business / f"{name}.parquet")
            assert report.quarantined == 0, (name, ws.quarantine(name).head())
            assert report.landed == report.rows_read > 0, name
    assert set(LOAD_ORDER) == set(TABLES)


def test_csv_output_lands_the_same_as_parquet(tmp_path):
    business = simulate_business(300, seed=5)
    write_business(business, tmp_path / "csv", fmt="csv")
    with Workspace.init(tmp_path / "w") as ws:
        for name in ("customers", "orders", "tickets"):
            report = ws.ingest(name, tmp_path / "csv" / f"{name}.csv")
            assert (report.landed, report.quarantined) == (business.tables[name].num_rows, 0)


def test_purchase_and_spend_follow_the_stated_distributions():
    # With no covariate effects the purchase rate is Gamma(r, alpha) and the mean spend per
    # order is p / nu with nu ~ Gamma(q, gamma); the sample means sit near the truth.
    params = BusinessParams(purchase_coefficients={}, dropout_coefficients={})
    business = simulate_business(40_000, seed=8, params=params)
    latent = business.latent.to_pandas()
    rate_mean = params.r / params.alpha
    rate_sd = np.sqrt(params.r) / params.alpha / np.sqrt(len(latent))
    assert abs(latent.purchase_rate.mean() - rate_mean) < 4 * rate_sd
    # E[p / nu] = p * gamma / (q - 1).
    assert latent.expected_spend.mean() == pytest.approx(
        params.p * params.gamma / (params.q - 1), rel=0.03)
    orders = business.tables["orders"].to_pandas()
    sales = orders[orders.amount > 0]
    assert sales.amount.mean() == pytest.approx(params.p * params.gamma / (params.q - 1),
                                                rel=0.05)


def test_nobody_buys_after_their_death_and_the_dead_are_counted():
    business = simulate_business(5_000, seed=9)
    latent = business.latent.to_pandas().set_index("customer_id")
    orders = business.tables["orders"].to_pandas()
    sales = orders[orders.amount > 0].join(latent, on="customer_id")
    dead = sales.death_at.notna()
    assert (sales.ordered_at[dead] <= sales.death_at[dead] + np.timedelta64(1, "s")).all()
    assert latent.alive_at_end.equals(latent.death_at.isna())
    causes = latent.death_cause.value_counts()
    assert set(causes.index) == {"none", "natural", "service", "handover"}
    assert causes["natural"] > causes["service"] > 0 and causes["handover"] > 0
    # Every first purchase is the customer's first_seen.
    customers = business.tables["customers"].to_pandas().set_index("customer_id")
    first = orders.groupby("customer_id").ordered_at.min()
    assert (first == customers.first_seen.loc[first.index]).all()


def test_referrers_came_first_and_ids_are_customers():
    business = simulate_business(3_000, seed=2)
    customers = business.tables["customers"].to_pandas().set_index("customer_id")
    referred = customers[customers.referrer_id.notna()]
    assert len(referred) > 100
    assert set(referred.acquisition_channel) == {"referral"}
    assert (customers.first_seen.loc[referred.referrer_id].values
            <= referred.first_seen.values).all()


def test_bgnbd_process_and_memberships():
    business = simulate_business(4_000, seed=6, params=BusinessParams(process="bgnbd"))
    assert "dropout_probability" in business.latent.column_names
    members = business.tables["memberships"].to_pandas()
    assert set(members.tier) == {"silver", "gold"}
    assert (members.ended_at.dropna() > members.started_at[members.ended_at.notna()]).all()
    theta = pc.drop_null(business.latent.column("membership_churn_probability"))
    assert len(theta) == len(members)


def test_truth_is_saved_beside_the_data(tmp_path):
    business = simulate_business(200, seed=1)
    write_business(business, tmp_path)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert (truth["n_customers"], truth["seed"], truth["process"]) == (200, 1, "pnbd")
    assert truth["tiers"]["gold"]["fee"] == 299.0


def test_bad_parameters():
    from tenure import TenureError

    with pytest.raises(TenureError, match="process 'x' is not known"):
        BusinessParams(process="x")
    with pytest.raises(TenureError, match="must be at least 1"):
        simulate_business(0)
