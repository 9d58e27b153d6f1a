"""Choosing the purchase model for the user: fit every applicable one, compare, explain.

With a holdout (a summary from ``rfm_summary(..., calibration_end=...)``) the models are
judged on what they were fitted to predict: each customer's purchases after the calibration
end (mean absolute error per customer). Models within 1% of the best error are told apart by
BIC (the in-sample fit, penalised for parameters), which without a holdout is the criterion
on its own. A model whose fit warns (a boundary, intervals too wide to trust, a Hessian that
cannot be inverted) is chosen only when every model warns.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tenure.errors import ModelError, TenureError
from tenure.models._base import ModelWarning, ValueModel
from tenure.models._evaluation import check_forecasts, holdout_error

__all__ = ["ModelChoice", "choose_model", "purchase_models"]

# Holdout errors this close to the best (relatively) count as a tie, settled by BIC.
TIE = 0.01


@dataclass(frozen=True)
class ModelChoice:
    """The chosen model, fitted, and why.

    ``frame`` has one row per candidate: model (short name), title, parameters,
    log_likelihood, bic, holdout_mae and holdout_total_error (with a holdout), cautions (how
    many warnings its fit gave), error (why it could not be fitted, if so) and chosen.
    ``criterion`` is "holdout" or "bic"; ``reason`` one sentence saying why this model.
    """

    chosen: str
    model: ValueModel
    criterion: str
    reason: str
    frame: pd.DataFrame
    models: dict[str, ValueModel]

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.chosen, "criterion": self.criterion, "reason": self.reason,
                "candidates": self.frame.to_dict(orient="records")}


def purchase_models() -> tuple[str, ...]:
    """The short names of the continuous-time purchase models that fit an RFM summary."""
    from tenure.models._registry import MODELS
    from tenure.models._transactions import TransactionModel

    return tuple(name for name, cls in MODELS.items() if issubclass(cls, TransactionModel))


def choose_model(summary: pd.DataFrame, models: Sequence[str] | None = None, *,
                 penalizer_coef: float = 0.0) -> ModelChoice:
    """Fit each of ``models`` (default: every continuous-time purchase model) on ``summary``
    and choose one, by holdout error when the summary has a holdout and by BIC otherwise.

    >>> import tenure
    >>> from tenure.models import choose_model
    >>> s = tenure.rfm_summary(tenure.datasets.load_cdnow(kind="sample"),
    ...                        observation_end="1998-06-30", unit="W",
    ...                        calibration_end="1997-09-30")
    >>> choose_model(s).chosen
    'pnbd'
    """
    from tenure.models._registry import MODELS

    names = tuple(models) if models is not None else purchase_models()
    allowed = purchase_models()
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise ModelError(f"model(s) {', '.join(unknown) or 'none'} cannot be chosen among on "
                         f"an RFM summary; use some of {', '.join(allowed)}")
    has_holdout = "frequency_holdout" in summary.columns
    rows, fitted = [], {}
    for name in names:
        cls = MODELS[name]
        row: dict[str, Any] = {"model": name, "title": cls.title}
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ModelWarning)
                model = cls(penalizer_coef=penalizer_coef).fit(summary)
                if has_holdout:
                    err = holdout_error(model, summary)
        except TenureError as error:
            rows.append({**row, "error": str(error)})
            continue
        said = [w for w in caught if issubclass(w.category, ModelWarning)]
        try:
            check_forecasts(model, summary)
            usable, problem = True, None
        except ModelError as error:
            usable, problem = False, str(error)
        row.update(parameters=model.n_params, log_likelihood=model.log_likelihood_,
                   bic=model.bic_, cautions=len(said), error=problem)
        if has_holdout:
            row.update(holdout_mae=err.mae, holdout_total_error=err.total_error)
        rows.append(row)
        if usable:
            fitted[name] = model
    frame = pd.DataFrame(rows)
    if not fitted:
        raise ModelError("none of the models could be fitted: "
                         + "; ".join(f"{r['title']}: {r['error']}" for r in rows))
    chosen, criterion, reason = _decide(frame[frame.model.isin(list(fitted))], has_holdout)
    frame["chosen"] = frame.model == chosen
    return ModelChoice(chosen, fitted[chosen], criterion, reason, frame, fitted)


def _decide(frame: pd.DataFrame, has_holdout: bool) -> tuple[str, str, str]:
    clean = frame[frame.cautions == 0]
    pool = clean if len(clean) else frame
    warned = "" if len(clean) else "; every model's fit warned, so read its cautions"
    skipped = sorted(set(frame.title) - set(pool.title))
    if skipped:
        warned = f"; {', '.join(skipped)} left aside as the fit warned"
    by_bic = pool.sort_values("bic")
    if not has_holdout:
        best = by_bic.iloc[0]
        runner = (f" against {by_bic.iloc[1].bic:,.1f} for {by_bic.iloc[1].title}"
                  if len(by_bic) > 1 else "")
        return best.model, "bic", (f"{best.title} has the lowest BIC, {best.bic:,.1f}{runner} "
                                   f"(no holdout to judge forecasts on){warned}")
    lowest = pool.holdout_mae.min()
    near = pool[pool.holdout_mae <= lowest * (1 + TIE)].sort_values("bic")
    best = near.iloc[0]
    others = pool[pool.model != best.model].sort_values("holdout_mae")
    if len(near) > 1:
        rest = near.iloc[1]
        why = (f"{best.title} forecasts the holdout as well as {rest.title} (mean absolute "
               f"error {best.holdout_mae:.4f} against {rest.holdout_mae:.4f} purchases per "
               f"customer, within {TIE:.0%}) and has the lower BIC ({best.bic:,.1f} against "
               f"{rest.bic:,.1f})")
    elif len(others):
        rest = others.iloc[0]
        why = (f"{best.title} forecasts the holdout best: mean absolute error "
               f"{best.holdout_mae:.4f} purchases per customer against {rest.holdout_mae:.4f} "
               f"for {rest.title}, the next best")
    else:
        why = (f"{best.title} is the only model that could be judged (mean absolute error "
               f"{best.holdout_mae:.4f} purchases per customer)")
    return best.model, "holdout", why + warned
