"""A mapping file to edit, suggested from a file's header and first values.

``tenure ingest TABLE FILE --suggest-map`` writes it: every header the contract recognises,
the likeliest header for each column it does not (marked as a guess to check), the headers
left unused as comments, the options detected while reading (encoding, title rows to skip)
and a commented filter to start from. Its comments are in the user's language; its keys and
values are what ingest reads, in any language.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "o.csv").write_text("订单编号,成交日期,实收\\nA1,2024-01-05,88\\n")
>>> print(suggest_mapping("orders", folder / "o.csv").text.splitlines()[4])
"订单编号" = "order_id"  # recognised
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tenure.contract import table as contract_table
from tenure.i18n import translate, word
from tenure.io._mapping import Mapping, ReadOptions
from tenure.io._match import guess_column, header_words, partial_match, unused_columns
from tenure.io._sources import open_source

__all__ = ["SuggestedMapping", "suggest_mapping"]


@dataclass(frozen=True)
class SuggestedMapping:
    """The text of a mapping file, and what went into it."""

    table: str
    source: str
    text: str
    recognised: dict[str, str]
    guessed: dict[str, str]
    missing: tuple[str, ...]
    unused: tuple[str, ...]

    def lines(self) -> list[str]:
        said = [f"{len(self.recognised)} columns recognised, {len(self.guessed)} guessed "
                "(marked in the file: check them)"]
        if self.missing:
            said.append(f"no header looks like {', '.join(self.missing)}: write its line "
                        "in the file")
        return said


def _quoted(text: str) -> str:
    # A JSON string is a TOML basic string.
    return json.dumps(text, ensure_ascii=False)


def suggest_mapping(table: str, source: str | Path, options: ReadOptions | None = None, *,
                    language: str = "en") -> SuggestedMapping:
    """Read the header and first values of ``source`` and suggest how to map it onto
    ``table``, the file's comments in ``language``."""
    spec = contract_table(table, source=str(source))
    mapping = Mapping(options=options or ReadOptions())
    con = duckdb.connect()
    try:
        src = open_source(con, source, mapping.options, _run_reading(con),
                          header_words=header_words(spec, mapping))
        try:
            match = partial_match(spec, src.columns, mapping, src.name)
            unused = unused_columns(match, src.columns, mapping)
            samples = src.sample(con, unused)
            guessed: dict[str, str] = {}
            wanted = [c for c in spec.required if c not in match.chosen]
            wanted += [c.name for c in spec.read_columns
                       if c.name not in match.chosen and c.name not in wanted]
            for target in wanted:
                left = {c: samples.get(c, []) for c in unused if c not in guessed.values()}
                found = guess_column(spec.column(target), left)
                if found:
                    guessed[target] = found
            text = _render(spec, src, match.chosen, match.passed_over, guessed, unused,
                           language)
            missing = tuple(c for c in spec.required
                            if c not in match.chosen and c not in guessed)
            return SuggestedMapping(spec.name, src.name, text, dict(match.chosen), guessed,
                                    missing, tuple(c for c in unused
                                                   if c not in guessed.values()))
        finally:
            src.close()
    finally:
        con.close()


def _run_reading(con: duckdb.DuckDBPyConnection):
    def run(sql, params, description) -> None:
        con.execute(sql, params)
    return run


def _render(spec, src, chosen, passed_over, guessed, unused, language: str) -> str:
    def say(text: str) -> str:
        return translate(text, language)

    name = Path(src.name).name
    heading = say(f"How {name} maps onto tenure's {spec.name} table, suggested by\n"
                  '`tenure ingest --suggest-map`. Check the lines marked "guessed", then:')
    lines = [
        *(f"# {part}" for part in heading.split("\n")),
        f"#   tenure ingest {spec.name} {name} --map {word('THIS_FILE', language)}",
        "[columns]",
    ]
    for target, header in chosen.items():
        lines.append(f"{_quoted(header)} = {_quoted(target)}  # {say('recognised')}")
    for target, used, other in passed_over:
        also = say(f"also fits; {used} is used unless you map this one instead")
        lines.append(f"# {_quoted(other)} = {_quoted(target)}  # {also}")
    for target, header in guessed.items():
        lines.append(f"{_quoted(header)} = {_quoted(target)}  # {say('guessed: check it')}")
    for target in spec.required:
        if target not in chosen and target not in guessed:
            lines.append(f"# {_quoted(word('YOUR HEADER', language))} = {_quoted(target)}  "
                         f"# {say('required: no header looks like it')}")
    free = [c.name for c in spec.read_columns if c.name not in chosen and c.name not in guessed]
    for header in unused:
        if header not in guessed.values():
            unmapped = say(f"not used; or one of: {', '.join(free)}" if free else "not used")
            lines.append(f"{_quoted(header)} = \"\"  # {unmapped}")
    options = []
    if src.encoding and src.encoding not in ("utf-8", "utf-8-sig"):
        options.append(f"encoding = {_quoted(src.encoding)}  # {say('detected')}")
    if src.title_rows:
        options.append(f"skip_rows = {src.title_rows}  # "
                       + say("title rows found above the header"))
    if options:
        lines += ["", "[options]", *options]
    lines += [
        "",
        "# " + say("Rows to leave out, counted in the ingest report and never quarantined:"),
        "# [[filter]]",
        f"# column = {_quoted(unused[0] if unused else word('HEADER', language))}",
        f"# not_in = [{_quoted(word('VALUE', language))}]",
        f"# reason = {_quoted(say('why these rows do not count'))}",
    ]
    return "\n".join(lines) + "\n"
