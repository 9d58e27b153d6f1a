"""Data as shops export it: order statuses, filters, refunds, Excel as people make it,
headers, suggested mappings and phone numbers."""

from __future__ import annotations

from datetime import datetime

import pytest

from ingest_helpers import held, nothing_written, rows
from tenure import InputError
from tenure.errors import ConfigError

HEADER = "订单编号,买家昵称,付款时间,实付款(元),订单状态\n"


# -- order status ---------------------------------------------------------------------------

def test_closed_cancelled_and_unpaid_orders_are_excluded_not_quarantined(workspace, write):
    path = write("orders.csv", HEADER
                 + "A1,张三,2024-01-05,100,交易成功\n"       # line 2: a sale
                 + "A2,张三,2024-01-06,50,交易关闭\n"        # line 3: closed
                 + "A3,李四,2024-01-06,30,已取消\n"          # line 4: cancelled
                 + "A4,李四,2024-01-07,待付款,等待买家付款\n"  # line 5: unpaid, no amount yet
                 + "A5,王五,2024-01-08,20,Cancelled\n"       # line 6: English, any case
                 + "A6,王五,2024-01-09,x,交易成功\n")        # line 7: a sale, bad amount
    report = workspace.ingest("orders", path)
    assert (report.rows_read, report.landed, report.excluded, report.quarantined) == (6, 1, 4, 1)
    assert report.exclusions == {"status Cancelled": 1, "status 交易关闭": 1,
                                 "status 已取消": 1, "status 等待买家付款": 1}
    assert "1 × excluded: status 交易关闭" in report.lines()
    assert held(workspace) == [(7, "amount", "unparseable")]   # line 5 is not an error
    assert rows(workspace, "SELECT order_id, status FROM orders") == [("A1", "交易成功")]
    assert rows(workspace, "SELECT excluded, exclusions FROM ingest_log") == [
        (4, '{"status Cancelled": 1, "status 交易关闭": 1, "status 已取消": 1, '
            '"status 等待买家付款": 1}')]


def test_refunds_recorded_as_a_status_become_negative(workspace, write):
    path = write("orders.csv", HEADER
                 + "A1,张三,2024-01-05,100,交易成功\n"
                 + "R1,张三,2024-01-09,100,退款成功\n"       # a refund written positive
                 + "R2,张三,2024-01-10,-30,refunded\n")      # and one already negative
    report = workspace.ingest("orders", path)
    assert report.refunds == 2
    assert rows(workspace, "SELECT order_id, amount FROM orders ORDER BY 1") == [
        ("A1", 100.0), ("R1", -100.0), ("R2", -30.0)]


def test_a_status_in_no_list_lands_and_is_named(workspace, write):
    path = write("orders.csv", HEADER + "A1,张三,2024-01-05,100,退款中\n"
                                        "A2,张三,2024-01-06,10,退款中\n")
    report = workspace.ingest("orders", path)
    assert (report.landed, report.unknown_statuses) == (2, {"退款中": 2})
    assert ("status '退款中' is in no status list: 2 rows landed as sales; if they are not, "
            "add it to ingest.excluded_statuses or ingest.refund_statuses") in report.lines()


def test_the_status_words_are_settings(workspace, write):
    workspace.set_setting("ingest.excluded_statuses", "退款中, 交易关闭")
    path = write("orders.csv", HEADER + "A1,张三,2024-01-05,100,退款中\n")
    report = workspace.ingest("orders", path)
    assert (report.landed, report.excluded) == (0, 1)


def test_an_order_closed_after_it_was_stored_is_removed(workspace, write):
    workspace.ingest("orders", write("jan.csv", HEADER + "A1,张三,2024-01-05,100,交易成功\n"
                                                       "A2,张三,2024-01-06,50,交易成功\n"))
    report = workspace.ingest("orders", write("feb.csv", HEADER
                                              + "A1,张三,2024-01-05,100,交易关闭\n"
                                              + "A2,张三,2024-01-06,50,交易成功\n"))
    assert (report.excluded, report.removed, report.unchanged) == (1, 1, 1)
    assert rows(workspace, "SELECT order_id FROM orders") == [("A2",)]
    key, previous = rows(workspace, "SELECT key, previous FROM row_history")[0]
    assert key == '{"order_id":"A1"}' and '"status":"交易成功"' in previous
    # The same file again removes nothing more.
    again = workspace.ingest("orders", write("feb2.csv", HEADER
                                             + "A1,张三,2024-01-05,100,交易关闭\n"))
    assert (again.excluded, again.removed) == (1, 0)


