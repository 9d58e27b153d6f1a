"""What every command shares: the consoles, the workspace option, error rendering, progress
bars, tables and the output files (``--csv``, ``--json``, ``--xlsx``, ``--chart``).

The library reports progress through a callback and returns typed results; this module
is where they meet the terminal, and the only place tenure draws with Rich.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tenure.errors import InputError, TenureError
from tenure.i18n import choose_language, translate, word
from tenure.progress import ProgressEvent

__all__ = ["SHOWN_ROWS", "WorkspaceOption", "bar", "err", "friendly", "language", "open_workspace",
           "out", "python_command", "say", "show_result", "show_table", "state",
           "tenure_command", "tr", "write_json", "write_outputs"]



class _Console(Console):
    """A console whose width is read at each use (the terminal's, or COLUMNS), not fixed
    at the moment the command line was first imported: a process that runs several
    commands, as the tests and the service do, prints each at its own width."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self._width = None


out = _Console()
err = _Console(stderr=True)
SHOWN_ROWS = 40


class _State:
    debug: bool = False
    lang: str | None = None      # --lang, as given
    setting: str | None = None   # the workspace's workspace.language, once one is open


state = _State()


def language() -> str:
    """The language to print in: ``--lang``, else TENURE_LANG, else the workspace setting,
    else English."""
    try:
        return choose_language(state.lang, state.setting)
    except TenureError:
        return "en"  # a bad TENURE_LANG is reported once, by the command's own check


def tr(text: str) -> str:
    """A sentence in the user's language."""
    return translate(text, language())


def tenure_command() -> str:
    """How to run tenure again from here, as the user can type it: ``tenure`` when the
    script running now is the one on the PATH, else its path (``.venv/bin/tenure``)."""
    import os
    import shutil

    script = Path(sys.argv[0])
    if script.name != "tenure":
        return f"{_quoted(sys.executable)} -m tenure.cli"
    found = shutil.which("tenure")
    if found and Path(found).resolve() == script.resolve():
        return "tenure"
    try:
        shown = os.path.relpath(script)
    except ValueError:  # another drive
        shown = str(script)
    if shown.startswith(".."):  # outside the folder here: the whole path reads better
        shown = str(script.absolute())
    if os.sep not in shown:
        shown = f".{os.sep}{shown}"
    return _quoted(shown)


def python_command() -> str:
    """How to run the Python that has tenure, as the user can type it."""
    import os

    try:
        shown = os.path.relpath(sys.executable)
    except ValueError:
        shown = sys.executable
    return _quoted(shown if not shown.startswith("..") else sys.executable)


def _quoted(text: str) -> str:
    import shlex

    return shlex.quote(text)


def say(text: str, *, console: Console | None = None) -> None:
    """Print a sentence in the user's language, as written (no markup, no highlighting)."""
    (console or out).print(tr(text), highlight=False, markup=False, soft_wrap=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", envvar="TENURE_WORKSPACE",
                 help="Workspace folder; defaults to $TENURE_WORKSPACE or the one enclosing "
                      "the current folder."),
]


