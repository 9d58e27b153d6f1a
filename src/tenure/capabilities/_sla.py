"""Service level agreements: ``tenure sla policies|evaluate|clocks|report|credits``."""

from __future__ import annotations

from dataclasses import dataclass

from tenure.capabilities._spec import Capability, option

__all__ = ["SLA"]

_AS_OF = ("Local date or time to evaluate at, e.g. 2026-10-31T18:00 (default: the latest "
          "time recorded).")


@dataclass(frozen=True)
class NoOptions:
    pass


@dataclass(frozen=True)
class EvaluateOptions:
    as_of: str | None = option(None, help=_AS_OF)
    at_risk_hours: float | None = option(None, help="Hours ahead in which a running clock's "
                                                    "target counts as at risk (default: "
                                                    "sla.at_risk_hours).", low=0.0)


@dataclass(frozen=True)
class ClockOptions:
    ticket_id: str | None = option(None, help="Only this ticket's clocks.")
    customer_id: str | None = option(None, help="Only this customer's clocks.")
    breached: bool | None = option(None, help="Only breached (true) or unbreached (false) "
                                              "clocks.")
    at_risk: bool | None = option(None, help="Only clocks at risk (true) or not (false).")
    limit: int | None = option(None, help="At most this many rows.", low=1)


@dataclass(frozen=True)
class ReportOptions:
    as_of: str | None = option(None, help=_AS_OF)
    period: str = option("month", help="Group tickets by the week, month, quarter or year "
                                       "they opened.",
                         choices=("week", "month", "quarter", "year"))
    worst: int = option(10, help="Customers to list, most breaches first.", low=1)


@dataclass(frozen=True)
class CreditOptions:
    period: str | None = option(None, help="Month, quarter or year: 2026-10, 2026-Q4, 2026 "
                                           "(default: the month of the latest time "
                                           "recorded).")
    as_of: str | None = option(None, help=_AS_OF)


def _policies(ws, o: NoOptions, progress):
    from tenure import sla

    return sla.policies(ws)


def _evaluate(ws, o: EvaluateOptions, progress):
    from tenure import sla

    return sla.evaluate(ws, o.as_of, at_risk_hours=o.at_risk_hours, progress=progress)


def _clocks(ws, o: ClockOptions, progress):
    from tenure import sla

    return sla.clock_list(ws, ticket_id=o.ticket_id, customer_id=o.customer_id,
                          breached=o.breached, at_risk=o.at_risk, limit=o.limit)


def _report(ws, o: ReportOptions, progress):
    from tenure import sla

    return sla.report(ws, o.as_of, period=o.period, worst=o.worst, progress=progress)


def _credits(ws, o: CreditOptions, progress):
    from tenure import sla

    return sla.credits(ws, o.period, as_of=o.as_of, progress=progress)


SLA: tuple[Capability, ...] = (
    Capability("sla policies", "Check the [sla] section and list each policy's targets in "
               "minutes.", NoOptions, _policies, "tenure.sla:SlaPolicies", "tenure sla policies"),
    Capability("sla evaluate", "Measure every ticket's clocks into the sla_results table; "
               "show those at risk.", EvaluateOptions, _evaluate, "tenure.sla:SlaEvaluation",
               "tenure sla evaluate --as-of 2026-10-31T18:00", writes=True),
    Capability("sla clocks", "List the clocks of the last evaluation, by ticket, customer, "
               "breach or risk.", ClockOptions, _clocks, "tenure.sla:SlaClocks",
               "tenure sla clocks --at-risk true --csv at_risk.csv"),
    Capability("sla report", "Compliance per metric, priority, team and period; the worst "
               "customers' experience.", ReportOptions, _report, "tenure.sla:SlaReport",
               "tenure sla report --period quarter --chart breaches.html", writes=True,
               chart=True),
    Capability("sla credits", "List the credits owed per customer for the breaches of a "
               "period.", CreditOptions, _credits, "tenure.sla:SlaCredits",
               "tenure sla credits --period 2026-10", writes=True),
)
