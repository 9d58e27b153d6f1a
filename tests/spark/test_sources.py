"""The contract tables read on Spark: the same rows set aside, for the same reasons, as
ingest sets aside in a workspace."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tenure.spark
from tenure.errors import ConfigError
from tenure.spark import read_tables
from tenure.workspace import Workspace

TODAY = dt.date(2025, 1, 1)

# A shop's export with its own headers (mapped by a mapping file) and a row of each fault:
MAPPING = """
[columns]
"订单号" = "order_id"
"客户编号" = "customer_id"
"下单时间" = "ordered_at"
"实付金额" = "amount"
"订单状态" = "status"
"店铺" = ""

[[filter]]
column = "店铺"
in = ["旗舰店"]
reason = "other shops are booked elsewhere"
"""
ROWS = [
    # order, customer, ordered_at, amount, status, shop
    ("O1", "C1", "2024-03-01 10:00", 100.0, "paid", "旗舰店"),        # valid
    ("O2", None, "2024-03-02 10:00", 50.0, "paid", "旗舰店"),         # missing_required
    ("O3", "C2", "1950-01-01 10:00", 70.0, "paid", "旗舰店"),         # out_of_range
    ("O4", "C2", "2024-03-04 10:00", float("inf"), "paid", "旗舰店"),  # invalid_value: inf
    ("1.2E+10", "C3", "2024-03-05 10:00", 20.0, "paid", "旗舰店"),    # invalid_value: rounded id
    ("O6", "C3", "2024-03-06 10:00", 10.0, "paid", "旗舰店"),         # duplicate_key: two
    ("O6", "C3", "2024-03-06 10:00", 11.0, "paid", "旗舰店"),         #   copies that disagree
    ("O7", "C4", "2024-03-07 10:00", 30.0, "paid", "旗舰店"),         # exact copies: merged
    ("O7", "C4", "2024-03-07 10:00", 30.0, "paid", "旗舰店"),
    ("O8", "C4", "2024-03-08 10:00", 30.0, "cancelled", "旗舰店"),    # excluded by status
    ("O9", "C4", "2024-03-09 10:00", 30.0, "refunded", "旗舰店"),     # valid, a refund (-30)
    ("O10", "C5", "2024-03-10 10:00", 40.0, "paid", "分店"),          # excluded by the filter
    (None, None, None, None, None, "旗舰店"),                         # blank
]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lake")
    frame = pd.DataFrame(ROWS, columns=["订单号", "客户编号", "下单时间", "实付金额", "订单状态",
                                        "店铺"])
    frame["下单时间"] = pd.to_datetime(frame["下单时间"])
    # Microseconds: Spark refuses nanosecond Parquet timestamps.
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                   folder / "orders.parquet", coerce_timestamps="us")
    (folder / "orders.toml").write_text(MAPPING, encoding="utf-8")
    return folder


def test_bad_rows_are_set_aside_as_ingest_sets_them_aside(shop, spark, tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    ingested = ws.ingest("orders", shop / "orders.parquet", shop / "orders.toml")
    engine = tenure.spark.connect(spark, ws.config)
    report = read_tables(engine, {"orders": str(shop / "orders.parquet")},
                         mappings={"orders": str(shop / "orders.toml")},
                         quarantine=str(tmp_path / "quarantine"),
                         today=TODAY)
    (count,) = report.counts
    assert count.read == ingested.rows_read == 13
    assert count.quarantined == ingested.quarantined == 6  # O2, O3, O4, 1.2E+10, O6 twice
    assert count.problems == ingested.problems
    assert count.problems == {"duplicate_key": 2, "invalid_value": 2, "missing_required": 1,
                              "out_of_range": 1}
    assert count.excluded == ingested.exclusions  # O8 by its status, O10 by the filter
    assert count.merged == ingested.duplicates_merged == 1  # O7's copy
    assert count.blank == ingested.blank_rows == 1
    assert count.valid == ingested.landed == 3  # O1, O7, O9
    # The same rows land, O9 as a refund.
    landed = ws.table("orders").select("order_id", "customer_id", "ordered_at", "amount")
    on_spark = engine.table("orders").select("order_id", "customer_id", "ordered_at", "amount")
    assert (engine.backend.execute(on_spark.order_by("order_id")).to_dict("list")
            == landed.order_by("order_id").execute().to_dict("list"))
    # Each quarantined row is written with its reason.
    written = spark.read.parquet(str(tmp_path / "quarantine" / "orders")).toPandas()
    assert sorted(written["reason"]) == sorted(
        ["duplicate_key"] * 2 + ["invalid_value"] * 2 + ["missing_required", "out_of_range"])
    assert set(written.loc[written.reason == "out_of_range", "order_id"]) == {"O3"}
    assert "orders: 13 read, 3 valid, 6 quarantined" in report.lines()[0]
    ws.close()


def test_a_path_that_does_not_exist_is_named(spark, tmp_path):
    engine = tenure.spark.connect(spark)
    with pytest.raises(ConfigError, match="not found"):
        read_tables(engine, {"orders": str(tmp_path / "nowhere")}, quarantine=str(tmp_path))
