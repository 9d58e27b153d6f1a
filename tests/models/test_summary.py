"""rfm_summary on tiny hand-made order tables and on CDNOW, run by the real engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import tenure
from tenure.errors import ConfigError, InputError
from tenure.models import BetaGeo, GammaGamma, ModelWarning, discrete_summary, rfm_summary


def orders(rows):
    return pd.DataFrame(rows, columns=["customer_id", "ordered_at", "amount"]).assign(
        ordered_at=lambda f: pd.to_datetime(f.ordered_at))


TINY = orders([
    # a: first on Jan 1; two orders on Jan 3 are one purchase of 30; Jan 8 buys 50.
    ("a", "2024-01-01 09:00", 10.0),
    ("a", "2024-01-03 10:00", 20.0),
    ("a", "2024-01-03 18:00", 10.0),
    ("a", "2024-01-08 12:00", 50.0),
    # b: one purchase only.
    ("b", "2024-01-05 08:00", 99.0),
    # c: buys 40 on Jan 2, refunds 15 on Jan 4 (joins the Jan 2 purchase), buys 5 on Jan 9.
    ("c", "2024-01-01 08:00", 7.0),
    ("c", "2024-01-02 08:00", 40.0),
    ("c", "2024-01-04 08:00", -15.0),
    ("c", "2024-01-09 08:00", 5.0),
    # d: first buys after the end of the window, so is not in it.
    ("d", "2024-01-11 08:00", 12.0),
])


def test_tiny_summary_in_days():
    s = rfm_summary(TINY, observation_end="2024-01-10", unit="D").set_index("customer_id")
    assert list(s.index) == ["a", "b", "c"]  # d first bought after the window
    # a: purchase days Jan 1, 3, 8 -> 2 repeats; last - first = 7 days; T = Jan 10 - Jan 1.
    assert s.loc["a", ["frequency", "recency", "T"]].tolist() == [2, 7.0, 9.0]
    # a: repeat spend (30 + 50) / 2 = 40.
    assert s.loc["a", "monetary_value"] == pytest.approx(40.0)
    # b: no repeat; T = Jan 10 - Jan 5 = 5 days; no repeat spend.
    assert s.loc["b", ["frequency", "recency", "T", "monetary_value"]].tolist() == [0, 0, 5, 0]
    # c: purchase days Jan 1, 2, 9 (Jan 4 is a refund, not a purchase) -> 2 repeats,
    # recency Jan 9 - Jan 1 = 8; repeat spend ((40 - 15) + 5) / 2 = 15.
    assert s.loc["c", ["frequency", "recency", "T"]].tolist() == [2, 8.0, 9.0]
    assert s.loc["c", "monetary_value"] == pytest.approx(15.0)


def test_tiny_summary_in_weeks_with_holdout():
    s = rfm_summary(TINY, observation_end="2024-01-15", unit="W",
                    calibration_end="2024-01-04").set_index("customer_id")
    # Calibration to Jan 4: a has Jan 1 and Jan 3 -> 1 repeat, recency 2 days = 2/7 weeks.
    assert s.loc["a", "frequency"] == 1
    assert s.loc["a", "recency"] == pytest.approx(2 / 7)
    assert s.loc["a", "T"] == pytest.approx(3 / 7)
    assert s.loc["a", "monetary_value"] == pytest.approx(30.0)
    # Holdout: a buys 50 on Jan 8.
    assert s.loc["a", ["frequency_holdout", "monetary_value_holdout"]].tolist() == [1, 50.0]
    # c in calibration: Jan 1 and Jan 2 (the Jan 4 refund is known by then: 40 - 15 = 25).
    assert s.loc["c", ["frequency", "monetary_value"]].tolist() == [1, 25.0]
    assert s.loc["c", ["frequency_holdout", "monetary_value_holdout"]].tolist() == [1, 5.0]
    # b and d first bought after the calibration end: not in the calibration cohort.
    assert sorted(s.index) == ["a", "c"]
    # Holdout length: Jan 4 to Jan 15 = 11 days.
    assert s["duration_holdout"].tolist() == pytest.approx([11 / 7, 11 / 7])


def test_refund_after_calibration_does_not_reach_back():
    rows = orders([("a", "2024-01-01", 10.0), ("a", "2024-01-02", 40.0),
                   ("a", "2024-01-06", -40.0)])
    s = rfm_summary(rows, observation_end="2024-01-10", calibration_end="2024-01-03")
    # The Jan 6 refund was not known at the calibration end: the repeat spend stays 40, and
    # the holdout has no purchase.
    assert s.monetary_value.tolist() == [40.0]
    assert s.frequency_holdout.tolist() == [0]


def test_cdnow_sample_matches_the_papers_counts():
    s = rfm_summary(tenure.datasets.load_cdnow(kind="sample"), observation_end="1998-06-30",
                    unit="W", calibration_end="1997-09-30")
    # Fader, Hardie & Lee (2005): 2,357 customers, 2,457 repeat purchases in the 39-week
    # calibration period, 1,882 in the 39-week holdout, and 1,411 without a repeat purchase.
    assert len(s) == 2357
    assert s.frequency.sum() == 2457
    assert s.frequency_holdout.sum() == 1882
    assert (s.frequency == 0).sum() == 1411
    # Customer 1 (lifetimes' cdnow_customers): x = 2, t_x = 30.43, T = 38.86 weeks.
    one = s.set_index("customer_id").loc["1"]
    assert (one.frequency, round(one.recency, 2), round(one["T"], 2)) == (2, 30.43, 38.86)


def test_workspace_gives_the_same_summary_as_the_frame(workspace):
    cdnow = tenure.datasets.load_cdnow(kind="sample")
    workspace.ingest("orders", cdnow)
    from_ws = rfm_summary(workspace, observation_end="1997-09-30", unit="W")
    from_frame = rfm_summary(cdnow, observation_end="1997-09-30", unit="W")
    pd.testing.assert_frame_equal(from_ws, from_frame)


def test_discrete_summary_counts_opportunities():
    d = discrete_summary(TINY, observation_end="2024-01-15", unit="W").set_index("customer_id")
    # a: first Jan 1; Jan 3 is in week 0, Jan 8 in week 1 -> 1 opportunity with a purchase,
    # the last in week 1; Jan 15 is 14 days on -> 2 opportunities have passed.
    assert d.loc["a", ["frequency", "recency", "n_periods"]].tolist() == [1, 1, 2]


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"observation_end": "2024-13-01"}, ConfigError, "not a date"),
    ({"observation_end": "2024-01-10", "unit": "Q"}, ConfigError, "unit 'Q'"),
    ({"observation_end": "2024-01-10", "calibration_end": "2024-02-01"}, ConfigError,
     "must come before"),
])
def test_bad_arguments_are_one_line_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        rfm_summary(TINY, **kwargs)


def test_missing_columns_are_named():
    with pytest.raises(InputError, match="amount"):
        rfm_summary(TINY.drop(columns=["amount"]), observation_end="2024-01-10")


def reference_summary(frame, observation_end, calibration_end, days):
    """The summary's rules written out plainly in pandas, as a check on the engine's query:
    purchase days numbered in order, each refund-only day netted into the purchase day
    before it, the calibration spend counting only what was known by its end."""
    end, cal = pd.Timestamp(observation_end), pd.Timestamp(calibration_end)
    f = frame.assign(day=frame.ordered_at.dt.normalize())
    f = f[f.day <= end]
    per_day = (f.assign(buys=f.amount >= 0).groupby(["customer_id", "day"], as_index=False)
               .agg(buys=("buys", "any"), spend=("amount", "sum")))
    per_day["known"] = per_day.spend.where(per_day.day <= cal, 0.0)
    per_day["no"] = per_day.groupby("customer_id").buys.cumsum()
    per_day = per_day[per_day.no > 0]
    purchases = per_day.groupby(["customer_id", "no"], as_index=False).agg(
        day=("day", "min"), spend=("spend", "sum"), known=("known", "sum"))
    inside = purchases[purchases.day <= cal]
    after = purchases[purchases.day > cal]
    out = inside.groupby("customer_id").agg(first=("day", "min"), last=("day", "max"),
                                            n=("no", "size"))
    out["frequency"] = out.n - 1
    out["recency"] = (out["last"] - out["first"]).dt.days / days
    out["T"] = (cal - out["first"]).dt.days / days
    repeat = inside[inside.no > 1].groupby("customer_id").known.sum()
    out["monetary_value"] = (repeat.reindex(out.index, fill_value=0.0)
                             / out.frequency.where(out.frequency > 0)).fillna(0.0)
    held = after.groupby("customer_id").agg(n=("no", "size"), spend=("spend", "sum"))
    out["frequency_holdout"] = held.n.reindex(out.index, fill_value=0)
    out["monetary_value_holdout"] = (held.spend.reindex(out.index, fill_value=0.0)
                                     / out.frequency_holdout.where(out.frequency_holdout > 0)
                                     ).fillna(0.0)
    return out.drop(columns=["first", "last", "n"]).sort_index()


def random_orders(seed: int, n: int = 20_000) -> pd.DataFrame:
    """``n`` orders of 3,000 customers over 200 days, about a fifth of them refunds."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": rng.integers(0, 3000, n).astype(str),
        "ordered_at": (pd.Timestamp("2024-01-01")
                       + pd.to_timedelta(rng.integers(0, 200 * 86400, n), unit="s")),
        "amount": np.round(rng.normal(30, 40, n), 2),
    })


