"""Value parsing rules, each checked through a real ingest into DuckDB."""

from __future__ import annotations

from datetime import date, datetime

import pytest


def _orders_csv(write, rows: list[tuple[str, str]], column: str, header: str | None = None,
                **extra) -> object:
    """A CSV of orders where one column varies; the others are fixed and valid."""
    fixed = {"order_id": None, "customer_id": "C1", "ordered_at": "2024-01-05",
             "amount": "1"}
    fixed.update(extra)
    names = list(fixed)
    names[names.index(column)] = header or column
    lines = [",".join(names)]
    for order_id, value in rows:
        values = dict(fixed, order_id=order_id)
        values[column] = value
        lines.append(",".join(f'"{values[c]}"' for c in fixed))
    return write("orders.csv", "\n".join(lines) + "\n")


def _stored(workspace, column: str) -> dict[str, object]:
    rows = workspace.connection.execute(f"SELECT order_id, {column} FROM orders").fetchall()
    return dict(rows)


AMOUNTS = [
    ("plain", "1234.5", 1234.5),
    ("yuan sign and thousands", "¥1,234.50", 1234.5),
    ("full-width yuan sign", "￥88", 88.0),
    ("space thousands, decimal comma", "1 234,50", 1234.5),
    ("dot thousands, decimal comma", "1.234,50", 1234.5),
    ("several dot thousands", "1.234.567", 1234567.0),
    ("comma and three digits is thousands", "1,234", 1234.0),
    ("comma and two digits is decimal", "12,50", 12.5),
    ("dot and three digits is decimal", "1.234", 1.234),
    ("accounting negative", "(12.00)", -12.0),
    ("trailing minus", "12.00-", -12.0),
    ("refund", "-35.5", -35.5),
    ("currency code", "RMB 99", 99.0),
    ("currency word", "99元", 99.0),
    ("full-width digits", "１２３．５", 123.5),
    ("no-break space", "1\u00a0234.00", 1234.0),
    ("exponent", "1e3", 1000.0),
]


@pytest.mark.parametrize(("label", "text", "expected"), AMOUNTS, ids=[a[0] for a in AMOUNTS])
def test_amounts(workspace, write, label, text, expected):
    path = _orders_csv(write, [("A", text)], "amount")
    report = workspace.ingest("orders", path)
    assert report.quarantined == 0, workspace.quarantine()
    assert _stored(workspace, "amount")["A"] == pytest.approx(expected)


@pytest.mark.parametrize("text", ["12..5", "abc", "inf", "1,2,3.4.5", "--5"])
def test_unreadable_amounts_are_quarantined(workspace, write, text):
    path = _orders_csv(write, [("A", text)], "amount")
    report = workspace.ingest("orders", path)
    assert report.quarantined == 1
    problem = workspace.quarantine().iloc[0]
    assert (problem.column_name, problem.reason, problem.value) == ("amount", "unparseable", text)
    assert problem["row"] == 2  # the header is line 1


@pytest.mark.parametrize("text", ["", "NULL", "nan", "N/A", "#N/A", "None"])
def test_missing_value_texts_are_missing(workspace, write, text):
    # Spreadsheets and pandas write these for an empty cell; amount is required.
    path = _orders_csv(write, [("A", text)], "amount")
    report = workspace.ingest("orders", path)
    assert report.problems == {"missing_required": 1}


def test_decimal_comma_option(workspace, write):
    # With decimal = ",", "1.234" is one thousand two hundred and thirty-four.
    path = _orders_csv(write, [("A", "1.234"), ("B", "1.234,5")], "amount")
    workspace.ingest("orders", path, {"options": {"decimal": ","}})
    assert _stored(workspace, "amount") == {"A": 1234.0, "B": 1234.5}


DATES = [
    ("ISO date", "2024-01-05", datetime(2024, 1, 5)),
    ("ISO minutes", "2024-01-05 13:02", datetime(2024, 1, 5, 13, 2)),
    ("ISO seconds with T", "2024-01-05T13:02:09", datetime(2024, 1, 5, 13, 2, 9)),
    ("fractional seconds", "2024-01-05 13:02:09.250", datetime(2024, 1, 5, 13, 2, 9, 250000)),
    ("slashes without zeros", "2024/1/5", datetime(2024, 1, 5)),
    ("slashes with time", "2024/1/5 9:05", datetime(2024, 1, 5, 9, 5)),
    ("dots", "2024.1.5", datetime(2024, 1, 5)),
    ("Chinese date", "2024年1月5日", datetime(2024, 1, 5)),
    ("Chinese date and time", "2024年1月5日 13:02", datetime(2024, 1, 5, 13, 2)),
    ("Chinese hours and minutes", "2024年1月5日 13时02分", datetime(2024, 1, 5, 13, 2)),
    ("compact", "20240105", datetime(2024, 1, 5)),
    # 2024-01-05 05:02 UTC is 13:02 in Shanghai (UTC+8), the workspace's zone.
    ("UTC offset Z", "2024-01-05T05:02:00Z", datetime(2024, 1, 5, 13, 2)),
    ("explicit offset", "2024-01-05 06:02:00+01:00", datetime(2024, 1, 5, 13, 2)),
    ("negative offset", "2024-01-05T00:02:00-05:00", datetime(2024, 1, 5, 13, 2)),
    # Excel counts days from 1899-12-30: 45296 is 2024-01-05; .5 is noon.
    ("Excel serial", "45296.5", datetime(2024, 1, 5, 12, 0)),
]


