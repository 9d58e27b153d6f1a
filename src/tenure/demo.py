"""The demo: a simulated shop and the CDNOW customers, each in its own workspace, and three
simulated weeks of actions on a copy of the shop.

Running it again changes nothing: the shop is simulated from a fixed seed and every ingest
is idempotent, so the second run reports every row unchanged; the copy is made afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from tenure.contract import LOAD_ORDER
from tenure.datasets import load_cdnow
from tenure.progress import Progress, steps_of
from tenure.simulate import simulate_business, write_business
from tenure.sla._demo import add_shop_section
from tenure.workspace import Workspace
from tenure.workspace._ingest import IngestReport

__all__ = ["DemoResult", "build_demo"]

DEMO_SEED = 2024


@dataclass
class DemoResult:
    workspaces: list[Path]
    reports: list[IngestReport] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    models: pd.DataFrame | None = None
    headlines: list[str] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)
    lift: Any = None  # the simulated weeks of actions' ActionLift
    report: Path | None = None


def build_demo(directory: str | Path, *, customers: int = 20_000, progress: Progress = None,
               command: str = "tenure", python: str = "python") -> DemoResult:
    """Simulate a shop, write its files, and ingest them and CDNOW into two workspaces;
    then run a few simulated weeks of actions on a copy of the shop. The next steps it
    suggests run ``command`` (how the user runs tenure) and ``python`` (the Python that
    has it)."""
    step = steps_of(progress)
    root = Path(directory)
    data = root / "data"
    step("simulating the shop")
    business = simulate_business(customers, seed=DEMO_SEED)
    write_business(business, data)

    shop_path, cdnow_path = root / "shop", root / "cdnow"
    result = DemoResult([shop_path, cdnow_path])
    with Workspace.init(shop_path, timezone="Asia/Shanghai", currency="CNY",
                        exist_ok=True) as shop:
        for name in LOAD_ORDER:
            step(f"ingesting {name}")
            result.reports.append(shop.ingest(name, data / f"{name}.parquet"))
        _fit_and_score(shop, step, result)
    add_shop_section(shop_path)  # SLA calendars and policies, for `tenure sla`
    with Workspace.init(cdnow_path, timezone="UTC", currency="USD", exist_ok=True) as cdnow:
        step("ingesting CDNOW")
        result.reports.append(cdnow.ingest("orders", load_cdnow(kind="master")))
    result.headlines, result.charts = _analytics(shop_path, cdnow_path, business,
                                                 root / "charts", step)
    with Workspace(shop_path) as shop:
        _churn(shop, step, result)
    from tenure.actions._demo import demo_actions

    result.lift, said, actions_path = demo_actions(shop_path, business, root, step)
    result.headlines += said
    # The report is of the shop with its weeks of actions: everything the shop holds, and
    # the actions and their lift besides.
    with Workspace(actions_path) as acted:
        step("writing the report")
        from tenure.report import write_report

        result.report = write_report(acted, root / "report.html").path
    result.next_steps = [
        f"{command} status --workspace {shop_path}",
        f"{command} quarantine --workspace {shop_path}",
        f"{command} sla report --workspace {shop_path}",
        f"{python} -c \"import tenure; print(tenure.Workspace('{shop_path}')"
        ".table('orders').count().execute())\"",
        f"the simulator's ground truth: {data / 'truth.json'} and {data / 'latent.parquet'}",
        f"{command} fit --model pnbd --calibration-end 2025-06-30 --workspace {shop_path}",
        f"{command} analyze cohorts --workspace {shop_path} --by segment",
        f"{command} churn backtest --workspace {shop_path}",
        f"{command} --lang zh actions list --workspace {actions_path}",
        f"{command} actions explain C0000001 --workspace {actions_path}",
        f"the charts: {root / 'charts'}",
        f"{command} token create --role admin --workspace {actions_path}, then "
        f"{command} serve --workspace {actions_path}",
    ]
    return result


# The analyses shown for the simulated shop, with the options they run with.
SHOP_ANALYSES = (
    ("analyze cohorts", {"period": "quarter"}), ("analyze lifecycle", {}),
    ("analyze growth", {"period": "quarter"}), ("analyze rfm", {}), ("analyze loyalty", {}),
    ("analyze funnel", {}), ("analyze referrals", {}), ("analyze handover", {}),
    ("analyze churn-reasons", {"period": "quarter"}),
)


def _analytics(shop: Path, cdnow: Path, business, charts: Path,
               step: Callable[[str], None]) -> tuple[list[str], list[Path]]:
    """Run every analysis on the shop (through the capability registry, as the command
    line does) and the cohorts on CDNOW; return the headline lines and the charts written
    (HTML that opens with no network) into ``charts``."""
    from tenure.analytics import state_agreement
    from tenure.capabilities import REGISTRY
    from tenure.charts import save

    charts.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    written: list[Path] = []

    def show(ws: Workspace, title: str, name: str, options: dict, file: str) -> None:
        step(f"analysing: {title.lower()}")
        result = REGISTRY[name](ws, options)
        lines.append(f"{title}:")
        lines.extend(f"  {line}" for line in result.lines())
        written.append(save(result.chart(), charts / f"{file}.html"))

    with Workspace(shop) as ws:
        for name, options in SHOP_ANALYSES:
            command = name.split()[-1]
            show(ws, f"Shop, {command.replace('-', ' ')}", name, options, f"shop-{command}")
    step("checking the lifecycle against the truth")
    dates = [f"{business.params.end[:4]}-06-30", business.params.end]
    report = state_agreement(business, dates=dates)
    lines.append("Shop, lifecycle states against the simulator's ground truth:")
    for row in report.frame.itertuples():
        lines.append(f"  {row.date:%Y-%m-%d}: states agree for {row.agreement:.1%} of "
                     f"{row.customers:,} customers ('everyone alive' would: "
                     f"{row.everyone_alive:.1%})")
    with Workspace(cdnow) as ws:
        show(ws, "CDNOW, cohorts", "analyze cohorts", {"period": "quarter"}, "cdnow-cohorts")
    return lines, written


def _fit_and_score(shop: Workspace, step: Callable[[str], None], result: DemoResult) -> None:
    """Compare the value models on the shop (calibration to mid-2025) and score it."""
    from tenure.models import model_table, score

    step("fitting the value models")
    result.models = model_table(shop, unit="W", calibration_end="2025-06-30")
    step("scoring customers")
    # Pareto/NBD: its P(alive) tells a silent one-time buyer from a gone one, which the
    # analytics need (BG/NBD gives every one-time buyer P(alive) = 1).
    score(shop, as_of="2026-01-01", horizon="90d", model="pnbd")


def _churn(shop: Workspace, step: Callable[[str], None], result: DemoResult) -> None:
    """Train the churn model on the shop (SLA breaches included), save it and score."""
    from tenure.churn import model_path, score, train

    step("training the churn model")
    model = train(shop)
    model.save(model_path(shop))
    step("scoring churn risk")
    scores = score(shop, model=model)
    frame = scores.frame
    auc = model.validation_metrics_["roc_auc"]
    result.headlines.append(
        f"Churn risk: {model.definition_.describe().split(';')[0]}. The model's ROC AUC on "
        f"customers held out of training is {auc:.3f}; at {scores.as_of}, "
        f"{int((frame['churn_risk'] >= 0.5).sum()):,} of {len(frame):,} customers are at 50% "
        "risk or more. The riskiest, and why:")
    for row in frame.head(3).itertuples():
        reasons = "; ".join(r for r in (row.churn_reason_1, row.churn_reason_2,
                                        row.churn_reason_3) if isinstance(r, str))
        result.headlines.append(f"  {row.customer_id} ({row.churn_risk:.0%}): {reasons}")