# -- filters in the mapping file ------------------------------------------------------------

def test_a_mapping_file_filter_leaves_rows_out_with_its_reason(workspace, write):
    path = write("orders.csv", "订单号,客户编号,下单时间,实付金额,店铺\n"
                               "A1,C1,2024-01-05,1,旗舰店\n"
                               "A2,C1,2024-01-05,2,测试店\n"
                               "A3,C1,2024-01-05,3,\n"
                               "A4,C1,2024-01-05,4, 旗舰店 \n")
    mapping = write("map.toml", '[[filter]]\ncolumn = "店铺"\nin = ["旗舰店"]\n'
                                'reason = "other shops are booked elsewhere"\n')
    report = workspace.ingest("orders", path, mapping)
    assert (report.landed, report.excluded, report.quarantined) == (2, 2, 0)
    assert report.exclusions == {"other shops are booked elsewhere": 2}
    assert rows(workspace, "SELECT order_id FROM orders ORDER BY 1") == [("A1",), ("A4",)]
    # 店铺 is read by the filter: the report does not call it ignored.
    assert report.ignored_columns == ()
    assert not any("ignored" in line for line in report.lines())
    assert rows(workspace, "SELECT ignored_columns FROM ingest_log") == [([],)]


def test_filters_with_not_in_on_a_contract_column(workspace, write):
    path = write("orders.csv", "order_id,customer_id,ordered_at,amount\n"
                               "A1,C1,2024-01-05,1\nA2,TEST,2024-01-05,2\n")
    report = workspace.ingest("orders", path, {"filter": {"column": "customer_id",
                                                           "not_in": ["test"]}})
    assert report.exclusions == {"customer_id is test": 1}


@pytest.mark.parametrize(("flt", "pattern"), [
    ({"column": "店铺"}, "needs exactly one of in"),
    ({"column": "店铺", "in": ["a"], "not_in": ["b"]}, "needs exactly one of in"),
    ({"in": ["a"]}, "needs column"),
    ({"column": "店铺", "in": []}, "should be a list of values"),
    ({"column": "店铺", "in": ["a"], "because": "x"}, r"unknown key\(s\) \['because'\]"),
])
def test_filter_mistakes(flt, pattern):
    from tenure.io import Mapping

    with pytest.raises(ConfigError, match=pattern):
        Mapping.from_dict({"filter": flt})


def test_a_filter_on_a_column_the_file_lacks(workspace, write):
    path = write("orders.csv", "order_id,customer_id,ordered_at,amount\nA1,C1,2024-01-05,1\n")
    with pytest.raises(ConfigError, match="the \\[filter\\] names column '店铺', which"):
        workspace.ingest("orders", path, {"filter": {"column": "店铺", "in": ["x"]}})
    nothing_written(workspace)


# -- totals rows and title rows --------------------------------------------------------------

def test_totals_rows_are_skipped_and_counted(workspace, write):
    path = write("orders.csv", HEADER
                 + "A1,张三,2024-01-05,100,交易成功\n"
                 + "小计,,,100,\n"                          # a subtotal
                 + "A2,李四,2024-01-06,50,交易成功\n"
                 + ",合计：,,150,\n"                        # the first filled cell
                 + "Total,,,150,\n")
    report = workspace.ingest("orders", path)
    assert (report.rows_read, report.landed, report.totals_rows, report.quarantined) == (
        5, 2, 3, 0)
    assert "totals rows skipped: 3" in report.lines()