@pytest.mark.parametrize(("label", "text", "expected"), DATES, ids=[d[0] for d in DATES])
def test_dates(workspace, write, label, text, expected):
    path = _orders_csv(write, [("A", text)], "ordered_at", header="下单时间")
    report = workspace.ingest("orders", path)
    assert report.quarantined == 0, workspace.quarantine()
    assert _stored(workspace, "ordered_at")["A"] == expected


@pytest.mark.parametrize("text", ["2024-13-01", "2024-02-30", "yesterday", "2024年13月1日"])
def test_impossible_dates_are_quarantined(workspace, write, text):
    path = _orders_csv(write, [("A", text)], "ordered_at")
    report = workspace.ingest("orders", path)
    assert report.problems == {"unparseable": 1}


def test_date_format_option_reads_day_first(workspace, write):
    path = _orders_csv(write, [("A", "05/01/2024"), ("B", "2024-02-03")], "ordered_at")
    workspace.ingest("orders", path, {"options": {"date_format": "%d/%m/%Y"}})
    # The user's format first; the built-in ones still read ISO text.
    assert _stored(workspace, "ordered_at") == {"A": datetime(2024, 1, 5),
                                                "B": datetime(2024, 2, 3)}


def test_file_time_zone_converts_to_the_workspace_zone(workspace, write):
    # 13:02 in London in January (UTC+0) is 21:02 in Shanghai (UTC+8); in July London is
    # UTC+1, so 13:02 there is 20:02 in Shanghai.
    path = _orders_csv(write, [("A", "2024-01-05 13:02"), ("B", "2024-07-05 13:02")],
                       "ordered_at")
    workspace.ingest("orders", path, {"options": {"timezone": "Europe/London"}})
    assert _stored(workspace, "ordered_at") == {"A": datetime(2024, 1, 5, 21, 2),
                                                "B": datetime(2024, 7, 5, 20, 2)}


def test_text_is_trimmed_of_every_kind_of_space(workspace, write):
    # Leading full-width space, trailing tab and no-break space around the ids.
    path = write("orders.csv", "order_id,customer_id,ordered_at,amount\n"
                 "\u3000A1\t,\u00a0C1 ,2024-01-05,1\n")
    workspace.ingest("orders", path)
    assert workspace.connection.execute("SELECT order_id, customer_id FROM orders").fetchall() \
        == [("A1", "C1")]


def test_ids_keep_leading_zeros_and_float_ids_lose_their_point(workspace):
    import pandas as pd

    frame = pd.DataFrame({"customer_id": ["007", "8"], "company_size": [12.0, None]})
    workspace.ingest("customers", frame)
    orders = pd.DataFrame({"order_id": [1001.0, 1002.0], "customer_id": ["007", "8"],
                           "ordered_at": ["2024-01-05", "2024-01-06"], "amount": [1, 2]})
    workspace.ingest("orders", orders)
    con = workspace.connection
    assert sorted(con.execute("SELECT customer_id FROM customers").fetchall()) == [("007",),
                                                                                ("8",)]
    # A float column of ids (as pandas makes when a value is missing) gives "1001", not "1001.0".
    assert sorted(con.execute("SELECT order_id FROM orders").fetchall()) == [("1001",),
                                                                             ("1002",)]


def test_booleans_and_integers(workspace, write):
    path = write("consents.csv", "customer_id,channel,opted_in,at\n"
                 "C1,sms,是,2024-01-01\nC1,email,no,2024-01-01\nC1,wechat,1,2024-01-01\n"
                 "C2,sms,maybe,2024-01-01\n")
    report = workspace.ingest("consents", path)
    rows = dict(workspace.connection.execute(
        "SELECT channel, opted_in FROM consents WHERE customer_id = 'C1'").fetchall())
    assert rows == {"sms": True, "email": False, "wechat": True}
    assert report.problems == {"unparseable": 1}  # "maybe" on line 5
    assert workspace.quarantine().iloc[0]["row"] == 5


def test_integer_columns_refuse_fractions(workspace, write):
    path = write("lines.csv", "order_id,line_no,sku,quantity\nA,1,S,3.0\nA,2,S,2.5\n")
    report = workspace.ingest("order_lines", path)
    assert report.landed == 1  # 3.0 is three; 2.5 is not a whole number
    assert workspace.quarantine().iloc[0][["row", "column_name"]].tolist() == [3, "quantity"]


def test_date_columns(workspace, write):
    path = write("customers.csv", "customer_id,birthday\nC1,1990年3月7日\nC2,1985/12/1\n")
    workspace.ingest("customers", path)
    assert dict(workspace.connection.execute(
        "SELECT customer_id, birthday FROM customers").fetchall()) == {
        "C1": date(1990, 3, 7), "C2": date(1985, 12, 1)}
