"""Mapping files: the user's column names onto the contract, and how to read the values.

A mapping file is TOML::

    [columns]
    "订单号" = "order_id"
    "客户编号" = "customer_id"
    "下单时间" = "ordered_at"
    "实付金额" = "amount"

    [options]
    encoding = "gb18030"
    timezone = "Asia/Shanghai"

    [[filter]]
    column = "店铺"
    in = ["旗舰店"]
    reason = "other shops are booked elsewhere"

Every option is declared once in ``OPTIONS`` with its default and help; the same declarations
validate mapping files and document them in ``docs/ingest.md``. A filter leaves rows out
(``in``: keep only these values; ``not_in``: leave these out); the rows it leaves out are
counted in the ingest report with its reason, never quarantined. A column mapped to ``""``
is ignored.
"""

from __future__ import annotations

import tomllib
import zoneinfo
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tenure.config import read_text
from tenure.errors import ConfigError

__all__ = ["OPTIONS", "Mapping", "ReadOptions", "RowFilter"]

_ENCODINGS = {"auto", "utf-8", "utf-8-sig", "gbk", "gb2312", "gb18030", "utf-16", "big5",
              "latin-1", "cp1252", "shift_jis"}


@dataclass(frozen=True)
class ReadOptions:
    """How to read one file's values. Every field is a mapping-file option."""

    encoding: str = field(default="auto", metadata={
        "help": "Text encoding of a CSV file: auto (UTF-8 with or without BOM, else "
                "GB18030, which covers GBK and GB2312), or a name such as gbk or utf-16."})
    delimiter: str = field(default="auto", metadata={
        "help": "Field separator of a CSV file: auto (comma, tab, semicolon or bar, read "
                "from the header line) or the character itself."})
    timezone: str = field(default="", metadata={
        "help": "Time zone the file's times are in; empty means the workspace's. Times "
                "with an explicit offset (+08:00, Z) keep it."})
    date_format: str = field(default="", metadata={
        "help": "A strptime format tried before the built-in ones, for dates such as "
                "05/01/2024 (%d/%m/%Y) whose order cannot be guessed."})
    decimal: str = field(default="auto", metadata={
        "help": "Decimal separator of amounts: auto, '.' or ','. Auto reads 1,234.50 and "
                "1.234,50 and 1 234,50; a lone comma followed by three digits is a "
                "thousands separator."})
    sheet: str = field(default="", metadata={
        "help": "Worksheet of an Excel file; empty means the first one."})
    skip_rows: int = field(default=0, metadata={
        "help": "Lines (or sheet rows) to skip before the header, for exports with a title."})

    def __post_init__(self) -> None:
        if self.encoding.lower() not in _ENCODINGS:
            raise ConfigError(
                f"encoding '{self.encoding}' is not supported; use one of "
                f"{', '.join(sorted(_ENCODINGS))}"
            )
        if self.delimiter != "auto" and len(self.delimiter) != 1 and self.delimiter != "\\t":
            raise ConfigError(f"delimiter '{self.delimiter}' should be one character or auto")
        if self.decimal not in {"auto", ".", ","}:
            raise ConfigError(f"decimal '{self.decimal}' should be auto, '.' or ','")
        if self.timezone:
            try:
                zoneinfo.ZoneInfo(self.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ConfigError(
                    f"timezone '{self.timezone}' is not a time zone name; use an IANA name "
                    "such as 'Asia/Shanghai'"
                ) from None
        if self.skip_rows < 0:
            raise ConfigError(f"skip_rows {self.skip_rows} should be zero or more")


OPTIONS = {f.name: (f.default, f.metadata["help"]) for f in fields(ReadOptions)}


@dataclass(frozen=True)
class RowFilter:
    """Rows to leave out by the value of one column (a header of the file or a contract
    column): ``keep`` keeps only ``values``, otherwise ``values`` are left out. Values are
    compared without case and surrounding spaces."""

    column: str
    values: tuple[str, ...]
    keep: bool
    reason: str

    @classmethod
    def from_dict(cls, raw: Any, where: str) -> RowFilter:
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: a [filter] has column, in or not_in, and reason")
        keys = set(raw)
        unknown = keys - {"column", "in", "not_in", "not in", "reason"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)} in [filter]; a filter "
                              "has column, in or not_in, and reason")
        column = raw.get("column")
        if not isinstance(column, str) or not column.strip():
            raise ConfigError(f"{where}: a [filter] needs column = \"the header\"")
        lists = [k for k in ("in", "not_in", "not in") if k in raw]
        if len(lists) != 1:
            raise ConfigError(f"{where}: the [filter] on '{column}' needs exactly one of in = "
                              "[...] (keep only these) or not_in = [...] (leave these out)")
        values = raw[lists[0]]
        if isinstance(values, str | int | float):
            values = [values]
        if not isinstance(values, list) or not values or not all(
                isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
            raise ConfigError(f"{where}: {lists[0]} of the [filter] on '{column}' should be a "
                              "list of values such as [\"交易关闭\", \"已取消\"]")
        keep = lists[0] == "in"
        texts = tuple(str(v).strip() for v in values)
        reason = raw.get("reason")
        if reason is None:
            reason = (f"{column} not one of {', '.join(texts)}" if keep
                      else f"{column} is {' or '.join(texts)}")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where}: reason of the [filter] on '{column}' should be a text")
        return cls(column.strip(), texts, keep, reason.strip())


@dataclass(frozen=True)
class Mapping:
    """Source column names onto contract column names, read options and row filters."""

    columns: dict[str, str] = field(default_factory=dict)
    options: ReadOptions = field(default_factory=ReadOptions)
    filters: tuple[RowFilter, ...] = ()

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        path = Path(path)
        if path.is_dir():
            raise ConfigError(f"{path}: is a folder; --map takes a mapping file (.toml)")
        try:
            raw = tomllib.loads(read_text(path))
        except FileNotFoundError:
            raise ConfigError(f"{path}: mapping file not found") from None
        except OSError as exc:
            raise ConfigError(f"{path}: mapping file cannot be read "
                              f"({exc.strerror or exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        return cls.from_dict(raw, where=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, where: str = "mapping") -> Mapping:
        unknown = set(raw) - {"columns", "options", "filter"}
        if unknown:
            raise ConfigError(
                f"{where}: unknown section(s) {sorted(unknown)}; a mapping has [columns], "
                "[options] and [[filter]]"
            )
        columns = raw.get("columns", {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in columns.items()):
            raise ConfigError(f"{where}: [columns] maps header texts to contract column names")
        options = raw.get("options", {})
        bad = set(options) - set(OPTIONS)
        if bad:
            raise ConfigError(
                f"{where}: unknown option(s) {sorted(bad)}; options are {', '.join(OPTIONS)}"
            )
        for name, value in options.items():
            if type(value) is not type(OPTIONS[name][0]):
                raise ConfigError(f"{where}: option {name} = {value!r} has the wrong type")
        try:
            read_options = ReadOptions(**options)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        found = raw.get("filter", [])
        filters = tuple(RowFilter.from_dict(f, where)
                        for f in (found if isinstance(found, list) else [found]))
        return cls(dict(columns), read_options, filters)