def friendly(command):
    """Print a TenureError as one line and exit 2, unless --debug asks for the traceback;
    Ctrl-C says that nothing was left half-written and exits 130."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except TenureError as exc:
            if state.debug:
                raise
            # Escaped: a message naming a mapping section ("[columns]") is not Rich markup.
            err.print(f"[bold red]{escape(tr('error:'))}[/] {escape(tr(str(exc)))}",
                      highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            if state.debug:
                raise
            message = tr("stopped before the end; every write is all-or-nothing, so nothing "
                         "was half-written")
            err.print(f"[bold red]{escape(tr('interrupted:'))}[/] {escape(message)}",
                      highlight=False, soft_wrap=True)
            raise typer.Exit(130) from None

    return wrapper


# What a numeric warning of numpy, scipy or pandas means for the user's data, by the words
# of its message; each is said once per command.
_NUMERIC_MEANINGS = (
    ("divide by zero", "some figures divide by zero on your data (such as a rate over a group "
                       "with no customers), so they show as empty or infinite"),
    ("invalid value", "some figures could not be computed from your data (such as an average "
                      "over no purchases), so they show as empty"),
    ("overflow", "some figures are too large to compute from your data (such as extreme "
                 "amounts or very long histories), so they show as empty or infinite"),
    ("", "a calculation on your data may be inaccurate (the numbers met the limits of the "
         "arithmetic); run again with --debug to see where"),
)
_said: set[str] = set()


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line on standard error, like the errors. tenure's own warnings are
    sentences about the user's data and are shown as they are; a numeric warning of the
    libraries underneath becomes the sentence of what it means for the data; other warnings
    of those libraries are for developers and show only with --debug."""
    text = str(message)
    if state.debug:
        pass
    elif issubclass(category, RuntimeWarning):
        text = next(meaning for words, meaning in _NUMERIC_MEANINGS if words in text)
        if text in _said:
            return
        _said.add(text)
    elif not (category.__module__.startswith("tenure.")
              or (issubclass(category, UserWarning) and _from_tenure(filename))):
        return
    err.print(f"[yellow]{escape(tr('warning:'))}[/] {escape(tr(text))}",
              highlight=False, soft_wrap=True)


# The installed package: the folder above this one.
_PACKAGE = Path(__file__).resolve().parents[1]


def _from_tenure(filename: str) -> bool:
    return Path(filename).resolve().is_relative_to(_PACKAGE)


def open_workspace(path: Path | None):
    """The workspace at ``path`` (or found from here), whose language setting then counts."""
    from tenure.workspace import Workspace

    ws = Workspace.find(path)
    state.setting = ws.config["workspace.language"]
    return ws


class bar:
    """A Rich progress bar on standard error, fed by the library's progress events; on a
    terminal only (a pipe or a test sees nothing). Use as ``with bar("title") as progress:``
    and hand ``progress`` to the library."""

    def __init__(self, title: str) -> None:
        self.title = title
        self._bar: Progress | None = None
        self._task = None

    def __enter__(self):
        if not err.is_terminal:
            return None
        self._bar = Progress(TextColumn("{task.description:<40}"), BarColumn(),
                             TaskProgressColumn(), TimeElapsedColumn(), console=err,
                             transient=True)
        self._task = self._bar.add_task(tr(self.title), total=None)
        self._bar.start()
        return self

    def __call__(self, event: ProgressEvent) -> None:
        if self._bar is None:
            return
        description = tr(event.description)
        label = f"{tr(self.title)}: {description}"
        if event.steps:
            label = f"[{event.step}/{event.steps}] {description}"
            done = event.step - 1 + (event.fraction or 0.0)
            self._bar.update(self._task, description=label, total=event.steps, completed=done)
        elif event.fraction is not None:
            self._bar.update(self._task, description=label, total=1.0, completed=event.fraction)
        else:
            self._bar.update(self._task, description=label, total=None)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


# Columns whose cells are the user's own data or identifiers: shown as they are, never
# translated (a customer called "new" stays "new").
_VERBATIM = ("value", "source", "file", "path", "sku", "name", "raw", "table", "table_name",
             "setting", "parameter", "feature", "model", "target", "client", "actor", "detail",
             "reason_code", "stage",
             "order_id", "customer_id")


