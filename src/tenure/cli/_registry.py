"""Commands made from the capability registry: one per capability, its options taken from
the capability's declaration.

Every option reaches the command as text and is checked by the registry
(:func:`tenure.capabilities.parse_options`), so that the command line, the HTTP API and the
dashboard accept and refuse the same values with the same sentences.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from tenure.capabilities import Capability, OptionSpec
from tenure.cli._common import (
    WorkspaceOption,
    bar,
    check_outputs,
    friendly,
    language,
    open_workspace,
    output_options,
    show_result,
    write_outputs,
)

__all__ = ["command_for", "run_capability"]


def run_capability(capability: Capability, values: dict[str, Any], workspace: Path | None,
                   *, csv: Path | None = None, json_file: Path | None = None,
                   xlsx: Path | None = None, chart: Path | None = None,
                   parquet: Path | None = None, spark: dict[str, Any] | None = None):
    """Check the options, run the capability on the workspace (or, with ``--engine spark``,
    on the Spark engine: ``spark`` holds those options) with a progress bar, show the
    result and write the files asked for; return the result."""
    options = capability.parse(values)
    check_outputs(csv, json_file, xlsx, chart, parquet)
    if "lang" in type(options).__dataclass_fields__ and "lang" not in values:
        # A capability that writes words itself speaks the command line's language.
        options = capability.parse({**values, "lang": language()})
    if spark is not None and _engine(spark, workspace) == "spark":
        result = _run_on_spark(capability, options, workspace, spark)
    else:
        with open_workspace(workspace) as ws, bar(capability.name) as progress:
            result = capability(ws, options, progress)
    if json_file is None or str(json_file) != "-":
        show_result(result)
    write_outputs(result, csv=csv, json_file=json_file, xlsx=xlsx, chart=chart,
                  parquet=parquet)
    return result


def _engine(spark: dict[str, Any], workspace: Path | None) -> str:
    """--engine, else the workspace's engine.name (DuckDB where there is no workspace)."""
    from tenure.config import ENGINES
    from tenure.errors import ConfigError, WorkspaceError
    from tenure.workspace import Workspace

    chosen = spark.get("engine")
    if chosen is None:
        try:
            with Workspace.find(workspace) as ws:
                chosen = ws.config["engine.name"]
        except WorkspaceError:
            chosen = "duckdb"
    if chosen not in ENGINES:
        raise ConfigError(f"--engine {chosen} is not an engine tenure runs on; use duckdb or "
                          "spark")
    return chosen


def _run_on_spark(capability: Capability, options: Any, workspace: Path | None,
                  spark: dict[str, Any]):
    """The capability on the Spark engine over the workspace's settings (the defaults
    where there is none), the tables read and checked first and their counts shown."""
    from tenure.config import Config
    from tenure.errors import ConfigError, WorkspaceError
    from tenure.spark import open_engine
    from tenure.workspace import Workspace

    try:
        with Workspace.find(workspace) as ws:
            config, home = ws.config, ws.path
    except WorkspaceError:
        if workspace is not None:
            raise
        config, home = Config(), None
    tables = {"orders": spark["orders"]} if spark.get("orders") else {}
    for item in spark.get("table") or []:
        name, sep, where = item.partition("=")
        if not sep or not name.strip() or not where.strip():
            raise ConfigError(f"--table {item} should be NAME=PATH, such as "
                              "customers=s3a://lake/customers/")
        tables[name.strip()] = where.strip()
    with bar(capability.name) as progress:
        engine, report = open_engine(config, master=spark.get("master"), tables=tables,
                                     out=spark.get("out"), home=home)
        show_result(report)
        return capability(engine, options, progress)


def _spark_parameters(capability: Capability) -> dict[str, tuple[Any, Any]]:
    """The options of a capability that also runs on Spark."""
    found = {
        "engine": (str | None, typer.Option(
            "--engine", help="duckdb (the workspace) or spark (the tables under "
                             "[spark.tables], or --orders); default: the workspace's "
                             "engine.name.", show_default=False)),
        "master": (str | None, typer.Option(
            "--master", help="With --engine spark: the Spark master (local[*], "
                             "spark://host:7077, yarn); default: spark.master.",
            show_default=False)),
        "orders": (str | None, typer.Option(
            "--orders", help="With --engine spark: the orders' Parquet or Delta folder, or "
                             "a catalog table.", show_default=False)),
        "table": (list[str] | None, typer.Option(
            "--table", help="With --engine spark: another table as NAME=PATH (repeat the "
                            "option).", show_default=False)),
    }
    if capability.writes:
        found["out"] = (str | None, typer.Option(
            "--out", help="With --engine spark: the folder the results go to (Parquet, one "
                          "partition per as-of date); default: spark.output.",
            show_default=False))
    return found


def _parameter(spec: OptionSpec) -> inspect.Parameter:
    flags = [f"--{spec.flag}"]
    help_text = spec.help
    if spec.positional:
        annotation: Any = Annotated[str | None, typer.Argument(
            help=help_text, show_default=False, metavar=spec.name.upper())]
        return inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                 annotation=annotation)
    if spec.kind is bool and not spec.optional and not spec.many:
        flags = [f"--{spec.flag}/--no-{spec.flag}"]
        annotation = Annotated[bool, typer.Option(*flags, help=help_text)]
        return inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY,
                                 default=bool(spec.default), annotation=annotation)
    if spec.default not in (None, [], ()) and not spec.required:
        shown = ", ".join(map(str, spec.default)) if spec.many else spec.default
        help_text += f" [default: {shown}]"
    if spec.many:
        annotation = Annotated[list[str] | None, typer.Option(*flags, help=help_text,
                                                              show_default=False)]
    else:
        annotation = Annotated[str | None, typer.Option(*flags, help=help_text,
                                                        show_default=False)]
    return inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                             annotation=annotation)


def _given(spec: OptionSpec, value: Any) -> bool:
    if spec.kind is bool and not spec.optional and not spec.many:
        return value != spec.default
    return value is not None and value != []


def command_for(capability: Capability) -> Callable[..., None]:
    """A Typer command running ``capability``."""
    specs = capability.option_specs()
    names = {spec.name for spec in specs}
    spark = _spark_parameters(capability) if capability.spark else {}
    clash = names & {"csv", "json_file", "xlsx", "parquet", "chart", "workspace", *spark}
    if clash:
        raise TypeError(f"{capability.name}: option names {sorted(clash)} are the command's own")

    def command(**kwargs: Any) -> None:
        values = {spec.name: kwargs[spec.name] for spec in specs
                  if _given(spec, kwargs[spec.name])}
        run_capability(capability, values, kwargs["workspace"], csv=kwargs["csv"],
                       json_file=kwargs["json_file"], xlsx=kwargs["xlsx"],
                       chart=kwargs.get("chart"), parquet=kwargs["parquet"],
                       spark={k: kwargs[k] for k in spark} if spark else None)

    parameters = [_parameter(spec) for spec in specs]
    for name, (kind, info) in {**output_options(), **spark}.items():
        parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                            annotation=Annotated[kind, info]))
    if capability.chart:
        parameters.append(inspect.Parameter(
            "chart", inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[Path | None, typer.Option(
                "--chart", help="Write the chart: .html (opens with no network), .json "
                                "(Vega-Lite), .png or .svg.")]))
    parameters.append(inspect.Parameter("workspace", inspect.Parameter.KEYWORD_ONLY,
                                        default=None, annotation=WorkspaceOption))
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__name__ = capability.command.replace("-", "_")
    command.__doc__ = f"{capability.summary}\n\nExample: `{capability.example}`"
    return friendly(command)

