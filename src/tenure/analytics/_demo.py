"""The analytics part of ``tenure demo``: headline figures and charts of both workspaces,
and how well the lifecycle states agree with the simulated shop's ground truth."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tenure.workspace import Workspace

__all__ = ["demo_analytics"]

# (title, function name, options, file name) for the simulated shop.
SHOP = (
    ("Cohorts", "cohort_retention", {"period": "quarter"}, "cohorts"),
    ("Lifecycle", "lifecycle", {}, "lifecycle"),
    ("Net growth", "net_growth", {"period": "quarter"}, "growth"),
    ("RFM and value", "rfm_segments", {}, "rfm"),
    ("Loyalty ladder", "loyalty_ladder", {}, "loyalty"),
    ("Lead funnel", "funnel", {}, "funnel"),
    ("Referral reach", "referral_reach", {}, "referrals"),
    ("Owner hand-overs", "handover_impact", {}, "handover"),
    ("Churn reasons", "churn_reasons", {"period": "quarter"}, "churn-reasons"),
)


def demo_analytics(shop: Path, cdnow: Path, business, charts: Path,
                   step: Callable[[str], None]) -> tuple[list[str], list[Path]]:
    """Run every analysis on the shop and the cohorts on CDNOW; return the headline lines
    and the chart files written (HTML) into ``charts``."""
    import tenure.analytics as analytics

    charts.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    written: list[Path] = []
    with Workspace(shop) as ws:
        for title, name, options, file in SHOP:
            step(f"analysing: {title.lower()}")
            result = getattr(analytics, name)(ws, **options)
            lines.append(f"Shop, {title.lower()}:")
            lines += [f"  {line}" for line in result.lines()]
            path = charts / f"shop-{file}.html"
            result.chart().save(str(path))
            written.append(path)
    step("checking the lifecycle against the truth")
    dates = [f"{business.params.end[:4]}-06-30", business.params.end]
    report = analytics.state_agreement(business, dates=dates)
    lines.append("Shop, lifecycle states against the simulator's ground truth:")
    for row in report.frame.itertuples():
        lines.append(f"  {row.date:%Y-%m-%d}: states agree for {row.agreement:.1%} of "
                     f"{row.customers:,} customers ('everyone alive' would: "
                     f"{row.everyone_alive:.1%})")
    with Workspace(cdnow) as ws:
        step("analysing: CDNOW cohorts")
        result = analytics.cohort_retention(ws, period="quarter")
        lines.append("CDNOW, cohorts:")
        lines += [f"  {line}" for line in result.lines()]
        path = charts / "cdnow-cohorts.html"
        result.chart().save(str(path))
        written.append(path)
    return lines, written
