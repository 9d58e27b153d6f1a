"""Charts of the retention analyses (Vega-Lite through Altair): each takes a result or a
frame and returns a chart."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tenure.charts._theme import GAIN, LOSS, MAX_SERIES, NEUTRAL, SEQUENTIAL, STATE_COLORS, altair
from tenure.errors import TenureError

STATE_ORDER = list(STATE_COLORS)
OTHER = "other"


def _facet(chart, by: str | None, columns: int = 3):
    return chart.facet(facet=f"{by}:N", columns=columns) if by else chart


def largest(frame: pd.DataFrame, column: str, weight: str,
            keep: int = MAX_SERIES - 1) -> pd.DataFrame:
    """``frame`` with the values of ``column`` beyond the ``keep`` largest (by the sum of
    ``weight``) renamed "other", so that a chart colours at most ``keep + 1`` series; a
    frame with few enough values comes back as it is. Numbers of the merged rows are summed
    by the chart's own aggregation (a stacked bar adds them).

    >>> frame = pd.DataFrame({"code": list("abcdefghijkl"), "n": range(12)})
    >>> sorted(largest(frame, "code", "n", keep=3)["code"].unique())
    ['j', 'k', 'l', 'other']
    """
    totals = frame.groupby(column, observed=True)[weight].sum().sort_values(ascending=False)
    if len(totals) <= keep + 1:
        return frame
    kept = set(totals.index[:keep])
    return frame.assign(**{column: frame[column].where(frame[column].isin(kept), OTHER)})


def cohort_heatmap(result, metric: str) -> Any:
    allowed = ("retention", "retention_unbounded", "revenue_retention")
    if metric not in allowed:
        raise TenureError(f"metric '{metric}' is not a cohort measure; use one of "
                          f"{', '.join(allowed)}")
    alt = altair()
    data = result.frame.assign(cohort=result.frame["cohort"].dt.strftime("%Y-%m-%d"))
    # Every cohort is 100% active at age 0 by definition; a scale that reached 100% would
    # leave the later ages, where cohorts differ, in one pale band. The scale spans the
    # later ages, and age 0 takes its darkest colour.
    later = data.loc[data["age"] > 0, metric].dropna()
    top = float(later.max()) if len(later) else 1.0
    base = alt.Chart(data).mark_rect().encode(
        x=alt.X("age:O", title=f"{result.period}s since first purchase"),
        y=alt.Y("cohort:O", title="cohort"),
        color=alt.Color(f"{metric}:Q", title=metric.replace("_", " "),
                        scale=alt.Scale(scheme=SEQUENTIAL, domain=[0, top or 1.0], clamp=True),
                        legend=alt.Legend(format=".0%")),
        tooltip=["cohort:O", "age:O", "customers:Q", "active:Q",
                 alt.Tooltip(f"{metric}:Q", format=".1%")],
    ).properties(title=f"Cohort {metric.replace('_', ' ')} by {result.period} (colours span "
                       "the ages after the first period)")
    return _facet(base, result.by)


def retention_curve(result) -> Any:
    alt = altair()
    keys = [result.by] if result.by else []
    data = result.average.melt(id_vars=[*keys, "age"],
                               value_vars=["retention", "retention_unbounded"],
                               var_name="measure", value_name="share")
    many = bool(result.by) and data[result.by].nunique() > MAX_SERIES
    # More groups than colours: one small chart per group rather than lines no one can
    # tell apart.
    color = (alt.Color("measure:N") if not result.by or many
             else alt.Color(f"{result.by}:N"))
    chart = alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("age:Q", title=f"{result.period}s since first purchase"),
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="customers active"),
        color=color,
        strokeDash="measure:N",
        tooltip=[*keys, "age", "measure", alt.Tooltip("share:Q", format=".1%")],
    )
    if many:
        chart = chart.properties(width=180, height=120).facet(facet=f"{result.by}:N",
                                                               columns=4)
    return chart.properties(title="Average retention, weighted by cohort size")


def lifecycle_flow(result) -> Any:
    """Gains above the axis, losses below: the lifecycle of the base, period by period."""
    alt = altair()
    data = result.frame.copy()
    losing = data["state"].isin(["churned", "dormant"])
    data["signed"] = data["customers"].where(~losing, -data["customers"])
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("period:T", title=None),
        y=alt.Y("sum(signed):Q", title="customers"),
        color=alt.Color("state:N", scale=alt.Scale(domain=STATE_ORDER,
                                                   range=list(STATE_COLORS.values()))),
        order=alt.Order("order:Q"),
        tooltip=["period:T", "state:N", "customers:Q"],
    ).transform_calculate(order=_state_rank_expr())
    return _facet(chart.properties(title=f"Lifecycle states by {result.period}"), result.by)


def transition_heatmap(result) -> Any:
    alt = altair()
    data = result.matrix(long=True)
    base = alt.Chart(data).encode(
        x=alt.X("to_state:N", sort=STATE_ORDER, title="to"),
        y=alt.Y("from_state:N", sort=STATE_ORDER, title="from"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("share:Q", scale=alt.Scale(scheme=SEQUENTIAL),
                        legend=alt.Legend(format=".0%")),
        tooltip=["from_state", "to_state", "customers", alt.Tooltip("share:Q", format=".1%")])
    text = base.mark_text().encode(text=alt.Text("share:Q", format=".0%"))
    return (cells + text).properties(title="Transitions between consecutive periods")


def _state_rank_expr() -> str:
    cases = " : ".join(f"datum.state == '{s}' ? {i}" for i, s in enumerate(STATE_ORDER))
    return f"{cases} : 99"


def growth_bars(result) -> Any:
    alt = altair()
    data = result.frame
    flows = alt.Chart().transform_fold(["new", "won_back", "lost"], as_=["flow", "customers"]
                                       ).transform_calculate(
        signed="datum.flow == 'lost' ? -datum.customers : datum.customers",
    ).mark_bar().encode(
        x=alt.X("period:T", title=None), y=alt.Y("signed:Q", title="customers"),
        color=alt.Color("flow:N", scale=alt.Scale(domain=["new", "won_back", "lost"],
                                                  range=[GAIN, STATE_COLORS["resurrected"],
                                                         LOSS])),
        tooltip=["period:T", "flow:N", "customers:Q"])
    net = alt.Chart().mark_line(color="#000000", point=alt.OverlayMarkDef(color="#000000")
                                ).encode(
        x="period:T", y="net_change:Q", tooltip=["period:T", "net_change:Q", "quick_ratio:Q"])
    layered = alt.layer(flows, net, data=data)
    if result.by:
        layered = layered.facet(facet=f"{result.by}:N", columns=3)
    return layered.properties(title="Net growth of the active base")


def bars(frame: pd.DataFrame, x: str, y: str, *, title: str, color: str | None = None,
         sort: Any = "-x", x_format: str | None = None) -> Any:
    alt = altair()
    encode = {
        "x": alt.X(f"{x}:Q", axis=alt.Axis(format=x_format) if x_format else alt.Undefined),
        "y": alt.Y(f"{y}:N", sort=sort, title=None),
        "tooltip": list(frame.columns),
    }
    if color:
        encode["color"] = alt.Color(f"{color}:N")
    return alt.Chart(frame).mark_bar().encode(**encode).properties(title=title)


def lorenz(frame: pd.DataFrame) -> Any:
    alt = altair()
    curve = alt.Chart(frame).mark_line().encode(
        x=alt.X("customer_share:Q", axis=alt.Axis(format="%"), title="customers (lowest first)"),
        y=alt.Y("revenue_share:Q", axis=alt.Axis(format="%"), title="revenue"))
    diagonal = alt.Chart(pd.DataFrame({"customer_share": [0, 1], "revenue_share": [0, 1]})
                         ).mark_line(strokeDash=[4, 4], color=NEUTRAL).encode(
        x="customer_share:Q", y="revenue_share:Q")
    return (curve + diagonal).properties(title="Revenue concentration (Lorenz curve)")


def ladder(frame: pd.DataFrame) -> Any:
    alt = altair()
    base = alt.Chart(frame).encode(x=alt.X("purchases:O", title="purchases made"))
    probability = base.mark_line(point=True).encode(
        y=alt.Y("repeat_probability:Q", axis=alt.Axis(format="%"),
                title="chance of one more purchase"),
        tooltip=list(frame.columns))
    band = base.mark_area(opacity=0.2).encode(y="repeat_low:Q", y2="repeat_high:Q")
    return (band + probability).properties(title="Loyalty ladder")


def funnel(frame: pd.DataFrame, by: str | None) -> Any:
    alt = altair()
    stages = list(dict.fromkeys(frame["stage"]))
    y = alt.Y("stage:N", sort=stages, title=None)
    reached = alt.Chart().mark_bar().encode(y=y, x=alt.X("reached:Q", title="leads"),
                                            tooltip=list(frame.columns))
    text = alt.Chart().mark_text(align="left", dx=3).encode(
        y=y, x="reached:Q", text=alt.Text("share_of_leads:Q", format=".1%"))
    layered = alt.layer(reached, text, data=frame)
    if by:
        layered = layered.facet(facet=f"{by}:N", columns=3)
    return layered.properties(title="Lead funnel")


def trend(frame: pd.DataFrame, value: str, color: str, *, title: str) -> Any:
    """Stacked bars per period, one colour per value of ``color``: the largest few and
    "other" when there are more values than colours."""
    alt = altair()
    frame = largest(frame, color, value)
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("period:T", title=None), y=alt.Y(f"{value}:Q"), color=f"{color}:N",
        tooltip=list(frame.columns)).properties(title=title)


def effect(frame: pd.DataFrame, *, title: str, label: str) -> Any:
    """Point estimates with their confidence intervals, one row per comparison."""
    alt = altair()
    base = alt.Chart(frame).encode(y=alt.Y(f"{label}:N", title=None))
    rule = base.mark_rule().encode(x=alt.X("low:Q", title="difference"), x2="high:Q")
    point = base.mark_point(filled=True, size=60).encode(x="estimate:Q",
                                                         tooltip=list(frame.columns))
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    return (rule + point + zero).properties(title=title)


def rfm_grid(result) -> Any:
    """Customers on the recency x frequency grid of an RFM result."""
    alt = altair()
    grid = result.frame.groupby(["r", "f"], as_index=False, observed=True).agg(
        customers=("customer_id", "size"), revenue=("revenue", "sum"))
    return alt.Chart(grid).mark_rect().encode(
        x=alt.X("f:O", title="frequency score"), y=alt.Y("r:O", sort="descending",
                                                      title="recency score"),
        color=alt.Color("customers:Q", scale=alt.Scale(scheme=SEQUENTIAL)),
        tooltip=["r", "f", "customers", alt.Tooltip("revenue:Q", format=",.0f")],
    ).properties(title=f"Customers by recency and frequency as of {result.as_of}")


def state_agreement(frame: pd.DataFrame) -> Any:
    """The share of customer-dates whose state agrees with the simulated truth, beside the
    naive rule that everyone is alive."""
    alt = altair()
    data = frame.melt(id_vars=["date"], value_vars=["agreement", "everyone_alive"],
                      var_name="rule", value_name="share")
    return alt.Chart(data).mark_line(point=True).encode(
        x="date:T", y=alt.Y("share:Q", axis=alt.Axis(format="%")), color="rule:N",
    ).properties(title="Lifecycle states against the simulated truth")
