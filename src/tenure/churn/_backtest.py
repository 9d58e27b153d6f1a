"""Rolling-origin backtest: learn from past snapshots, score a later one, compare scorers.

Each as-of date is a test fold when at least one earlier date's label window ends on or
before it; the fold trains on every such date. So all a fold learns from was known on its
test date, and no customer's future leaks into its past.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tenure.churn._dates import DataSpan, as_of_dates, data_span
from tenure.churn._definition import ChurnDefinition
from tenure.churn._metrics import METRICS, calibration_curve, score_metrics
from tenure.churn._scorers import scorers as pick_scorers
from tenure.churn._snapshot import LABEL, resolve_definition, take_snapshot
from tenure.errors import ConfigError, ModelError
from tenure.progress import Progress, steps_of
from tenure.results import Result

__all__ = ["BacktestResult", "backtest", "default_backtest_dates", "plan_folds"]

# A lower Brier score or calibration error is better; for the others higher is better.
LOWER_IS_BETTER = ("brier", "calibration_error")


@dataclass(frozen=True)
class BacktestResult(Result):
    """Backtest of churn scorers over rolling-origin folds.

    - ``metrics``: one row per fold and scorer: fold, as_of (the test date), scorer,
      customers, churn_rate and the metrics roc_auc, pr_auc, brier, top_decile_lift,
      top_decile_capture and calibration_error.
    - ``calibration``: the calibration curve per fold and scorer (predicted against observed
      churn in ten bins).
    - ``predictions``: every test customer's risk from every scorer, with the label.
    - ``folds``: each fold's test date, training dates and sizes.
    """

    definition: ChurnDefinition
    folds: pd.DataFrame
    metrics: pd.DataFrame
    calibration: pd.DataFrame
    predictions: pd.DataFrame
    label: str = "observed churn"

    @property
    def frame(self) -> pd.DataFrame:
        return self.metrics

    def margins(self, scorer: str = "churn_model") -> pd.DataFrame:
        """How much ``scorer`` beats each other scorer, per fold and metric; positive is
        better for ``scorer`` (for Brier and calibration error, the baseline's minus its)."""
        wide = self.metrics.set_index(["fold", "as_of", "scorer"])[list(METRICS)]
        if scorer not in wide.index.get_level_values("scorer"):
            raise ConfigError(f"scorer '{scorer}' is not in this backtest; it has "
                              f"{', '.join(self.metrics['scorer'].unique())}")
        ours = wide.xs(scorer, level="scorer")
        rows = []
        for other in self.metrics["scorer"].unique():
            if other == scorer:
                continue
            diff = ours - wide.xs(other, level="scorer")
            for name in LOWER_IS_BETTER:
                diff[name] = -diff[name]
            rows.append(diff.reset_index().assign(scorer=scorer, baseline=other))
        columns = ["fold", "as_of", "scorer", "baseline", *METRICS]
        if not rows:
            return pd.DataFrame(columns=columns)
        return pd.concat(rows, ignore_index=True)[columns]

    def against(self, truth: pd.DataFrame, label: str = "truth") -> BacktestResult:
        """The same predictions scored against another label: ``truth`` has customer_id,
        as_of and churned (for instance the simulator's latent deaths, see
        :func:`tenure.churn.simulated_truth`)."""
        needed = {"customer_id", "as_of", LABEL}
        if not needed <= set(truth.columns):
            raise ConfigError(f"the truth frame needs columns {sorted(needed)}; it has "
                              f"{sorted(truth.columns)}")
        keyed = truth[["customer_id", "as_of", LABEL]].assign(
            as_of=pd.to_datetime(truth["as_of"]))
        joined = self.predictions.drop(columns=[LABEL]).merge(
            keyed, on=["customer_id", "as_of"], how="left")
        missing = joined[LABEL].isna()
        if missing.any():
            example = joined.loc[missing].iloc[0]
            raise ConfigError(f"the truth frame has no row for {int(missing.sum()):,} scored "
                              f"customers, such as {example['customer_id']} at "
                              f"{example['as_of'].date()}; give a label for every one")
        joined[LABEL] = joined[LABEL].astype(bool)
        metrics, calibration = _evaluate(joined)
        return BacktestResult(self.definition, self.folds, metrics, calibration, joined, label)

    @property
    def headline(self) -> dict[str, Any]:
        """Each scorer's ROC AUC and top-decile lift on the last fold."""
        last = self.metrics[self.metrics["fold"] == self.metrics["fold"].max()]
        figures: dict[str, Any] = {"folds": int(self.metrics["fold"].nunique()),
                                   "label": self.label}
        for row in last.itertuples():
            figures[f"{row.scorer}_roc_auc"] = float(row.roc_auc)
            figures[f"{row.scorer}_top_decile_lift"] = float(row.top_decile_lift)
        return figures

    def lines(self) -> list[str]:
        said = [self.definition.describe(), f"scored against: {self.label}"]
        if "churn_model" in set(self.metrics["scorer"]) and self.metrics["scorer"].nunique() > 1:
            last = self.margins()
            last = last[last["fold"] == last["fold"].max()]
            for row in last.itertuples():
                said.append(f"last fold: the churn model's ROC AUC is {row.roc_auc:+.3f} "
                            f"against {row.baseline}")
        return said

    def view(self) -> pd.DataFrame:
        return self.metrics.assign(as_of=self.metrics["as_of"].dt.date.astype(str))

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        shown = [("Metrics per fold and scorer", self.view())]
        if "margins" in self.extra_tables():
            margins = self.margins()
            shown.append(("churn_model margin over each baseline (positive: the model is "
                          "better)", margins.assign(as_of=margins["as_of"].dt.date.astype(str))))
        return shown

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        tables = {"folds": self.folds, "calibration": self.calibration}
        if "churn_model" in set(self.metrics["scorer"]):
            tables["margins"] = self.margins()
        return tables

    def summary(self) -> str:
        """The definition, the metrics per fold and scorer, and the model's margins."""
        shown = self.metrics.assign(as_of=self.metrics["as_of"].dt.date.astype(str))
        lines = [self.definition.describe(), f"scored against: {self.label}", "",
                 shown.to_string(index=False, float_format=lambda v: f"{v:.3f}")]
        if "churn_model" in set(self.metrics["scorer"]) and self.metrics["scorer"].nunique() > 1:
            margins = self.margins()
            margins = margins.assign(as_of=margins["as_of"].dt.date.astype(str))
            lines += ["", "churn_model margin over each baseline (positive: the model is better)",
                      margins.to_string(index=False, float_format=lambda v: f"{v:+.3f}")]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def chart(self):
        """Calibration curves and ROC AUC per fold and scorer (Altair)."""
        from tenure.charts._churn import backtest_chart

        return backtest_chart(self)

    def to_dict(self) -> dict:
        def records(frame: pd.DataFrame) -> list[dict]:
            out = frame.copy()
            for column in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[column]):
                    out[column] = out[column].dt.date.astype(str)
            return out.to_dict(orient="records")

        return {**Result.to_dict(self), "definition": self.definition.to_dict(),
                "definition_text": self.definition.describe(), "label": self.label,
                "folds": records(self.folds), "metrics": records(self.metrics),
                "margins": records(self.margins()) if "churn_model" in set(
                    self.metrics["scorer"]) else [],
                "calibration": records(self.calibration)}


