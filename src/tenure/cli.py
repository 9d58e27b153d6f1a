"""The ``tenure`` command line: a thin layer over the library.

Every command calls one library function and prints its result. A user error prints one
line and exits with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tenure.errors import TenureError

app = typer.Typer(
    name="tenure",
    help="A customer-retention engine over your own order history.\n\n"
    "Start with `tenure demo`, or `tenure init shop` then "
    "`tenure ingest orders orders.csv --workspace shop`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
out = Console()
err = Console(stderr=True)


class _State:
    workspace: Path | None = None
    debug: bool = False


state = _State()

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", envvar="TENURE_WORKSPACE",
                 help="Workspace folder; defaults to $TENURE_WORKSPACE or the one enclosing "
                      "the current folder."),
]


def friendly(command):
    """Print a TenureError as one line and exit 2, unless --debug asks for the traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except TenureError as exc:
            if state.debug:
                raise
            # Escaped: a message naming a mapping section ("[columns]") is not Rich markup.
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False,
                      soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line on standard error, like the errors."""
    err.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    state.debug = debug


def _workspace(path: Path | None):
    from tenure.workspace import Workspace

    return Workspace.find(path)


def _show_table(frame, title: str | None = None) -> None:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*["" if _missing(v) else _fmt(v) for v in row])
    out.print(table)


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


@app.command()
@friendly
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    timezone: Annotated[str | None, typer.Option(help="Time zone of the business, e.g. "
                                                      "Asia/Shanghai (default UTC).")] = None,
    currency: Annotated[str | None, typer.Option(help="Currency of amounts (default CNY).")] = None,
) -> None:
    """Create a workspace: a DuckDB database plus `tenure.toml` with every setting.

    Example: `tenure init shop --timezone Asia/Shanghai`
    """
    from tenure.workspace import Workspace

    ws = Workspace.init(directory, timezone=timezone, currency=currency)
    ws.close()
    out.print(f"Created workspace {ws.path}")
    out.print(f"Next: tenure ingest orders FILE --workspace {directory}")


@app.command()
@friendly
def ingest(
    table: Annotated[str, typer.Argument(help="Contract table: orders, customers, ...")],
    files: Annotated[list[Path], typer.Argument(help="CSV, Parquet, JSON lines or Excel files.")],
    map_file: Annotated[Path | None, typer.Option(
        "--map", help="Mapping file (TOML) from your column names to the contract's.")] = None,
    fail_on_quarantine: Annotated[bool, typer.Option(
        help="Exit with status 1 when any row was quarantined.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Validate files and land them in a table; bad rows go to quarantine.

    Each file is one transaction: it lands whole or not at all. Ingesting the same file
    again changes nothing; changed rows update their key.

    Example: `tenure ingest orders 订单.csv --map 订单映射.toml`
    """
    ws = _workspace(workspace)
    held = 0
    with ws:
        for path in files:
            report = ws.ingest(table, path, map_file, progress=err.is_terminal)
            held += report.quarantined
            _show_report(report)
    if held:
        out.print(f"See the quarantined rows with: tenure quarantine --table {table}")
        if fail_on_quarantine:
            raise typer.Exit(1)


def _show_report(report) -> None:
    grid = Table(title=f"{report.table} ← {report.source}", title_justify="left",
                 header_style="bold")
    for name in ("read", "landed", "updated", "unchanged", "quarantined"):
        grid.add_column(name, justify="right")
    grid.add_row(*(f"{v:,}" for v in (report.rows_read, report.landed, report.updated,
                                       report.unchanged, report.quarantined)))
    out.print(grid)
    notes = []
    if report.duplicates_merged:
        notes.append(f"{report.duplicates_merged:,} exact duplicate rows merged")
    if report.blank_rows:
        notes.append(f"{report.blank_rows:,} blank rows skipped")
    if report.ignored_columns:
        notes.append("columns not in the contract, ignored: " + ", ".join(report.ignored_columns))
    for reason, count in report.problems.items():
        notes.append(f"{count:,} × {reason}")
    for note in notes:
        out.print(f"  {note}", highlight=False)


@app.command()
@friendly
def status(workspace: WorkspaceOption = None) -> None:
    """Show tables, row counts, date ranges and the latest ingests.

    Example: `tenure status --workspace shop`
    """
    with _workspace(workspace) as ws:
        info = ws.status()
    out.print(f"Workspace {info.path} (schema {info.schema_version}, times in {info.timezone})")
    _show_table(info.tables.rename(columns={"table_name": "table"}), "Tables")
    if len(info.ingests):
        _show_table(info.ingests, "Latest ingests")
    if info.quarantined:
        out.print(f"{info.quarantined:,} rows in quarantine: tenure quarantine")