@pytest.mark.parametrize("unit", ["D", "W"])
def test_summary_follows_its_rules_on_random_orders_with_many_refunds(unit):
    # 20,000 orders of 3,000 customers over 200 days, about a fifth of them refunds, many on
    # the same day as a purchase or before any purchase: every netting rule is exercised.
    frame = random_orders(seed=5)
    assert 0.15 < (frame.amount < 0).mean() < 0.3
    s = rfm_summary(frame, observation_end="2024-06-30", unit=unit,
                    calibration_end="2024-03-31").set_index("customer_id").sort_index()
    expected = reference_summary(frame, "2024-06-30", "2024-03-31", 7 if unit == "W" else 1)
    assert s.index.tolist() == expected.index.tolist()
    for column in expected.columns:
        np.testing.assert_allclose(s[column].to_numpy(float),
                                   expected[column].to_numpy(float), rtol=1e-12, atol=1e-9,
                                   err_msg=column)


def test_summary_without_holdout_nets_refunds_by_the_same_rules():
    # The same random orders, no calibration split: every purchase day is a calibration
    # day, and the holdout-free query must give what the rules give with the split at the
    # end of the window.
    frame = random_orders(seed=11)
    s = rfm_summary(frame, observation_end="2024-06-30", unit="D").set_index("customer_id")
    expected = reference_summary(frame, "2024-06-30", "2024-06-30", 1)
    assert s.index.tolist() == expected.index.tolist()
    assert (s.frequency > 0).sum() > 2000
    for column in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(s[column].to_numpy(float),
                                   expected[column].to_numpy(float), rtol=1e-12, atol=1e-9,
                                   err_msg=column)


