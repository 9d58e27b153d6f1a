"""How well the lifecycle states agree with a simulated business's ground truth.

The simulator saves when each customer's life really ended (``latent.death_at``). A state
agrees with the truth when the customer is churned or dormant exactly when they are dead at
the date judged. The rate is reported beside the rate of the naive rule "everyone is still
alive", which is what a lifecycle without thresholds amounts to.

>>> from tenure.simulate import simulate_business
>>> from tenure.analytics import state_agreement
>>> business = simulate_business(2_000, seed=1)
>>> report = state_agreement(business, dates=["2025-12-31"])
>>> bool(report.rate > report.frame["everyone_alive"].iloc[0])
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tenure.analytics._common import Result
from tenure.analytics._lifecycle import GONE_STATES, LifecycleRules, customer_states
from tenure.charts import _analytics as _charts
from tenure.engine._periods import check_date
from tenure.errors import InputError

__all__ = ["StateAgreement", "state_agreement"]


@dataclass(frozen=True)
class StateAgreement(Result):
    """Agreement of lifecycle states with the simulated truth, per date judged.

    ``frame``: date, customers, agreement, everyone_alive (the naive rule's agreement),
    truly_dead, flagged (churned or dormant), flagged_dead (both), precision and recall of
    the churned-or-dormant flag.
    """

    frame: pd.DataFrame

    @property
    def rate(self) -> float:
        """Agreement over every customer and date judged."""
        agreed = (self.frame["agreement"] * self.frame["customers"]).sum()
        return float(agreed / self.frame["customers"].sum())

    def chart(self):
        return _charts.state_agreement(self.frame)

    @property
    def headline(self) -> dict[str, Any]:
        return {"agreement": self.rate, "dates": len(self.frame)}

    def lines(self) -> list[str]:
        return [f"Lifecycle states agree with the simulated truth for {self.rate:.1%} of "
                f"customer-dates ({len(self.frame)} dates)"]


def state_agreement(business: Any, *, dates: Sequence[Any], period: str = "month",
                    scores_model: str | None = None,
                    rules: LifecycleRules | None = None) -> StateAgreement:
    """Judge every customer's state at each of ``dates`` and compare it with the truth.

    ``business`` is a :class:`tenure.simulate.Business`; ``rules`` go to
    :func:`customer_states`. With ``scores_model`` (pnbd,
    bgnbd, mbgnbd) each date is judged by P(alive) from that value model, fitted on the
    orders up to the date (the scores the workspace would hold if scored then).
    """
    if not hasattr(business, "latent") or not hasattr(business, "tables"):
        raise InputError("state_agreement needs a simulated business (simulate_business(...))")
    if not dates:
        raise InputError("give at least one date to judge, e.g. dates=['2025-12-31']")
    orders = business.tables["orders"].to_pandas()
    latent = business.latent.select(["customer_id", "death_at"]).to_pandas()
    rows = []
    for value in dates:
        day = check_date(value, "date")
        data: Any = orders
        if scores_model is not None:
            data = {"orders": orders, "scores": _scores(orders, day, scores_model)}
        judging = rules or LifecycleRules()
        if scores_model is not None and rules is None:
            judging = LifecycleRules(alive_from="scores")
        states = customer_states(data, period=period, end=day, rules=judging).frame
        judged = states.merge(latent, on="customer_id", how="left")
        cutoff = pd.Timestamp(day + dt.timedelta(days=1))
        dead = judged["death_at"].notna() & (judged["death_at"] < cutoff)
        flagged = judged["state"].isin(GONE_STATES)
        both = int((dead & flagged).sum())
        rows.append({
            "date": pd.Timestamp(day), "customers": len(judged),
            "agreement": float((dead == flagged).mean()),
            "everyone_alive": float((~dead).mean()),
            "truly_dead": int(dead.sum()), "flagged": int(flagged.sum()), "flagged_dead": both,
            "precision": both / flagged.sum() if flagged.any() else float("nan"),
            "recall": both / dead.sum() if dead.any() else float("nan"),
        })
    return StateAgreement(pd.DataFrame(rows))


def _scores(orders: pd.DataFrame, day: dt.date, name: str) -> pd.DataFrame:
    """P(alive) of every customer as of ``day`` from the value model ``name`` fitted on the
    orders up to it, in the columns of the scores table."""
    import warnings

    from tenure.models import MODELS, ModelWarning, rfm_summary

    if name not in ("pnbd", "bgnbd", "mbgnbd"):
        raise InputError(f"scores_model='{name}' is not a model with P(alive); use pnbd, "
                         "bgnbd or mbgnbd")
    summary = rfm_summary(orders, observation_end=day, unit="D")
    with warnings.catch_warnings():
        # A fit's own diagnostics are the models' business; here only P(alive) is read.
        warnings.simplefilter("ignore", ModelWarning)
        model = MODELS[name]().fit(summary)
    return pd.DataFrame({"customer_id": summary["customer_id"], "as_of": day,
                         "p_alive": model.p_alive(summary), "clv": 0.0, "model": name})