def test_title_rows_above_the_header_are_found(workspace, write):
    path = write("orders.csv", "淘宝订单导出\n导出时间：2024-02-01,,,,\n\n" + HEADER
                 + "A1,张三,2024-01-05,100,交易成功\nA2,张三,2024-01-06,x,交易成功\n")
    report = workspace.ingest("orders", path)
    assert (report.title_rows, report.landed) == (3, 1)
    assert "skipped 3 title lines above the header, which is on line 4" in report.lines()
    assert held(workspace) == [(6, "amount", "unparseable")]  # the file's own line 6


def test_a_header_below_rows_of_data_suggests_skip_rows(workspace, write):
    path = write("orders.csv", "a,b,c,d,e\n1,2,3,4,5\n" + HEADER
                 + "A1,张三,2024-01-05,100,交易成功\n")
    with pytest.raises(InputError, match=r"the header seems to be on line 3 \(订单编号, 买家昵称, "
                                         r"付款时间, 实付款\(元\), \.\.\.\), below lines that "
                                         r"look like data; set skip_rows = 2"):
        workspace.ingest("orders", path)
    nothing_written(workspace)


# -- Excel as people make it ----------------------------------------------------------------

def _shop_workbook(path, *, extra_sheet: bool = False) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "订单"
    sheet.append(["2024年1月订单"])                                     # row 1: a title
    sheet.merge_cells("A1:E1")
    sheet.append(["买家昵称", "订单编号", "付款时间", "实付款(元)", "订单状态"])  # row 2
    sheet.append(["张三", "A1", datetime(2024, 1, 5, 9), 100, "交易成功"])   # row 3
    sheet.append([None, "A2", datetime(2024, 1, 6), 20, "交易成功"])        # row 4
    sheet.append([None, "A3", datetime(2024, 1, 7), 30, "交易关闭"])        # row 5
    sheet.merge_cells("A3:A5")                  # 张三 over his three orders
    sheet.append(["李四", "A4", datetime(2024, 1, 8), "x", "交易成功"])      # row 6
    sheet.append(["合计", None, None, 150, None])                           # row 7
    if extra_sheet:
        book.create_sheet("退款").append(["订单编号", "退款金额"])
        book.create_sheet("空白")
    book.save(path)


def test_merged_cells_titles_and_totals_in_a_workbook(workspace, tmp_path):
    path = tmp_path / "orders.xlsx"
    _shop_workbook(path)
    report = workspace.ingest("orders", path)
    assert (report.title_rows, report.filled_cells, report.totals_rows) == (1, 2, 1)
    assert (report.landed, report.excluded, report.quarantined) == (2, 1, 1)
    assert rows(workspace, "SELECT order_id, customer_id FROM orders ORDER BY 1") == [
        ("A1", "张三"), ("A2", "张三")]
    assert held(workspace) == [(6, "amount", "unparseable")]   # the sheet's row 6
    assert "filled 2 merged cells down from the first cell of their range" in report.lines()


def test_a_workbook_with_several_sheets_of_data_lists_them(workspace, tmp_path):
    path = tmp_path / "orders.xlsx"
    _shop_workbook(path, extra_sheet=True)
    with pytest.raises(InputError, match=r"has 2 sheets with data \('订单', '退款'\); choose "
                                         r"one with sheet = \"订单\" in the mapping file's"):
        workspace.ingest("orders", path)
    nothing_written(workspace)
    assert workspace.ingest("orders", path, {"options": {"sheet": "订单"}}).landed == 2
    with pytest.raises(InputError, match=r"has no sheet 'orders'; its sheets are '订单', "
                                         r"'退款', '空白'"):
        workspace.ingest("orders", path, {"options": {"sheet": "orders"}})


# -- headers and the mapping line to write -------------------------------------------------

@pytest.mark.parametrize("header", ["买家昵称", "买家账号", "买家会员名", "buyer_id"])
def test_more_headers_are_recognised(workspace, write, header):
    path = write("orders.csv", f"订单编号,{header},付款时间,实付款（元）\nA1,张三,2024-01-05,1\n")
    report = workspace.ingest("orders", path)
    assert report.columns == {"order_id": "订单编号", "customer_id": header,
                              "ordered_at": "付款时间", "amount": "实付款（元）"}


