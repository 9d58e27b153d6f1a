"""Charts of actions and their proof (Vega-Lite through Altair): a comparison's differences
with their intervals, a day's plan, and the lift of each playbook and of the programme."""

from __future__ import annotations

import pandas as pd

from tenure.charts._theme import altair

__all__ = ["comparison_chart", "lift_chart", "plan_chart"]

VERDICTS = (["higher", "lower", "inconclusive"], ["#2ca02c", "#d62728", "#7f7f7f"])


def comparison_chart(result):
    """Each arm's difference from the control with its interval, one panel per outcome; with
    a covariate, the plain and the CUPED estimate side by side."""
    alt = altair()
    frame = result.frame
    estimates = [frame.assign(estimate="plain")]
    if result.covariate is not None:
        estimates.append(frame.assign(
            estimate="CUPED", difference=frame["adjusted_difference"],
            ci_low=frame["adjusted_ci_low"], ci_high=frame["adjusted_ci_high"]))
    data = pd.concat(estimates, ignore_index=True)[
        ["arm", "outcome", "estimate", "difference", "ci_low", "ci_high", "relative_lift",
         "verdict"]].assign(arm=lambda f: f["arm"].astype(str))
    colours = alt.Scale(domain=VERDICTS[0], range=VERDICTS[1])
    base = alt.Chart().encode(
        y=alt.Y("arm:N", title=None), yOffset=alt.YOffset("estimate:N"),
        color=alt.Color("verdict:N", scale=colours),
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


def plan_chart(plan):
    """The day's actions per playbook by group, beside the proposals held back per
    playbook by reason."""
    alt = altair()
    actions = (plan.frame.groupby(["playbook", "group"]).size().rename("actions")
               .reset_index())
    held = (plan.suppressed.groupby(["playbook", "reason_code"]).size().rename("proposals")
            .reset_index())
    chosen = alt.Chart(actions, title=f"Actions on {plan.date.isoformat()}").mark_bar().encode(
        y=alt.Y("playbook:N", title=None), x=alt.X("actions:Q", stack="zero"),
        color=alt.Color("group:N", title="group"),
        tooltip=["playbook", "group", "actions"])
    not_chosen = alt.Chart(held, title="Proposals not chosen").mark_bar().encode(
        y=alt.Y("playbook:N", title=None), x=alt.X("proposals:Q", stack="zero"),
        color=alt.Color("reason_code:N", title="reason"),
        tooltip=["playbook", "reason_code", "proposals"])
    return alt.hconcat(chosen, not_chosen).resolve_scale(color="independent")


def lift_chart(lift):
    """Each playbook's difference from its control, with its interval, one panel per
    metric; the programme on top."""
    alt = altair()
    data = lift.frame.assign(
        verdict=lambda f: f["verdict"].where(f["verdict"].isin(VERDICTS[0]), "inconclusive"))
    colours = alt.Scale(domain=VERDICTS[0], range=VERDICTS[1])
    order = ["programme", *sorted(p for p in data["playbook"].unique() if p != "programme")]
    base = alt.Chart().encode(
        y=alt.Y("playbook:N", title=None, sort=order), color=alt.Color("verdict:N",
                                                                       scale=colours),
        tooltip=["playbook", "metric", "n_treated", "n_control",
                 alt.Tooltip("difference:Q", format=".4f"),
                 alt.Tooltip("ci_low:Q", format=".4f"), alt.Tooltip("ci_high:Q", format=".4f"),
                 alt.Tooltip("incremental_revenue:Q", format=",.0f"), "verdict"])
    intervals = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title="treated - control (95% interval)"), x2="ci_high:Q")
    points = base.mark_point(filled=True, size=60).encode(x="difference:Q")
    zero = alt.Chart().mark_rule(strokeDash=[4, 4], color="gray").encode(x=alt.datum(0))
    return alt.layer(zero, intervals, points, data=data).properties(width=200).facet(
        column=alt.Column("metric:N", title=None),
    ).resolve_scale(x="independent").properties(title="Lift of each playbook and the programme")
