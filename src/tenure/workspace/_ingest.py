"""Validated, idempotent ingest of one source into one contract table.

The steps, all run by DuckDB over whole columns:

1. read the source's header (``tenure.io``), match its columns to the contract, then read
   only the columns that land;
2. stage: parse every value into the contract's type, keeping the raw text where parsing
   can fail, and set aside the rows that are not data: blank rows, totals rows, and rows
   excluded by an order status or a mapping-file filter (counted, never quarantined);
3. find the problems: unreadable values, missing required values, values outside the
   allowed ones, dates outside the plausible range, rows that break a rule, keys repeated
   with conflicting values and, when ``ingest.strict_references`` is on, references to
   rows the workspace does not hold;
4. in one transaction: remove stored rows this file now excludes, insert new keys, update
   changed ones (their previous version goes to ``row_history``), replace this source's
   quarantine rows and write the ingest log.

A file that cannot be read at all raises before anything is written; so do Ctrl-C (as
KeyboardInterrupt), a full disk and a memory limit too low, each with nothing written.
Ingesting the same source twice changes no data: every row is found unchanged.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from tenure._sql import Params, ident
from tenure.config import Config
from tenure.contract import Column, Table, header_key
from tenure.contract import table as contract_table
from tenure.errors import ConfigError, WorkspaceError
from tenure.io._mapping import Mapping, RowFilter
from tenure.io._match import ColumnMatch, header_words, match_columns
from tenure.io._parse import ParseContext, column_steps, describe_expected
from tenure.io._rows import ROW, Source, first_line_of
from tenure.io._sources import open_source
from tenure.progress import Progress, Steps
from tenure.results import Result
from tenure.workspace._transaction import Runner, transaction

__all__ = ["TOTALS_WORDS", "IngestReport", "ingest"]

_STAGE = "_tenure_stage"
_PROBLEMS = "_tenure_problems"
_INCOMING = "_tenure_incoming"
_FATE = "_tenure_fate"
_TEMPS = (_STAGE, _PROBLEMS, _FATE, "_tenure_matched", "_tenure_repeated", "_tenure_withdrawn")
# The first cell of a row that sums up the rows above it, as spreadsheets write it.
TOTALS_WORDS = ("合计", "总计", "小计", "总合计", "共计", "合计金额", "total", "totals",
                "grand total", "subtotal", "sub-total", "sum")
# Every way they are written (case, a colon after them): an exact match is a hash lookup,
# where lowering and trimming every first cell of a big file costs a second per million.
_TOTALS_SPELLINGS = sorted({form + colon for word in TOTALS_WORDS
                            for form in (word, word.capitalize(), word.title(), word.upper())
                            for colon in ("", ":", "：")})
# How many of a file's first text columns may hold a totals word.
_TOTALS_COLUMNS = 3
# Ignored columns named in the report; a wide file's others are counted.
_SHOWN_COLUMNS = 20


@dataclass(frozen=True)
class IngestReport(Result):
    """What one ingest did. ``rows_read`` always equals the sum of the row outcomes:
    landed, updated, unchanged, quarantined, exact duplicates merged, blank rows, rows
    excluded by status or filter, and totals rows."""

    ingest_id: int
    table: str
    source: str
    format: str
    encoding: str | None
    rows_read: int
    blank_rows: int
    landed: int
    updated: int
    unchanged: int
    duplicates_merged: int
    quarantined: int
    problems: dict[str, int]
    columns: dict[str, str]
    ignored_columns: tuple[str, ...]
    seconds: float
    # Rows left out by an order status or a mapping-file filter, by reason: not errors.
    excluded: int = 0
    exclusions: dict[str, int] = field(default_factory=dict)
    totals_rows: int = 0
    # Stored rows whose key this file now excludes (a paid order since closed).
    removed: int = 0
    refunds: int = 0
    unknown_statuses: dict[str, int] = field(default_factory=dict)
    title_rows: int = 0
    filled_cells: int = 0
    # (contract column, the header used, another header that also fitted)
    passed_over: tuple[tuple[str, str, str], ...] = ()

    @property
    def frame(self) -> pd.DataFrame:
        """The row outcomes, and the problems found, one row each."""
        rows = [("read", self.rows_read), ("landed", self.landed), ("updated", self.updated),
                ("unchanged", self.unchanged), ("quarantined", self.quarantined),
                ("excluded", self.excluded), ("totals_rows", self.totals_rows),
                ("duplicates_merged", self.duplicates_merged), ("blank_rows", self.blank_rows)]
        rows += [(f"excluded: {reason}", count) for reason, count in self.exclusions.items()]
        rows += [(f"quarantined: {reason}", count) for reason, count in self.problems.items()]
        return pd.DataFrame(rows, columns=["outcome", "rows"])

    @property
    def headline(self) -> dict[str, Any]:
        return {"ingest_id": self.ingest_id, "table": self.table, "source": self.source,
                "format": self.format, "encoding": self.encoding, "read": self.rows_read,
                "landed": self.landed, "updated": self.updated, "unchanged": self.unchanged,
                "quarantined": self.quarantined, "excluded": self.excluded,
                "totals_rows": self.totals_rows, "removed": self.removed,
                "refunds": self.refunds, "duplicates_merged": self.duplicates_merged,
                "blank_rows": self.blank_rows, "seconds": self.seconds}

    def lines(self) -> list[str]:
        said = [str(self)]
        for count, what in ((self.duplicates_merged, "exact duplicates merged"),
                            (self.blank_rows, "blank rows"),
                            (self.totals_rows, "totals rows skipped")):
            if count:
                said.append(f"{what}: {count:,}")
        unit = "row" if self.format == "excel" else "line"
        if self.title_rows:
            said.append(f"skipped {self.title_rows:d} title {unit}s above the header, which "
                        f"is on {unit} {self.title_rows + 1:d}")
        if self.filled_cells:
            said.append(f"filled {self.filled_cells:,} merged cells down from the first cell "
                        "of their range")
        for target, used, other in self.passed_over:
            said.append(f"'{other}' also fits {target}; '{used}' was used (map one of them "
                        "in the mapping file's [columns] to choose)")
        if self.ignored_columns:
            shown = ", ".join(self.ignored_columns[:_SHOWN_COLUMNS])
            more = len(self.ignored_columns) - _SHOWN_COLUMNS
            said.append(f"columns not in the contract, ignored: {shown}"
                        + (f" and {more:,} more" if more > 0 else ""))
        said += [f"{count:,} × excluded: {reason}" for reason, count in self.exclusions.items()]
        if self.removed:
            said.append(f"removed {self.removed:,} stored rows that this file now excludes "
                        "(their last version is in row_history)")
        if self.refunds:
            said.append(f"{self.refunds:,} refunds by status stored as negative amounts")
        for status, count in self.unknown_statuses.items():
            said.append(f"status '{status}' is in no status list: {count:,} rows landed as "
                        "sales; if they are not, add it to ingest.excluded_statuses or "
                        "ingest.refund_statuses")
        said += [f"{count:,} × {reason}" for reason, count in self.problems.items()]
        if self.quarantined:
            said.append(f"See the quarantined rows with: tenure quarantine --table {self.table}")
        return said

    def view(self) -> pd.DataFrame:
        return pd.DataFrame([{"read": self.rows_read, "landed": self.landed,
                              "updated": self.updated, "unchanged": self.unchanged,
                              "quarantined": self.quarantined, "excluded": self.excluded}])

    def __str__(self) -> str:
        return (f"{self.table} from {self.source}: read {self.rows_read:,}, landed "
                f"{self.landed:,}, updated {self.updated:,}, unchanged {self.unchanged:,}, "
                f"quarantined {self.quarantined:,}, excluded {self.excluded:,}")


def _as_mapping(mapping: Mapping | dict | str | Path | None) -> Mapping:
    if mapping is None:
        return Mapping()
    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        if set(mapping) <= {"columns", "options", "filter"}:
            return Mapping.from_dict(mapping)
        return Mapping.from_dict({"columns": mapping})
    return Mapping.load(mapping)


def _allowed(spec: Table, config: Config) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for column in spec.columns:
        spellings: dict[str, str] = {}
        if column.allowed:
            for canonical, names in column.allowed.items():
                for name in (canonical, *names):
                    spellings[name.lower()] = canonical
        for key in column.allowed_setting:
            value = config[key]
            for name in value if isinstance(value, list) else [value]:
                spellings[name.lower()] = name
        if spellings:
            out[column.name] = spellings
    return out


def _raw_kind(column: Column, source_type: str, allowed: dict) -> str | None:
    """What a column keeps of its source value beside the parsed one, for messages:
    ``text`` (the value as written) or ``nonfinite`` (a float's inf or NaN)."""
    kind = source_type.upper()
    if column.name in allowed or (kind in ("VARCHAR", "JSON")
                                  and column.type not in ("id", "text")):
        return "text"
    if column.type in ("number", "integer") and kind in ("FLOAT", "DOUBLE", "REAL"):
        return "nonfinite"
    return None


@dataclass(frozen=True)
class _Plan:
    """What to read of a source and how: the columns that land (with the derived ones),
    what each keeps raw, the filters and the columns a totals row is looked for in."""

    spec: Table
    chosen: dict[str, str]
    derived: dict[str, str]
    raw: dict[str, str]
    defaults: dict[str, Any]
    filters: tuple[tuple[RowFilter, str], ...]
    totals_columns: tuple[str, ...]
    excluded_statuses: tuple[str, ...]
    refund_statuses: tuple[str, ...]
    known_statuses: tuple[str, ...]

    @property
    def landing(self) -> list[str]:
        return [*self.chosen, *self.derived]

    @property
    def needed(self) -> list[str]:
        return list(dict.fromkeys([*self.chosen.values(), *(s for _, s in self.filters),
                                   *self.totals_columns]))

    @property
    def status(self) -> str | None:
        return self.spec.status if self.spec.status in self.chosen else None


def _filter_column(flt: RowFilter, src: Source, chosen: dict[str, str]) -> str:
    key = header_key(flt.column)
    for name in src.columns:
        if header_key(name) == key:
            return name
    if flt.column in chosen:
        return chosen[flt.column]
    raise ConfigError(f"the [filter] names column '{flt.column}', which {src.name} does not "
                      f"have; its columns are {', '.join(src.columns)}")


def _plan(spec: Table, src: Source, match: ColumnMatch, mapping: Mapping, config: Config,
          allowed: dict) -> _Plan:
    chosen = match.chosen
    derived = {c.name: chosen[c.derived_from] for c in spec.columns
               if c.derived_from and c.derived_from in chosen}
    raw = {}
    for target, column in chosen.items():
        kind = _raw_kind(spec.column(target), src.types[column], allowed)
        if kind:
            raw[target] = kind
    defaults = {c.name: config[c.default_setting] for c in spec.columns if c.default_setting}
    text = [c for c in src.columns if src.types.get(c, "VARCHAR").upper() == "VARCHAR"]
    excluded, refund, paid = (tuple(s.lower() for s in config[f"ingest.{k}_statuses"])
                              for k in ("excluded", "refund", "paid"))
    return _Plan(spec, chosen, derived, raw, defaults,
                 tuple((f, _filter_column(f, src, chosen)) for f in mapping.filters),
                 tuple(text[:_TOTALS_COLUMNS]), excluded, refund, excluded + refund + paid)


@contextmanager
def _stop_on_interrupt() -> Iterator[None]:
    """Ctrl-C stops the ingest as KeyboardInterrupt, wherever it lands.

    DuckDB answers Ctrl-C during a statement with an error of its own; the signal is noted
    here so that the error can be told from any other and raised as what it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    asked: list[int] = []

    def stop(signum, frame):
        asked.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    except Exception:
        if asked:
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _engine_failures(config: Config, source_name: str) -> Iterator[None]:
    """The engine's resource failures as one sentence: nothing was written either way."""
    try:
        yield
    except duckdb.OutOfMemoryException:
        limit = config["engine.memory_limit"]
        raise WorkspaceError(
            f"ran out of memory ingesting {source_name} under engine.memory_limit = {limit}; "
            "nothing was written: raise it, e.g. `tenure config engine.memory_limit 4GB`, "
            "and ingest again") from None
    except (duckdb.IOException, duckdb.FatalException) as exc:
        raise WorkspaceError(
            f"stopped by a disk error while ingesting {source_name} ({first_line_of(exc)}); "
            "nothing from it was written and the stored data is as it was: free some disk "
            "space and ingest again") from None


def ingest(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    table_name: str,
    source: Any,
    mapping: Mapping | dict | str | Path | None = None,
    *,
    progress: Progress = None,
) -> IngestReport:
    """Ingest ``source`` into ``table_name``; see the module docstring for the steps."""
    started = time.perf_counter()
    name = str(Path(source).resolve()) if isinstance(source, str | Path) else None
    spec = contract_table(table_name, source=name)
    mapping = _as_mapping(mapping)
    runner = Runner(con, Steps(progress))
    tz = config["workspace.timezone"]
    began_at = datetime.now(ZoneInfo(tz)).replace(tzinfo=None)
    with _stop_on_interrupt(), _engine_failures(config, name or "the data"):
        staged = stage(con, config, spec, source, mapping, runner)
        plan, src, match = staged.plan, staged.source, staged.match
        failed = True
        try:
            report = _land(con, config, plan, src, match, runner, began_at, name or src.name,
                           started)
            failed = False
        finally:
            _drop_temps(con, quietly=failed)
    return report


@dataclass(frozen=True)
class Staged:
    """A source read into the temporary table ``_STAGE``, with how it was read."""

    plan: _Plan
    source: Source
    match: ColumnMatch


def stage(con: duckdb.DuckDBPyConnection, config: Config, spec: Table, source: Any,
          mapping: Mapping, runner: Runner) -> Staged:
    """Read ``source`` for the contract table ``spec`` into the temporary table ``_STAGE``:
    every value parsed, the raw text kept where parsing can fail, and each row's fate
    before any check (``__skip``). Ingest and the recording of action outcomes share it;
    the caller drops the table."""
    tz = config["workspace.timezone"]
    src = open_source(con, source, mapping.options, runner.run,
                      header_words=header_words(spec, mapping))
    try:
        match = match_columns(spec, src.columns, mapping, src.name,
                              lambda columns: src.sample(con, columns))
        allowed = _allowed(spec, config)
        plan = _plan(spec, src, match, mapping, config, allowed)
        src.load(plan.needed)
        ctx = ParseContext(
            workspace_timezone=tz,
            file_timezone=mapping.options.timezone or tz,
            date_format=mapping.options.date_format,
            decimal=mapping.options.decimal,
            allowed=allowed,
            default=plan.defaults,
            phone_country_code=config["ingest.phone_country_code"],
        )
        p = Params()
        p.values.update(src.params)
        sql = _stage_sql(plan, src, ctx, p)
        con.execute(f"DROP TABLE IF EXISTS {ident(_STAGE)}")
        runner.run(f"CREATE TEMP TABLE {ident(_STAGE)} AS {sql}", p.values, "checking values")
    finally:
        src.close()
    return Staged(plan, src, match)


def problem_queries(staged: Staged, config: Config, today: date, p: Params) -> list[str]:
    """The contract's checks of the staged rows, one SELECT each yielding (row,
    column_name, reason, value, message)."""
    return _problem_queries(staged.plan, _allowed(staged.plan.spec, config), config, today, p)


def _drop_temps(con: duckdb.DuckDBPyConnection, *, quietly: bool) -> None:
    """Drop the ingest's temporary tables; after a failure, without masking it."""
    with suppress(duckdb.Error) if quietly else nullcontext():
        con.execute(f"DROP VIEW IF EXISTS {ident(_INCOMING)}")
        for temp in _TEMPS:
            con.execute(f"DROP TABLE IF EXISTS {ident(temp)}")


def _level_expr(template: str, target: str, level: int, steps) -> str:
    expr = template.replace("{x}", ident(f"v{level - 1}:{target}"))
    for earlier, (earlier_name, _) in enumerate(steps[: level - 1], start=1):
        expr = expr.replace("{" + earlier_name + "}", ident(f"v{earlier}:{target}"))
    return expr


def _empty(plan: _Plan, target: str) -> str:
    col, raw = ident(target), ident(f"raw:{target}")
    kind = plan.raw.get(target)
    if kind == "text":
        return f"{raw} IS NULL"
    if kind == "nonfinite":
        return f"({col} IS NULL AND {raw} IS NULL)"
    return f"{col} IS NULL"


def _stage_sql(plan: _Plan, src: Source, ctx: ParseContext, p: Params) -> str:
    """One query: every value parsed, the raw text kept where parsing can fail, and each
    row's fate before any check (``__skip``: blank, totals or excluded, with ``__why``)."""
    spec = plan.spec
    sources = {**plan.chosen, **plan.derived}
    chains = {t: column_steps(spec.column(t), src.types[s], ctx, p) for t, s in sources.items()}
    depth = max((len(steps) for steps in chains.values()), default=0)
    first = [ident(ROW)]
    for target, column in sources.items():
        first.append(f"{ident(column)} AS {ident(f'v0:{target}')}")
        kind = plan.raw.get(target)
        if kind == "text":
            text = (f"{ident(column)} ->> '$'" if src.types[column].upper() == "JSON"
                    else f"CAST({ident(column)} AS VARCHAR)")
            first.append(f"nullif(trim({text}), '') AS {ident(f'raw:{target}')}")
        elif kind == "nonfinite":
            first.append(f"CASE WHEN NOT isfinite({ident(column)}) THEN "
                         f"CAST({ident(column)} AS VARCHAR) END AS {ident(f'raw:{target}')}")
    for i, (_, column) in enumerate(plan.filters):
        first.append(f"lower(nullif(trim(CAST({ident(column)} AS VARCHAR)), '')) "
                     f"AS {ident(f'f:{i}')}")
    if plan.totals_columns:
        cells = ", ".join(f"nullif({ident(c)}, '')" for c in plan.totals_columns)
        first.append(f"coalesce({cells}) AS {ident('t:first')}")
    sql = f"SELECT {', '.join(first)} FROM {src.relation}"
    for level in range(1, depth + 1):
        added = [f"{_level_expr(steps[level - 1][1], target, level, steps)} "
                 f"AS {ident(f'v{level}:{target}')}"
                 for target, steps in chains.items() if level <= len(steps)]
        sql = f"SELECT *, {', '.join(added)} FROM ({sql})"
    final = [ident(ROW)]
    value = {t: ident(f"v{len(steps)}:{t}") for t, steps in chains.items()}
    status = plan.status
    for target in chains:
        expr = value[target]
        if status and target == spec.refund_amount and plan.refund_statuses:
            expr = (f"CASE WHEN list_contains({p(list(plan.refund_statuses))}, "
                    f"lower({value[status]})) THEN -abs({expr}) ELSE {expr} END")
        final.append(f"{expr} AS {ident(target)}")
        if target in plan.raw:
            final.append(ident(f"raw:{target}"))
    why = [f"WHEN {_dropped_by(flt, i, p)} THEN {p(flt.reason)}"
           for i, (flt, _) in enumerate(plan.filters)]
    if status and plan.excluded_statuses:
        why.append(f"WHEN list_contains({p(list(plan.excluded_statuses))}, "
                   f"lower({value[status]})) THEN 'status ' || {value[status]}")
    final.append(f"CASE {' '.join(why)} END AS __why" if why
                 else "CAST(NULL AS VARCHAR) AS __why")
    totals = (f"coalesce(list_contains({p(_TOTALS_SPELLINGS)}, {ident('t:first')}), false)"
              if plan.totals_columns else "false")
    final.append(f"{totals} AS __totals")
    sql = f"SELECT {', '.join(final)} FROM ({sql})"
    # A row is blank when every column it brings is empty; a column filled from a default
    # (the currency) says nothing about the row.
    presence = [_empty(plan, c) for c in plan.chosen if c not in plan.defaults]
    blank = " AND ".join(presence) or "false"
    return (f"SELECT * EXCLUDE (__totals), CASE WHEN {blank} THEN 'blank' "
            "WHEN __totals THEN 'totals' WHEN __why IS NOT NULL THEN 'excluded' END AS __skip "
            f"FROM ({sql})")


def _dropped_by(flt: RowFilter, i: int, p: Params) -> str:
    values = p([v.lower() for v in flt.values])
    cell = ident(f"f:{i}")
    if flt.keep:
        return f"({cell} IS NULL OR NOT list_contains({values}, {cell}))"
    return f"coalesce(list_contains({values}, {cell}), false)"


def _plausible(column: Column, config: Config, today: date) -> tuple[str, str]:
    first = config["ingest.earliest_date"] or "1970-01-01"
    latest = config["ingest.latest_date"] or (today + timedelta(days=366)).isoformat()
    if first >= latest:
        raise ConfigError(f"ingest.earliest_date ({first}) is not before ingest.latest_date "
                          f"({latest}), so every date would be out of range; change one of "
                          "them")
    return column.earliest or first, latest


def _problem_queries(plan: _Plan, allowed, config: Config, today: date,
                     p: Params) -> list[str]:
    """One SELECT per check, each yielding (__row, column_name, reason, value, message)."""
    queries = []

    def add(column: str, reason: str, where: str, value: str, message: str) -> None:
        queries.append(
            f"SELECT {ident(ROW)}, {p(column)} AS column_name, {p(reason)} AS reason, "
            f"CAST({value} AS VARCHAR) AS value, {message} AS message "
            f"FROM {ident(_STAGE)} WHERE __skip IS NULL AND ({where})"
        )

    spec = plan.spec
    for target in plan.chosen:
        column = spec.column(target)
        col, raw = ident(target), ident(f"raw:{target}")
        kind = plan.raw.get(target)
        if kind == "text":
            if target in allowed:
                choices = ", ".join(dict.fromkeys(allowed[target].values()))
                add(target, "invalid_value", f"{raw} IS NOT NULL AND {col} IS NULL", raw,
                    f"'''' || {raw} || ''' is not one of ' || {p(choices)}")
            else:
                add(target, "unparseable", f"{raw} IS NOT NULL AND {col} IS NULL", raw,
                    f"'could not read ''' || {raw} || ''' as ' || {p(describe_expected(column))}")
        elif kind == "nonfinite":
            add(target, "invalid_value", f"{raw} IS NOT NULL", raw,
                f"{p(target + ' is ')} || {raw} || ', not a finite number'")
        if column.type in ("id", "text"):
            # A zero byte is binary data: a file damaged or glued together, never text to
            # store (the first megabyte is checked before reading; this is the rest).
            add(target, "invalid_value", f"contains({col}, chr(0))",
                f"replace({col}, chr(0), '\\0')",
                p(f"{target} holds a zero byte (NUL), which is binary data, not text; "
                  "export the file again"))
        if column.required:
            add(target, "missing_required", _empty(plan, target), "NULL",
                p(f"{target} is required and is empty"))
        if column.type == "id":
            add(target, "invalid_value", rf"regexp_full_match({col}, '\d(\.\d+)?[eE]\+\d+')", col,
                f"'''' || {col} || ''' looks like a number a spreadsheet rounded; export the "
                "ids as text'")
        for bound, op, words in ((column.minimum, "<", "at least"),
                                 (column.maximum, ">", "at most")):
            if bound is not None:
                add(target, "invalid_value", f"{col} {op} {p(bound)}", col,
                    f"{p(f'{target} must be {words} {bound:g}, not ')} || CAST({col} AS VARCHAR)")
        if column.type in ("timestamp", "date"):
            earliest, latest = _plausible(column, config, today)
            shown = (f"coalesce({raw}, CAST({col} AS VARCHAR))" if kind == "text"
                     else f"CAST({col} AS VARCHAR)")
            tail = (f" is outside the plausible dates {earliest} to {latest}; correct it, or "
                    "change ingest.earliest_date or ingest.latest_date")
            add(target, "out_of_range",
                f"{col} < CAST({p(earliest)} AS DATE) "
                f"OR {col} >= CAST({p(latest)} AS DATE) + 1",
                shown, f"'''' || {shown} || '''' || {p(tail)}")
    for rule in spec.rules:
        if rule.earlier in plan.chosen and rule.later in plan.chosen:
            e, later = ident(rule.earlier), ident(rule.later)
            add(rule.later, "inconsistent", f"{later} < {e}", later,
                f"{p(rule.later + ' ')} || CAST({later} AS VARCHAR) || "
                f"{p(' is before ' + rule.earlier + ' ')} || CAST({e} AS VARCHAR)")
    return queries


def _key_match(spec: Table, left: str, right: str) -> str:
    parts = []
    for name in spec.key:
        op = "=" if spec.column(name).required else "IS NOT DISTINCT FROM"
        parts.append(f"{left}.{ident(name)} {op} {right}.{ident(name)}")
    return " AND ".join(parts)


def _counts(con, sql: str, params: dict | None = None) -> dict[str, int]:
    return {str(k): int(v) for k, v in con.execute(sql, params or {}).fetchall()}


def _land(con: duckdb.DuckDBPyConnection, config: Config, plan: _Plan, src: Source,
          match: ColumnMatch, runner, began_at: datetime, source_name: str,
          started: float) -> IngestReport:
    spec = plan.spec
    stage, row = ident(_STAGE), ident(ROW)
    p = Params()
    checks = _problem_queries(plan, _allowed(spec, config), config, began_at.date(), p)
    con.execute(f"DROP TABLE IF EXISTS {ident(_PROBLEMS)}")
    con.execute(
        f"CREATE TEMP TABLE {ident(_PROBLEMS)} ({row} BIGINT, column_name VARCHAR, "
        "reason VARCHAR, value VARCHAR, message VARCHAR)"
    )
    if checks:
        runner.run(f"INSERT INTO {ident(_PROBLEMS)} {' UNION ALL '.join(checks)}", p.values,
                   "checking rules")
    merged = _resolve_duplicates(con, spec, plan.chosen, runner)
    # The rows to land: not skipped, without problems, one per key. A view, so that
    # problems found later (references) drop out of it too.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {ident(_INCOMING)} AS SELECT * EXCLUDE (__skip, __why) "
        f"FROM {stage} WHERE __skip IS NULL "
        f"AND {row} NOT IN (SELECT {row} FROM {ident(_PROBLEMS)}) "
        f"AND {row} NOT IN (SELECT {row} FROM {ident(_FATE)})"
    )
    if config["ingest.strict_references"]:
        _check_references(con, spec, plan.chosen)
    skipped = _counts(con, f"SELECT __skip, count(*) FROM {stage} WHERE __skip IS NOT NULL "
                           "GROUP BY 1")
    exclusions = _counts(con, f"SELECT __why, count(*) FROM {stage} WHERE __skip = 'excluded' "
                              "GROUP BY 1 ORDER BY 2 DESC, 1")
    refunds, unknown = 0, {}
    if plan.status:
        status, incoming = ident(plan.status), ident(_INCOMING)
        refunds = con.execute(
            f"SELECT count(*) FROM {incoming} WHERE list_contains($r, lower({status}))",
            {"r": list(plan.refund_statuses)}).fetchall()[0][0]
        unknown = _counts(con, f"SELECT {status}, count(*) FROM {incoming} WHERE {status} IS "
                               f"NOT NULL AND NOT list_contains($k, lower({status})) GROUP BY 1 "
                               "ORDER BY 2 DESC, 1 LIMIT 10", {"k": list(plan.known_statuses)})

    with transaction(con):
        ingest_id = con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log"
                                ).fetchall()[0][0]
        removed = _withdraw(con, spec, ingest_id) if exclusions else 0
        counts = _upsert(con, spec, plan.landing, plan.defaults, ingest_id, runner)
        _record(con, ingest_id, spec, src, source_name)
        rejected = len({r.row for r in src.rejects})
        quarantined = con.execute(
            f"SELECT count(DISTINCT {row}) FROM {ident(_PROBLEMS)}").fetchall()[0][0] + rejected
        rows_read = con.execute(f"SELECT count(*) FROM {stage}").fetchall()[0][0] + rejected
        problems = _counts(con, "SELECT reason, count(*) FROM quarantine WHERE ingest_id = $id "
                                "GROUP BY reason ORDER BY 2 DESC, 1", {"id": ingest_id})
        finished = datetime.now(ZoneInfo(config["workspace.timezone"])).replace(tzinfo=None)
        # A column a filter reads is used, though nothing of it lands.
        filtered = {column for _, column in plan.filters}
        ignored = tuple(c for c in match.ignored if c not in filtered)
        log = {
            "ingest_id": ingest_id, "table_name": spec.name, "source": source_name,
            "format": src.format, "encoding": src.encoding, "started_at": began_at,
            "finished_at": finished, "rows_read": rows_read,
            "blank_rows": skipped.get("blank", 0), "landed": counts["new"],
            "updated": counts["changed"], "unchanged": counts["same"],
            "duplicates_merged": merged, "quarantined": quarantined,
            "columns": ", ".join(f"{s} -> {c}" for c, s in plan.chosen.items()),
            "ignored_columns": list(ignored), "excluded": skipped.get("excluded", 0),
            "totals_rows": skipped.get("totals", 0), "removed": removed,
            "exclusions": json.dumps(exclusions, ensure_ascii=False),
        }
        con.execute(f"INSERT INTO ingest_log ({', '.join(ident(k) for k in log)}) VALUES "
                    f"({', '.join('$' + k for k in log)})", log)
    return IngestReport(
        ingest_id=ingest_id, table=spec.name, source=source_name, format=src.format,
        encoding=src.encoding, rows_read=rows_read, blank_rows=skipped.get("blank", 0),
        landed=counts["new"], updated=counts["changed"], unchanged=counts["same"],
        duplicates_merged=merged, quarantined=quarantined, problems=problems,
        columns=dict(plan.chosen), ignored_columns=ignored,
        seconds=time.perf_counter() - started, excluded=skipped.get("excluded", 0),
        exclusions=exclusions, totals_rows=skipped.get("totals", 0), removed=removed,
        refunds=refunds, unknown_statuses=unknown, title_rows=src.title_rows,
        filled_cells=src.filled_cells, passed_over=match.passed_over,
    )


