"""Churn risk: ``tenure churn train|backtest|score|survival``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from tenure.capabilities._spec import Capability, option
from tenure.errors import ConfigError

__all__ = ["CHURN"]

_HORIZON = ("Churn horizon such as 26W or 180D; default: churn.horizon or learned from the "
            "gaps between purchases.")
_DEFINITIONS = ("non_contractual", "contractual")


@dataclass(frozen=True)
class TrainOptions:
    as_of: list[dt.date] | None = option(None, help="As-of dates of the training snapshots "
                                                    "(repeat the option or separate with "
                                                    "commas).")
    horizon: str | None = option(None, help=_HORIZON)
    definition: str | None = option(None, help="non_contractual or contractual; default: "
                                               "churn.definition.", choices=_DEFINITIONS)
    model: Path | None = option(None, help="Where to save the model; default: "
                                           "models/churn.json in the workspace.")


@dataclass(frozen=True)
class BacktestOptions:
    as_of: list[dt.date] | None = option(None, help="As-of dates (repeat the option or "
                                                    "separate with commas).")
    horizon: str | None = option(None, help=_HORIZON)
    definition: str | None = option(None, help="non_contractual or contractual; default: "
                                               "churn.definition.", choices=_DEFINITIONS)


@dataclass(frozen=True)
class ScoreOptions:
    as_of: dt.date | None = option(None, help="Date to score at; default: the day after the "
                                              "last record.")
    horizon: str | None = option(None, help="The horizon the model must predict; default: "
                                            "the model's own.")
    model: Path | None = option(None, help="Model file; default: models/churn.json in the "
                                           "workspace.")
    reasons_share: float = option(1.0, help="Share of customers, riskiest first, to give "
                                            "reasons (1 = everyone).", low=0.0, high=1.0)
    reasons_method: str = option("path", help="How reasons weigh the features: path (fast) "
                                              "or shap (exact tree SHAP, much slower).",
                                 choices=("path", "shap"))


@dataclass(frozen=True)
class SurvivalOptions:
    as_of: dt.date | None = option(None, help="End of observation; default: the day after "
                                              "the last record.")
    horizon: str | None = option(None, help=_HORIZON)
    definition: str | None = option(None, help="non_contractual or contractual; default: "
                                               "churn.definition.", choices=_DEFINITIONS)


def _train(ws, o: TrainOptions, progress):
    from tenure import churn

    return churn.train_and_save(ws, o.as_of or None, o.horizon, definition=o.definition,
                                path=o.model, progress=progress)


def _backtest(ws, o: BacktestOptions, progress):
    from tenure import churn

    return churn.backtest(ws, o.as_of or None, o.horizon, definition=o.definition,
                          progress=progress)


def _score(ws, o: ScoreOptions, progress):
    from tenure import churn
    from tenure.spark import SparkEngine, score_churn_on_spark

    if isinstance(ws, SparkEngine):
        if o.model is None and ws.path is None:
            raise ConfigError("the Spark engine has no workspace to take the churn model "
                              "from; give the model file with --model")
        model = o.model or churn.model_path(ws)
        return score_churn_on_spark(ws, model, as_of=o.as_of, progress=progress)
    return churn.score(ws, o.as_of, o.model, horizon=o.horizon, reasons_share=o.reasons_share,
                       reasons_method=o.reasons_method, progress=progress)


def _survival(ws, o: SurvivalOptions, progress):
    from tenure import churn

    return churn.survival(ws, o.as_of, o.horizon, definition=o.definition, progress=progress)


CHURN: tuple[Capability, ...] = (
    Capability("churn train", "Fit the churn model on past snapshots and save it with its "
               "window, metrics and key drivers.", TrainOptions, _train,
               "tenure.churn:ChurnTraining",
               "tenure churn train --horizon 26W --as-of 1997-06-01,1997-07-01",
               writes=True, chart=True),
    Capability("churn backtest", "Compare the churn model with the baselines over "
               "rolling-origin folds.", BacktestOptions, _backtest, "tenure.churn:BacktestResult",
               "tenure churn backtest --horizon 26W --as-of 1997-05-01,1997-06-01,1997-12-30",
               chart=True),
    Capability("churn score", "Score every customer counted at a date and write churn_risk "
               "and reasons to `scores`.", ScoreOptions, _score, "tenure.churn:ChurnScores",
               "tenure churn score --as-of 1998-07-01", writes=True, spark=True),
    Capability("churn survival", "Kaplan-Meier retention by segment, tier and channel, and "
               "Cox hazard ratios.", SurvivalOptions, _survival, "tenure.churn:SurvivalResult",
               "tenure churn survival --chart retention.html", chart=True),
)
