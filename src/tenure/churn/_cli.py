"""``tenure churn``: train, backtest and score the churn model from the command line.

Each command calls one library function of :mod:`tenure.churn` and prints its result; the
definition in force is printed first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tenure.cli import WorkspaceOption, _show_table, _workspace, err, friendly, out

app = typer.Typer(help="Churn risk: train the model, backtest it against baselines, and score "
                       "customers.", no_args_is_help=True)

AsOfOption = Annotated[list[str] | None, typer.Option(
    "--as-of", help="As-of date (YYYY-MM-DD); repeat it or separate dates with commas.")]
HorizonOption = Annotated[str | None, typer.Option(
    help="Churn horizon such as 26W or 180D; default: churn.horizon or learned from the gaps "
         "between purchases.")]
DefinitionOption = Annotated[str | None, typer.Option(
    "--definition", help="non_contractual or contractual; default: churn.definition.")]
JsonOption = Annotated[Path | None, typer.Option("--json", help="Also write the result to "
                                                                "this JSON file.")]
ModelOption = Annotated[Path | None, typer.Option(
    "--model", help="Model file; default: models/churn.json in the workspace.")]
ChartOption = Annotated[Path | None, typer.Option(
    "--chart", help="Also write the chart to this HTML (or .json Vega-Lite) file.")]


def _dates(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _write_json(path: Path | None, data: dict) -> None:
    if path is not None:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str),
                        encoding="utf-8")
        out.print(f"Wrote {path}")


def _save_chart(path: Path | None, chart) -> None:
    if path is not None:
        chart.save(str(path))
        out.print(f"Wrote {path}")


def _metrics_line(metrics: dict) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in metrics.items())


@app.command()
@friendly
def train(
    as_of: AsOfOption = None,
    horizon: HorizonOption = None,
    definition: DefinitionOption = None,
    model: ModelOption = None,
    json_file: JsonOption = None,
    chart: ChartOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Fit the churn model on past snapshots and save it with its window and metrics.

    Without --as-of it learns from four snapshots a month apart, the latest a horizon
    before the data ends.

    Example: `tenure churn train --horizon 26W --as-of 1997-06-01,1997-07-01`
    """
    from tenure.churn import model_path
    from tenure.churn import train as train_model

    with _workspace(workspace) as ws:
        fitted = train_model(ws, _dates(as_of), horizon, definition=definition,
                             progress=err.is_terminal)
        path = fitted.save(model or model_path(ws))
        from tenure.churn import snapshot

        latest = snapshot(ws, fitted.training_window_.as_of[-1], definition=fitted.definition_)
        drivers = fitted.drivers(latest)
    out.print(fitted.definition_.describe(), highlight=False)
    out.print(fitted.training_window_.describe(), highlight=False)
    out.print(f"calibration: {fitted.calibrator_.method} (cross-fitted Brier "
              f"{_metrics_line(fitted.calibration_scores_)})", highlight=False)
    out.print(f"validation ({fitted.validation_rows_:,} held-out rows): "
              f"{_metrics_line(fitted.validation_metrics_)}", highlight=False)
    _show_table(drivers.summary.head(8)[["feature", "description", "mean_abs_contribution",
                                        "direction"]], "Key drivers")
    out.print(f"Saved model {fitted.version} to {path}")
    data = fitted.to_dict()
    data.pop("booster")
    _write_json(json_file, {**data, "path": str(path),
                            "key_drivers": drivers.summary.to_dict(orient="records")})
    if chart is not None:
        _save_chart(chart, drivers.chart())


@app.command()
@friendly
def backtest(
    as_of: AsOfOption = None,
    horizon: HorizonOption = None,
    definition: DefinitionOption = None,
    json_file: JsonOption = None,
    chart: ChartOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Compare the churn model with the baselines over rolling-origin folds.

    Each as-of date that comes a horizon after an earlier one is a test fold, trained on all
    such earlier dates. Without --as-of: one test date a horizon before the data ends.

    Example: `tenure churn backtest --horizon 26W --as-of 1997-05-01,1997-06-01,1997-12-30`
    """
    from tenure.churn import backtest as run_backtest

    with _workspace(workspace) as ws:
        result = run_backtest(ws, _dates(as_of), horizon, definition=definition,
                              progress=err.is_terminal)
    out.print(result.summary(), highlight=False, soft_wrap=True)
    _write_json(json_file, result.to_dict())
    if chart is not None:
        _save_chart(chart, result.chart())


@app.command()
@friendly
def score(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date to score at; default: the day after the last record.")] = None,
    horizon: HorizonOption = None,
    model: ModelOption = None,
    reasons_share: Annotated[float, typer.Option(
        help="Share of customers, riskiest first, to give reasons (1 = everyone).")] = 1.0,
    reasons_method: Annotated[str, typer.Option(
        help="How reasons weigh the features: path (fast) or shap (exact tree SHAP, much "
             "slower).")] = "path",
    show: Annotated[int, typer.Option(help="Riskiest customers to show.")] = 10,
    json_file: JsonOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Score every customer counted at a date and write churn_risk and reasons to `scores`.

    Example: `tenure churn score --as-of 1998-07-01`
    """
    from tenure.churn import ChurnModel, horizon_days, model_path
    from tenure.churn import score as run_score
    from tenure.errors import ConfigError

    with _workspace(workspace) as ws:
        fitted = ChurnModel.load(model or model_path(ws))
        if horizon and horizon_days(horizon) != fitted.definition_.horizon_days:
            raise ConfigError(
                f"the model predicts churn within {fitted.definition_.horizon_days} days, not "
                f"{horizon}; train a model with `tenure churn train --horizon {horizon}` or "
                "leave --horizon out")
        result = run_score(ws, as_of, fitted, reasons_share=reasons_share,
                           reasons_method=reasons_method, progress=err.is_terminal)
    out.print(result.definition.describe(), highlight=False)
    out.print(str(result).splitlines()[0], highlight=False)
    shown = result.frame.head(show).drop(columns=["as_of"])
    _show_table(shown, f"Riskiest {len(shown)} customers")
    _write_json(json_file, {
        "as_of": result.as_of.isoformat(), "definition": result.definition.to_dict(),
        "definition_text": result.definition.describe(), "model_version": result.model_version,
        "customers": len(result.frame),
        "scores": result.frame.assign(as_of=result.as_of.isoformat()).to_dict(orient="records")})


@app.command()
@friendly
def survival(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="End of observation; default: the day after the last record.")] = None,
    horizon: HorizonOption = None,
    definition: DefinitionOption = None,
    json_file: JsonOption = None,
    chart: ChartOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Kaplan-Meier retention by segment, tier and channel, and Cox hazard ratios.

    Example: `tenure churn survival --chart retention.html`
    """
    from tenure.churn import survival as run_survival

    with _workspace(workspace) as ws:
        result = run_survival(ws, as_of, horizon, definition=definition,
                              progress=err.is_terminal)
    out.print(result.summary(), highlight=False, soft_wrap=True)
    _write_json(json_file, {
        "definition": result.definition.to_dict(),
        "definition_text": result.definition.describe(),
        "groups": result.groups.to_dict(orient="records"),
        "hazard_ratios": result.hazard_ratios.to_dict(orient="records")})
    if chart is not None:
        _save_chart(chart, result.chart())
