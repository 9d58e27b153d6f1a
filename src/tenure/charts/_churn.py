"""Charts of the churn results (Vega-Lite through Altair): backtests, key drivers and
survival curves."""

from __future__ import annotations

import altair as alt
import pandas as pd

from tenure.charts._theme import LOSS, MAX_SERIES, NEUTRAL, altair

altair()  # the theme, registered once

__all__ = ["backtest_chart", "drivers_chart", "survival_chart"]


def backtest_chart(result) -> alt.VConcatChart:
    """Calibration curves per scorer and fold, beside ROC AUC per fold."""
    curve = result.calibration.assign(fold=result.calibration["fold"].astype(str))
    diagonal = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(
        strokeDash=[4, 4], color=NEUTRAL).encode(x="x", y="y")
    lines = alt.Chart(curve).mark_line(point=True).encode(
        x=alt.X("predicted", title="predicted churn risk", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("observed", title=f"observed rate ({result.label})",
                scale=alt.Scale(domain=[0, 1])),
        color="scorer", strokeDash="fold",
        tooltip=["scorer", "fold", "predicted", "observed", "customers"])
    metrics = result.metrics.assign(as_of=result.metrics["as_of"].dt.date.astype(str))
    auc = alt.Chart(metrics).mark_bar().encode(
        x=alt.X("scorer", title=None), y=alt.Y("roc_auc", title="ROC AUC",
                                               scale=alt.Scale(domain=[0.5, 1])),
        color="scorer", column=alt.Column("as_of", title="test as-of date"),
        tooltip=["scorer", "as_of", "roc_auc", "pr_auc", "brier", "top_decile_lift"])
    calibration = (diagonal + lines).properties(width=320, height=320,
                                                title="Calibration by fold")
    return alt.vconcat(calibration, auc, title=_wrapped(result.definition.describe()))


def drivers_chart(drivers) -> alt.VConcatChart:
    """Mean contributions towards churn and towards staying, and partial dependence."""
    top = drivers.summary.head(15)
    long = top.melt(id_vars=["feature", "description"],
                    value_vars=["towards_churn", "towards_staying"],
                    var_name="pushes", value_name="contribution")
    bars = alt.Chart(long).mark_bar().encode(
        y=alt.Y("feature", sort=list(top["feature"]), title=None),
        x=alt.X("contribution", title="mean contribution to the log-odds of churn"),
        color=alt.Color("pushes", scale=alt.Scale(domain=["towards_churn", "towards_staying"],
                                                  range=[LOSS, "#009E73"])),
        tooltip=["feature", "description", "pushes", "contribution"],
    ).properties(width=420, title="Key drivers of churn and of staying")
    numeric = drivers.partial_dependence[
        pd.to_numeric(drivers.partial_dependence["value"], errors="coerce").notna()]
    curves = alt.Chart(numeric.assign(value=numeric["value"].astype(float))).mark_line(
        point=True).encode(
        x=alt.X("value", title=None), y=alt.Y("churn_risk", title="mean churn risk"),
        tooltip=["feature", "value", "churn_risk"],
    ).properties(width=180, height=140).facet(facet="feature", columns=3).resolve_scale(
        x="independent").properties(title="Partial dependence")
    return alt.vconcat(bars, curves)


def _thinned(curves: pd.DataFrame, points: int = 120) -> pd.DataFrame:
    """At most about ``points`` steps per curve, always keeping each curve's first and last."""
    keep = []
    for _, rows in curves.groupby(["by", "group"], sort=False):
        step = max(1, len(rows) // points)
        keep.append(rows.iloc[sorted({*range(0, len(rows), step), len(rows) - 1})])
    return pd.concat(keep, ignore_index=True)


def _largest_groups(curves: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """The curves of at most as many groups per grouping as there are colours, the largest
    (by customers) kept: more lines than that cannot be told apart."""
    keep = (groups.sort_values("customers", ascending=False).groupby("by", sort=False)
            .head(MAX_SERIES)[["by", "group"]])
    return curves.merge(keep.astype({"group": curves["group"].dtype}), on=["by", "group"])


def survival_chart(result) -> alt.VConcatChart:
    """Kaplan-Meier retention curves per grouping (the largest groups of each, at most one
    per colour), and Cox hazard ratios with intervals."""
    shown = _largest_groups(result.curves, result.groups)
    cut = (result.groups.groupby("by")["group"].count() > MAX_SERIES).any()
    title = (f"Retention by group (the {MAX_SERIES} largest groups of each)" if cut
             else "Retention by group")
    curves = alt.Chart(_thinned(shown), title=title).mark_line(interpolate="step-after").encode(
        x=alt.X("day", title="days since the start"), y=alt.Y("retained", title="retained",
                                                                scale=alt.Scale(domain=[0, 1])),
        color="group", tooltip=["by", "group", "day", "retained", "lower", "upper", "at_risk"],
    ).properties(width=260, height=200).facet(column="by").resolve_scale(color="independent")
    ratios = result.hazard_ratios
    points = alt.Chart(ratios).mark_point(filled=True).encode(
        y=alt.Y("description", sort=alt.EncodingSortField("hazard_ratio", order="descending"),
                title=None, axis=alt.Axis(labelLimit=360)),
        x=alt.X("hazard_ratio", title="hazard ratio (log scale)", scale=alt.Scale(type="log")),
        tooltip=["description", "hazard_ratio", "lower", "upper", "p"])
    bars = alt.Chart(ratios).mark_rule().encode(
        y=alt.Y("description", sort=alt.EncodingSortField("hazard_ratio", order="descending")),
        x="lower", x2="upper")
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 4], color=NEUTRAL
                                                         ).encode(x="x")
    forest = (bars + points + one).properties(
        width=420, title=f"Cox hazard ratios from the snapshot at {result.cox_as_of}")
    return alt.vconcat(curves, forest, title=_wrapped(result.definition.describe()))


def _wrapped(text: str, width: int = 90) -> list[str]:
    """A long title as lines of at most ``width`` characters, so that it does not stretch
    the chart."""
    import textwrap

    return textwrap.wrap(text, width) or [text]