def _withdraw(con, spec: Table, ingest_id: int) -> int:
    """Remove stored rows whose key this file excludes (and does not also bring as a row
    to land); their last version goes to row_history. Return how many."""
    target, stage, withdrawn = ident(spec.name), ident(_STAGE), ident("_tenure_withdrawn")
    key = ", ".join(f"s.{ident(k)}" for k in spec.key)
    con.execute(f"DROP TABLE IF EXISTS {withdrawn}")
    con.execute(
        f"CREATE TEMP TABLE {withdrawn} AS SELECT DISTINCT {key} FROM {stage} s "
        f"WHERE s.__skip = 'excluded' AND NOT EXISTS (SELECT 1 FROM {ident(_INCOMING)} i "
        f"WHERE {_key_match(spec, 'i', 's')})")
    match = _key_match(spec, "t", "w")
    found = con.execute(f"SELECT count(*) FROM {target} t JOIN {withdrawn} w ON {match}"
                        ).fetchall()[0][0]
    if found:
        key_struct = ", ".join(f"{ident(k)} := t.{ident(k)}" for k in spec.key)
        con.execute(
            f"INSERT INTO row_history SELECT $id, $table, to_json(struct_pack({key_struct})), "
            f"to_json(t) FROM {target} t JOIN {withdrawn} w ON {match}",
            {"id": ingest_id, "table": spec.name})
        con.execute(f"DELETE FROM {target} t USING {withdrawn} w WHERE {match}")
    return found


