"""``tenure sla ...``: thin commands over :mod:`tenure.sla`.

The sub-app adds itself to the ``tenure`` app when this module is imported, which
``tenure.cli`` does; either module may be imported first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tenure import cli
from tenure.cli import WorkspaceOption, _show_table, _workspace, err, friendly, out

app = typer.Typer(
    name="sla",
    help="Service level agreements: clocks, breaches, credits owed and compliance.\n\n"
    "Policies and calendars live in the [sla] section of tenure.toml (see docs/sla.md).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)

AsOf = Annotated[str | None, typer.Option(
    "--as-of", help="Local date or time to evaluate at, e.g. 2026-10-31T18:00 (default: the "
                    "latest time recorded).")]


@app.command()
@friendly
def policies(workspace: WorkspaceOption = None) -> None:
    """Check the [sla] section and list each policy's targets in minutes.

    Example: `tenure sla policies`
    """
    import pandas as pd

    from tenure.sla import METRICS, load_config

    with _workspace(workspace) as ws:
        config = load_config(ws)
    rows = []
    for policy in config.policies.values():
        applies = ", ".join([*(f"tier {t}" for t in policy.tiers),
                             *(f"customer {c}" for c in policy.customers)])
        if policy.name == config.default_policy:
            applies = ", ".join(filter(None, [applies, "everyone else"]))
        for target in policy.targets.values():
            rows.append({"policy": policy.name, "applies to": applies,
                         "priority": target.priority, "clock": target.clock,
                         "calendar": policy.calendar if target.clock == "business" else "",
                         **{m: target.minutes(m) or "" for m in METRICS}})
    _show_table(pd.DataFrame(rows, dtype=object), "SLA policies (targets in minutes)")


@app.command()
@friendly
def evaluate(
    as_of: AsOf = None,
    at_risk_hours: Annotated[float | None, typer.Option(
        help="Hours ahead in which a running clock's target counts as at risk "
             "(default: sla.at_risk_hours).")] = None,
    csv: Annotated[Path | None, typer.Option(help="Write every row to this CSV file.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Measure every ticket's clocks into the sla_results table; show those at risk.

    Example: `tenure sla evaluate --as-of 2026-10-31T18:00`
    """
    from tenure.sla import evaluate as run

    with _workspace(workspace) as ws:
        result = run(ws, as_of, at_risk_hours=at_risk_hours, progress=err.is_terminal)
        out.print(f"As of {result.as_of:%Y-%m-%d %H:%M}: {result.tickets:,} tickets under a "
                  f"policy, {result.rows:,} clocks, {result.breached:,} breached, "
                  f"{result.at_risk:,} at risk within {result.at_risk_hours:g} h; "
                  f"{result.uncovered:,} tickets under no policy, {result.quarantined:,} "
                  "rows in quarantine", highlight=False)
        if csv:
            result.frame.to_csv(csv, index=False)
            out.print(f"Wrote {result.rows:,} rows to {csv}")
        if result.at_risk:
            risky = ws.connection.execute(
                "SELECT ticket_id, customer_id, priority, metric, remaining_minutes, due_at "
                "FROM sla_results WHERE at_risk ORDER BY due_at LIMIT 20").df()
            _show_table(risky, "At risk (first 20)")
        if result.quarantined:
            out.print("See the rows held back with: tenure quarantine --reason ...")


@app.command()
@friendly
def report(
    as_of: AsOf = None,
    period: Annotated[str, typer.Option(help="Group tickets by the week, month, quarter or "
                                             "year they opened.")] = "month",
    worst: Annotated[int, typer.Option(help="Customers to list, most breaches first.")] = 10,
    chart: Annotated[Path | None, typer.Option(
        help="Write the breach trend chart here (.html or .json, Vega-Lite).")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Compliance per metric, priority, team and period; the worst customers' experience.

    Example: `tenure sla report --period quarter --chart breaches.html`
    """
    from tenure.sla import report as run

    with _workspace(workspace) as ws:
        result = run(ws, as_of, period=period, worst=worst, progress=err.is_terminal)
    out.print(f"SLA compliance as of {result.as_of:%Y-%m-%d %H:%M} (met over decided "
              "clocks)", highlight=False)
    _show_table(result.frame, "By metric")
    _show_table(result.by_priority, "By policy and priority")
    _show_table(result.by_team, "By team (owner when the ticket opened)")
    _show_table(result.by_period.tail(24), f"By {period} opened (latest)")
    _show_table(result.worst_customers, f"Worst {worst} customers")
    out.print(f"{len(result.at_risk):,} clocks at risk; `tenure sla evaluate` lists them")
    if chart:
        figure = result.chart()
        if chart.suffix.lower() == ".json":
            chart.write_text(figure.to_json(), encoding="utf-8")
        else:
            figure.save(str(chart))
        out.print(f"Wrote the breach trend chart to {chart}")


@app.command()
@friendly
def credits(
    period: Annotated[str, typer.Option(help="Month, quarter or year: 2026-10, 2026-Q4, "
                                             "2026.")],
    as_of: AsOf = None,
    csv: Annotated[Path | None, typer.Option(help="Write the rows to this CSV file.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List the credits owed per customer for the breaches of a period.

    Example: `tenure sla credits --period 2026-10`
    """
    from tenure.sla import credits as run

    with _workspace(workspace) as ws:
        result = run(ws, period, as_of=as_of, progress=err.is_terminal)
    if csv:
        result.frame.to_csv(csv, index=False)
        out.print(f"Wrote {len(result.frame):,} rows to {csv}")
    elif result.frame.empty:
        out.print(f"No credits owed for {result.period.label}.")
        return
    else:
        _show_table(result.frame, f"Credits owed for {result.period.label}")
    out.print(f"Total owed: {result.total:,.2f} (clocks as of {result.as_of:%Y-%m-%d %H:%M})",
              highlight=False)
    if result.unpriced:
        out.print(f"{result.unpriced:,} rows have a percentage credit but no known fee: set "
                  "the policy's monthly_fee or ingest memberships with a fee")


cli.app.add_typer(app)
