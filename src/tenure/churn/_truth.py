"""Churn labels from the simulator's ground truth, to score predictions against."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa

from tenure.churn._dates import as_of_dates, horizon_days
from tenure.churn._snapshot import LABEL

__all__ = ["simulated_truth"]


def simulated_truth(latent, as_of, horizon) -> pd.DataFrame:
    """Whether each simulated customer was truly dead by the end of the horizon.

    ``latent`` is a simulated business's ``latent`` table (or the path of its
    ``latent.parquet``); the result has customer_id, as_of and churned (the latent death came
    before ``as_of + horizon``), one row per customer and date, for
    :meth:`BacktestResult.against`.
    """
    if isinstance(latent, str | Path):
        latent = pd.read_parquet(latent, columns=["customer_id", "death_at"])
    elif isinstance(latent, pa.Table):
        latent = latent.select(["customer_id", "death_at"]).to_pandas()
    days = horizon_days(horizon)
    parts = []
    for date in as_of_dates(as_of):
        end = pd.Timestamp(date + dt.timedelta(days=days))
        parts.append(pd.DataFrame({
            "customer_id": latent["customer_id"].to_numpy(),
            "as_of": pd.Timestamp(date),
            LABEL: (latent["death_at"] < end).fillna(False).to_numpy(dtype=bool),
        }))
    return pd.concat(parts, ignore_index=True)
