"""Files as careless exports and careful attackers make them: each is read right or refused
with one sentence naming the file (and the line where there is one), nothing written."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest_helpers import held as _held
from ingest_helpers import nothing_written as _nothing_written
from ingest_helpers import rows as _rows
from tenure import InputError
from tenure.errors import ConfigError
from tenure.i18n import translate

ORDERS = "order_id,customer_id,ordered_at,amount\n"
# Bytes that are no text, the same in every run (test names are built from them).
_NOISE = bytes((i * 97 + 13) % 256 for i in range(64))





def _refused(workspace, path, pattern: str, mapping=None) -> str:
    with pytest.raises(InputError, match=pattern) as caught:
        workspace.ingest("orders", path, mapping)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    _nothing_written(workspace)
    return message


# -- what the name says against what the bytes hold ------------------------------------------

def test_a_plain_csv_named_gz(workspace, write):
    path = write("orders.csv.gz", ORDERS + "A1,C1,2024-01-05,1\n")
    _refused(workspace, path, r"is named \.gz but is not gzip-compressed \(it is a text file\); "
                              r"remove \.gz from its name")


def test_a_real_gzip_csv_in_gbk_is_read(workspace, tmp_path):
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress((ORDERS + "A1,张三,2024-01-05,1\n").encode("gbk")))
    report = workspace.ingest("orders", path)
    assert (report.encoding, report.landed) == ("gb18030", 1)
    assert _rows(workspace, "SELECT customer_id FROM orders") == [("张三",)]


def test_a_gzip_cut_short(workspace, tmp_path):
    path = tmp_path / "orders.csv.gz"
    whole = gzip.compress((ORDERS + "A1,C1,2024-01-05,1\n" * 5000).encode())
    path.write_bytes(whole[: len(whole) // 2])
    _refused(workspace, path, "is a damaged or cut-short gzip file")


def test_a_csv_that_is_gzip_compressed_without_saying_so_is_read(workspace, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(gzip.compress((ORDERS + "A1,C1,2024-01-05,1\n").encode()))
    assert workspace.ingest("orders", path).landed == 1


def _workbook(path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["order_id", "customer_id", "ordered_at", "amount"])
    book.active.append(["A1", "C1", "2024-01-05", 1])
    book.save(path)


def test_an_xlsx_saved_as_csv_is_named_for_what_it_is(workspace, tmp_path):
    _workbook(tmp_path / "real.xlsx")
    path = tmp_path / "orders.csv"
    path.write_bytes((tmp_path / "real.xlsx").read_bytes())
    _refused(workspace, path, r"is an Excel workbook, not a CSV file; rename it to end in \.xlsx")


def test_an_xlsx_named_xls_is_read(workspace, tmp_path):
    path = tmp_path / "orders.xls"
    _workbook(path)
    assert workspace.ingest("orders", path).landed == 1


@pytest.mark.parametrize(("name", "content", "pattern"), [
    # Shop back-ends that export "Excel" as a web page.
    ("orders.xls", b"<html><body><table><tr><td>order_id</td></tr></table></body></html>",
     r"is a web page \(an HTML table\) saved with a spreadsheet's name"),
    ("orders.xlsx", ORDERS.encode() + b"A1,C1,2024-01-05,1\n",
     r"is a text file, not a workbook; if it holds comma-separated values, rename it to end "
     r"in \.csv"),
    ("orders.csv", b"PAR1" + _NOISE + b"PAR1",
     r"is a Parquet file, not a CSV file; rename it to end in \.parquet"),
    ("orders.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
     r"is an old-style Excel workbook, not a CSV file; rename it to end in \.xls"),
    ("orders.csv", b"\xfd7zXZ\x00" + _NOISE,
     r"is an xz-compressed file, not a CSV file; extract it"),
    ("orders.csv", b"%PDF-1.7\n" + _NOISE, r"is a PDF document, not a CSV file"),
    ("orders.jsonl", b"PK\x03\x04" + bytes(60), r"is a zip archive, not a JSON lines file"),
    ("orders.parquet", ORDERS.encode(), r"is a text file, not a Parquet file"),
    ("orders.csv", _NOISE * 60, r"holds binary data, not text"),
    ("orders.csv", b"", r"is empty \(0 bytes\)"),
    ("orders.csv", b"\xef\xbb\xbf", r"is empty \(only blank lines\)"),
    ("orders.csv", b"\n\r\n  \n", r"is empty \(only blank lines\)"),
    ("orders.jsonl", b"", r"is empty \(0 bytes\)"),
    ("orders.jsonl", b"\n\n", r"is empty \(no records\)"),
    ("orders.json", b"[{\"order_id\": \"A1\", ", r"is not valid JSON: line 1, column 21"),
    ("orders.json", b"{\"orders\": [{\"order_id\": \"A1\"}]}",
     r"holds one JSON object, not a list of records \(its records may be the list under "
     r"\"orders\"\)"),
    ("orders.parquet.gz", b"x", r"cannot tell the file's format from its name"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 20 else None)
def test_files_that_are_not_what_their_name_says(workspace, tmp_path, name, content, pattern):
    path = tmp_path / name
    path.write_bytes(content)
    _refused(workspace, path, pattern)


def test_a_header_without_rows_lands_nothing(workspace, write):
    report = workspace.ingest("orders", write("orders.csv", ORDERS))
    assert (report.rows_read, report.landed, report.quarantined) == (0, 0, 0)
    assert _rows(workspace, "SELECT count(*) FROM orders") == [(0,)]


def test_a_parquet_file_cut_short(workspace, tmp_path):
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"order_id": ["A1"] * 1000}), path)
    path.write_bytes(path.read_bytes()[:-100])
    _refused(workspace, path, r"is a Parquet file cut short")


def test_a_damaged_parquet_file(workspace, tmp_path):
    path = tmp_path / "orders.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    _refused(workspace, path, r"cannot be read as Parquet")


def test_a_damaged_workbook(workspace, tmp_path):
    _workbook(tmp_path / "real.xlsx")
    path = tmp_path / "orders.xlsx"
    path.write_bytes((tmp_path / "real.xlsx").read_bytes()[:2000])
    _refused(workspace, path, r"(cannot be read as a spreadsheet|is a zip archive)")


# -- encodings and line ends -------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(workspace, write, encoding):
    path = write("orders.csv", ORDERS + "A1,张三,2024-01-05,1\n", encoding=encoding)
    report = workspace.ingest("orders", path)
    assert (report.encoding, report.landed) == (encoding, 1)
    assert _rows(workspace, "SELECT customer_id FROM orders") == [("张三",)]


@pytest.mark.parametrize("encoding", ["utf-32-le", "utf-32-be"])
def test_utf32_without_a_bom_is_read(workspace, write, encoding):
    # It was called binary data for its zero bytes.
    path = write("orders.csv", ORDERS + "A1,张三,2024-01-05,1\n", encoding=encoding)
    report = workspace.ingest("orders", path)
    assert (report.encoding, report.landed) == (encoding, 1)
    assert _rows(workspace, "SELECT customer_id FROM orders") == [("张三",)]


def test_big5_is_told_from_gbk(workspace, write):
    # Traditional Chinese from a Taiwan or Hong Kong shop: every byte pair of Big5 is also
    # GBK, so it was read as GB18030 and stored as other characters without a word.
    names = ["陳大文", "林美玲", "王小明", "張家豪"]
    rows = "".join(f"A{i},{name},2024-01-0{i + 1},1\n" for i, name in enumerate(names))
    report = workspace.ingest("orders", write("orders.csv", ORDERS + rows, encoding="cp950"))
    assert (report.encoding, report.landed) == ("cp950", 4)
    assert _rows(workspace, "SELECT customer_id FROM orders ORDER BY order_id") == [
        (name,) for name in names]
    # The same names in Simplified Chinese, in GBK, stay GBK.
    simplified = rows.replace("陳", "陈").replace("張", "张")
    report = workspace.ingest("orders", write("more.csv", ORDERS + simplified, encoding="gbk"))
    assert report.encoding == "gb18030"


def test_a_zero_byte_past_the_first_megabyte_is_held_back(workspace, write):
    # The first megabyte is looked at before reading; a zero byte further down was stored.
    filler = "".join(f"B{i},C{i},2024-01-05,1\n" for i in range(60_000))
    path = write("orders.csv", ORDERS + filler + "A1,C\x00D,2024-01-05,1\n")
    report = workspace.ingest("orders", path)
    assert (report.landed, report.quarantined) == (60_000, 1)
    assert _held(workspace) == [(60_002, "customer_id", "invalid_value")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_and_utf32_with_a_bom_are_read(workspace, write, encoding):
    path = write("orders.csv", ORDERS + "A1,张三,2024-01-05,1\n", encoding=encoding)
    assert workspace.ingest("orders", path).landed == 1
    assert _rows(workspace, "SELECT customer_id FROM orders") == [("张三",)]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_old_mac_line_ends_are_read(workspace, write, encoding):
    text = (ORDERS + "A1,张三,2024-01-05,1\nA2,李四,2024-01-06,x\n").replace("\n", "\r")
    workspace.ingest("orders", write("orders.csv", text, encoding=encoding))
    assert _rows(workspace, "SELECT order_id, customer_id FROM orders") == [("A1", "张三")]
    assert _held(workspace) == [(3, "amount", "unparseable")]  # the third line


def test_mixed_line_ends_are_read(workspace, write):
    path = write("orders.csv", ORDERS.replace("\n", "\r\n") + "A1,C1,2024-01-05,1\r\n"
                               "A2,C1,2024-01-06,x\n")
    workspace.ingest("orders", path)
    assert _held(workspace) == [(3, "amount", "unparseable")]


def test_utf8_lines_in_a_gbk_file_are_quarantined_by_line(workspace, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(ORDERS.encode() + "A1,张三,2024-01-05,1\n".encode("gbk")    # line 2
                     + "A2,李四,2024-01-05,1\n".encode()                         # line 3
                     + "A3,王五,2024-01-05,1\n".encode("gbk")                    # line 4
                     + "A4,赵六,2024-01-05,x\n".encode("gbk"))                   # line 5
    report = workspace.ingest("orders", path)
    assert (report.encoding, report.landed, report.quarantined) == ("gb18030", 2, 2)
    # Stored as written, not as 李四 read in GBK (鏉庡洓).
    assert _rows(workspace, "SELECT customer_id FROM orders ORDER BY 1") == [("张三",), ("王五",)]
    assert _held(workspace) == [(3, None, "wrong_encoding"), (5, "amount", "unparseable")]
    held = workspace.quarantine().iloc[0]
    assert held.value == "A2,李四,2024-01-05,1"
    assert held.message == ("the line is in UTF-8 while the rest of the file is GBK; save the "
                            "whole file in one encoding and ingest it again")


def test_gbk_lines_in_a_utf8_file_are_quarantined_by_line(workspace, tmp_path):
    # The case found storing 张三 as 寮犱笁: a few GBK lines among UTF-8 ones.
    path = tmp_path / "orders.csv"
    path.write_bytes(ORDERS.encode() + "A1,张三,2024-01-05,1\n".encode()          # line 2
                     + "A2,李四,2024-01-05,1\n".encode("gbk")                    # line 3
                     + "A3,王五,2024-01-05,1\n".encode())                        # line 4
    report = workspace.ingest("orders", path)
    assert (report.encoding, report.landed, report.quarantined) == ("utf-8", 2, 1)
    assert _rows(workspace, "SELECT customer_id FROM orders ORDER BY 1") == [("张三",), ("王五",)]
    assert _held(workspace) == [(3, None, "wrong_encoding")]
    held = workspace.quarantine().iloc[0]
    assert held.value == "A2,李四,2024-01-05,1"   # shown as GBK reads it
    assert "the line is in GBK while the rest of the file is UTF-8" in held.message


def test_a_gbk_file_whose_first_megabyte_is_ascii(workspace, tmp_path):
    # Detection sees only ASCII; the Chinese after it is read as GBK, not refused.
    path = tmp_path / "orders.csv"
    filler = "".join(f"A{i},C{i},2024-01-05,1\n" for i in range(60_000)).encode()
    path.write_bytes(ORDERS.encode() + filler + "B1,张三,2024-01-05,1\n".encode("gbk"))
    report = workspace.ingest("orders", path)
    assert (report.encoding, report.landed) == ("gb18030", 60_001)
    assert _rows(workspace, "SELECT customer_id FROM orders WHERE order_id = 'B1'") == [("张三",)]


def test_a_utf8_file_declared_gbk_is_refused(workspace, write):
    path = write("orders.csv", ORDERS + "A1,张三,2024-01-05,1\n")
    _refused(workspace, path, r"is UTF-8, not gbk as the mapping file's \[options\] say",
             {"options": {"encoding": "gbk"}})


# -- broken structure, on the right line -------------------------------------------------

def test_a_50mb_line_is_held_on_its_own_line(workspace, tmp_path):
    path = tmp_path / "orders.csv"
    with path.open("w") as handle:
        handle.write(ORDERS + "A1,C1,2024-01-05,1\n")        # line 2
        handle.write("A2,C1,2024-01-05," + "9" * (50 << 20) + "\n")   # line 3
        handle.write("A3,C1,2024-01-05,3\n")                 # line 4
    report = workspace.ingest("orders", path)
    assert (report.landed, report.quarantined) == (2, 1)
    held = workspace.quarantine().iloc[0]
    assert (held["row"], held.reason) == (3, "malformed_row")
    assert held.message.startswith("the line is 52,428,817 bytes long, more than the "
                                   "10,000,000 bytes a line may have")
    assert len(held.value) == 200


def test_an_unterminated_quote_names_its_line(workspace, write):
    path = write("orders.csv", ORDERS + "A1,C1,2024-01-05,1\n"    # line 2
                               'A2,"C1,2024-01-05,2\n'             # line 3: the quote opens
                               "A3,C1,2024-01-05,3\n")             # line 4: inside it
    report = workspace.ingest("orders", path)
    assert (report.landed, report.quarantined) == (1, 1)
    assert _held(workspace) == [(3, None, "malformed_row")]
    assert "a quote opens a value that is never closed" in workspace.quarantine().iloc[0].message


def test_empty_lines_keep_the_line_numbers(workspace, write):
    path = write("orders.csv", ORDERS + "A1,C1,2024-01-05,1\n"   # line 2
                               "\n"                               # line 3
                               "\r\n"                             # line 4
                               "A2,C1,2024-01-05,x\n"             # line 5
                               "A3,C1,2024-01-05,1,9\n"           # line 6: a field too many
                               "\n"                               # line 7
                               "A4,C1,2024-01-05,y\n")            # line 8
    workspace.ingest("orders", path)
    assert _held(workspace) == [(5, "amount", "unparseable"), (6, None, "malformed_row"),
                                (8, "amount", "unparseable")]


def _record(i: int, amount: object = 1) -> str:
    return json.dumps({"order_id": f"A{i}", "customer_id": "C1", "ordered_at": "2024-01-05",
                       "amount": amount}) + "\n"


def test_a_json_lines_record_cut_short_is_held_on_its_line(workspace, write):
    cut = _record(2)[:40] + "\n"
    path = write("orders.jsonl", _record(1) + cut + _record(3) + "\n" + _record(5, "x"))
    report = workspace.ingest("orders", path)
    # Line 2 is cut; line 4 is blank; line 5 has an unreadable amount.
    assert (report.rows_read, report.landed, report.quarantined) == (4, 2, 2)
    assert _held(workspace) == [(2, None, "malformed_row"), (5, "amount", "unparseable")]
    assert workspace.quarantine().iloc[0].message.startswith(
        "the line is not complete JSON (at character 41")


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_json_lines_with_old_mac_line_ends_are_read(workspace, write, encoding):
    # Read as one line, they were refused with the reader's "expected records" message.
    text = ('{"order_id": "A1", "customer_id": "张三", "ordered_at": "2024-01-05", "amount": 1}\r'
            '{"order_id": "A2", "customer_id": "C2", "ordered_at": "2024-01-06", "amount": 2}\r'
            '{"order_id": "A3", "customer_id": "C3", "ordered_at": "2024-01-07", "amou\r')
    path = write("o.jsonl", text, encoding)
    report = workspace.ingest("orders", path)
    assert (report.landed, report.quarantined) == (2, 1)  # A1 and A2; the cut record A3
    assert _held(workspace) == [(3, None, "malformed_row")]   # on line 3, where it stands
    assert workspace.connection.execute(
        "SELECT customer_id FROM orders WHERE order_id = 'A1'").fetchone() == ("张三",)


def test_a_json_line_that_is_not_an_object(workspace, write):
    path = write("orders.jsonl", _record(1) + "[1, 2, 3]\n" + _record(3))
    workspace.ingest("orders", path)
    assert _held(workspace) == [(2, None, "malformed_row")]
    assert "not an object" in workspace.quarantine().iloc[0].message


def test_json_lines_in_gbk_are_read(workspace, write):
    path = write("orders.jsonl", _record(1).replace("C1", "张三"), encoding="gbk")
    assert workspace.ingest("orders", path).landed == 1
    assert _rows(workspace, "SELECT customer_id FROM orders") == [("张三",)]


# -- values ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "shown"), [(float("inf"), "inf"), (float("-inf"), "-inf"),
                                                (float("nan"), "nan")])
def test_non_finite_amounts_in_parquet_are_named(workspace, tmp_path, amount, shown):
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"order_id": ["A1", "A2"], "customer_id": ["C1", "C1"],
                             "ordered_at": ["2024-01-05", "2024-01-05"],
                             "amount": pa.array([amount, 1.0], pa.float64())}), path)
    report = workspace.ingest("orders", path)
    assert (report.landed, report.quarantined) == (1, 1)
    held = workspace.quarantine().iloc[0]
    assert (held["row"], held.reason, held.value) == (1, "invalid_value", shown)
    assert held.message == f"amount is {shown}, not a finite number"


def test_a_missing_amount_in_parquet_is_still_missing(workspace, tmp_path):
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"order_id": ["A1"], "customer_id": ["C1"],
                             "ordered_at": ["2024-01-05"], "amount": pa.array([None],
                                                                              pa.float64())}),
                   path)
    workspace.ingest("orders", path)
    assert _held(workspace) == [(1, "amount", "missing_required")]


def test_dates_outside_the_plausible_range(workspace, write):
    path = write("orders.csv", ORDERS + "A1,C1,0001-01-01,1\n"      # line 2: year 1
                               "A2,C1,9999-12-31,1\n"               # line 3: year 9999
                               "A3,C1,1899-12-30,1\n"               # line 4: Excel's day 0
                               "A4,C1,2958465,1\n"                  # line 5: not a serial
                               "A5,C1,1970-01-01,1\n"               # line 6: the first day
                               "A6,C1,2024-01-05,1\n")              # line 7
    report = workspace.ingest("orders", path)
    assert (report.landed, report.quarantined) == (2, 4)
    assert _held(workspace) == [(2, "ordered_at", "out_of_range"),
                                (3, "ordered_at", "out_of_range"),
                                (4, "ordered_at", "out_of_range"),
                                (5, "ordered_at", "unparseable")]
    message = workspace.quarantine().iloc[0].message
    assert message.startswith("'0001-01-01' is outside the plausible dates 1970-01-01 to ")
    assert message.endswith("; correct it, or change ingest.earliest_date or "
                            "ingest.latest_date")


def test_the_plausible_range_is_a_setting(tmp_path, write):
    from tenure import Workspace

    with Workspace.init(tmp_path / "w") as ws:
        ws.set_setting("ingest.earliest_date", "2000-01-01")
        ws.set_setting("ingest.latest_date", "2030-12-31")
        ws.ingest("orders", write("o.csv", ORDERS + "A1,C1,1999-12-31 23:59,1\n"
                                                    "A2,C1,2030-12-31 23:59,1\n"
                                                    "A3,C1,2031-01-01,1\n"))
        assert _held(ws) == [(2, "ordered_at", "out_of_range"), (4, "ordered_at",
                                                                 "out_of_range")]
        with pytest.raises(ConfigError, match="is not a date"):
            ws.set_setting("ingest.earliest_date", "yesterday")


@pytest.mark.parametrize(("key", "day"), [("ingest.earliest_date", "0001-01-01"),
                                          ("ingest.latest_date", "9999-12-31")])
def test_the_plausible_range_stays_within_what_analyses_can_count(tmp_path, key, day):
    # A year 1 or 9999 let in by the setting crashed every analysis of the orders.
    from tenure import Workspace

    with Workspace.init(tmp_path / "w") as ws:
        with pytest.raises(ConfigError, match=f"'{day}' is outside the dates tenure can "
                                              "analyse; choose a day from 1900-01-01 to "
                                              "2200-12-31"):
            ws.set_setting(key, day)
        assert ws.config[key] == ("1970-01-01" if key == "ingest.earliest_date" else "")


def test_a_plausible_range_that_is_empty_is_refused(tmp_path, write):
    from tenure import Workspace

    with Workspace.init(tmp_path / "w") as ws:
        ws.set_setting("ingest.earliest_date", "2100-01-01")
        ws.set_setting("ingest.latest_date", "2050-01-01")
        empty = r"ingest\.earliest_date \(2100-01-01\) is not before ingest\.latest_date"
        with pytest.raises(ConfigError, match=empty) as caught:
            ws.ingest("orders", write("o.csv", ORDERS + "A1,C1,2024-01-05,1\n"))
        assert ws.connection.execute("SELECT count(*) FROM ingest_log").fetchone()[0] == 0
    assert translate(str(caught.value), "zh").startswith("ingest.earliest_date（2100-01-01）不早于")


def test_birthdays_may_be_before_1970(workspace, write):
    path = write("c.csv", "customer_id,birthday\nC1,1956-03-01\nC2,1850-01-01\n")
    workspace.ingest("customers", path)
    assert _rows(workspace, "SELECT customer_id FROM customers") == [("C1",)]
    held = workspace.quarantine().iloc[0]
    assert (held["row"], held.reason) == (3, "out_of_range")
    assert "plausible dates 1900-01-01 to" in held.message


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "'; DROP TABLE orders; --",
                                   "😀客户", "\u202eעברית", "<script>alert(1)</script>",
                                   "  padded  ", "NULL-ish"])
def test_hostile_ids_are_stored_verbatim(workspace, tmp_path, value):
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"order_id": ["A1"], "customer_id": [value],
                             "ordered_at": ["2024-01-05"], "amount": [1.0]}), path)
    workspace.ingest("orders", path)
    assert _rows(workspace, "SELECT customer_id FROM orders") == [(value.strip(),)]
    assert _rows(workspace, "SELECT count(*) FROM ingest_log") == [(1,)]


# -- wide files -------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_csv_with_10000_columns_is_read(workspace, tmp_path):
    path = tmp_path / "wide.csv"
    extra = 10_000
    header = ORDERS.strip() + "," + ",".join(f"x{i}" for i in range(extra)) + "\n"
    filler = ",".join("v" * 8 for _ in range(extra))
    with path.open("w") as handle:
        handle.write(header)
        for i in range(300):
            handle.write(f"A{i},C1,2024-01-05,1,{filler}\n")
    report = workspace.ingest("orders", path)   # under the default 1GB engine memory
    assert report.landed == 300
    assert len(report.ignored_columns) == extra
    assert report.lines()[1].endswith(", x19 and 9,980 more")


# -- mapping files ---------------------------------------------------------------------------

def _data(write):
    return write("orders.csv", "order_id,会员,ordered_at,amount\nA1,张三,2024-01-05,1\n")


MAPPING = '[columns]\n"会员" = "customer_id"\n'


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "utf-16"])
def test_mapping_files_as_editors_save_them(workspace, write, encoding):
    # Notepad's UTF-8 with a BOM, a Chinese editor's GBK, Notepad's "Unicode".
    mapping = write("map.toml", MAPPING, encoding=encoding)
    assert workspace.ingest("orders", _data(write), mapping).landed == 1


@pytest.mark.parametrize(("encoding", "line_end"), [
    ("utf-16-le", "\n"), ("utf-16-be", "\r\n"),   # "Unicode" written without its mark
    ("utf-8", "\r"), ("gbk", "\r"),                # an old Mac editor's line ends
])
def test_mapping_files_without_a_mark_or_with_old_line_ends(workspace, write, encoding,
                                                            line_end):
    # Each was "not valid TOML" at line 1, which sent people looking for a typing mistake.
    mapping = write("map.toml", ("# 映射\n" + MAPPING).replace("\n", line_end), encoding=encoding)
    assert workspace.ingest("orders", _data(write), mapping).landed == 1


def test_map_pointing_at_a_folder(workspace, write, tmp_path):
    with pytest.raises(ConfigError, match=r"is a folder; --map takes a mapping file \(\.toml\)"):
        workspace.ingest("orders", _data(write), tmp_path)
    _nothing_written(workspace)


def test_a_mapping_file_that_is_not_text(workspace, write, tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_bytes(b"\x81\xff\x81")  # neither UTF-8 nor GBK
    with pytest.raises(ConfigError, match="is not text in UTF-8 or GBK; save it as UTF-8"):
        workspace.ingest("orders", _data(write), mapping)
    _nothing_written(workspace)
