"""Value parsing as SQL: text as people write it into the contract's types.

Each contract type becomes a short chain of SQL steps that DuckDB runs over the whole
column (one projection layer per step, so a step may use its input several times without
repeating the work before it). A value that is present but cannot be read comes out NULL
and is quarantined by the caller with the raw text it started from.

Read here:
- amounts such as ``¥1,234.50``, ``1 234,50``, ``1.234,50``, ``(12.00)``, ``12.00-``,
  ``RMB 99``, full-width digits;
- dates and times such as ``2024-01-05 13:02``, ``2024/1/5``, ``2024年1月5日``,
  ``2024.1.5``, ``20240105``, ISO 8601 with an offset (``2024-01-05T13:02:00+08:00``, ``Z``)
  and Excel day serials (``45296``);
- booleans as true/false, yes/no, 1/0, 是/否, 同意/不同意;
- phone numbers, for the derived ``phone_normalized`` columns: ``+86 138 0013 8000``,
  ``0086-138-0013-8000``, ``(+86)13800138000`` and ``138-0013-8000`` all become
  ``+8613800138000``; ``010-6552 1234`` becomes ``+861065521234``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenure._sql import Params
from tenure.contract import Column

__all__ = ["ParseContext", "column_steps", "describe_expected"]

# Trailing and leading characters stripped from every text value: space, tab, CR, LF,
# no-break space and the ideographic (full-width) space.
_TRIM = "' ' || chr(9) || chr(13) || chr(10) || chr(160) || chr(12288)"
_EDGE_SPACE = r"^[\s\x{00A0}\x{3000}]|[\s\x{00A0}\x{3000}]$"
_FULL_WIDTH = ("０１２３４５６７８９，．－＋（）：／", "0123456789,.-+():/")
_CURRENCY = r"[\s\x{00A0}\x{2009}\x{202F}\x{3000}¥￥$€£''’]|元|rmb|cny|usd|eur|hkd|gbp|jpy"
_NAIVE_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y%m%d",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d%H%M%S",
]
_OFFSET_FORMATS = [
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M%z",
]
_TRUE = ["true", "t", "yes", "y", "1", "是", "同意", "opted_in", "opt_in", "in", "on", "√"]
_FALSE = ["false", "f", "no", "n", "0", "否", "不同意", "opted_out", "opt_out", "out", "off", "×"]

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
            "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_INTEGRAL = _NUMERIC[:10]


@dataclass(frozen=True)
class ParseContext:
    """What value parsing needs to know beyond the column: zones, formats, allowed values."""

    workspace_timezone: str
    file_timezone: str
    date_format: str = ""
    decimal: str = "auto"
    # Lower-cased spelling -> canonical value, per column with allowed values.
    allowed: dict[str, dict[str, str]] | None = None
    default: dict[str, object] | None = None
    # Country calling code of phone numbers written without one.
    phone_country_code: str = "86"


def _kind(source_type: str) -> str:
    t = source_type.upper()
    if t.startswith("DECIMAL") or t in _NUMERIC:
        return "integral" if t in _INTEGRAL else "numeric"
    if t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
        return "timestamptz"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "DATE":
        return "date"
    if t == "BOOLEAN":
        return "boolean"
    if t == "JSON":
        return "json"
    return "text"


Step = tuple[str, str]


def column_steps(column: Column, source_type: str, ctx: ParseContext, p: Params) -> list[Step]:
    """SQL steps turning a source column of ``source_type`` into ``column``'s type.

    Each step is ``(name, template)``. In a template ``{x}`` stands for the previous step's
    value (the source column for the first step) and ``{name}`` for an earlier step's.
    Numbers and times have a fast path (a plain cast) and run the slow normalisation only on
    the values the cast could not read.
    """
    kind = _kind(source_type)
    target = column.type
    if column.derived_from is not None:
        return _text_steps(kind) + _phone_steps(ctx, p)
    if target in ("id", "text"):
        steps = _text_steps(kind)
        allowed = (ctx.allowed or {}).get(column.name)
        if allowed:
            cases = " ".join(f"WHEN {p(k)} THEN {p(v)}" for k, v in allowed.items())
            steps.append(("allowed", f"CASE lower({{x}}) {cases} END"))
        if ctx.default and column.name in ctx.default:
            steps.append(("default", f"coalesce({{x}}, {p(ctx.default[column.name])})"))
        return steps
    if target == "number":
        if kind in ("integral", "numeric"):
            return [("value", _finite("CAST({x} AS DOUBLE)"))]
        return _text_steps(kind) + _number_steps(ctx)
    if target == "integer":
        if kind == "integral":
            return [("value", "TRY_CAST({x} AS BIGINT)")]
        if kind == "numeric":
            first = [("number", _finite("CAST({x} AS DOUBLE)"))]
        else:
            first = _text_steps(kind) + _number_steps(ctx)
        return [*first, ("whole", "CASE WHEN {x} = round({x}) AND abs({x}) < 9e18 "
                                  "THEN CAST({x} AS BIGINT) END")]
    if target == "boolean":
        if kind == "boolean":
            return [("value", "{x}")]
        if kind in ("integral", "numeric"):
            return [("value", "CASE WHEN {x} = 1 THEN true WHEN {x} = 0 THEN false END")]
        return [*_text_steps(kind), ("value",
            f"CASE WHEN lower({{x}}) IN (SELECT unnest({p(_TRUE)})) THEN true "
            f"WHEN lower({{x}}) IN (SELECT unnest({p(_FALSE)})) THEN false END")]
    if target in ("timestamp", "date"):
        steps = _timestamp_steps(kind, ctx, p)
        if target == "date":
            steps.append(("date", "CAST({x} AS DATE)"))
        return steps
    raise AssertionError(f"unknown contract type {target}")


def _phone_steps(ctx: ParseContext, p: Params) -> list[Step]:
    """A phone number in one form (E.164, ``+8613800138000``), or NULL when the text is not
    one. Extensions (``ext 12``, ``转 12``) are dropped; a national number takes the
    workspace's country code, and a trunk 0 after a country code (``+86 0755...``) goes."""
    cc = p(ctx.phone_country_code)
    digits = ("regexp_replace(regexp_replace("
              f"translate({{x}}, '{_FULL_WIDTH[0]}', '{_FULL_WIDTH[1]}'), "
              r"'(?i)\s*(ext\.?|x|转|分机|#).*$', ''), '[^0-9+]', '', 'g')")
    national = (
        r"CASE WHEN regexp_full_match({x}, '\+[1-9]\d{5,14}') THEN {x} "
        r"WHEN regexp_full_match({x}, '00[1-9]\d{5,14}') THEN '+' || {x}[3:] "
        rf"WHEN {cc} = '86' AND regexp_full_match({{x}}, '1[3-9]\d{{9}}') THEN '+86' || {{x}} "
        rf"WHEN {cc} = '86' AND regexp_full_match({{x}}, '861[3-9]\d{{9}}') THEN '+' || {{x}} "
        rf"WHEN regexp_full_match({{x}}, '0[1-9]\d{{5,12}}') THEN '+' || {cc} || {{x}}[2:] "
        rf"WHEN {cc} <> '86' AND regexp_full_match({{x}}, '[1-9]\d{{6,13}}') "
        f"THEN '+' || {cc} || {{x}} END"
    )
    trunk = f"CASE WHEN starts_with({{x}}, '+' || {cc} || '0') THEN '+' || {cc} || " \
            f"{{x}}[length({cc}) + 3:] ELSE {{x}} END"
    return [("digits", digits), ("international", national), ("phone", trunk)]