def show_table(frame, title: str | None = None) -> None:
    """A frame as a table in the user's language: headers as words, sentences and state
    words in the cells translated, identifiers and the user's own values as they are.

    Numbers never wrap: a table too wide for the terminal folds into several tables of
    fewer columns, each beginning with the first column, and only text wraps in its cell.
    """
    lang = language()
    headers = [word(str(c), lang) if _ENGLISH.search(str(c)) else str(c) for c in frame.columns]
    verbatim = [str(c) in _VERBATIM or str(c).endswith("_id") for c in frame.columns]
    rows = [["" if _missing(v) else _cell(v, keep, lang)
             for v, keep in zip(row, verbatim, strict=True)]
            for row in frame.itertuples(index=False)]
    numeric = [_numeric(frame[column]) or _all_numbers(row[i] for row in rows)
               for i, column in enumerate(frame.columns)]
    widths = [max([cell_len(header), *(cell_len(row[i]) for row in rows)])
              for i, header in enumerate(headers)]
    # What a column needs at least: a number its whole width, text its longest word (an
    # identifier such as care_calendar is one word, never broken) or ten, at most 24.
    longest = [max((max(_words(row[i])) for row in rows), default=0)
               for i in range(len(headers))]
    needs = [width if number else min(width, max(10, *_words(header), min(word_, 24)))
             for width, number, header, word_ in zip(widths, numeric, headers, longest,
                                                     strict=True)]
    for part, columns in enumerate(_folds(needs, out.width)):
        shown = tr(title) if title and not part else None
        table = Table(title=shown, title_justify="left", header_style="bold")
        for i in columns:
            table.add_column(headers[i], overflow="fold", no_wrap=numeric[i],
                             min_width=needs[i], justify="right" if numeric[i] else "left")
        for row in rows:
            table.add_row(*[row[i] for i in columns])
        out.print(table)


def _numeric(column) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


# A number as a view writes it (1,234.5, -3%, ¥39, 0.41x, 2.1e-05), or a date and time.
_NUMBER_TEXT = re.compile(r"[-+]?[¥$€£]?[\d,]*\.?\d+(?:e[-+]?\d+)?[%x]?"
                          r"|\d{4}-\d\d(?:-\d\d)?(?: \d\d:\d\d(?::\d\d)?)?")


def _all_numbers(cells) -> bool:
    filled = [cell for cell in cells if cell]
    return bool(filled) and all(_NUMBER_TEXT.fullmatch(cell) for cell in filled)


def _words(text: str) -> list[int]:
    return [cell_len(part) for part in text.split()] or [0]


def _folds(needs: list[int], width: int) -> list[list[int]]:
    """The columns of each table when a table of columns needing ``needs`` characters is
    shown ``width`` characters wide: all in one when they fit, else as many as fit beside
    the first column in each (a column takes its width, two of padding and one border)."""
    cost = [need + 3 for need in needs]
    if 1 + sum(cost) <= width or len(needs) <= 2:
        return [list(range(len(needs)))]
    parts, current, used = [], [0], 1 + cost[0]
    for i in range(1, len(needs)):
        if used + cost[i] > width and len(current) > 1:
            parts.append(current)
            current, used = [0], 1 + cost[0]
        current.append(i)
        used += cost[i]
    parts.append(current)
    return parts


def _cell(value, verbatim: bool, lang: str) -> str:
    """A cell as shown: English words and sentences in the user's language; numbers, dates,
    codes with digits and text already in another script as they are."""
    text = _fmt(value)
    if (verbatim or lang == "en" or not isinstance(value, str) or not _ENGLISH.search(text)
            or _CODE.fullmatch(text)):
        return text
    return translate(text, lang)


# A word of English; and a code (C0000005, rep_01, wechat:coffee_lab, tnr_...) that names a
# thing of the user's rather than saying something.
_ENGLISH = re.compile(r"[A-Za-z]{2,}")
_CODE = re.compile(r"[\w.:@/-]*\d[\w.:@/-]*|\w+:\w+|[^\x00-\x7f].*")


