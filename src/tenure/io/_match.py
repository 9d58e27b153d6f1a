"""Matching a file's columns to the contract's, and guessing the ones that do not match.

A column matches a contract column by its mapping-file line, else by the column's name or
one of its known header spellings (compared as :func:`tenure.contract.header_key` compares
them). Within one contract column earlier spellings win, so an export with both 下单时间 and
付款时间 lands the first and names the second as passed over.

When a required column matches nothing, :func:`guess_column` picks the likeliest header of
the file from its name (how close it is to the known spellings) and its values (how many
read as the column's type), so that the error can say which mapping line to write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from difflib import SequenceMatcher

from tenure.contract import Column, Table, header_key
from tenure.errors import ConfigError, InputError
from tenure.io._mapping import Mapping

__all__ = ["ColumnMatch", "guess_column", "header_words", "match_columns", "partial_match",
           "unused_columns"]

# What values of each type look like, loosely: enough to tell a date from an amount.
_DATE = re.compile(r"^\s*(\d{4}\s*[-/.年]\s*\d{1,2}|\d{8}(\s|$)|\d{5}(\.\d+)?$)")
_NUMBER = re.compile(
    r"^\s*[-+(]?\s*(rmb|cny|[¥￥$€£])?\s*[-+]?[\d,.\s]*\d[\d,.\s]*\)?\s*(元)?-?\s*$",
    re.IGNORECASE)
_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")
_BOOLEAN = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0", "是", "否", "同意",
            "不同意"}
# A guess is offered only above this score (0 to 1: closeness of the name, then share of
# values that fit the type).
_GUESS_FLOOR = 0.45
# Closeness of name a text column needs, since its values cannot tell.
_NAME_FLOOR = 0.5


@dataclass(frozen=True)
class ColumnMatch:
    """Contract column -> source column, the source columns left unused, and the source
    columns that also fitted a contract column but lost to a better spelling."""

    chosen: dict[str, str]
    ignored: tuple[str, ...]
    passed_over: tuple[tuple[str, str, str], ...] = ()


def header_words(spec: Table, mapping: Mapping) -> frozenset[str]:
    """Every header text that names a column of ``spec`` (or of the mapping file)."""
    words = {header_key(s) for c in spec.read_columns for s in (c.name, *c.aliases)}
    words |= {header_key(k) for k in mapping.columns}
    words |= {header_key(f.column) for f in mapping.filters}
    return frozenset(words)


def _ranks(spec: Table) -> dict[str, tuple[str, int]]:
    ranks: dict[str, tuple[str, int]] = {}
    for column in spec.read_columns:
        for rank, spelling in enumerate((column.name, *column.aliases)):
            ranks.setdefault(header_key(spelling), (column.name, rank))
    return ranks


def match_columns(spec: Table, columns: Sequence[str], mapping: Mapping, source: str,
                  samples: Callable[[list[str]], dict[str, list[str]]] | None = None
                  ) -> ColumnMatch:
    """Match ``columns`` (a file's headers) to ``spec``; refuse a file missing a required
    column with the mapping line to write, guessed from ``samples`` of the other columns."""
    match = partial_match(spec, columns, mapping, source)
    missing = [c for c in spec.required if c not in match.chosen]
    if missing:
        unused = unused_columns(match, columns, mapping)
        values = samples(unused) if samples is not None else {}
        raise InputError(_missing_message(spec, missing, columns, unused, values),
                         source=source)
    return match


def unused_columns(match: ColumnMatch, columns: Sequence[str], mapping: Mapping) -> list[str]:
    """The file's columns that no contract column took and the mapping does not ignore."""
    ignored = {header_key(k) for k, v in mapping.columns.items() if not v.strip()}
    return [c for c in columns if c not in match.chosen.values()
            and header_key(c) not in ignored]


def partial_match(spec: Table, columns: Sequence[str], mapping: Mapping,
                  source: str) -> ColumnMatch:
    """:func:`match_columns` without refusing a file that misses required columns."""
    explicit = {header_key(k): v.strip() for k, v in mapping.columns.items()}
    for target in {t for t in explicit.values() if t}:
        if not spec.has(target):
            raise ConfigError(
                f"the mapping names column '{target}', which {spec.name} does not have; its "
                f"columns are {', '.join(c.name for c in spec.read_columns)}")
        if spec.column(target).derived_from:
            raise ConfigError(
                f"the mapping names column '{target}', which tenure computes from "
                f"{spec.column(target).derived_from}; map that column instead")
    ranks = _ranks(spec)
    best: dict[str, tuple[int, str]] = {}
    others: dict[str, list[str]] = {}
    ignored: list[str] = []
    for name in columns:
        key = header_key(name)
        if key in explicit:
            target, rank = explicit[key], -1
        elif key in ranks:
            target, rank = ranks[key]
        else:
            target, rank = "", 0
        if not target:
            ignored.append(name)
            continue
        if target in best and best[target][0] == rank:
            first = best[target][1]
            how = "are both mapped to" if rank < 0 else "both mean"
            raise InputError(
                f"columns '{first}' and '{name}' {how} {spec.name}.{target}; map one of them "
                "explicitly in the mapping file's [columns] (and the other to \"\" to ignore "
                "it)", source=source)
        if target not in best or rank < best[target][0]:
            if target in best:
                others.setdefault(target, []).append(best[target][1])
            best[target] = (rank, name)
        else:
            others.setdefault(target, []).append(name)
    chosen = {target: name for target, (_, name) in best.items()}
    passed = tuple((t, chosen[t], o) for t, names in others.items() for o in names)
    ignored += [o for _, _, o in passed]
    ordered = [c for c in columns if c in ignored]
    return ColumnMatch(chosen, tuple(ordered), passed)


def _missing_message(spec: Table, missing: list[str], columns: Sequence[str],
                     unused: list[str], values: MappingType[str, list[str]]) -> str:
    lines, taken = [], set()
    for target in missing:
        guess = guess_column(spec.column(target),
                             {c: values.get(c, []) for c in unused if c not in taken})
        if guess:
            taken.add(guess)
        lines.append(f'"{guess or "YOUR HEADER"}" = "{target}"')
    found = ", ".join(columns) or "none"
    return (f"no column for {', '.join(missing)} (required in {spec.name}); the file has: "
            f"{found}; map them in a mapping file's [columns], e.g. {', '.join(lines)} "
            f"(tenure ingest {spec.name} FILE --suggest-map writes one to edit)")


def _fits(column: Column, value: str) -> bool:
    text = str(value).strip()
    if column.type in ("timestamp", "date"):
        return bool(_DATE.match(text))
    if column.type == "number":
        return bool(_NUMBER.match(text)) and not _DATE.match(text)
    if column.type == "integer":
        return bool(_INTEGER.match(text))
    if column.type == "boolean":
        return text.lower() in _BOOLEAN
    if column.type == "id":
        return not _DATE.match(text) and not re.search(r"\d[.,]\d{2}$|[¥￥]", text)
    return True


def name_closeness(header: str, column: Column) -> float:
    """How close a header is to the column's name and known spellings, 0 to 1."""
    key = header_key(header)
    return max(SequenceMatcher(None, key, header_key(s)).ratio()
               for s in (column.name, *column.aliases))


def guess_column(column: Column, candidates: MappingType[str, Sequence[str]]) -> str | None:
    """The header among ``candidates`` (header -> sample values) likeliest to hold
    ``column``, or None when none is likely."""
    best, best_score = None, _GUESS_FLOOR
    for header, values in candidates.items():
        fit = (sum(_fits(column, v) for v in values) / len(values)) if values else 0.5
        if values and fit < 0.5:
            continue
        closeness = name_closeness(header, column)
        if column.type in ("id", "text") and closeness < _NAME_FLOOR:
            continue  # any value fits text: only the name can tell
        score = 0.6 * closeness + 0.4 * fit
        if score > best_score:
            best, best_score = header, score
    return best