def test_a_missing_column_is_answered_with_the_likeliest_header(workspace, write):
    path = write("orders.csv", "订单编号,买家昵称,宝贝标题,成交日期,实收(RMB)\n"
                               "A1,张三,咖啡豆,2024-01-05 10:00,\"¥1,299.00\"\n"
                               "A2,李四,滤芯,2024-01-06 11:00,¥88.00\n")
    with pytest.raises(InputError) as caught:
        workspace.ingest("orders", path)
    message = str(caught.value)
    assert "no column for ordered_at, amount (required in orders)" in message
    # Guessed from the header's name and from values that read as dates and amounts.
    assert ('e.g. "成交日期" = "ordered_at", "实收(RMB)" = "amount" (tenure ingest orders '
            'FILE --suggest-map writes one to edit)') in message
    nothing_written(workspace)


def test_no_likely_header_gives_a_placeholder(workspace, write):
    path = write("orders.csv", "订单编号,买家昵称,备注\nA1,张三,hello\n")
    with pytest.raises(InputError, match='"YOUR HEADER" = "ordered_at"'):
        workspace.ingest("orders", path)


def test_a_column_mapped_to_nothing_is_ignored(workspace, write):
    path = write("orders.csv", "订单号,order_id,customer_id,ordered_at,amount\nT1,A1,C1,"
                               "2024-01-05,1\n")
    report = workspace.ingest("orders", path, {"订单号": ""})
    assert report.passed_over == () and report.ignored_columns == ("订单号",)


def test_a_derived_column_cannot_be_mapped(workspace, write):
    path = write("c.csv", "customer_id,tel\nC1,13800138000\n")
    with pytest.raises(ConfigError, match="which tenure computes from phone; map that column"):
        workspace.ingest("customers", path, {"tel": "phone_normalized"})


# -- phone numbers --------------------------------------------------------------------------

def test_phone_numbers_are_normalised_beside_the_original(workspace, write):
    path = write("c.csv", "客户编号,手机号\n"
                          "C1,+86 138 0013 8000\n"
                          "C2,0086-138-0013-8000\n"
                          "C3,138-0013-8000\n"
                          "C4,(+86)13800138000 转 12\n"
                          "C5,010-6552 1234\n"
                          "C6,+1 (415) 555-0100\n"
                          "C7,1.38001E+10\n"
                          "C8,\n")
    workspace.ingest("customers", path)
    assert rows(workspace, "SELECT customer_id, phone, phone_normalized FROM customers "
                           "ORDER BY 1") == [
        ("C1", "+86 138 0013 8000", "+8613800138000"),
        ("C2", "0086-138-0013-8000", "+8613800138000"),
        ("C3", "138-0013-8000", "+8613800138000"),
        ("C4", "(+86)13800138000 转 12", "+8613800138000"),   # the extension dropped
        ("C5", "010-6552 1234", "+861065521234"),             # trunk 0 after +86
        ("C6", "+1 (415) 555-0100", "+14155550100"),
        ("C7", "1.38001E+10", None),                          # a spreadsheet rounded it
        ("C8", None, None)]


def test_orders_carry_the_buyers_phone_for_matching(workspace, write):
    path = write("orders.csv", "订单编号,买家昵称,付款时间,实付款,收货人手机号\n"
                               "A1,张三,2024-01-05,1,138 0013 8000\n")
    workspace.ingest("orders", path)
    workspace.ingest("customers", write("c.csv", "客户编号,联系电话\nC1,+8613800138000\n"))
    assert rows(workspace, "SELECT o.order_id, c.customer_id FROM orders o JOIN customers c "
                           "USING (phone_normalized)") == [("A1", "C1")]


def test_the_country_code_is_a_setting(workspace, write):
    workspace.set_setting("ingest.phone_country_code", "1")
    workspace.ingest("customers", write("c.csv", "customer_id,phone\nC1,(415) 555-0100\n"))
    assert rows(workspace, "SELECT phone_normalized FROM customers") == [("+14155550100",)]
