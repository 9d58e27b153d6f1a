"""The commands that are not capabilities of a workspace: creating one, ingesting several
files at once, changing a setting, simulating a business and the demo. Each calls one
library function and prints its result."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from tenure.cli._common import (
    WorkspaceOption,
    bar,
    check_outputs,
    err,
    friendly,
    language,
    open_workspace,
    out,
    output_options,
    python_command,
    say,
    show_result,
    show_table,
    state,
    tenure_command,
    tr,
    write_json,
)
from tenure.i18n import word

__all__ = ["register"]

_OUTPUTS = output_options()


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

    ws = Workspace.init(directory, timezone=timezone, currency=currency, language=language())
    ws.close()
    say(f"Created workspace {ws.path}")
    say(f"Next: {tenure_command()} ingest orders FILE --workspace {directory}")


def ingest(
    table: Annotated[str, typer.Argument(help="Contract table: orders, customers, ...")],
    files: Annotated[list[Path], typer.Argument(help="CSV, Parquet, JSON lines or Excel files.")],
    map_file: Annotated[Path | None, typer.Option(
        "--map", help="Mapping file (TOML) from your column names to the contract's.")] = None,
    fail_on_quarantine: Annotated[bool, typer.Option(
        help="Exit with status 1 when any row was quarantined.")] = False,
    suggest_map: Annotated[bool, typer.Option(
        "--suggest-map", help="Write a mapping file to edit for FILE (to --map, or beside "
                              "FILE as .toml) instead of ingesting it.")] = False,
    json_file: Annotated[Path | None, _OUTPUTS["json_file"][1]] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Validate files and land them in a table; bad rows go to quarantine.

    Each file is one transaction: it lands whole or not at all. Ingesting the same file
    again changes nothing; changed rows update their key.

    Example: `tenure ingest orders 订单.csv --map 订单映射.toml`
    """
    from tenure.capabilities import REGISTRY

    if suggest_map:
        _suggest_map(table, files, map_file, workspace)
        return
    capability = REGISTRY["ingest"]
    check_outputs(None, json_file, None, None)
    reports = []
    with open_workspace(workspace) as ws:
        for path in files:
            options = capability.parse({"table": table, "source": path, "map": map_file})
            try:
                with bar(f"ingesting {path.name}") as progress:
                    report = capability(ws, options, progress)
            except KeyboardInterrupt:
                if state.debug:
                    raise
                before = (f"; the {len(reports)} files before it landed" if reports else "")
                line = tr(f"interrupted: nothing from {path.name} was written{before}")
                cut = min(i for i in (line.find(":"), line.find("："), len(line)) if i >= 0) + 1
                err.print(f"[bold red]{escape(line[:cut])}[/] {escape(line[cut:].lstrip())}",
                          highlight=False, soft_wrap=True)
                raise typer.Exit(130) from None
            reports.append(report)
            if json_file is None or str(json_file) != "-":
                show_result(report)
    if json_file is not None:
        import json
        import sys

        text = json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=1)
        if str(json_file) == "-":
            sys.stdout.write(text + "\n")
        else:
            json_file.write_text(text, encoding="utf-8")
    if fail_on_quarantine and any(r.quarantined for r in reports):
        raise typer.Exit(1)


def _suggest_map(table: str, files: list[Path], map_file: Path | None,
                 workspace: Path | None) -> None:
    from tenure.errors import InputError, TenureError
    from tenure.io import suggest_mapping

    if len(files) != 1:
        raise InputError(f"--suggest-map reads one file, not {len(files)}; give one")
    source = files[0]
    stem = source.with_suffix("") if source.suffix.lower() == ".gz" else source
    target = map_file or stem.with_suffix(".toml")
    if target.exists():
        raise InputError(f"{target} exists already; remove it or name another file with --map")
    # A suggestion needs no workspace (nor a sound one); when there is one, its language
    # counts. Opening it reads its settings only.
    with contextlib.suppress(TenureError):
        open_workspace(workspace).close()
    suggestion = suggest_mapping(table, source, language=language())
    target.write_text(suggestion.text, encoding="utf-8")
    say(f"Wrote {target}")
    for line in suggestion.lines():
        say(line)
    say(f"Next: tenure ingest {table} {source} --map {target}")