def _finite(expr: str) -> str:
    return f"CASE WHEN isfinite({expr}) THEN {expr} END"


def _text_steps(kind: str) -> list[Step]:
    if kind == "numeric":
        # Ids that went through a float column (pandas with missing values) lose nothing:
        # 1001.0 is the id "1001".
        return [("text", "CASE WHEN isnan({x}) THEN NULL WHEN {x} = round({x}) "
                         "AND abs({x}) < 9e18 THEN CAST(CAST({x} AS BIGINT) AS VARCHAR) "
                         "ELSE CAST({x} AS VARCHAR) END")]
    # A plain trim takes the spaces; the rarer tabs, line breaks, no-break and full-width
    # spaces are looked for only at the ends of what is left. A JSON value mixing numbers
    # and strings is read as its text, without the string's quotes.
    value = "{x} ->> '$'" if kind == "json" else "CAST({x} AS VARCHAR)"
    return [
        ("spaces", f"nullif(trim({value}), '')"),
        ("text", f"CASE WHEN regexp_matches({{x}}, '{_EDGE_SPACE}') "
                 f"THEN nullif(trim({{x}}, {_TRIM}), '') ELSE {{x}} END"),
    ]


def _number_steps(ctx: ParseContext) -> list[Step]:
    steps: list[Step] = []
    if ctx.decimal != ",":
        steps.append(("fast", _finite("TRY_CAST({text} AS DOUBLE)")))
        slow_input = "CASE WHEN {fast} IS NULL THEN {text} END"
    else:
        steps.append(("fast", "CAST(NULL AS DOUBLE)"))
        slow_input = "{text}"
    clean = (f"regexp_replace(translate({slow_input}, '{_FULL_WIDTH[0]}', '{_FULL_WIDTH[1]}'), "
             f"'{_CURRENCY}', '', 'gi')")
    # Accounting negatives: (12.00) and 12.00-.
    signed = ("CASE WHEN {x} LIKE '(%)' THEN '-' || {x}[2:-2] "
              "WHEN {x} LIKE '%-' AND {x} NOT LIKE '-%' THEN '-' || {x}[1:-2] ELSE {x} END")
    if ctx.decimal == ",":
        separators = "replace(replace({x}, '.', ''), ',', '.')"
    elif ctx.decimal == ".":
        separators = "replace({x}, ',', '')"
    else:
        separators = (
            "CASE WHEN contains({x}, ',') AND contains({x}, '.') THEN "
            "  CASE WHEN strpos(reverse({x}), '.') < strpos(reverse({x}), ',') "
            "  THEN replace({x}, ',', '') ELSE replace(replace({x}, '.', ''), ',', '.') END "
            r"WHEN contains({x}, ',') THEN "
            r"  CASE WHEN regexp_full_match({x}, '[-+]?\d{1,3}(,\d{3})+') "
            r"  THEN replace({x}, ',', '') ELSE replace({x}, ',', '.') END "
            r"WHEN regexp_full_match({x}, '[-+]?\d{1,3}(\.\d{3}){2,}') THEN replace({x}, '.', '') "
            "ELSE {x} END"
        )
    return [*steps, ("clean", clean), ("signed", signed), ("separators", separators),
            ("value", "coalesce({fast}, " + _finite("TRY_CAST({x} AS DOUBLE)") + ")")]