def _resolve_duplicates(con, spec: Table, chosen: dict[str, str], runner) -> int:
    """Handle keys that repeat inside the source; return how many exact copies merged.

    Identical copies merge into the first; copies that disagree all go to quarantine, since
    there is no telling which one is right. ``_FATE`` receives the rows merged away.
    """
    stage, row, problems = ident(_STAGE), ident(ROW), ident(_PROBLEMS)
    key = ", ".join(ident(k) for k in spec.key)
    con.execute(f"DROP TABLE IF EXISTS {ident(_FATE)}")
    con.execute(f"CREATE TEMP TABLE {ident(_FATE)} ({row} BIGINT)")
    repeated = ident("_tenure_repeated")
    con.execute(f"DROP TABLE IF EXISTS {repeated}")
    runner.run(f"CREATE TEMP TABLE {repeated} AS SELECT {key} FROM {stage} "
               "WHERE __skip IS NULL GROUP BY ALL HAVING count(*) > 1", {}, "finding duplicates")
    try:
        if not con.execute(f"SELECT count(*) FROM {repeated}").fetchall()[0][0]:
            return 0
        stored = [ident(c) for c in chosen if c not in spec.key]
        variant = f"hash({', '.join(stored)})" if stored else "0"
        copies = (f"SELECT s.* FROM {stage} s JOIN {repeated} k "
                  f"ON {_key_match(spec, 'k', 's')} WHERE s.__skip IS NULL "
                  f"AND s.{row} NOT IN (SELECT {row} FROM {problems})")
        key_text = " || ', ' || ".join(f"coalesce(CAST({ident(k)} AS VARCHAR), '')"
                                       for k in spec.key)
        con.execute(
            f"INSERT INTO {problems} SELECT r.{row}, $cols, 'duplicate_key', g.key_text, "
            "$what || g.key_text || ''' appears on rows ' || "
            "array_to_string(list_slice(g.rows, 1, 5), ', ') || "
            "CASE WHEN len(g.rows) > 5 THEN ' and more' ELSE '' END || "
            "' with different values; keep one of them' "
            f"FROM (SELECT {key}, {key_text} AS key_text, list({row} ORDER BY {row}) AS rows "
            f"FROM ({copies}) GROUP BY ALL HAVING count(DISTINCT {variant}) > 1) g "
            f"JOIN ({copies}) r ON {_key_match(spec, 'g', 'r')}",
            {"cols": ", ".join(spec.key), "what": f"{', '.join(spec.key)} '"},
        )
        con.execute(
            f"INSERT INTO {ident(_FATE)} SELECT {row} FROM ({copies}) "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {row}) > 1"
        )
        return con.execute(f"SELECT count(*) FROM {ident(_FATE)}").fetchall()[0][0]
    finally:
        con.execute(f"DROP TABLE IF EXISTS {repeated}")