def config(
    key: Annotated[str | None, typer.Argument(help="Setting to show or change.")] = None,
    value: Annotated[str | None, typer.Argument(help="New value (lists: comma-separated).")] = None,
    json_file: Annotated[Path | None, _OUTPUTS["json_file"][1]] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Show the workspace settings, or change one.

    Example: `tenure config lifecycle.at_risk_days 30`
    """
    from tenure.config import SETTINGS

    check_outputs(None, json_file, None, None)
    ws = open_workspace(workspace)
    if key is not None and value is not None:
        stored = ws.set_setting(key, value)
        if json_file is not None:
            write_json({"setting": key, "value": stored}, json_file)
        else:
            out.print(f"{key} = {stored!r}", highlight=False, markup=False)
        return
    rows = [(s.key, ws.config[s.key], s.help) for s in SETTINGS
            if key is None or s.key == key]
    if key is not None and not rows:
        ws.config[key]  # raises the "no such setting" error with a suggestion
    if json_file is not None:
        write_json([{"setting": k, "value": v, "help": h} for k, v, h in rows], json_file)
    if json_file is None or str(json_file) != "-":
        show_table(pd.DataFrame([(k, repr(v), h) for k, v, h in rows],
                                columns=["setting", "value", "help"]))


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
    from tenure.simulate import BusinessParams, simulate_business, write_business, write_world

    with bar("simulating") as progress:
        business = simulate_business(customers, seed, BusinessParams(process=process),
                                     progress=progress)
        write_business(business, directory, fmt=fmt)
        world = write_world(business, directory, seed=seed)
    rows = word("rows", language())
    for name, table in business.tables.items():
        out.print(f"  {name:<14} {table.num_rows:>12,} {rows}", highlight=False)
    if world:
        say(f"Wrote {directory} (truth.json and latent.parquet hold the ground truth, "
            "action_truth.parquet each customer's answer to actions)")
    else:
        say(f"Wrote {directory} (truth.json and latent.parquet hold the ground truth)")


def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the demo workspaces.")] = Path(
        "tenure-demo"),
    customers: Annotated[int, typer.Option(help="Customers of the simulated shop.")] = 20_000,
) -> None:
    """Build demo workspaces (a simulated shop and CDNOW), ingest them and show them.

    Example: `tenure demo`
    """
    from tenure.demo import build_demo
    from tenure.workspace import Workspace

    with bar("building the demo") as progress:
        result = build_demo(directory, customers=customers, progress=progress,
                            command=tenure_command(), python=python_command())
    for report in result.reports:
        say(f"  {report}")
    for ws_path in result.workspaces:
        with Workspace(ws_path) as ws:
            info = ws.status()
        shown = info.tables[info.tables["rows"] > 0].rename(columns={"table_name": "table"})
        show_table(shown.drop(columns=["last_ingest"]), f"Workspace {ws_path}")
    if result.models is not None:
        _model_table(result.models, "Value models on the shop (weeks, calibration to "
                                    "2025-06-30)")
    for line in result.headlines:
        say(line)
    if result.lift is not None:
        show_table(result.lift.view(), "Lift of each playbook and the programme")
    if result.report is not None:
        say(f"The report (opens with no network): {result.report}")
    say("Where to look next:")
    for line in result.next_steps:
        say(f"  {line}")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; the default answers this "
                                           "machine only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the API and the dashboard of a workspace; while it runs it is the workspace's
    only writer.

    Example: `tenure serve -w shop`, then open http://127.0.0.1:8765 and log in with a
    token from `tenure token create --role viewer`
    """
    from tenure.service import serve as run

    ws = open_workspace(workspace)
    run(ws.path, host=host, port=port, say=lambda text: out.print(text, highlight=False,
                                                                    soft_wrap=True))


def report(
    out_file: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = Path(
        "report.html"),
    lang: Annotated[str | None, typer.Option(
        "--lang", help="zh or en (default: tenure's --lang, TENURE_LANG, else the "
                       "workspace's workspace.language).")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write one self-contained HTML report: headline figures, every analysis and model
    chart, the customers at risk and the SLA summaries; it opens with no network.

    Example: `tenure report --out report.html --lang zh`
    """
    from tenure.i18n import choose_language
    from tenure.report import write_report

    with open_workspace(workspace) as ws, bar("writing the report") as progress:
        # Its own --lang, else tenure's (--lang before the command, TENURE_LANG, the
        # workspace's setting).
        chosen = choose_language(lang) if lang else language()
        written = write_report(ws, out_file, language=chosen, progress=progress)
    show_result(written)


def _model_table(frame: pd.DataFrame, title: str) -> None:
    """The model comparison with short headers, so it fits a terminal."""
    short = frame.rename(columns={
        "parameters": "k", "log_likelihood": "LL", "aic": "AIC", "bic": "BIC",
        "holdout_mae": "MAE", "holdout_rmse": "RMSE", "predicted_holdout": "predicted",
        "actual_holdout": "actual"})
    show_table(short.apply(lambda c: c.map(_compact) if c.dtype.kind == "f" else c), title)


def _compact(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3f}"


def register(app: typer.Typer) -> None:
    for command in (init, ingest, config, simulate, demo, serve, report):
        app.command()(friendly(command))