def _missing(value) -> bool:
    try:
        return bool(value is None or value != value)  # NaN and NaT are not equal to themselves
    except TypeError:  # pandas' NA is neither equal nor unequal to itself
        return True
    except ValueError:  # an array, which is a value
        return False


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def show_result(result, *, rows: int = SHOWN_ROWS) -> None:
    """A result on the terminal: its sentences, then each of its panels (the first ``rows``
    rows of each)."""
    for line in result.lines():
        say(line)
    for title, frame in result.panels():
        if frame is None or (len(frame) == 0 and not len(frame.columns)):
            continue
        show_table(frame.head(rows), title)
        if len(frame) > rows:
            say(f"... {len(frame) - rows:,} more rows; write them all with --csv, --json or "
                "--xlsx")


CHART_SUFFIXES = (".html", ".json", ".png", ".svg")


def check_outputs(csv: Path | None, json_file: Path | None, xlsx: Path | None,
                  chart: Path | None, parquet: Path | None = None) -> None:
    """Refuse unusable output paths before any work is done."""
    if chart is not None and chart.suffix.lower() not in CHART_SUFFIXES:
        raise InputError(f"--chart {chart}: the file should end in .html, .json, .png or .svg")
    if xlsx is not None and xlsx.suffix.lower() != ".xlsx":
        raise InputError(f"--xlsx {xlsx}: the file should end in .xlsx")
    for option, path in (("--csv", csv), ("--json", json_file), ("--xlsx", xlsx),
                         ("--chart", chart), ("--parquet", parquet)):
        if path is None or str(path) == "-":
            continue
        if path.is_dir():
            raise InputError(f"{option} {path} is a folder; give a file name")
        if not path.parent.exists():
            raise InputError(f"{option} {path}: the folder {path.parent} does not exist")


def write_outputs(result, *, csv: Path | None = None, json_file: Path | None = None,
                  xlsx: Path | None = None, chart: Path | None = None,
                  parquet: Path | None = None) -> None:
    """Write the result's frame (CSV with a BOM, so that Excel reads Chinese text, or
    Parquet), all of it as JSON (``-``: standard output), its tables as Excel sheets, and
    its chart."""
    if csv is not None:
        result.frame.to_csv(csv, index=False, encoding="utf-8-sig")
        say(f"Wrote {len(result.frame):,} rows to {csv}")
    if parquet is not None:
        result.frame.to_parquet(parquet, index=False)
        say(f"Wrote {len(result.frame):,} rows to {parquet}")
    if json_file is not None:
        write_json(result.to_dict(), json_file)
    if xlsx is not None:
        _write_xlsx(result, xlsx)
        say(f"Wrote {xlsx}")
    if chart is not None:
        from tenure.charts import save

        save(result.chart(), chart)
        say(f"Wrote the chart to {chart}")


def write_json(data, target: Path) -> None:
    """``data`` as JSON to the file ``target``, or to standard output when it is ``-``."""
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    if str(target) == "-":
        sys.stdout.write(text + "\n")
    else:
        target.write_text(text, encoding="utf-8")
        say(f"Wrote {target}")


def _write_xlsx(result, path: Path) -> None:
    import pandas as pd

    sheets = {"result": result.frame, **result.extra_tables()}
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            plain = frame.copy()
            for column in plain.columns:
                if isinstance(plain[column].dtype, pd.DatetimeTZDtype):
                    plain[column] = plain[column].dt.tz_localize(None)
            plain.to_excel(writer, sheet_name=name[:31], index=False)


def output_options() -> dict[str, Any]:
    """The output options every result-printing command takes, as Typer parameters."""
    return {
        "csv": (Path | None, typer.Option("--csv", help="Write the full result table to this "
                                                        "CSV file (UTF-8 with a BOM).")),
        "json_file": (Path | None, typer.Option("--json", help="Write the whole result as "
                                                               "JSON to this file (- for "
                                                               "standard output).")),
        "xlsx": (Path | None, typer.Option("--xlsx", help="Write the result's tables to "
                                                          "this Excel file.")),
        "parquet": (Path | None, typer.Option("--parquet", help="Write the full result "
                                                                "table to this Parquet file.")),
    }