def _upsert(con, spec: Table, landing: list[str], defaults: dict, ingest_id: int,
            runner) -> dict[str, int]:
    """Insert new keys and update changed ones; return the count of new, changed, same.

    Runs inside the ingest's transaction; its temporary table is dropped after it, since
    a statement that failed (a full disk) leaves the transaction taking no other."""
    target, incoming, row = ident(spec.name), ident(_INCOMING), ident(ROW)
    stored = [c for c in landing if c not in spec.key]
    match = _key_match(spec, "t", "i")
    fill = {c: v for c, v in defaults.items() if c not in landing}
    columns = [*landing, *fill, "_ingest_id"]
    q = Params()
    values = [f"i.{ident(c)}" for c in landing] + [q(v) for v in fill.values()] + [q(ingest_id)]
    insert = (f"INSERT INTO {target} ({', '.join(ident(c) for c in columns)}) "
              f"SELECT {', '.join(values)} FROM {incoming} i")
    if not con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {target} LIMIT 1)").fetchall()[0][0]:
        # An empty table: every row is new, no key to match.
        runner.run(insert, q.values, "writing rows")
        landed = con.execute(f"SELECT count(*) FROM {target}").fetchall()[0][0]
        return {"new": landed, "changed": 0, "same": 0}
    changed = " OR ".join(f"t.{ident(c)} IS DISTINCT FROM i.{ident(c)}" for c in stored)
    matched = ident("_tenure_matched")
    con.execute(f"DROP TABLE IF EXISTS {matched}")
    runner.run(
        f"CREATE TEMP TABLE {matched} AS SELECT i.{row}, ({changed or 'false'}) AS changed "
        f"FROM {incoming} i JOIN {target} t ON {match}", {}, "matching keys")
    total = con.execute(f"SELECT count(*) FROM {incoming}").fetchall()[0][0]
    found, n_changed = con.execute(
        f"SELECT count(*), count(*) FILTER (changed) FROM {matched}").fetchall()[0]
    if n_changed:
        changed_rows = (f"(SELECT * FROM {incoming} WHERE {row} IN "
                        f"(SELECT {row} FROM {matched} WHERE changed))")
        key_struct = ", ".join(f"{ident(k)} := t.{ident(k)}" for k in spec.key)
        con.execute(
            f"INSERT INTO row_history SELECT $id, $table, "
            f"to_json(struct_pack({key_struct})), to_json(t) "
            f"FROM {target} t JOIN {changed_rows} i ON {match}",
            {"id": ingest_id, "table": spec.name},
        )
        assignments = ", ".join(f"{ident(c)} = i.{ident(c)}" for c in stored)
        runner.run(f"UPDATE {target} AS t SET {assignments}, _ingest_id = $id "
                   f"FROM {changed_rows} i WHERE {match}", {"id": ingest_id},
                   "updating rows")
    new = total - found
    if new:
        runner.run(f"{insert} WHERE {row} NOT IN (SELECT {row} FROM {matched})",
                   q.values, "writing rows")
    return {"new": new, "changed": n_changed, "same": found - n_changed}