def _timestamp_steps(kind: str, ctx: ParseContext, p: Params) -> list[Step]:
    ws = p(ctx.workspace_timezone)
    same_zone = ctx.file_timezone == ctx.workspace_timezone
    to_local = "{x}" if same_zone else f"timezone({ws}, timezone({p(ctx.file_timezone)}, {{x}}))"
    if kind == "timestamp":
        return [("value", to_local)]
    if kind == "timestamptz":
        return [("value", f"timezone({ws}, {{x}})")]
    if kind == "date":
        return [("value", "CAST({x} AS TIMESTAMP)")]
    steps = _text_steps(kind)
    if ctx.date_format:
        # The user's format reads the text as written; a match becomes ISO text.
        steps.append(("user", f"coalesce(strftime(try_strptime({{x}}, {p(ctx.date_format)}), "
                              "'%Y-%m-%d %H:%M:%S.%f'), {x})"))
    # Fast path: ISO text without an offset (a plain cast would drop an offset silently).
    steps.append(("fast", "CASE WHEN NOT contains({x}, '+') AND strpos(substr({x}, 11), '-') = 0 "
                          "AND NOT ends_with(lower({x}), 'z') "
                          "AND isfinite(TRY_CAST({x} AS TIMESTAMP)) "
                          "THEN TRY_CAST({x} AS TIMESTAMP) END"))
    source = "CASE WHEN {fast} IS NULL THEN {" + steps[-2][0] + "} END"
    normalise = (
        "rtrim(regexp_replace(regexp_replace(regexp_replace("
        f"replace(replace(replace(replace(replace(replace(replace(replace(translate({source}, "
        f"'{_FULL_WIDTH[0]}', '{_FULL_WIDTH[1]}'), "
        "'年', '-'), '月', '-'), '日', ' '), '号', ' '), '时', ':'), '分', ':'), '秒', ''), "
        "'T', ' '), "
        r"'^(\d{4})[./](\d{1,2})[./](\d{1,2})', '\1-\2-\3'), "
        r"'\s*[zZ]$', '+00:00'), "
        r"'\s+', ' ', 'g'), ' :')"
    )
    offset = r"':\d{2}(:\d{2}(\.\d+)?)?\s?[+-]\d{2}:?\d{2}$'"
    serial = r"'\d{5}(\.\d+)?'"
    naive = f"try_strptime({{x}}, {p(_NAIVE_FORMATS)})"
    parse = (
        f"CASE WHEN {{x}} IS NULL THEN NULL WHEN regexp_matches({{x}}, {offset}) "
        f"THEN timezone({ws}, try_strptime(regexp_replace({{x}}, "
        r"'\s([+-]\d{2}:?\d{2})$', '\1'), "
        f"{p(_OFFSET_FORMATS)})) "
        f"WHEN regexp_full_match({{x}}, {serial}) "
        # Excel stores a date as days since 1899-12-30, the time as the fraction of a day.
        "THEN " + to_local.replace("{x}", (
            "CAST(DATE '1899-12-30' + to_days(CAST(floor(CAST({x} AS DOUBLE)) AS INTEGER)) "
            "AS TIMESTAMP) + to_microseconds(CAST(round((CAST({x} AS DOUBLE) % 1) * 86400e6) "
            "AS BIGINT))")) + " "
        f"ELSE {to_local.replace('{x}', naive)} END"
    )
    fast_local = to_local.replace("{x}", "{fast}")
    return [*steps, ("normalised", normalise), ("slow", parse),
            ("value", f"coalesce({fast_local}, {{x}})")]


def describe_expected(column: Column) -> str:
    """How to write a value of ``column``'s type, for quarantine messages."""
    return {
        "number": "a number such as 1234.50 or ¥1,234.50",
        "integer": "a whole number",
        "timestamp": "a date and time such as 2024-01-05 13:02 or 2024年1月5日",
        "date": "a date such as 2024-01-05 or 2024年1月5日",
        "boolean": "true or false (yes/no, 1/0, 是/否)",
    }.get(column.type, "text")
