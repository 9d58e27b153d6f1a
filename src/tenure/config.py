"""Every workspace setting, declared once.

A :class:`Setting` names a key, its default, its type and a help text. The same declarations
write the commented ``tenure.toml`` of a new workspace, validate a loaded one, drive
``tenure config`` and generate ``docs/configuration.md``.

Settings whose value is a structure rather than a scalar (calendars, policies) live in their
own top-level tables; a capability that reads one registers its name in
``STRUCTURED_SECTIONS`` and validates it itself.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import re
import tomllib
import unicodedata
import warnings
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from tenure.errors import ConfigError

__all__ = ["SETTINGS", "Config", "Setting", "currency_sign", "read_text", "render_docs",
           "render_toml"]


def read_text(path: Path) -> str:
    """The text of a settings or mapping file as editors save it: UTF-8 with or without a
    byte-order mark (Notepad writes one), UTF-16 with or without one, or GBK (Chinese
    editors); lines may end in ``\\r\\n``, ``\\n`` or, from old Mac editors, ``\\r``.

    Raises OSError as reading does, and a ConfigError when the bytes are none of these.
    """
    data = path.read_bytes()
    return _decoded(data, path).replace("\r\n", "\n").replace("\r", "\n")


def _decoded(data: bytes, path: Path) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    # UTF-16 without a mark: the first character of a TOML file is ASCII ('[', '#', a
    # letter), with its zero byte on the right (little-endian) or the left (big-endian).
    wide = {0: "utf-16-be", 1: "utf-16-le"}.get(data[:2].find(b"\x00"))
    encodings = (wide,) if wide and len(data) % 2 == 0 else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ConfigError(f"{path}: is not text in UTF-8 or GBK; save it as UTF-8")


def _check_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"'{value}' is not a time zone name; use an IANA name such as 'Asia/Shanghai' or 'UTC'"
        ) from exc


def _check_memory(value: str) -> None:
    text = value.strip().upper().replace(" ", "")
    units = ("KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB")
    number = next((text[: -len(u)] for u in units if text.endswith(u)), None)
    if number is None or not number.replace(".", "", 1).isdigit():
        raise ConfigError(f"'{value}' is not a memory size; write it like '2GB' or '512MB'")


def _check_positive(value: int) -> None:
    if value <= 0:
        raise ConfigError(f"{value} must be a positive whole number")


def _check_non_negative(value: int) -> None:
    if value < 0:
        raise ConfigError(f"{value} must be zero or a positive whole number")


def _check_positive_number(value: float) -> None:
    if value <= 0:
        raise ConfigError(f"{value} must be a number above 0")


def _check_fraction(value: float) -> None:
    if not 0 < value < 1:
        raise ConfigError(f"{value} must be a share between 0 and 1, such as 0.2")


def _check_stage_names(value: list[str]) -> None:
    if len(value) < 2:
        raise ConfigError("the funnel needs at least two stages, the last one being the win")
    if len({v.lower() for v in value}) != len(value):
        raise ConfigError(f"stage names {value} repeat a name; each stage needs its own name")


def _check_churn_definition(value: str) -> None:
    if value not in ("non_contractual", "contractual"):
        raise ConfigError(f"'{value}' is not a churn definition; use non_contractual or "
                          "contractual")


def _check_horizon(value: str) -> None:
    if value and not re.fullmatch(r"\s*[1-9]\d*\s*[dDwW]?\s*", value):
        raise ConfigError(f"'{value}' is not a horizon; write days or weeks such as '180D' "
                          "or '26W', or leave it empty to learn it")


def _check_engine(value: str) -> None:
    if value not in ENGINES:
        raise ConfigError(f"'{value}' is not an engine tenure runs on; use duckdb or spark")


def _check_spark_tables(value: dict) -> None:
    # The names are checked against the contract where the tables are read (tenure.spark).
    for name, where in value.items():
        if not isinstance(where, str) or not where.strip():
            raise ConfigError(f"{name} = {where!r} should be a path or a table name in quotes")


def _check_language(value: str) -> None:
    if value not in ("en", "zh"):
        raise ConfigError(f"'{value}' is not a language tenure speaks; use en or zh")


# The engines the relational steps run on: DuckDB (the default, always installed) and
# Spark (the `tenure[spark]` extra).
ENGINES = ("duckdb", "spark")

# The plausible dates a setting may allow: the analyses add periods and horizons to the
# dates they find, which a year 1 or 9999 overflows.
PLAUSIBLE_DATES = (dt.date(1900, 1, 1), dt.date(2200, 12, 31))


def _check_date(value: str) -> None:
    if value:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"'{value}' is not a date; write it like '1970-01-01'") from None
        low, high = PLAUSIBLE_DATES
        if not low <= day <= high:
            raise ConfigError(f"'{value}' is outside the dates tenure can analyse; choose a "
                              f"day from {low} to {high}")


def _check_calling_code(value: str) -> None:
    if not re.fullmatch(r"[1-9]\d{0,2}", value):
        raise ConfigError(f"'{value}' is not a country calling code; write digits such as "
                          "'86' or '1'")


def _check_quantile(value: float) -> None:
    if not 0.5 <= value < 1.0:
        raise ConfigError(f"{value} should be at least 0.5 and below 1, such as 0.9")


# The sign written before an amount in each currency.
_SIGNS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£",
          "HKD": "HK$", "TWD": "NT$", "SGD": "S$", "AUD": "A$", "CAD": "C$", "KRW": "₩",
          "INR": "₹"}


def currency_sign(code: str) -> str:
    """The sign written before an amount in currency ``code``; a code without a usual sign
    is written itself, with a space.

    >>> currency_sign("CNY"), currency_sign("chf"), currency_sign("")
    ('¥', 'CHF ', '')
    """
    code = (code or "").strip().upper()
    return _SIGNS.get(code, f"{code} " if code else "")


@dataclass(frozen=True)
class Setting:
    """One configurable value: ``section.name``, its default and what it does."""

    key: str
    default: Any
    help: str
    check: Callable[[Any], None] | None = field(default=None, compare=False)

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]

    def coerce(self, value: Any, *, where: str) -> Any:
        """Return ``value`` as this setting's type, or raise a ConfigError naming ``where``
        (a file; the key itself for a value given alone, which is then named once)."""
        named = self.key if where == self.key else f"{where}: {self.key}"
        expected = type(self.default)
        ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if expected is list:
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if not ok:
            raise ConfigError(
                f"{named} = {value!r} should be {_type_words(self.default)}"
            )
        if self.check is not None:
            try:
                self.check(value)
            except ConfigError as exc:
                raise ConfigError(f"{named}: {exc}") from None
        return value


def _type_words(default: Any) -> str:
    return {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "a text in quotes",
        list: "a list of texts such as [\"a\", \"b\"]",
        dict: "a table such as { name = 1 }",
    }[type(default)]


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "workspace.timezone",
        "UTC",
        "Time zone of the business. Timestamps are stored as local time in this zone; a file "
        "whose times are in another zone says so with `timezone` in its mapping.",
        _check_timezone,
    ),
    Setting(
        "workspace.currency",
        "CNY",
        "Currency of amounts when an order has no currency column.",
    ),
    Setting(
        "workspace.language",
        "en",
        "Language of what the command line prints for this workspace: `en` or `zh` "
        "(Simplified Chinese). The `--lang` option and the TENURE_LANG variable come first.",
        _check_language,
    ),
    Setting(
        "ingest.strict_references",
        False,
        "Quarantine rows that name a customer (or order, or ticket) the workspace does not "
        "hold yet, instead of accepting them.",
    ),
    Setting(
        "ingest.earliest_date",
        "1970-01-01",
        "Dates and times before this day are quarantined as out_of_range (a year 1 or an "
        "Excel zero date is a mistake, not a customer). Birthdays may go back to 1900. A "
        "day from 1900-01-01 to 2200-12-31, before ingest.latest_date.",
        _check_date,
    ),
    Setting(
        "ingest.latest_date",
        "",
        "Dates and times after this day are quarantined as out_of_range; empty means one "
        "year after the day of the ingest. At most 2200-12-31.",
        _check_date,
    ),
    Setting(
        "ingest.paid_statuses",
        ["交易成功", "交易完成", "已完成", "已付款", "买家已付款", "已支付", "支付成功",
         "待发货", "等待卖家发货", "已发货", "卖家已发货", "待收货", "等待买家确认收货",
         "已收货", "已签收", "部分发货", "paid", "completed", "complete", "shipped",
         "delivered", "fulfilled", "processing", "partially_paid"],
        "Order statuses that are sales: their rows land as they are. A status in none of the "
        "three lists lands too, and the ingest report names it so that you can place it.",
    ),
    Setting(
        "ingest.excluded_statuses",
        ["交易关闭", "已关闭", "订单关闭", "已取消", "取消", "订单取消", "交易取消", "待付款",
         "等待买家付款", "未付款", "待支付", "未支付", "支付失败", "已失效", "closed",
         "cancelled", "canceled", "void", "voided", "unpaid", "pending", "pending_payment",
         "awaiting_payment", "payment_failed", "failed", "expired", "abandoned", "draft"],
        "Order statuses that are not sales (closed, cancelled, unpaid): their rows are left "
        "out and counted in the ingest report under their own heading, never quarantined. "
        "A stored order whose status becomes one of these is removed, its last version kept "
        "in row_history.",
    ),
    Setting(
        "ingest.refund_statuses",
        ["退款成功", "已退款", "全额退款", "退货退款成功", "退货成功", "已退货", "refunded",
         "returned", "refund"],
        "Order statuses that mark a refund: the row lands with a negative amount (an amount "
        "already negative stays as it is). If your export marks a refunded order on the "
        "order's own row, list its status in ingest.excluded_statuses instead.",
    ),
    Setting(
        "ingest.phone_country_code",
        "86",
        "Country calling code of phone numbers written without one, for the phone_normalized "
        "column (13800138000 becomes +8613800138000).",
        _check_calling_code,
    ),
    Setting(
        "engine.memory_limit",
        "1GB",
        "Memory the DuckDB engine may use before it spills to disk.",
        _check_memory,
    ),
    Setting(
        "engine.threads",
        0,
        "Threads the DuckDB engine may use; 0 uses every core.",
        _check_non_negative,
    ),
    Setting(
        "engine.name",
        "duckdb",
        "The engine the summaries, analyses and scores run on: `duckdb` (the workspace's own) "
        "or `spark` (the tables named under [spark.tables], through the `tenure[spark]` "
        "extra).",
        _check_engine,
    ),
    Setting(
        "spark.master",
        "local[*]",
        "The Spark master tenure starts its session with when it starts one itself: "
        "`local[*]` (every core of this machine), or a cluster's URL such as "
        "`spark://host:7077` or `yarn`.",
    ),
    Setting(
        "spark.tables",
        {},
        "Where each contract table lives for the Spark engine: a Parquet or Delta folder "
        "(local, `hdfs://` or `s3a://`) or a catalog table, such as "
        "`{ orders = \"s3a://lake/orders/\", customers = \"crm.customers\" }`.",
        _check_spark_tables,
    ),
    Setting(
        "spark.mappings",
        {},
        "A mapping file per table for the Spark engine, as `tenure ingest --mapping` reads "
        "them: the table's column names onto the contract, such as "
        "`{ orders = \"orders.toml\" }`.",
        _check_spark_tables,
    ),
    Setting(
        "spark.quarantine",
        "quarantine",
        "The folder (local, `hdfs://` or `s3a://`) where the Spark engine writes the rows that "
        "break a rule of the contract, one Parquet folder per table, each row with its "
        "reason.",
    ),
    Setting(
        "spark.output",
        "scores",
        "The folder (local, `hdfs://` or `s3a://`) where the Spark engine writes the scores: "
        "Parquet, one partition per as-of date (`as_of=2025-12-31`), which scoring that date "
        "again replaces.",
    ),
    Setting(
        "funnel.stages",
        ["ML", "MQL", "SL", "SQL", "won"],
        "Lead stages in funnel order, the last one being the win. Stage values in `leads` "
        "must be one of these or the lost stage (compared without case).",
        _check_stage_names,
    ),
    Setting(
        "funnel.lost_stage",
        "lost",
        "Stage value that marks a lead as lost.",
    ),
    # -- retention analytics (tenure.analytics) --------------------------------------------
    Setting(
        "lifecycle.at_risk_days",
        0.0,
        "Days without a purchase after which a customer is at risk. 0 learns it for each "
        "customer from their own rhythm: at_risk_multiple times their typical gap between "
        "purchases.",
        _check_non_negative,
    ),
    Setting(
        "lifecycle.churned_days",
        0.0,
        "Days without a purchase after which a customer counts as churned. 0 learns it for "
        "each customer: churned_multiple times their typical gap between purchases.",
        _check_non_negative,
    ),
    Setting(
        "lifecycle.at_risk_multiple",
        2.0,
        "A customer is at risk once the days since their last purchase pass this many of "
        "their typical gaps between purchases.",
        _check_positive_number,
    ),
    Setting(
        "lifecycle.churned_multiple",
        4.0,
        "A customer has churned once the days since their last purchase pass this many of "
        "their typical gaps between purchases.",
        _check_positive_number,
    ),
    Setting(
        "lifecycle.prior_gaps",
        1.0,
        "Weight, in gaps, of the business's typical gap in each customer's rhythm: a "
        "customer with few purchases leans on the business, one with many on their own.",
        _check_non_negative,
    ),
    Setting(
        "lifecycle.at_risk_p_alive",
        0.8,
        "With value-model scores: a customer whose P(alive) is below this is at risk.",
        _check_fraction,
    ),
    Setting(
        "lifecycle.churned_p_alive",
        0.5,
        "With value-model scores: a customer whose P(alive) is below this has churned (more "
        "likely gone than not).",
        _check_fraction,
    ),
    Setting(
        "rfm.bins",
        5,
        "Quantile bins of the recency, frequency and monetary scores (5 gives scores 1 to 5).",
        _check_positive,
    ),
    Setting(
        "rfm.top_share",
        0.2,
        "Share of customers whose part of the revenue is reported (the top 20%).",
        _check_fraction,
    ),
    Setting(
        "rfm.super_user_share",
        0.01,
        "Share of customers, by CLV or spend, reported as super users.",
        _check_fraction,
    ),
    Setting(
        "rfm.regular_min_purchases",
        2,
        "Purchases (on distinct days) that make a customer regular rather than one-off.",
        _check_positive,
    ),
    Setting(
        "rfm.relationship_min_days",
        180,
        "Days from first to last purchase that make a relationship rather than a "
        "transactional customer.",
        _check_non_negative,
    ),
    Setting(
        "rfm.valuable_percentile",
        0.8,
        "CLV (or spend) percentile from which a customer is valuable rather than low-value.",
        _check_fraction,
    ),
    Setting(
        "rfm.core_min_categories",
        2,
        "Product categories bought that make a core rather than a loose customer.",
        _check_positive,
    ),
    Setting(
        "loyalty.early_repeat_days",
        60,
        "A customer who buys again within this many days of their first purchase is an "
        "early repeater.",
        _check_positive,
    ),
    Setting(
        "loyalty.repeat_window_days",
        365,
        "Window in which a next purchase counts on the loyalty ladder; only purchases at "
        "least this old are judged, so recent customers do not look disloyal.",
        _check_positive,
    ),
    Setting(
        "loyalty.max_purchases",
        10,
        "Rungs of the loyalty ladder; customers with more purchases share the top rung.",
        _check_positive,
    ),
    Setting(
        "loyalty.loyal_probability",
        0.8,
        "Chance of a next purchase from which a rung of the ladder counts as loyal.",
        _check_fraction,
    ),
    Setting(
        "handover.window_days",
        90,
        "Days after an owner change (or the matched date) in which churn and spend are "
        "measured.",
        _check_positive,
    ),
    Setting(
        "analytics.confidence",
        0.95,
        "Confidence level of the intervals the analyses report.",
        _check_fraction,
    ),
    Setting(
        "churn_reasons.customer_side",
        ["closed", "acquired", "moved"],
        "Reason codes on the customer's side, used when a reason has no side recorded.",
    ),
    Setting(
        "churn_reasons.product_side",
        ["missing_feature", "poor_onboarding", "setup_problems", "not_adopted", "bugs",
         "service"],
        "Reason codes on the product's side, used when a reason has no side recorded.",
    ),
    Setting(
        "churn.definition",
        "non_contractual",
        "What churn means here: `non_contractual` (no purchase within the horizon after a "
        "date) or `contractual` (a membership not renewed).",
        _check_churn_definition,
    ),
    Setting(
        "churn.horizon",
        "",
        "Churn horizon in days or weeks, such as `26W` or `180D`. Empty: learned from the gaps "
        "between purchases (non-contractual) or one membership period (contractual).",
        _check_horizon,
    ),
    Setting(
        "churn.horizon_quantile",
        0.9,
        "Share of the gaps between a customer's purchases that a learned horizon covers.",
        _check_quantile,
    ),
    Setting(
        "churn.membership_period_days",
        365,
        "Days in one paid membership period, for days-to-renewal and the contractual horizon.",
        _check_positive,
    ),
    Setting(
        "churn.min_customers",
        200,
        "Labelled customers (rows of the training snapshots) below which `churn train` "
        "refuses to fit a model: with fewer, what it learns is mostly noise.",
        _check_positive,
    ),
    Setting(
        "churn.min_churned",
        40,
        "Churned customers, and as many who stayed, that the training snapshots must hold "
        "for `churn train` to fit a model.",
        _check_positive,
    ),
    # -- the customer lists and profiles (tenure.customers) --------------------------------
    Setting(
        "customers.high_risk",
        0.5,
        "Churn risk from which a customer is in the high risk band.",
        _check_fraction,
    ),
    Setting(
        "customers.medium_risk",
        0.2,
        "Churn risk from which a customer is in the medium risk band (below it: low).",
        _check_fraction,
    ),
    # -- the service (tenure serve) --------------------------------------------------------
    Setting(
        "service.max_upload_mb",
        200,
        "Largest file the service accepts for ingest, in megabytes.",
        _check_positive,
    ),
    Setting(
        "service.max_batch_rows",
        10000,
        "Most rows one JSON batch posted to the service may hold.",
        _check_positive,
    ),
    Setting(
        "service.max_page_size",
        500,
        "Most rows one page of a list (API or dashboard) may ask for.",
        _check_positive,
    ),
    Setting(
        "service.query_seconds",
        30.0,
        "Longest a request of the service may compute before it is stopped with an error.",
        _check_positive_number,
    ),
    Setting(
        "service.session_hours",
        12,
        "Hours a dashboard login lasts before the token is asked for again.",
        _check_positive,
    ),
)

_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}

# Settings that earlier versions wrote into every new tenure.toml and that no longer exist:
# a file that still has one loads with a warning instead of failing, since its owner did not
# choose to write it.
RETIRED: dict[str, str] = {
    "ingest.batch_rows": "ingest now sizes its own batches",
}


class ConfigWarning(UserWarning):
    """A ``tenure.toml`` holds something tenure reads past: a setting it no longer has."""

# Top-level tables holding structured settings, validated by the capability that owns them.
STRUCTURED_SECTIONS: set[str] = set()
STRUCTURED_SECTIONS.add("sla")  # calendars and policies, validated by tenure.sla
STRUCTURED_SECTIONS.add("actions")  # playbooks, channels and the contact policy, by tenure.actions


class Config(Mapping[str, Any]):
    """The settings of one workspace: every declared key, with file values over defaults.

    >>> Config()["workspace.timezone"]
    'UTC'
    """

    def __init__(
        self, values: Mapping[str, Any] | None = None, *, raw: Mapping[str, Any] | None = None
    ):
        self._values = {s.key: s.default for s in SETTINGS}
        for key, value in (values or {}).items():
            self._values[key] = _setting(key, "settings").coerce(value, where="settings")
        self.raw: dict[str, Any] = dict(raw or {})

    @classmethod
    def load(cls, path: Path) -> Config:
        """Read and validate a ``tenure.toml``."""
        try:
            raw = tomllib.loads(read_text(path))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
        values = {}
        for section, body in raw.items():
            if section in STRUCTURED_SECTIONS:
                continue
            if not isinstance(body, dict):
                raise ConfigError(f"{path}: '{section}' should be a table such as [{section}]")
            for name, value in body.items():
                key = f"{section}.{name}"
                if key in RETIRED:
                    warnings.warn(f"{path}: '{key}' is no longer a setting ({RETIRED[key]}); "
                                  "delete its line", ConfigWarning, stacklevel=2)
                    continue
                values[key] = _setting(key, str(path)).coerce(value, where=str(path))
        return cls(values, raw=raw)

    def __getitem__(self, key: str) -> Any:
        return self._values[_setting(key, "settings").key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def section(self, name: str) -> dict[str, Any]:
        """The raw body of a structured section, or an empty dict."""
        return dict(self.raw.get(name, {}))


def _setting(key: str, where: str) -> Setting:
    try:
        return _BY_KEY[key]
    except KeyError:
        close = difflib.get_close_matches(key, _BY_KEY, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; `tenure config` lists them"
        raise ConfigError(f"{where}: there is no setting '{key}'{hint}") from None


def set_value(path: Path, key: str, text: str) -> Any:
    """Set ``key`` in the TOML file at ``path`` from its command-line text, keeping comments."""
    setting = _setting(key, str(path))
    value: Any
    kind = type(setting.default)
    if kind is bool:
        lowered = text.strip().lower()
        if lowered not in {"true", "false"}:
            raise ConfigError(f"{key} takes true or false, not '{text}'")
        value = lowered == "true"
    elif kind is int:
        try:
            value = int(text)
        except ValueError:
            raise ConfigError(f"{key} takes a whole number, not '{text}'") from None
    elif kind is float:
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"{key} takes a number such as 0.9, not '{text}'") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{key} takes a finite number, not '{text}'")
    elif kind is list:
        value = [part.strip() for part in text.split(",") if part.strip()]
    else:
        value = text
    value = setting.coerce(value, where=key)
    document = tomlkit.parse(read_text(path))
    table = document.setdefault(setting.section, tomlkit.table())
    table[setting.name] = value
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return value


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):  # inline, on the setting's own line: `tables = {}`
        table = tomlkit.inline_table()
        table.update(value)
        return table.as_string()
    return tomlkit.item(value).as_string()


# What a line of Chinese breaks between: a character, a run of ASCII (a key, `code`, a
# number), each with the punctuation that may not begin or end a line kept on its side.
_UNIT = re.compile(r"\s+|[（「『“]*(?:[!-~]+|[^\s!-~])[，。；：、）」』”！？]*")


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int = 92) -> Iterable[str]:
    if not text.isascii():  # two columns a Chinese character; no spaces between words
        line, space = "", False
        for unit in _UNIT.findall(text):
            if unit.isspace():
                space = True
                continue
            joined = f"{line} {unit}" if space and line else line + unit
            if line and _columns(joined) > width:
                yield line
                joined = unit
            line, space = joined, False
        if line:
            yield line
        return
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            yield line
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        yield line


def render_toml(overrides: Mapping[str, Any] | None = None, *,
                translate: Callable[[str], str] | None = None) -> str:
    """The text of a new ``tenure.toml``: every setting with its help, defaults or overrides;
    the comments in the words ``translate`` gives them (as they are without it)."""
    overrides = dict(overrides or {})
    say = translate or (lambda text: text)
    heading = say("tenure workspace settings. Every setting is listed with its help and "
                  "default;\nchange a value here or with `tenure config KEY VALUE`.")
    lines = [f"# {part}" for part in heading.split("\n")]
    section = None
    for setting in SETTINGS:
        if setting.section != section:
            section = setting.section
            lines += ["", f"[{section}]"]
        lines += [f"# {part}" for part in _wrap(say(setting.help))]
        value = overrides.get(setting.key, setting.default)
        lines.append(f"{setting.name} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def render_docs() -> str:
    """The settings reference, as Markdown (``docs/configuration.md``)."""
    lines = [
        "# Configuration",
        "",
        "Each workspace keeps its settings in `tenure.toml` beside its database. `tenure init`",
        "writes every setting with its default and help; change one by editing the file or with",
        "`tenure config KEY VALUE`, and list them with `tenure config`.",
        "",
        "This page is generated from the declarations in `tenure/config.py`.",
        "",
        "| setting | default | what it does |",
        "| --- | --- | --- |",
    ]
    for setting in SETTINGS:
        lines.append(f"| `{setting.key}` | `{_toml_value(setting.default)}` | {setting.help} |")
    return "\n".join(lines) + "\n"