def _check_references(con, spec: Table, chosen: dict[str, str]) -> None:
    """Add rows naming an unknown customer (order, ticket, product) to the problems."""
    for name in chosen:
        column = spec.column(name)
        if not column.references:
            continue
        ref_table, ref_column = column.references.split(".")
        known = f"SELECT {ident(ref_column)} AS k FROM {ident(ref_table)}"
        if ref_table == spec.name:
            known += f" UNION ALL SELECT {ident(ref_column)} FROM {ident(_INCOMING)}"
        con.execute(
            f"INSERT INTO {ident(_PROBLEMS)} SELECT {ident(ROW)}, $col, 'unknown_reference', "
            f"{ident(name)}, $what || {ident(name)} || $tail FROM {ident(_INCOMING)} i "
            f"WHERE i.{ident(name)} IS NOT NULL AND i.{ident(name)} NOT IN ({known})",
            {"col": name, "what": f"{name} '",
             "tail": f"' is not in {ref_table}; ingest {ref_table} first or turn off "
                     "ingest.strict_references"},
        )


def _record(con, ingest_id, spec, src: Source, source_name) -> None:
    """Replace this source's quarantine rows with the problems found now."""
    con.execute("DELETE FROM quarantine WHERE table_name = $t AND source = $s",
                {"t": spec.name, "s": source_name})
    con.execute(
        f"INSERT INTO quarantine SELECT $id, $t, $s, {ident(ROW)}, column_name, reason, value, "
        f"message FROM {ident(_PROBLEMS)}",
        {"id": ingest_id, "t": spec.name, "s": source_name},
    )
    if src.rejects:
        con.executemany(
            "INSERT INTO quarantine VALUES ($id, $t, $s, $row, NULL, $reason, $text, $msg)",
            [{"id": ingest_id, "t": spec.name, "s": source_name, "row": r.row, "text": r.text,
              "msg": r.message, "reason": r.reason} for r in src.rejects],
        )
