"""At-risk outreach: churn risk above a threshold with value at risk above a threshold; the
reason shown is the customer's own top churn reason (from ``tenure churn score``)."""

from __future__ import annotations

from tenure.actions.playbooks._base import Playbook, money, percent, proposals, sentence
from tenure.config import Setting, _check_fraction, _check_non_negative

__all__ = ["AT_RISK"]

NAME = "at_risk"
REASON = "churn risk {risk} with {value} at risk; the strongest reason: {reason}"


def _eligible(ctx, values):
    value = ctx.value()
    if value is None or ctx.scored("churn_risk") is None:
        ctx.notes.append("at_risk: no churn scores before the plan date; run `tenure churn "
                         "score` first")
        return None
    at_risk = value.mutate(value_at_risk=value.churn_risk * value.clv.fill_null(0.0))
    due = at_risk.filter((at_risk.churn_risk >= values["min_risk"])
                         & (at_risk.value_at_risk >= values["min_value_at_risk"]))
    reason = sentence(REASON, risk=percent(due.churn_risk), value=money(due.value_at_risk),
                      reason=due.churn_reason.fill_null("none recorded"))
    return proposals(due, customer_id=due.customer_id, value_at_stake=due.value_at_risk,
                     reason=reason)


AT_RISK = Playbook(
    name=NAME,
    title="At-risk outreach",
    summary="Churn risk above a threshold with value at risk above a threshold; the reason "
            "shown is the customer's own top churn reason.",
    kind="marketing",
    channels=("call", "wechat", "sms"),
    offer="a check-in from your owner",
    prior_effect=0.06,
    outcome="retained",
    reasons=(REASON,),
    eligible=_eligible,
    cooldown_days=45,
    settings=(
        Setting(f"actions.playbooks.{NAME}.min_risk", 0.5,
                "Churn risk from which a customer is at risk.", _check_fraction),
        Setting(f"actions.playbooks.{NAME}.min_value_at_risk", 100.0,
                "Value at risk (churn risk x CLV) from which outreach is worth it.",
                _check_non_negative),
    ),
)