@app.command()
@friendly
def quarantine(
    table: Annotated[str | None, typer.Option(help="Only this table.")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason (unparseable, "
                                                    "missing_required, ...).")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
    csv: Annotated[Path | None, typer.Option(help="Write every matching row to this CSV "
                                                  "file instead.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List rows held back at ingest, with file, row, column and reason.

    Example: `tenure quarantine --table orders --csv problems.csv`
    """
    with _workspace(workspace) as ws:
        frame = ws.quarantine(table, reason=reason, limit=None if csv else limit)
    if csv:
        frame.to_csv(csv, index=False)
        out.print(f"Wrote {len(frame):,} rows to {csv}")
        return
    if frame.empty:
        out.print("Nothing in quarantine.")
        return
    for (table_name, source), rows in frame.groupby(["table_name", "source"], sort=False):
        _show_table(rows[["row", "column_name", "reason", "value", "message"]]
                    .rename(columns={"column_name": "column"}), f"{table_name} ← {source}")


@app.command()
@friendly
def config(
    key: Annotated[str | None, typer.Argument(help="Setting to show or change.")] = None,
    value: Annotated[str | None, typer.Argument(help="New value (lists: comma-separated).")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Show the workspace settings, or change one.

    Example: `tenure config ingest.strict_references true`
    """
    from tenure.config import SETTINGS, set_value
    from tenure.workspace import CONFIG_FILE

    ws = _workspace(workspace)
    if key is not None and value is not None:
        stored = set_value(ws.path / CONFIG_FILE, key, value)
        out.print(f"{key} = {stored!r}")
        return
    table = Table(header_style="bold")
    for name in ("setting", "value", "help"):
        table.add_column(name, overflow="fold")
    for setting in SETTINGS:
        if key is None or setting.key == key:
            table.add_row(setting.key, repr(ws.config[setting.key]), setting.help)
    if key is not None and not table.row_count:
        ws.config[key]  # raises the "no such setting" error with a suggestion
    out.print(table)


@app.command()
@friendly
def simulate(
    directory: Annotated[Path, typer.Argument(help="Folder to write the tables into.")],
    customers: Annotated[int, typer.Option(help="Number of customers.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 0,
    process: Annotated[str, typer.Option(
        help="Buying process: pnbd (Pareto/NBD) or bgnbd.")] = "pnbd",
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
) -> None:
    """Write a synthetic business (every table) with its true parameters and latent state.

    Example: `tenure simulate sim --customers 100000 --seed 7`
    """
    from tenure.simulate import BusinessParams, simulate_business, write_business

    with _steps("simulating") as step:
        business = simulate_business(customers, seed, BusinessParams(process=process),
                                     progress=step)
        step("writing")
        write_business(business, directory, fmt=fmt)
    for name, table in business.tables.items():
        out.print(f"  {name:<14} {table.num_rows:>12,} rows")
    out.print(f"Wrote {directory} (truth.json and latent.parquet hold the ground truth)")


class _steps:
    """A spinner naming the current step, on the terminal only."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.status = None

    def __enter__(self):
        if err.is_terminal:
            self.status = err.status(self.title)
            self.status.start()
        return self

    def __call__(self, name: str) -> None:
        if self.status is not None:
            self.status.update(f"{self.title}: {name}")

    def __exit__(self, *exc) -> None:
        if self.status is not None:
            self.status.stop()


@app.command()
@friendly
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspaces.")] = Path(
        "tenure-demo"),
    customers: Annotated[int, typer.Option(help="Customers of the simulated shop.")] = 20_000,
) -> None:
    """Build demo workspaces (a simulated shop and CDNOW), ingest them and show them.

    Example: `tenure demo`
    """
    from tenure.demo import build_demo

    with _steps("building the demo") as step:
        result = build_demo(directory, customers=customers, progress=step)
    for report in result.reports:
        out.print(f"  {report}", highlight=False, soft_wrap=True)
    for ws_path in result.workspaces:
        from tenure.workspace import Workspace

        with Workspace(ws_path) as ws:
            info = ws.status()
        shown = info.tables[info.tables["rows"] > 0].rename(columns={"table_name": "table"})
        _show_table(shown.drop(columns=["last_ingest"]), f"Workspace {ws_path}")
    if result.models is not None:
        _models_cli.show_model_table(result.models, "Value models on the shop "
                                     "(weeks, calibration to 2025-06-30)")
    for line in result.headlines:
        out.print(line, highlight=False, soft_wrap=True)
    out.print("Where to look next:")
    for line in result.next_steps:
        out.print(f"  {line}", highlight=False, soft_wrap=True)


from tenure.models import _cli as _models_cli  # noqa: E402

app.command()(friendly(_models_cli.fit))
app.command()(friendly(_models_cli.score))
import tenure.sla._cli  # noqa: E402, F401 - adds `tenure sla`, using the helpers above
from tenure.analytics._cli import app as _analyze  # noqa: E402

app.add_typer(_analyze, name="analyze")
from tenure.churn._cli import app as _churn_app  # noqa: E402 - it needs the helpers above

app.add_typer(_churn_app, name="churn")


def main() -> None:
    """Entry point of the `tenure` script."""
    warnings.showwarning = _show_warning
    sys.exit(app())


if __name__ == "__main__":
    main()
