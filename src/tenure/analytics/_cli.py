"""``tenure analyze NAME``: each analysis from the command line.

Every command calls one library function, prints its headline figures and a table, and can
write the full result (``--csv``, ``--json``) and its chart (``--chart``, HTML or
Vega-Lite JSON). The commands share their options; the few an analysis adds are declared
beside it in ``ANALYSES``.
"""


import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["app"]

app = typer.Typer(
    help="Retention analytics: cohorts, lifecycle, growth, RFM, loyalty, funnel, referrals, "
         "hand-overs and churn reasons.\n\nExample: `tenure analyze cohorts --period quarter "
         "--by segment`",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

SHOWN_ROWS = 40


@dataclass(frozen=True)
class Analysis:
    function: str  # name in tenure.analytics
    summary: str
    example: str
    default_period: str = "month"
    model_option: bool = False


ANALYSES: dict[str, Analysis] = {
    "cohorts": Analysis("cohort_retention", "Retention of first-purchase cohorts, exact and "
                        "unbounded, in customers and revenue.",
                        "tenure analyze cohorts --period quarter --csv cohorts.csv"),
    "lifecycle": Analysis("lifecycle", "Customers per lifecycle state per period (new, "
                          "active, resurrected, at risk, churned, dormant).",
                          "tenure analyze lifecycle --by segment --chart lifecycle.html",
                          model_option=True),
    "growth": Analysis("net_growth", "Gained, won back, lost and net change of the active "
                       "base per period, with the quick ratio.",
                       "tenure analyze growth --period quarter", model_option=True),
    "rfm": Analysis("rfm_segments", "RFM scores and segments, relationship classes, revenue "
                    "concentration and super users.",
                    "tenure analyze rfm --csv rfm.csv", model_option=True),
    "loyalty": Analysis("loyalty_ladder", "The loyalty ladder and the early-repeat effect.",
                        "tenure analyze loyalty --by acquisition_channel", model_option=True),
    "funnel": Analysis("funnel", "Lead funnel: conversion, leakage, time in stage and lost "
                       "reasons.", "tenure analyze funnel --by source"),
    "referrals": Analysis("referral_reach", "Referral reach and viral coefficient per "
                          "channel or account.", "tenure analyze referrals --json reach.json"),
    "handover": Analysis("handover_impact", "Churn and spend after an owner change, against "
                         "matched customers.", "tenure analyze handover --by segment",
                         default_period="quarter"),
    "churn-reasons": Analysis("churn_reasons", "Churn reasons by code and side, their trend "
                              "and the value they took.",
                              "tenure analyze churn-reasons --period quarter"),
}


def _make_command(name: str, spec: Analysis) -> Callable[..., None]:
    def command(
        period: Annotated[str, typer.Option(
            help="day, week, month or quarter.")] = spec.default_period,
        by: Annotated[str | None, typer.Option(
            help="Split by a customer attribute: segment, region, acquisition_channel or "
                 "tier.")] = None,
        start: Annotated[str | None, typer.Option(help="First day looked at (2024-01-31).")
                         ] = None,
        end: Annotated[str | None, typer.Option(
            help="Last day looked at; defaults to the latest record.")] = None,
        csv: Annotated[Path | None, typer.Option(
            help="Write the full result table to this CSV file.")] = None,
        json: Annotated[Path | None, typer.Option(
            help="Write the full result table to this JSON file.")] = None,
        chart: Annotated[Path | None, typer.Option(
            help="Write the chart: .html to open in a browser, .json for Vega-Lite.")] = None,
        model: Annotated[str | None, typer.Option(
            help="Value model whose scores to use when several scored.")] = None,
        workspace: Annotated[Path | None, typer.Option(
            "--workspace", "-w", envvar="TENURE_WORKSPACE",
            help="Workspace folder; defaults to $TENURE_WORKSPACE or the one enclosing the "
                 "current folder.")] = None,
    ) -> None:
        options: dict[str, Any] = {"period": period, "by": by, "start": start, "end": end}
        if model is not None:
            options["model"] = model
        _run(name, spec, options, workspace, csv, json, chart)

    if not spec.model_option:
        signature = inspect.signature(command)
        kept = [p for n, p in signature.parameters.items() if n != "model"]
        command.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    command.__name__ = name.replace("-", "_")
    command.__doc__ = f"{spec.summary}\n\nExample: `{spec.example}`"
    return command


def _run(name: str, spec: Analysis, options: dict[str, Any], workspace: Path | None,
         csv: Path | None, json: Path | None, chart: Path | None) -> None:
    from tenure import cli

    @cli.friendly
    def go() -> None:
        import tenure.analytics as analytics
        from tenure.errors import InputError

        if chart is not None and chart.suffix.lower() not in (".html", ".json"):
            raise InputError(f"--chart {chart}: the file should end in .html or .json")
        function = getattr(analytics, spec.function)
        with cli._workspace(workspace) as ws, cli._steps(f"analysing {name}") as step:
            step(spec.function)
            result = function(ws, **options)
        for line in result.headline():
            cli.out.print(line, highlight=False)
        view = result.view()
        cli._show_table(view.head(SHOWN_ROWS))
        if len(view) > SHOWN_ROWS:
            cli.out.print(f"... {len(view) - SHOWN_ROWS:,} more rows; write them all with "
                          "--csv or --json", highlight=False)
        if csv is not None:
            result.frame.to_csv(csv, index=False, encoding="utf-8-sig")
            cli.out.print(f"Wrote {len(result.frame):,} rows to {csv}")
        if json is not None:
            result.frame.to_json(json, orient="records", date_format="iso", force_ascii=False,
                                 indent=1)
            cli.out.print(f"Wrote {len(result.frame):,} rows to {json}")
        if chart is not None:
            _save_chart(result.chart(), chart)
            cli.out.print(f"Wrote the chart to {chart}")

    go()


def _save_chart(chart: Any, path: Path) -> None:
    if path.suffix.lower() == ".json":
        path.write_text(chart.to_json(), encoding="utf-8")
    else:
        chart.save(str(path))


for _name, _spec in ANALYSES.items():
    app.command(_name)(_make_command(_name, _spec))


@app.command("prepare")
def prepare_command(
    period: Annotated[list[str] | None, typer.Option(
        help="Periods to prepare (repeat the option); all of them when left out.")] = None,
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", envvar="TENURE_WORKSPACE",
        help="Workspace folder; defaults to $TENURE_WORKSPACE or the one enclosing the "
             "current folder.")] = None,
) -> None:
    """Build the tables the analyses share (customer activity per period, the customer
    summary) where the orders changed, so that the next analyses start at once.

    Example: `tenure analyze prepare --period month`"""
    from tenure import cli

    @cli.friendly
    def go() -> None:
        from tenure.analytics import prepare
        from tenure.analytics._periods import PERIODS

        with cli._workspace(workspace) as ws, cli._steps("preparing") as step:
            result = prepare(ws, periods=period or PERIODS, progress=step)
        table = result.frame.assign(
            rebuilt=result.frame["rebuilt"].map({True: "yes", False: "no (current)"}),
            seconds=result.frame["seconds"].map("{:.1f}".format))
        cli._show_table(table)

    go()
