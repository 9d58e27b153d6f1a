"""Validated, idempotent ingest of one source into one contract table.

The steps, all run by DuckDB over whole columns:

1. read the source (``tenure.io``) and match its columns to the contract;
2. stage: parse every value into the contract's type, keeping the raw text where parsing
   can fail;
3. find the problems: unreadable values, missing required values, values outside the
   allowed ones, rows that break a rule, keys repeated with conflicting values and, when
   ``ingest.strict_references`` is on, references to rows the workspace does not hold;
4. in one transaction: insert new keys, update changed ones (their previous version goes to
   ``row_history``), replace this source's quarantine rows and write the ingest log.

A file that cannot be read at all raises before anything is written. Ingesting the same
source twice changes no data: every row is found unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from tenure._sql import Params, ident
from tenure.config import Config
from tenure.contract import Column, Table, header_key
from tenure.contract import table as contract_table
from tenure.errors import ConfigError, InputError
from tenure.io._mapping import Mapping
from tenure.io._parse import ParseContext, column_steps, describe_expected
from tenure.io._sources import ROW, Source, open_source
from tenure.progress import Progress, Steps
from tenure.results import Result
from tenure.workspace._transaction import Runner, transaction

__all__ = ["IngestReport", "ingest"]

_STAGE = "_tenure_stage"
_PROBLEMS = "_tenure_problems"
_INCOMING = "_tenure_incoming"
_FATE = "_tenure_fate"


@dataclass(frozen=True)
class IngestReport(Result):
    """What one ingest did. ``rows_read`` always equals the sum of the row outcomes."""

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

    @property
    def frame(self) -> pd.DataFrame:
        """The row outcomes, and the problems found, one row each."""
        rows = [("read", self.rows_read), ("landed", self.landed), ("updated", self.updated),
                ("unchanged", self.unchanged), ("quarantined", self.quarantined),
                ("duplicates_merged", self.duplicates_merged), ("blank_rows", self.blank_rows)]
        rows += [(f"quarantined: {reason}", count) for reason, count in self.problems.items()]
        return pd.DataFrame(rows, columns=["outcome", "rows"])

    @property
    def headline(self) -> dict[str, Any]:
        return {"ingest_id": self.ingest_id, "table": self.table, "source": self.source,
                "format": self.format, "encoding": self.encoding, "read": self.rows_read,
                "landed": self.landed, "updated": self.updated, "unchanged": self.unchanged,
                "quarantined": self.quarantined, "duplicates_merged": self.duplicates_merged,
                "blank_rows": self.blank_rows, "seconds": self.seconds}

    def lines(self) -> list[str]:
        said = [str(self)]
        if self.ignored_columns:
            said.append("columns not in the contract, ignored: "
                        + ", ".join(self.ignored_columns))
        said += [f"{count:,} × {reason}" for reason, count in self.problems.items()]
        if self.quarantined:
            said.append(f"See the quarantined rows with: tenure quarantine --table {self.table}")
        return said

    def view(self) -> pd.DataFrame:
        return pd.DataFrame([{"read": self.rows_read, "landed": self.landed,
                              "updated": self.updated, "unchanged": self.unchanged,
                              "quarantined": self.quarantined}])

    def __str__(self) -> str:
        parts = [
            f"{self.table} from {self.source}: read {self.rows_read:,}",
            f"landed {self.landed:,}",
            f"updated {self.updated:,}",
            f"unchanged {self.unchanged:,}",
            f"quarantined {self.quarantined:,}",
        ]
        if self.duplicates_merged:
            parts.append(f"exact duplicates merged {self.duplicates_merged:,}")
        if self.blank_rows:
            parts.append(f"blank rows {self.blank_rows:,}")
        return ", ".join(parts)


def _as_mapping(mapping: Mapping | dict | str | Path | None) -> Mapping:
    if mapping is None:
        return Mapping()
    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        if set(mapping) <= {"columns", "options"}:
            return Mapping.from_dict(mapping)
        return Mapping.from_dict({"columns": mapping})
    return Mapping.load(mapping)


def match_columns(spec: Table, source: Source, mapping: Mapping) -> tuple[dict[str, str], list]:
    """Contract column -> source column, and the source columns left unused."""
    by_key: dict[str, str] = {}
    for column in spec.columns:
        for spelling in (column.name, *column.aliases):
            by_key.setdefault(header_key(spelling), column.name)
    explicit = {header_key(k): v for k, v in mapping.columns.items()}
    for target in set(explicit.values()):
        if not spec.has(target):
            raise ConfigError(
                f"the mapping names column '{target}', which {spec.name} does not have; its "
                f"columns are {', '.join(spec.column_names)}"
            )
    chosen: dict[str, str] = {}
    ignored = []
    for name in source.columns:
        key = header_key(name)
        target = explicit.get(key) or (by_key.get(key) if key not in explicit else None)
        if target is None:
            ignored.append(name)
            continue
        if target in chosen:
            raise InputError(
                f"columns '{chosen[target]}' and '{name}' both mean {spec.name}.{target}; map "
                "one of them explicitly in the mapping file's [columns]",
                source=source.name,
            )
        chosen[target] = name
    missing = [c for c in spec.required if c not in chosen]
    if missing:
        found = ", ".join(source.columns) or "none"
        raise InputError(
            f"no column for {', '.join(missing)} (required in {spec.name}); the file has: "
            f"{found}; map them in a mapping file's [columns], e.g. \"订单号\" = \"order_id\"",
            source=source.name,
        )
    return chosen, ignored


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


def _needs_raw(column: Column, source_type: str, allowed: dict) -> bool:
    text_source = source_type.upper() == "VARCHAR"
    return column.name in allowed or (text_source and column.type not in ("id", "text"))


def _stage_sql(spec, source, chosen, ctx, raw_columns, p: Params) -> str:
    chains = {c: column_steps(spec.column(c), source.types[s], ctx, p) for c, s in chosen.items()}
    depth = max((len(steps) for steps in chains.values()), default=0)
    first = [ident(ROW)]
    for target, src in chosen.items():
        first.append(f"{ident(src)} AS {ident(f'v0:{target}')}")
        if target in raw_columns:
            first.append(f"nullif(trim(CAST({ident(src)} AS VARCHAR)), '') "
                         f"AS {ident(f'raw:{target}')}")
    sql = f"SELECT {', '.join(first)} FROM {source.relation}"
    for level in range(1, depth + 1):
        added = []
        for target, steps in chains.items():
            if level <= len(steps):
                _, template = steps[level - 1]
                expr = template.replace("{x}", ident(f"v{level - 1}:{target}"))
                for earlier, (earlier_name, _) in enumerate(steps[: level - 1], start=1):
                    expr = expr.replace("{" + earlier_name + "}", ident(f"v{earlier}:{target}"))
                added.append(f"{expr} AS {ident(f'v{level}:{target}')}")
        sql = f"SELECT *, {', '.join(added)} FROM ({sql})"
    final = [ident(ROW)]
    for target, steps in chains.items():
        final.append(f"{ident(f'v{len(steps)}:{target}')} AS {ident(target)}")
        if target in raw_columns:
            final.append(ident(f"raw:{target}"))
    return f"SELECT {', '.join(final)} FROM ({sql})"


def _problem_queries(spec, chosen, raw_columns, allowed, p: Params) -> list[str]:
    """One SELECT per check, each yielding (__row, column_name, reason, value, message)."""
    queries = []

    def add(column: str, reason: str, where: str, value: str, message: str) -> None:
        queries.append(
            f"SELECT {ident(ROW)}, {p(column)} AS column_name, {p(reason)} AS reason, "
            f"CAST({value} AS VARCHAR) AS value, {message} AS message "
            f"FROM {ident(_STAGE)} WHERE NOT __blank AND ({where})"
        )

    for target in chosen:
        column = spec.column(target)
        col, raw = ident(target), ident(f"raw:{target}")
        present = raw if target in raw_columns else col
        if target in raw_columns:
            if target in allowed:
                choices = ", ".join(dict.fromkeys(allowed[target].values()))
                add(target, "invalid_value", f"{raw} IS NOT NULL AND {col} IS NULL", raw,
                    f"'''' || {raw} || ''' is not one of ' || {p(choices)}")
            else:
                add(target, "unparseable", f"{raw} IS NOT NULL AND {col} IS NULL", raw,
                    f"'could not read ''' || {raw} || ''' as ' || {p(describe_expected(column))}")
        if column.required:
            add(target, "missing_required", f"{present} IS NULL", "NULL",
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
    for rule in spec.rules:
        if rule.earlier in chosen and rule.later in chosen:
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
    src = open_source(con, source, mapping.options, runner.run)
    try:
        chosen, ignored = match_columns(spec, src, mapping)
        allowed = _allowed(spec, config)
        defaults = {c.name: config[c.default_setting] for c in spec.columns
                    if c.default_setting}
        ctx = ParseContext(
            workspace_timezone=tz,
            file_timezone=mapping.options.timezone or tz,
            date_format=mapping.options.date_format,
            decimal=mapping.options.decimal,
            allowed=allowed,
            default=defaults,
        )
        raw_columns = {c for c, s in chosen.items()
                       if _needs_raw(spec.column(c), src.types[s], allowed)}
        p = Params()
        p.values.update(src.params)
        stage = _stage_sql(spec, src, chosen, ctx, raw_columns, p)
        # A row is blank when every column it brings is empty; a column filled from a
        # default (the currency) says nothing about the row.
        presence = [ident(f"raw:{c}") if c in raw_columns else ident(c) for c in chosen
                    if c not in defaults]
        blank = " AND ".join(f"{x} IS NULL" for x in presence) or "false"
        con.execute(f"DROP TABLE IF EXISTS {ident(_STAGE)}")
        runner.run(f"CREATE TEMP TABLE {ident(_STAGE)} AS SELECT *, ({blank}) AS __blank "
                   f"FROM ({stage})", p.values, "checking values")
    finally:
        src.close()
    try:
        report = _land(con, config, spec, src, chosen, ignored, raw_columns, allowed,
                       defaults, runner, began_at, name or src.name, started)
    finally:
        con.execute(f"DROP VIEW IF EXISTS {ident(_INCOMING)}")
        for temp in (_STAGE, _PROBLEMS, _FATE):
            con.execute(f"DROP TABLE IF EXISTS {ident(temp)}")
    return report


def _land(con: duckdb.DuckDBPyConnection, config: Config, spec, src, chosen, ignored,
          raw_columns, allowed, defaults, runner, began_at, source_name,
          started) -> IngestReport:
    stage, row = ident(_STAGE), ident(ROW)
    p = Params()
    checks = _problem_queries(spec, chosen, raw_columns, allowed, p)
    con.execute(f"DROP TABLE IF EXISTS {ident(_PROBLEMS)}")
    con.execute(
        f"CREATE TEMP TABLE {ident(_PROBLEMS)} ({row} BIGINT, column_name VARCHAR, "
        "reason VARCHAR, value VARCHAR, message VARCHAR)"
    )
    if checks:
        runner.run(f"INSERT INTO {ident(_PROBLEMS)} {' UNION ALL '.join(checks)}", p.values,
                   "checking rules")
    merged = _resolve_duplicates(con, spec, chosen, runner)
    # The rows to land: not blank, without problems, one per key. A view, so that problems
    # found later (references) drop out of it too.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {ident(_INCOMING)} AS SELECT * EXCLUDE (__blank) "
        f"FROM {stage} WHERE NOT __blank "
        f"AND {row} NOT IN (SELECT {row} FROM {ident(_PROBLEMS)}) "
        f"AND {row} NOT IN (SELECT {row} FROM {ident(_FATE)})"
    )
    if config["ingest.strict_references"]:
        _check_references(con, spec, chosen)

    with transaction(con):
        ingest_id = con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log"
                                ).fetchall()[0][0]
        counts = _upsert(con, spec, chosen, defaults, ingest_id, runner)
        _record(con, ingest_id, spec, src, source_name)
        rejected = len({r.row for r in src.rejects})
        quarantined = con.execute(
            f"SELECT count(DISTINCT {row}) FROM {ident(_PROBLEMS)}").fetchall()[0][0] + rejected
        rows_read, blank_rows = con.execute(
            f"SELECT count(*), count(*) FILTER (__blank) FROM {stage}").fetchall()[0]
        rows_read += rejected
        problems = dict(con.execute(
            "SELECT reason, count(*) FROM quarantine WHERE ingest_id = $id GROUP BY reason "
            "ORDER BY 2 DESC, 1", {"id": ingest_id}).fetchall())
        finished = datetime.now(ZoneInfo(config["workspace.timezone"])).replace(
            tzinfo=None)
        con.execute(
            "INSERT INTO ingest_log VALUES ($id, $table, $source, $format, $encoding, $began, "
            "$finished, $read, $blank, $landed, $updated, $unchanged, $merged, $quarantined, "
            "$columns, $ignored)",
            {
                "id": ingest_id, "table": spec.name, "source": source_name,
                "format": src.format, "encoding": src.encoding, "began": began_at,
                "finished": finished, "read": rows_read, "blank": blank_rows,
                "landed": counts["new"], "updated": counts["changed"],
                "unchanged": counts["same"], "merged": merged, "quarantined": quarantined,
                "columns": ", ".join(f"{s} -> {c}" for c, s in chosen.items()),
                "ignored": list(ignored),
            },
        )
    return IngestReport(
        ingest_id=ingest_id, table=spec.name, source=source_name, format=src.format,
        encoding=src.encoding, rows_read=rows_read, blank_rows=blank_rows,
        landed=counts["new"], updated=counts["changed"], unchanged=counts["same"],
        duplicates_merged=merged, quarantined=quarantined, problems=problems,
        columns=dict(chosen), ignored_columns=tuple(ignored),
        seconds=time.perf_counter() - started,
    )


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
               "WHERE NOT __blank GROUP BY ALL HAVING count(*) > 1", {}, "finding duplicates")
    try:
        if not con.execute(f"SELECT count(*) FROM {repeated}").fetchall()[0][0]:
            return 0
        stored = [ident(c) for c in chosen if c not in spec.key]
        variant = f"hash({', '.join(stored)})" if stored else "0"
        copies = (f"SELECT s.* FROM {stage} s JOIN {repeated} k "
                  f"ON {_key_match(spec, 'k', 's')} WHERE NOT s.__blank "
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


def _upsert(con, spec: Table, chosen: dict[str, str], defaults: dict, ingest_id: int,
            runner) -> dict[str, int]:
    """Insert new keys and update changed ones; return the count of new, changed, same."""
    target, incoming, row = ident(spec.name), ident(_INCOMING), ident(ROW)
    stored = [c for c in chosen if c not in spec.key]
    match = _key_match(spec, "t", "i")
    fill = {c: v for c, v in defaults.items() if c not in chosen}
    columns = [*chosen, *fill, "_ingest_id"]
    q = Params()
    values = [f"i.{ident(c)}" for c in chosen] + [q(v) for v in fill.values()] + [q(ingest_id)]
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
    try:
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
    finally:
        con.execute(f"DROP TABLE IF EXISTS {matched}")
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
            "INSERT INTO quarantine VALUES ($id, $t, $s, $row, NULL, 'malformed_row', $text, $msg)",
            [{"id": ingest_id, "t": spec.name, "s": source_name, "row": r.row, "text": r.text,
              "msg": r.message} for r in src.rejects],
        )