# Customer a: Monday 1 Jan 2024 09:10 ($10), Wednesday 3 Jan 18:00 ($20) and 18:40 ($5),
# Thursday 15 Feb 07:00 ($40). Customer b: 31 Jan 10:00 ($8) and a $3 refund at 12:00.
# The window ends on Sunday 10 March 2024.
PERIODS = pd.DataFrame({
    "customer_id": ["a", "a", "a", "a", "b", "b"],
    "ordered_at": pd.to_datetime(["2024-01-01 09:10", "2024-01-03 18:00", "2024-01-03 18:40",
                                  "2024-02-15 07:00", "2024-01-31 10:00", "2024-01-31 12:00"]),
    "amount": [10.0, 20.0, 5.0, 40.0, 8.0, -3.0],
})


@pytest.mark.parametrize(("unit", "a", "b_T"), [
    # Days: purchase days 1 Jan, 3 Jan, 15 Feb: x = 2, t_x = 45, T = 69; spend (25 + 40) / 2.
    ("D", (2, 45.0, 69.0, 32.5), 39.0),
    # Calendar weeks: 1 and 3 Jan share the week of 1 Jan; 15 Feb is in the week of 12 Feb,
    # 6 weeks on; 10 March is in the week of 4 March, 9 weeks on. Spend: the $40 week.
    ("CW", (1, 6.0, 9.0, 40.0), 5.0),
    # Calendar months: January, then February; March is 2 months after January.
    ("M", (1, 1.0, 2.0, 40.0), 2.0),
    # Hours: 09:00 on 1 Jan, 18:00 on 3 Jan (two orders, one purchase), 07:00 on 15 Feb:
    # t_x = 45 days less 2 hours = 1078 h; T runs to 23:00 on 10 March: 69 days + 14 h.
    ("H", (2, 1078.0, 1670.0, 32.5), 949.0),
])
def test_calendar_units_and_hours(unit, a, b_T):
    s = tenure.rfm_summary(PERIODS, observation_end="2024-03-10", unit=unit).set_index(
        "customer_id")
    assert tuple(s.loc["a", ["frequency", "recency", "T", "monetary_value"]]) == a
    assert s.loc["b", "T"] == b_T and s.loc["b", "frequency"] == 0


def test_calendar_weeks_with_a_holdout():
    s = tenure.rfm_summary(PERIODS, observation_end="2024-03-10", unit="CW",
                           calibration_end="2024-01-31").set_index("customer_id")
    # Calibration to Wednesday 31 Jan (the week of 29 Jan): a bought in one week of it; the
    # week of 12 Feb is a holdout purchase; the holdout runs from the week of 29 Jan to that
    # of 4 March, 5 weeks.
    assert tuple(s.loc["a", ["frequency", "frequency_holdout", "duration_holdout"]]) == (0, 1,
                                                                                          5.0)