def plan_folds(dates: Sequence[dt.date], horizon_days: int) -> list[tuple[dt.date, list]]:
    """(test date, training dates) for every date some earlier label window fits before."""
    folds = []
    for test in dates:
        training = [d for d in dates if d + dt.timedelta(days=horizon_days) <= test]
        if training:
            folds.append((test, training))
    return folds


def default_backtest_dates(span: DataSpan, horizon_days: int) -> list[dt.date]:
    """One test date a horizon before the data ends, and training dates a month apart whose
    labels are all known by then (up to four, the latest a horizon before the test)."""
    h = dt.timedelta(days=horizon_days)
    test = span.end - h
    training = [test - h - dt.timedelta(days=30 * k) for k in range(3, -1, -1)]
    training = [d for d in training if d > span.first]
    if not training:
        raise ConfigError(
            f"the data from {span.first.isoformat()} to {span.end.isoformat()} is shorter than "
            f"two horizons of {horizon_days} days, so no fold can learn from labels known "
            "before its test date; use a shorter horizon")
    return [*training, test]


def _evaluate(predictions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, curves = [], []
    for (fold, as_of, scorer), group in predictions.groupby(
            ["fold", "as_of", "scorer"], sort=False):
        churned = group[LABEL].to_numpy(dtype=bool)
        risk = group["churn_risk"].to_numpy(dtype=float)
        if churned.all() or not churned.any():
            raise ModelError(
                f"every customer in the test snapshot at {as_of.date()} has the same label "
                f"({int(churned.sum()):,} of {len(churned):,} churned), so scores cannot be "
                "compared; choose other as-of dates or another horizon")
        rows.append({"fold": fold, "as_of": as_of, "scorer": scorer, "customers": len(group),
                     "churn_rate": float(churned.mean()), **score_metrics(churned, risk)})
        curves.append(calibration_curve(churned, risk).assign(fold=fold, scorer=scorer))
    metrics = pd.DataFrame(rows)
    calibration = pd.concat(curves, ignore_index=True)
    calibration = calibration[["fold", "scorer", *calibration.columns[:-2]]]
    return metrics, calibration


def backtest(workspace, as_of=None, horizon=None, *, definition=None, groups=None, scorers=None,
             model=None, progress: Progress = None) -> BacktestResult:
    """Backtest the churn model and the baselines over rolling-origin folds.

    ``as_of`` lists the snapshot dates; each one that some earlier date's label window ends
    before becomes a test fold, trained on all such earlier dates. Without dates, the test
    date is a horizon before the data ends and up to four training dates a month apart end
    a horizon before it. ``horizon`` ("26W") and
    ``definition`` set the churn definition (the workspace settings by default), ``scorers``
    names the scorers (all registered ones by default) and ``model`` an unfitted
    :class:`ChurnModel` with other options.

    >>> import tempfile, tenure
    >>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/cdnow")
    >>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="master"))
    >>> result = tenure.churn.backtest(ws, ["1997-05-01", "1997-06-01", "1997-12-01"], "26W")
    >>> result.metrics[["fold", "scorer"]].values.tolist()
    [[1, 'churn_model'], [1, 'baseline_recency'], [1, 'baseline_p_alive']]
    """
    definition = resolve_definition(workspace, definition, horizon)
    span = data_span(workspace)
    dates = (default_backtest_dates(span, definition.horizon_days) if as_of is None
             else as_of_dates(as_of))
    for date in dates:
        span.check_window(date, definition.horizon_days)
    folds = plan_folds(dates, definition.horizon_days)
    if not folds:
        h = definition.horizon_days
        suggestion = dates[-1] - dt.timedelta(days=h)
        raise ConfigError(
            f"no as-of date comes {h} days (the horizon) after another, so no fold could learn "
            f"only from labels known when it is tested; add an as-of date on or before "
            f"{suggestion.isoformat()}")
    chosen = pick_scorers(scorers, model)
    needed = sorted({d for _, training in folds for d in training} | {t for t, _ in folds})
    snapshots = {}
    with steps_of(progress, len(needed) + len(folds) * len(chosen)) as step:
        for date in needed:
            step(f"snapshot at {date.isoformat()}")
            snapshots[date] = take_snapshot(workspace, date, definition, groups, labelled=True)
        _check_requirements(chosen, next(iter(snapshots.values())))
        parts, fold_rows = [], []
        for number, (test, training) in enumerate(folds, start=1):
            train = [snapshots[d] for d in training]
            target = snapshots[test]
            for scorer in chosen:
                step(f"fold {number}: {scorer.name}")
                risk = scorer.fit(train)(target)
                parts.append(pd.DataFrame({
                    "fold": number, "as_of": pd.Timestamp(test), "scorer": scorer.name,
                    "customer_id": target.frame["customer_id"].to_numpy(),
                    "churn_risk": np.asarray(risk, dtype=float),
                    LABEL: target.frame[LABEL].to_numpy(dtype=bool)}))
            fold_rows.append({"fold": number, "as_of": pd.Timestamp(test),
                              "training_as_of": ", ".join(d.isoformat() for d in training),
                              "training_rows": sum(len(s) for s in train),
                              "test_rows": len(target), "test_churn_rate": target.churn_rate})
    predictions = pd.concat(parts, ignore_index=True)
    metrics, calibration = _evaluate(predictions)
    return BacktestResult(definition, pd.DataFrame(fold_rows), metrics, calibration, predictions)


def _check_requirements(chosen, sample) -> None:
    for scorer in chosen:
        missing = [f for f in scorer.requires if f not in sample.frame.columns]
        if missing:
            raise ConfigError(f"scorer '{scorer.name}' reads {', '.join(missing)}, which no "
                              "chosen feature group computes; add its group or leave the "
                              "scorer out")
