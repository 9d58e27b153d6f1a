"""Ingest: quarantine reasons, formats, encodings, mappings, idempotence and updates."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest_helpers import held as _held
from ingest_helpers import nothing_written as _nothing_written
from ingest_helpers import rows as _rows
from tenure import InputError
from tenure.errors import ConfigError
from tenure.io import Mapping

ORDERS = "order_id,customer_id,ordered_at,amount\n"




def _accounted(report) -> int:
    return (report.blank_rows + report.landed + report.updated + report.unchanged
            + report.duplicates_merged + report.quarantined)


def test_every_row_is_accounted_for(workspace, write):
    path = write("orders.csv", ORDERS
                 + "A1,C1,2024-01-05,10\n"      # line 2: lands
                 + "A2,C1,2024-01-06,x\n"       # line 3: amount unreadable
                 + ",,,\n"                      # line 4: blank
                 + "A1,C1,2024-01-05,10\n"      # line 5: exact copy of line 2, merged
                 + "A3,,2024-01-07,5\n"         # line 6: customer missing
                 + "A4,C2,2024-01-08,7,extra\n"  # line 7: one field too many
                 + "A5,C2,2024-01-09,8\n")      # line 8: lands
    report = workspace.ingest("orders", path)
    assert (report.rows_read, report.landed, report.quarantined, report.duplicates_merged,
            report.blank_rows) == (7, 2, 3, 1, 1)
    assert _accounted(report) == report.rows_read
    assert _held(workspace) == [(3, "amount", "unparseable"),
                                    (6, "customer_id", "missing_required"),
                                    (7, None, "malformed_row")]
    assert _rows(workspace, "SELECT order_id FROM orders ORDER BY 1") == [("A1",), ("A5",)]


def test_rows_after_a_malformed_line_keep_their_line_numbers(workspace, write):
    path = write("orders.csv", ORDERS
                 + "A1,C1,2024-01-05\n"         # line 2: a field short
                 + "A2,C1,2024-01-05,1,2\n"     # line 3: a field too many
                 + "A3,C1,2024-01-05,1\n"       # line 4: fine
                 + "A4,C1,2024-01-05,zz\n")     # line 5: amount unreadable
    workspace.ingest("orders", path)
    assert _held(workspace) == [(2, None, "malformed_row"), (3, None, "malformed_row"),
                                    (5, "amount", "unparseable")]


def test_conflicting_duplicates_all_go_to_quarantine(workspace, write):
    path = write("orders.csv", ORDERS
                 + "A1,C1,2024-01-05,10\n"   # line 2
                 + "A1,C1,2024-01-05,12\n"   # line 3: same key, another amount
                 + "A2,C1,2024-01-05,3\n")   # line 4
    report = workspace.ingest("orders", path)
    assert report.landed == 1
    assert _held(workspace) == [(2, "order_id", "duplicate_key"),
                                    (3, "order_id", "duplicate_key")]
    message = workspace.quarantine().iloc[0].message
    assert message == ("order_id 'A1' appears on rows 2, 3 with different values; keep one "
                       "of them")


def test_allowed_values_ranges_and_rules(workspace, write):
    tickets = write("tickets.csv", "ticket_id,customer_id,opened_at,first_response_at,csat\n"
                    "T1,C1,2024-01-05 10:00,2024-01-05 11:00,5\n"    # line 2: fine
                    "T2,C1,2024-01-05 10:00,2024-01-05 09:00,4\n"    # line 3: reply before open
                    "T3,C1,2024-01-05 10:00,,7\n")                  # line 4: csat above 5
    workspace.ingest("tickets", tickets)
    assert _held(workspace) == [(3, "first_response_at", "inconsistent"),
                                    (4, "csat", "invalid_value")]
    reasons = write("reasons.csv", "customer_id,at,code,side\n"
                    "C1,2024-02-01,moved,客户\n"        # line 2: Chinese for customer
                    "C2,2024-02-01,bugs,PRODUCT\n"     # line 3: any case
                    "C3,2024-02-01,bugs,supplier\n")   # line 4: not a side
    workspace.ingest("churn_reasons", reasons)
    assert _rows(workspace, "SELECT customer_id, side FROM churn_reasons ORDER BY 1") == [
        ("C1", "customer"), ("C2", "product")]
    held = workspace.quarantine("churn_reasons").iloc[0]
    assert (held["row"], held.reason, held.message) == (
        4, "invalid_value", "'supplier' is not one of customer, product")


def test_funnel_stages_come_from_the_settings(workspace, write):
    path = write("leads.csv", "lead_id,stage,entered_at\nL1,mql,2024-01-01\nL1,Demo,2024-01-02\n")
    workspace.ingest("leads", path)
    assert _rows(workspace, "SELECT stage FROM leads") == [("MQL",)]  # canonical spelling
    assert _held(workspace) == [(3, "stage", "invalid_value")]


def test_spreadsheet_rounded_ids_are_refused(workspace, write):
    path = write("orders.csv", ORDERS + "6.02214E+23,C1,2024-01-05,1\n")
    workspace.ingest("orders", path)
    assert _held(workspace) == [(2, "order_id", "invalid_value")]


def test_strict_references(tmp_path, write):
    from tenure import Workspace
    from tenure.config import set_value

    ws = Workspace.init(tmp_path / "strict")
    set_value(ws.path / "tenure.toml", "ingest.strict_references", "true")
    ws.close()
    with Workspace(tmp_path / "strict") as ws:
        ws.ingest("customers", write("c.csv", "customer_id,referrer_id\nC1,\nC2,C1\nC3,C9\n"))
        report = ws.ingest("orders", write("o.csv", ORDERS + "A1,C1,2024-01-05,1\n"
                                                           "A2,C7,2024-01-05,1\n"))
        assert report.landed == 1
        # Listed by table: customers line 4 names referrer C9, who is nobody in the file or
        # before it; orders line 3 names C7, who is not a customer.
        assert _held(ws) == [(4, "referrer_id", "unknown_reference"),
                                 (3, "customer_id", "unknown_reference")]
        assert _rows(ws, "SELECT count(*) FROM customers") == [(2,)]


def test_same_file_twice_changes_nothing(workspace, write):
    path = write("orders.csv", ORDERS + "A1,C1,2024-01-05,10\nA2,C1,2024-01-06,bad\n")
    first = workspace.ingest("orders", path)
    before = _rows(workspace, "SELECT * FROM orders")
    second = workspace.ingest("orders", path)
    assert (first.landed, first.quarantined) == (1, 1)
    assert (second.landed, second.updated, second.unchanged, second.quarantined) == (0, 0, 1, 1)
    assert _rows(workspace, "SELECT * FROM orders") == before
    assert len(workspace.quarantine()) == 1  # not twice
    assert _rows(workspace, "SELECT count(*) FROM row_history") == [(0,)]


def test_changed_rows_update_and_keep_their_history(workspace, write):
    workspace.ingest("orders", write("a.csv", ORDERS + "A1,C1,2024-01-05,10\n"
                                                     "A2,C1,2024-01-06,20\n"))
    report = workspace.ingest("orders", write("b.csv", ORDERS + "A1,C1,2024-01-05,11\n"
                                                              "A2,C1,2024-01-06,20\n"
                                                              "A3,C2,2024-01-07,30\n"))
    assert (report.landed, report.updated, report.unchanged) == (1, 1, 1)
    assert _rows(workspace, "SELECT order_id, amount FROM orders ORDER BY 1") == [
        ("A1", 11.0), ("A2", 20.0), ("A3", 30.0)]
    key, previous = _rows(workspace, "SELECT key, previous FROM row_history")[0]
    assert key == '{"order_id":"A1"}'
    assert '"amount":10.0' in previous


def test_a_file_with_fewer_columns_keeps_the_others(workspace, write):
    workspace.ingest("customers", write("a.csv", "customer_id,name,segment\nC1,王伟,smb\n"))
    workspace.ingest("customers", write("b.csv", "customer_id,segment\nC1,enterprise\n"))
    assert _rows(workspace, "SELECT name, segment FROM customers") == [("王伟", "enterprise")]


def test_fixing_a_file_clears_its_quarantine(workspace, write):
    path = write("orders.csv", ORDERS + "A1,C1,2024-01-05,oops\n")
    workspace.ingest("orders", path)
    assert len(workspace.quarantine()) == 1
    path.write_text(ORDERS + "A1,C1,2024-01-05,9.5\n")
    report = workspace.ingest("orders", path)
    assert (report.landed, report.quarantined) == (1, 0)
    assert workspace.quarantine().empty


def test_gbk_file_with_chinese_headers_and_a_mapping_file(workspace, write, tmp_path):
    csv = write("订单.csv", "订单号,会员,付款日期,实付(元),备注\n"
                            "D001,张三,2024年1月5日 13:02,\"￥1,234.50\",首单\n"
                            "D002,李四,2024/1/6,￥88,\n", encoding="gbk")
    mapping = write("订单映射.toml", '[columns]\n"会员" = "customer_id"\n'
                    '"付款日期" = "ordered_at"\n"实付(元)" = "amount"\n\n'
                    '[options]\ntimezone = "Asia/Shanghai"\n')
    report = workspace.ingest("orders", csv, mapping)
    assert (report.encoding, report.landed) == ("gb18030", 2)
    assert report.columns == {"order_id": "订单号", "customer_id": "会员",
                              "ordered_at": "付款日期", "amount": "实付(元)"}
    assert report.ignored_columns == ("备注",)
    assert _rows(workspace, "SELECT order_id, customer_id, ordered_at, amount, currency "
                            "FROM orders ORDER BY 1") == [
        ("D001", "张三", datetime(2024, 1, 5, 13, 2), 1234.5, "CNY"),
        ("D002", "李四", datetime(2024, 1, 6), 88.0, "CNY")]


def test_utf8_with_bom_and_semicolons(workspace, write):
    path = write("orders.csv", "\ufefforder_id;customer_id;ordered_at;amount\nA1;C1;2024-01-05;"
                               "1.234,50\n")
    report = workspace.ingest("orders", path)
    assert report.encoding == "utf-8-sig"
    assert _rows(workspace, "SELECT amount FROM orders") == [(1234.5,)]


def test_title_rows_are_skipped(workspace, write):
    path = write("orders.csv", "2024年1月订单导出\n\n" + ORDERS + "A1,C1,2024-01-05,1\n"
                 "A2,C1,2024-01-05,x\n")
    workspace.ingest("orders", path, {"options": {"skip_rows": 2}})
    # Two title lines and the header come first: the bad row is line 5.
    assert _held(workspace) == [(5, "amount", "unparseable")]


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "json", "xlsx", "pandas", "polars", "arrow"])
def test_every_format(workspace, tmp_path, fmt):
    frame = pd.DataFrame({
        "order_id": ["A1", "A2", "A3"],
        "customer_id": ["C1", "C2", "C2"],
        "ordered_at": pd.to_datetime(["2024-01-05 10:00", "2024-01-06", "2024-01-07"],
                                     format="ISO8601"),
        "amount": [10.5, -3.0, None],   # the third amount is missing
    })
    source: object
    if fmt == "parquet":
        source = tmp_path / "o.parquet"
        frame.to_parquet(source)
    elif fmt == "jsonl":
        source = tmp_path / "o.jsonl"
        frame.to_json(source, orient="records", lines=True, date_format="iso")
    elif fmt == "json":
        source = tmp_path / "o.json"
        frame.to_json(source, orient="records", date_format="iso")
    elif fmt == "xlsx":
        source = tmp_path / "o.xlsx"
        frame.to_excel(source, index=False)
    elif fmt == "polars":
        import polars as pl

        source = pl.from_pandas(frame)
    elif fmt == "arrow":
        source = pa.Table.from_pandas(frame)
    else:
        source = frame
    report = workspace.ingest("orders", source)
    assert (report.rows_read, report.landed, report.quarantined) == (3, 2, 1)
    assert _rows(workspace, "SELECT order_id, ordered_at, amount FROM orders ORDER BY 1") == [
        ("A1", datetime(2024, 1, 5, 10), 10.5), ("A2", datetime(2024, 1, 6), -3.0)]
    # The third record: line 4 of a file with a header (and of an Excel sheet), line 3 of
    # JSON lines, record 3 of Parquet and frames.
    expected_row = {"xlsx": 4}.get(fmt, 3)
    assert _held(workspace) == [(expected_row, "amount", "missing_required")]


def test_excel_sheet_and_title_rows(workspace, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "说明"
    sheet = book.create_sheet("订单")
    sheet.append(["2024年订单"])
    sheet.append(["订单号", "客户编号", "下单时间", "实付金额"])
    sheet.append(["A1", "C1", datetime(2024, 1, 5, 9, 30), 99.5])
    sheet.append(["A2", "C1", "2024年1月6日", "¥12"])
    sheet.append(["A3", "C1", "never", 1])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    workspace.ingest("orders", path, {"options": {"sheet": "订单", "skip_rows": 1}})
    assert _rows(workspace, "SELECT order_id, ordered_at, amount FROM orders ORDER BY 1") == [
        ("A1", datetime(2024, 1, 5, 9, 30), 99.5), ("A2", datetime(2024, 1, 6), 12.0)]
    assert _held(workspace) == [(5, "ordered_at", "unparseable")]  # sheet row 5


def test_a_row_of_empty_fields_is_blank_even_with_a_default_column(workspace, write):
    path = write("o.csv", "order_id,customer_id,ordered_at,amount,currency\n,,,,\n"
                          "A1,C1,2024-01-05,1,\n")
    report = workspace.ingest("orders", path)
    assert (report.blank_rows, report.landed, report.quarantined) == (1, 1, 0)


def test_default_currency_fills_new_rows(workspace, write):
    workspace.ingest("orders", write("o.csv", ORDERS + "A1,C1,2024-01-05,1\n"))
    workspace.ingest("orders", write("p.csv", "order_id,customer_id,ordered_at,amount,currency\n"
                                              "A2,C1,2024-01-05,1,usd\nA3,C1,2024-01-05,1,\n"))
    assert _rows(workspace, "SELECT order_id, currency FROM orders ORDER BY 1") == [
        ("A1", "CNY"), ("A2", "usd"), ("A3", "CNY")]


# -- files that cannot be ingested at all: one line, nothing written ------------------------


def test_missing_required_column(workspace, write):
    path = write("orders.csv", "order_id,customer_id,amount\nA1,C1,3\n")
    with pytest.raises(InputError) as caught:
        workspace.ingest("orders", path)
    message = str(caught.value)
    assert message.startswith(f"{path}: no column for ordered_at (required in orders)")
    assert "\n" not in message
    _nothing_written(workspace)


def test_unknown_table(workspace, write):
    with pytest.raises(InputError, match="there is no table 'order'; the tables are: customers"):
        workspace.ingest("order", write("o.csv", ORDERS))
    _nothing_written(workspace)


def test_unreadable_encoding(workspace, tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes(ORDERS.encode() + b"A1,C1,2024-01-05,\xff\xfe\xfd\x80\x80\n")
    with pytest.raises(InputError, match="cannot tell the text encoding"):
        workspace.ingest("orders", path)
    _nothing_written(workspace)


def test_gbk_read_as_utf8_says_what_to_do(workspace, tmp_path):
    path = tmp_path / "o.csv"
    path.write_bytes((ORDERS + "A1,C1,2024-01-05,1\n").encode() * 1
                     + b"A2,\xd5\xc5\xc8\xfd,2024-01-05,1\n")
    with pytest.raises(InputError, match='encoding = "gb18030"'):
        workspace.ingest("orders", path, {"options": {"encoding": "utf-8"}})
    _nothing_written(workspace)


def test_of_two_columns_that_fit_the_earlier_spelling_lands(workspace, write):
    # A Taobao-like export with both the time of the order and the time of payment.
    path = write("o.csv", "付款时间,下单时间,订单号,order_id,customer_id,amount\n"
                          "2024-01-02,2024-01-01,T1,A1,C1,1\n")
    report = workspace.ingest("orders", path)
    assert report.columns["ordered_at"] == "下单时间"   # listed before 付款时间
    assert report.columns["order_id"] == "order_id"     # the contract's own name first
    assert report.passed_over == (("ordered_at", "下单时间", "付款时间"),
                                  ("order_id", "order_id", "订单号"))
    assert "'付款时间' also fits ordered_at; '下单时间' was used" in "\n".join(report.lines())
    assert _rows(workspace, "SELECT order_id, ordered_at FROM orders") == [
        ("A1", datetime(2024, 1, 1))]


def test_two_columns_spelled_alike_are_refused(workspace, write):
    path = write("o.csv", "Order ID,order_id,customer_id,ordered_at,amount\n1,2,C1,2024-01-01,1\n")
    with pytest.raises(InputError,
                       match=r"columns 'Order ID' and 'order_id' both mean orders\.order_id"):
        workspace.ingest("orders", path)
    _nothing_written(workspace)


def test_duplicate_headers(workspace, write):
    with pytest.raises(InputError, match="names 'amount' twice"):
        workspace.ingest("orders",
                         write("o.csv", "order_id,customer_id,ordered_at,amount,amount\n"))


def test_mapping_to_an_unknown_column(workspace, write):
    with pytest.raises(ConfigError, match="names column 'total', which orders does not have"):
        workspace.ingest("orders", write("o.csv", ORDERS), {"金额": "total"})


def test_mapping_file_errors(tmp_path):
    bad = tmp_path / "m.toml"
    bad.write_text('[options]\nencodings = "gbk"\n')
    with pytest.raises(ConfigError, match="unknown option"):
        Mapping.load(bad)
    bad.write_text('[options]\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError, match="not a time zone name"):
        Mapping.load(bad)
    with pytest.raises(ConfigError, match="mapping file not found"):
        Mapping.load(tmp_path / "missing.toml")


def test_missing_file_and_unknown_format(workspace, tmp_path, write):
    with pytest.raises(InputError, match="file not found"):
        workspace.ingest("orders", tmp_path / "nope.csv")
    with pytest.raises(InputError, match="cannot tell the file's format"):
        workspace.ingest("orders", write("o.dat", ORDERS))


def test_broken_parquet(workspace, write):
    with pytest.raises(InputError, match="is a text file, not a Parquet file"):
        workspace.ingest("orders", write("o.parquet", "not parquet"))
    _nothing_written(workspace)


def test_large_file_in_batches(workspace, tmp_path):
    # 200k rows through the streaming readers, with one bad value in the middle.
    n = 200_000
    amounts = [str(i % 97) for i in range(n)]
    amounts[123_456] = "?"
    table = pa.table({"order_id": [f"O{i}" for i in range(n)],
                      "customer_id": [f"C{i % 5000}" for i in range(n)],
                      "ordered_at": ["2024-03-01 12:00"] * n, "amount": amounts})
    pq.write_table(table, tmp_path / "big.parquet")
    report = workspace.ingest("orders", tmp_path / "big.parquet")
    assert (report.landed, report.quarantined) == (n - 1, 1)
    assert _held(workspace) == [(123_457, "amount", "unparseable")]