def test_including_the_first_purchase_is_for_spend_models_only():
    s = tenure.rfm_summary(PERIODS, observation_end="2024-03-10", unit="D",
                           include_first=True).set_index("customer_id")
    # a: three purchase days, $75 in all; b: one, $8 less the $3 refund.
    assert tuple(s.loc["a", ["frequency", "monetary_value"]]) == (3, 25.0)
    assert tuple(s.loc["b", ["frequency", "monetary_value"]]) == (1, 5.0)
    assert tuple(s.loc["a", ["recency", "T"]]) == (45.0, 69.0)  # unchanged
    with pytest.raises(InputError, match="include_first"):
        BetaGeo().fit(s.reset_index())
    # Both customers now have spend values (two customers pin nothing down: it warns).
    with pytest.warns(ModelWarning):
        assert GammaGamma().fit(s.reset_index()).n_customers_ == 2


# -- the compiled summary: SQL compiled once, kept, and run without Ibis -------------------
def _through_ibis(frame, **options) -> pd.DataFrame:
    from tenure.engine._rfm import _frame, rfm_expression

    out = _frame(rfm_expression(frame, **options).order_by("customer_id").to_pyarrow())
    for column in ("frequency", "frequency_holdout"):
        if column in out:
            out[column] = out[column].astype(np.int64)
    return out.reset_index(drop=True)


@pytest.mark.parametrize("options", [
    {"observation_end": "2024-06-30", "unit": "D"},
    {"observation_end": "2024-06-30", "unit": "W", "calibration_end": "2024-03-31"},
    {"observation_end": "2024-06-30", "unit": "CW", "calibration_end": "2024-03-31"},
    {"observation_end": "2024-06-30", "unit": "M", "include_first": True},
    {"observation_end": "2024-06-30", "unit": "H"},
])
@pytest.mark.parametrize("ids", ["text", "integer", "arrow"])
def test_the_compiled_summary_is_the_expressions(options, ids, tmp_path,
                                                                 monkeypatch):
    monkeypatch.setenv("TENURE_CACHE_DIR", str(tmp_path))
    frame = random_orders(seed=8)
    if ids != "text":
        frame = frame.assign(customer_id=frame.customer_id.astype(np.int64))
    given = pa.Table.from_pandas(frame, preserve_index=False) if ids == "arrow" else frame
    compiled = rfm_summary(given, **options)  # compiles and keeps the query
    assert len(list((tmp_path / "sql").glob("*.sql"))) == 1
    again = rfm_summary(given, **options)  # reads it back
    expected = _through_ibis(frame, **options)
    # Ids and counts exactly; sums to their rounding (a parallel sum may add up in another
    # order from one run of the same query to the next).
    for got in (compiled, again):
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, atol=1e-9)
        assert got.customer_id.tolist() == expected.customer_id.tolist()
        assert got.frequency.tolist() == expected.frequency.tolist()


def test_a_kept_query_is_run_without_importing_ibis(tmp_path):
    import subprocess
    import sys

    TINY.to_parquet(tmp_path / "orders.parquet")
    script = ("import sys, pandas as pd, tenure\n"
              f"o = pd.read_parquet({str(tmp_path / 'orders.parquet')!r})\n"
              "s = tenure.rfm_summary(o, observation_end='2024-01-10', unit='D')\n"
              "print(int(s.frequency.sum()), 'ibis' in sys.modules)\n")
    env = {**__import__("os").environ, "TENURE_CACHE_DIR": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env=env, check=True).stdout.split() for _ in range(2)]
    # a 2 + c 2 repeat purchase days; the first run compiles, the second only reads.
    assert runs == [["4", "True"], ["4", "False"]]


@pytest.mark.parametrize("cache", ["off", "unwritable"])
def test_without_a_cache_the_summary_is_compiled_each_time(cache, tmp_path, monkeypatch):
    if cache == "unwritable":
        (tmp_path / "file").write_text("a file where the cache folder would be")
        monkeypatch.setenv("TENURE_CACHE_DIR", str(tmp_path / "file"))
    else:
        monkeypatch.setenv("TENURE_CACHE_DIR", "off")
    s = rfm_summary(TINY, observation_end="2024-01-10", unit="D")
    assert s.frequency.tolist() == [2, 0, 2]


def test_inputs_the_compiled_summary_does_not_take_keep_their_checks():
    # Time zones, and dates as text, go through the expression and its one-line errors.
    zoned = TINY.assign(ordered_at=TINY.ordered_at.dt.tz_localize("Asia/Shanghai"))
    assert rfm_summary(zoned, observation_end="2024-01-10", unit="D").frequency.tolist() == [
        2, 0, 2]
    with pytest.raises(InputError, match="ordered_at is string"):
        rfm_summary(TINY.assign(ordered_at=TINY.ordered_at.astype(str)),
                    observation_end="2024-01-10")
    with pytest.raises(ConfigError, match="observation_end 'soon' is not a date"):
        rfm_summary(TINY, observation_end="soon")
