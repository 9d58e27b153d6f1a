"""Every message of ingest and quarantine a person reads exists in Simplified Chinese."""

from __future__ import annotations

import gzip
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tenure import TenureError, Workspace
from tenure.i18n import translate

ORDERS = "order_id,customer_id,ordered_at,amount\n"


def _chinese(text: str) -> str:
    said = translate(text, "zh")
    assert said != text, f"no Chinese for: {text}"
    return said


def _bad_files() -> list[tuple[str, bytes, object]]:
    """Files that cannot be ingested, each with what makes it so."""
    return [
        ("a.csv", b"", None),
        ("b.csv", b"\n\n", None),
        ("c.csv.gz", ORDERS.encode(), None),
        ("d.csv", b"PK\x03\x04" + bytes(40), None),
        ("e.csv", bytes(range(256)) * 10, None),
        ("f.csv", ("order_id,amount\n" + "A1,1\n").encode(), None),
        ("g.csv", b"order_id,order_id\n", None),
        ("h.xlsx", ORDERS.encode(), None),
        ("i.xls", b"<html><table></table></html>", None),
        ("j.parquet", b"PAR1" + bytes(20), None),
        ("k.json", b"[{\"a\": ", None),
        ("l.json", b"{\"orders\": [{\"order_id\": \"A1\"}]}", None),
        ("m.csv.gz", gzip.compress(ORDERS.encode() * 2000)[:150], None),
        ("n.csv", (ORDERS + "A1,张三,2024-01-05,1\n").encode(), {"options": {"encoding": "gbk"}}),
        ("o.csv", (ORDERS + "A1,C1,2024-01-05,1\n").encode(), {"金额": "total"}),
        ("p.csv", (ORDERS + "A1,C1,2024-01-05,1\n").encode(),
         {"filter": {"column": "店铺", "in": ["x"]}}),
        ("q.dat", b"x", None),
        ("r.csv", ("a,b,c\n1,2,3\n订单编号,买家昵称,付款时间,实付款\n").encode(), None),
    ]


def test_every_refusal_has_chinese(tmp_path):
    with Workspace.init(tmp_path / "w") as ws:
        for name, content, mapping in _bad_files():
            path = tmp_path / name
            path.write_bytes(content)
            with pytest.raises(TenureError) as caught:
                ws.ingest("orders", path, mapping)
            _chinese(str(caught.value))
        with pytest.raises(TenureError) as caught:
            ws.ingest("orders", tmp_path)
        _chinese(str(caught.value))


def test_every_report_line_and_quarantine_message_has_chinese(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["2024年1月订单"])
    sheet.append(["买家昵称", "订单编号", "下单时间", "付款时间", "实付款(元)", "订单状态", "备注"])
    rows = [
        ["张三", "A1", datetime(2024, 1, 5), None, 100, "交易成功", "a"],
        [None, "A2", datetime(2024, 1, 6), None, 20, "交易关闭", None],
        [None, "A3", "0001-01-01", None, 30, "交易成功", None],
        ["李四", "A4", datetime(2024, 1, 8), None, "x", "退款中", None],
        ["李四", "A5", datetime(2024, 1, 9), None, 7, "退款成功", None],
        ["王五", "A6", datetime(2024, 1, 9), None, None, "交易成功", None],
        ["王五", "A7", datetime(2024, 1, 9), None, 1, "交易成功", None],
        ["王五", "A7", datetime(2024, 1, 9), None, 2, "交易成功", None],
        ["王五", "A8", datetime(2024, 1, 9), None, 3, "退款中", None],
        ["王五", "A8", datetime(2024, 1, 9), None, 3, "退款中", None],
        [None, None, None, None, None, None, None],
        ["合计", None, None, None, 163, None, None],
    ]
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A3:A5")
    book.save(tmp_path / "orders.xlsx")
    with Workspace.init(tmp_path / "w") as ws:
        report = ws.ingest("orders", tmp_path / "orders.xlsx")
        assert report.title_rows and report.filled_cells and report.passed_over
        assert report.unknown_statuses and report.refunds and report.exclusions
        assert report.duplicates_merged and report.blank_rows and report.totals_rows
        for line in report.lines():
            _chinese(line)
        texts = tmp_path / "more.csv"
        texts.write_bytes((ORDERS + "B1,C1,2024-01-05,1,9\n" + 'B2,"C1,2024-01-05,1\n')
                          .encode())
        ws.ingest("orders", texts)
        path = tmp_path / "inf.parquet"
        pq.write_table(pa.table({"order_id": ["C1"], "customer_id": ["X"],
                                 "ordered_at": ["2024-01-05"],
                                 "amount": [float("inf")]}), path)
        ws.ingest("orders", path)
        mixed = tmp_path / "mixed.csv"
        mixed.write_bytes(ORDERS.encode() + "D1,张三,2024-01-05,1\n".encode()
                          + "D2,李四,2024-01-05,1\n".encode("gbk"))
        ws.ingest("orders", mixed)
        held = ws.quarantine()
        assert set(held.reason) >= {"unparseable", "missing_required", "out_of_range",
                                    "duplicate_key", "malformed_row", "invalid_value",
                                    "wrong_encoding"}
        for message in held.message:
            _chinese(message)
        for reason in held.reason.unique():
            _chinese(reason)
