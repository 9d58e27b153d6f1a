"""The bundled Hillstrom experiment is the published one."""

from __future__ import annotations

import pandas as pd


def test_sizes_types_and_categories(hillstrom):
    assert len(hillstrom) == 64_000
    assert hillstrom.columns.tolist() == [
        "recency", "history_segment", "history", "mens", "womens", "zip_code", "newbie",
        "channel", "segment", "visit", "conversion", "spend"]
    assert hillstrom["segment"].cat.categories.tolist() == [
        "No E-Mail", "Mens E-Mail", "Womens E-Mail"]
    assert hillstrom["zip_code"].cat.categories.tolist() == ["Urban", "Surburban", "Rural"]
    assert hillstrom["history_segment"].cat.ordered
    assert hillstrom["history_segment"].cat.categories[-1] == "7) $1,000 +"
    assert {str(hillstrom[c].dtype) for c in ("mens", "womens", "newbie")} == {"bool"}
    assert hillstrom["recency"].between(1, 12).all()
    # Everyone in the file had bought within the past twelve months.
    assert hillstrom["history"].min() == 29.99
    # A conversion is a purchase: spend is positive exactly when conversion is 1.
    assert ((hillstrom["spend"] > 0) == (hillstrom["conversion"] == 1)).all()


def test_group_figures_are_the_published_ones(hillstrom):
    groups = hillstrom.groupby("segment", observed=True).agg(
        customers=("visit", "size"), visits=("visit", "sum"),
        buyers=("conversion", "sum"), spend=("spend", "sum"))
    # Counted from the file: customers, visitors, buyers and dollars per group.
    assert groups.loc["Mens E-Mail"].tolist() == [21_307, 3_894, 267, 30_311.69]
    assert groups.loc["Womens E-Mail"].tolist() == [21_387, 3_238, 189, 23_038.11]
    assert groups.loc["No E-Mail"].tolist() == [21_306, 2_262, 122, 13_908.33]
    rates = pd.DataFrame({
        "visit": (groups["visits"] / groups["customers"] * 100).round(2),
        "conversion": (groups["buyers"] / groups["customers"] * 100).round(2),
        "spend": (groups["spend"] / groups["customers"]).round(2)})
    # The README's figures: visit %, conversion %, spend per customer.
    assert rates.loc["Mens E-Mail"].tolist() == [18.28, 1.25, 1.42]
    assert rates.loc["Womens E-Mail"].tolist() == [15.14, 0.88, 1.08]
    assert rates.loc["No E-Mail"].tolist() == [10.62, 0.57, 0.65]


def test_each_call_returns_a_fresh_copy(hillstrom):
    from tenure.datasets import load_hillstrom

    first = load_hillstrom()
    first.loc[0, "spend"] = -1.0
    assert load_hillstrom().loc[0, "spend"] == 0.0
