"""`tenure fit` and `tenure score`: thin commands over fit_workspace and score."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

# tenure.cli imports this module to register the commands, so its helpers are imported
# inside the functions; the workspace option is declared here the same way as there.
WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", envvar="TENURE_WORKSPACE",
                 help="Workspace folder; defaults to $TENURE_WORKSPACE or the one enclosing "
                      "the current folder."),
]


def fit(
    model: Annotated[str, typer.Option(help="bgnbd, pnbd, mbgnbd or bgbb.")] = "bgnbd",
    unit: Annotated[str, typer.Option(help="Time unit: D (days) or W (weeks).")] = "W",
    calibration_end: Annotated[str | None, typer.Option(
        help="Fit on the orders up to this date and judge the model on the rest.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Fit a customer value model on the orders, save it and print its table.

    Example: `tenure fit --model pnbd --unit W --calibration-end 1997-09-30`
    """
    from tenure.cli import _show_table, _steps, _workspace, out
    from tenure.models import fit_workspace

    with _workspace(workspace) as ws, _steps(f"fitting {model}"):
        report = fit_workspace(ws, model, unit=unit, calibration_end=calibration_end)
    window = (f"calibration to {report.calibration_end}" if report.calibration_end
              else f"orders to {report.window_end}")
    _show_table(_rounded(report.frame), f"{report.model.title} ({window}, unit {unit})")
    metrics = pd.DataFrame({"metric": list(report.metrics),
                            "value": [f"{v:,.4f}" for v in report.metrics.values()]})
    _show_table(metrics, "Fit")
    for message in report.model.diagnostics_.messages:
        out.print(f"  note: {message}", highlight=False, markup=False)
    out.print(f"Saved as {report.model_version}")


def score(
    as_of: Annotated[str, typer.Option("--as-of", help="Score as of this date (orders before "
                                                        "it are used).")],
    horizon: Annotated[str, typer.Option(help="How far ahead: 90d, 12w, ...")] = "90d",
    model: Annotated[str, typer.Option(help="bgnbd, pnbd or mbgnbd.")] = "bgnbd",
    margin: Annotated[float, typer.Option(help="Share of spend that is profit.")] = 1.0,
    discount_rate: Annotated[float, typer.Option(help="Discount rate per 30 days.")] = 0.0,
    refit: Annotated[bool, typer.Option(help="Fit again even if a saved model fits the "
                                             "same window.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Score every customer (P(alive), expected purchases and spend, CLV) into `scores`.

    Example: `tenure score --as-of 2025-12-31 --horizon 90d`
    """
    from tenure.cli import _show_table, _steps, _workspace, out
    from tenure.models import score as score_workspace

    with _workspace(workspace) as ws, _steps("scoring") as step:
        result = score_workspace(ws, as_of=as_of, horizon=horizon, model=model,
                                 margin=margin, discount_rate=discount_rate, refit=refit,
                                 progress=step)
    totals = pd.DataFrame([{
        "customers": result.customers,
        "distinct histories": len(result.frame),
        "expected alive": result.expected_alive,
        "expected purchases": result.expected_purchases,
        "expected spend": result.expected_spend,
        "clv": result.clv,
    }])
    _show_table(totals, f"Scores as of {result.as_of}, next {result.horizon_days} days")
    out.print(f"Wrote {result.customers:,} rows to `scores` with {result.model_version} and "
              f"{result.spend_model_version}")


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers to four significant digits: parameters such as r = 0.2426 need more than
    the two decimals of money."""
    return frame.apply(lambda col: col.map(lambda v: f"{v:.4g}") if col.dtype.kind == "f"
                       else col)


def show_model_table(frame: pd.DataFrame, title: str) -> None:
    """The model comparison with short headers, so it fits a terminal."""
    from tenure.cli import _show_table

    short = frame.rename(columns={
        "parameters": "k", "log_likelihood": "LL", "aic": "AIC", "bic": "BIC",
        "holdout_mae": "MAE", "holdout_rmse": "RMSE", "predicted_holdout": "predicted",
        "actual_holdout": "actual"})
    _show_table(short.apply(lambda c: c.map(_compact) if c.dtype.kind == "f" else c), title)


def _compact(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3f}"
