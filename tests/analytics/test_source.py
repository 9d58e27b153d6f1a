"""What the analyses accept as input, and the one-line errors for what they do not."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from tenure.analytics import cohort_retention
from tenure.errors import InputError

ORDERS = pd.DataFrame({"order_id": ["1", "2", "3"], "customer_id": ["a", "a", "b"],
                       "ordered_at": ["2024-01-05", "2024-02-10 08:30", "2024-01-20"],
                       "amount": [10.0, 5.0, 7.0]})


def sizes(result) -> list[int]:
    return result.frame[result.frame["age"] == 0]["customers"].tolist()


def test_text_times_in_iso_form_and_other_table_kinds_are_read():
    # ISO text, an Arrow table and a Polars frame give the same cohorts: a and b in January.
    assert sizes(cohort_retention(ORDERS)) == [2]
    assert sizes(cohort_retention(pa.Table.from_pandas(ORDERS))) == [2]
    assert sizes(cohort_retention(pl.from_pandas(ORDERS))) == [2]


def test_an_ibis_table_from_a_workspace_is_used_as_it_is(workspace):
    workspace.ingest("orders", ORDERS)
    orders = workspace.table("orders")
    result = cohort_retention(orders.filter(orders.customer_id == "a"))
    assert sizes(result) == [1]  # only a


def test_bad_input_errors():
    with pytest.raises(InputError, match="could not read ordered_at as timestamps"):
        cohort_retention(ORDERS.assign(ordered_at=["2024/13/45", "x", "y"]))
    with pytest.raises(InputError, match=r"orders, row 1, column 'customer_id': customer_id "
                                         r"is required and is empty"):
        cohort_retention(ORDERS.assign(customer_id=["a", None, "b"]))
    with pytest.raises(InputError, match="'order' is not a table name"):
        cohort_retention({"order": ORDERS})
    with pytest.raises(InputError, match="the orders table is a list"):
        cohort_retention([1, 2, 3])
    with pytest.raises(InputError, match="timezone 'Mars/Base' is not a time zone name"):
        cohort_retention(ORDERS, timezone="Mars/Base")
    with pytest.raises(InputError, match="start '31/31/2024' is not a date"):
        cohort_retention(ORDERS, start="31/31/2024")


def test_a_workspace_keeps_its_own_time_zone(workspace):
    workspace.ingest("orders", ORDERS)
    with pytest.raises(InputError, match="differs from the workspace's 'Asia/Shanghai'"):
        cohort_retention(workspace, timezone="UTC")


def test_chinese_dates_and_period_names():
    result = cohort_retention(ORDERS, period="季度", start="2024年1月1日", end="2024年3月31日")
    assert result.period == "quarter"
    assert result.as_of.isoformat() == "2024-03-31"
