"""Vega-Lite charts (Altair) of lift results; imported only when one is asked for."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["comparison_chart"]

VERDICT_COLOURS = alt.Scale(domain=["higher", "lower", "inconclusive"],
                            range=["#2ca02c", "#d62728", "#7f7f7f"])


def comparison_chart(result) -> alt.FacetChart:
    """Each arm's difference from the control with its interval, one panel per outcome; with
    a covariate, the plain and the CUPED estimate side by side."""
    frame = result.frame
    estimates = [frame.assign(estimate="plain")]
    if result.covariate is not None:
        estimates.append(frame.assign(
            estimate="CUPED", difference=frame["adjusted_difference"],
            ci_low=frame["adjusted_ci_low"], ci_high=frame["adjusted_ci_high"]))
    data = pd.concat(estimates, ignore_index=True)[
        ["arm", "outcome", "estimate", "difference", "ci_low", "ci_high", "relative_lift",
         "verdict"]].assign(arm=lambda f: f["arm"].astype(str))
    base = alt.Chart().encode(
        y=alt.Y("arm:N", title=None), yOffset=alt.YOffset("estimate:N"),
        color=alt.Color("verdict:N", scale=VERDICT_COLOURS),
        tooltip=["arm", "outcome", "estimate", alt.Tooltip("difference:Q", format=".4f"),
                 alt.Tooltip("ci_low:Q", format=".4f"), alt.Tooltip("ci_high:Q", format=".4f"),
                 alt.Tooltip("relative_lift:Q", format="+.1%"), "verdict"])
    intervals = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title=f"difference from {result.control} "
                f"({result.confidence:.0%} interval)"), x2="ci_high:Q")
    points = base.mark_point(filled=True, size=60).encode(
        x="difference:Q", shape=alt.Shape("estimate:N", title="estimate"))
    zero = alt.Chart().mark_rule(strokeDash=[4, 4], color="gray").encode(x=alt.datum(0))
    return alt.layer(zero, intervals, points, data=data).properties(width=220).facet(
        column=alt.Column("outcome:N", title=None, sort=list(result.outcomes)),
    ).resolve_scale(x="independent").properties(
        title=f"Each group against {result.control}")

