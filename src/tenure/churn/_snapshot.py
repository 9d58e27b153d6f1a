"""Snapshots: one row per customer counted at an as-of date, features from before it, the
label from the horizon after it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from tenure.churn._dates import as_of_date, data_span
from tenure.churn._definition import ChurnDefinition, churn_definition
from tenure.churn._features import Feature, FeatureContext
from tenure.churn._groups import feature_groups
from tenure.churn._purchases import purchase_history
from tenure.engine import to_arrow_stream

__all__ = ["Snapshot", "features", "resolve_definition", "snapshot", "take_snapshot"]

LABEL = "churned"


@dataclass(frozen=True)
class Snapshot:
    """Customers counted at ``as_of`` with their features and, when ``labelled``, whether they
    churned within the horizon. ``frame`` has customer_id, as_of, one column per feature and
    ``churned``."""

    as_of: dt.date
    definition: ChurnDefinition
    features: tuple[Feature, ...]
    frame: pd.DataFrame
    labelled: bool
    currency: str = ""  # the workspace's, in which the amounts read

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def churn_rate(self) -> float:
        if not self.labelled or not len(self.frame):
            return float("nan")
        return float(self.frame[LABEL].mean())

    def __len__(self) -> int:
        return len(self.frame)

    def __str__(self) -> str:
        rate = f", {self.churn_rate:.1%} churned" if self.labelled else ""
        return (f"snapshot at {self.as_of.isoformat()}: {len(self):,} customers, "
                f"{len(self.features)} features{rate}\n{self.definition.describe()}")


def resolve_definition(workspace, definition=None, horizon=None) -> ChurnDefinition:
    """A :class:`ChurnDefinition` from a definition, a kind name, or the workspace settings."""
    if isinstance(definition, ChurnDefinition):
        if horizon is None or horizon == "":
            return definition
        return churn_definition(workspace, kind=definition.kind, horizon=horizon)
    return churn_definition(workspace, kind=definition, horizon=horizon)


def _population(ctx: FeatureContext) -> ibis.Table:
    """Customers counted at the as-of date under the definition."""
    if ctx.definition.kind == "contractual":
        held = ctx.before("memberships")
        held = held.filter(held.ended_at.isnull())
        return held.select("customer_id").distinct()
    bought = purchase_history(ctx)
    return bought.filter(ctx.days_since(bought.last_day) <= ctx.definition.horizon_days).select(
        "customer_id")


def _stayed(ctx: FeatureContext) -> ibis.Table:
    """Customers who did not churn in the horizon: they bought in it (non-contractual) or
    hold a membership at its end (contractual)."""
    end = ibis.timestamp(dt.datetime.combine(
        ctx.as_of + dt.timedelta(days=ctx.definition.horizon_days), dt.time()))
    if ctx.definition.kind == "contractual":
        m = ctx.workspace.table("memberships")
        held = m.filter((m.started_at <= end) & (m.ended_at.isnull() | (m.ended_at > end)))
        return held.select("customer_id").distinct()
    orders = ctx.workspace.table("orders")
    bought = orders.filter((orders.amount > 0) & (orders.ordered_at >= ctx.cutoff)
                           & (orders.ordered_at < end))
    return bought.select("customer_id").distinct()


def _fetch(expr: ibis.Table) -> pa.Table:
    return to_arrow_stream(expr).read_all()


def _categorical(values: pa.ChunkedArray, at: np.ndarray, size: int, feature: Feature
                 ) -> pd.Categorical:
    """The values of a categorical feature placed at rows ``at`` of ``size``, filled elsewhere."""
    if feature.fill is not None:
        values = values.fill_null(feature.fill)
    text = np.full(size, feature.fill, dtype=object)
    text[at] = values.to_numpy(zero_copy_only=False)
    return pd.Categorical(text)


def take_snapshot(workspace, as_of: dt.date, definition: ChurnDefinition, groups,
                  labelled: bool) -> Snapshot:
    """The snapshot, one engine query per feature group.

    The customers counted are numbered in id order once; each group's query joins them and
    returns the numbers with its features, streamed out of the engine, so that its columns
    are placed by number. One query joining every group at once would hold all their
    aggregates in the engine's memory together, which does not fit at millions of customers.
    """
    ctx = FeatureContext(workspace, as_of, definition)
    try:
        ids = _fetch(_population(ctx))["customer_id"].combine_chunks()
        ids = ids.take(pc.sort_indices(ids))
        # A table of the engine's own (not a view of this Arrow table): every group joins it.
        counted = ctx.temporary("counted", pa.table({
            "customer_id": ids, "row": pa.array(np.arange(len(ids)), pa.int64())}))
        frame, chosen = _place(dataclasses.replace(ctx, counted=counted), counted, ids, groups,
                               labelled)
    finally:
        ctx.close()
    return Snapshot(as_of, definition, tuple(chosen), frame, labelled,
                    str(workspace.config["workspace.currency"]))


def _place(ctx: FeatureContext, counted: ibis.Table, ids: pa.Array, groups, labelled: bool
           ) -> tuple[pd.DataFrame, list[Feature]]:
    size = len(ids)
    chosen = [f for group in feature_groups(groups) for f in group.features]
    # The numeric features go straight into one block of rows (a row per feature), which
    # becomes the frame without a copy: millions of customers times dozens of features.
    numeric = [f for f in chosen if not f.categorical]
    block = np.empty((len(numeric), size))
    for i, feature in enumerate(numeric):
        block[i] = np.nan if feature.fill is None else float(feature.fill)
    slot = {f.name: i for i, f in enumerate(numeric)}
    categorical: dict[str, pd.Categorical] = {}
    for group in feature_groups(groups):
        built = group.build(ctx)
        part = _fetch(built.join(counted, "customer_id").select(
            counted.row, *[built[f.name] for f in group.features]))
        at = part["row"].to_numpy()
        # One row per customer: checked by marking rows (a sort of the numbers costs seconds).
        seen = np.zeros(size, dtype=bool)
        seen[at] = True
        assert np.count_nonzero(seen) == len(at), (
            f"feature group {group.name} gives some customers more than one row")
        for feature in group.features:
            values = part[feature.name]
            if feature.categorical:
                categorical[feature.name] = _categorical(values, at, size, feature)
                continue
            if feature.fill is not None:
                values = values.fill_null(feature.fill)
            block[slot[feature.name], at] = values.cast(pa.float64()).to_numpy(
                zero_copy_only=False)
    head = pd.DataFrame({"customer_id": ids.to_numpy(zero_copy_only=False),
                         "as_of": pd.Timestamp(ctx.as_of)})
    frame = pd.concat([head, pd.DataFrame(block.T, columns=list(slot), copy=False)], axis=1,
                      copy=False)
    for position, feature in enumerate(chosen):
        if feature.categorical:
            frame.insert(2 + position, feature.name, categorical[feature.name])
    if labelled:
        stayed = _stayed(ctx)
        stayed = _fetch(stayed.join(counted, "customer_id").select(counted.row))
        churned = np.ones(size, dtype=bool)
        churned[stayed["row"].to_numpy()] = False
        frame[LABEL] = churned
    return frame, chosen


def features(workspace, as_of, definition=None, *, groups=None) -> Snapshot:
    """The customers counted at ``as_of`` and their features, without labels (for scoring).

    ``definition`` is a :class:`ChurnDefinition`, a kind (``"non_contractual"``,
    ``"contractual"``) or None for the workspace settings; ``groups`` names the feature
    groups (all when None).
    """
    as_of = as_of_date(as_of)
    definition = resolve_definition(workspace, definition)
    data_span(workspace).check_start(as_of)
    return take_snapshot(workspace, as_of, definition, groups, labelled=False)


def snapshot(workspace, as_of, horizon=None, *, definition=None, groups=None) -> Snapshot:
    """Customers counted at ``as_of``, their features from the data stamped before it, and
    whether they churned in the ``horizon`` after it.

    ``horizon`` ("26W", "182D" or days) overrides the definition's; the label window must lie
    inside the data.

    >>> import tempfile, tenure
    >>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/cdnow")
    >>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
    >>> snap = tenure.churn.snapshot(ws, "1997-10-01", "26W")
    >>> len(snap), round(snap.churn_rate, 3)
    (725, 0.469)
    """
    as_of = as_of_date(as_of)
    definition = resolve_definition(workspace, definition, horizon)
    data_span(workspace).check_window(as_of, definition.horizon_days)
    return take_snapshot(workspace, as_of, definition, groups, labelled=True)
