"""``explain(workspace, customer, date)``: every playbook considered for one customer on one
day, and why each was chosen or not, read from the ledger: "why was this customer not
contacted?" has an answer without exporting logs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from tenure.actions._config import load_actions_config
from tenure.actions._plan import plan_date
from tenure.errors import InputError
from tenure.results import Result

__all__ = ["ActionExplanation", "explain"]

OUTCOMES = {
    "planned": "chosen",
    "held_out": "held out",
    "withdrawn": "withdrawn",
}
GROUPS = {
    "control": "held out as the playbook's control group, so its effect can be measured",
    "global_control": "in the global holdout, which receives no marketing, so the "
                      "programme can be measured",
}


@dataclass(frozen=True)
class ActionExplanation(Result):
    """One row per playbook: playbook, outcome (``chosen``, ``held out``, ``sent`` and
    what came after, ``withdrawn``, ``not chosen``, ``not eligible``, ``disabled``),
    channel, expected_value, reason_code, why (the sentence), proposal (what the playbook
    saw) and tried (each channel tried and the rule it broke, where there were several)."""

    customer_id: str
    date: dt.date
    frame: pd.DataFrame

    @property
    def headline(self) -> dict[str, Any]:
        chosen = self.frame[self.frame["outcome"].isin(["chosen", "sent", "delivered",
                                                        "opened", "replied"])]
        return {"customer_id": self.customer_id, "date": self.date,
                "considered": int((self.frame["outcome"] != "disabled").sum()),
                "proposed": int(self.frame["proposal"].notna().sum()),
                "chosen": chosen["playbook"].tolist()}

    def lines(self) -> list[str]:
        h = self.headline
        said = [f"Customer {self.customer_id} on {self.date.isoformat()}: "
                f"{h['proposed']} of {h['considered']} playbooks proposed an action; "
                + (f"chosen: {', '.join(h['chosen'])}." if h["chosen"] else "none was chosen.")]
        for row in self.frame.itertuples(index=False):
            if row.outcome in ("not eligible", "disabled"):
                continue
            tried = f" (tried {row.tried})" if isinstance(row.tried, str) else ""
            said.append(f"{row.playbook}: {row.outcome}: {row.why}{tried}")
        return said


def explain(workspace, customer_id: str, date: Any) -> ActionExplanation:
    """Why each playbook did or did not act on ``customer_id`` on ``date`` (see the module
    docstring); the date must have been planned."""
    day = plan_date(date)
    con = workspace.connection
    if not con.execute("SELECT count(*) FROM action_runs WHERE plan_date = $d",
                       {"d": day}).fetchall()[0][0]:
        raise InputError(f"no plan was made for {day.isoformat()}; make one with `tenure "
                         f"actions plan --date {day.isoformat()}`")
    customer_id = str(customer_id)
    logged = con.execute("""
        SELECT playbook, status, "group", channel, expected_value, reason, note
        FROM action_log WHERE plan_date = $d AND customer_id = $c""",
                         {"d": day, "c": customer_id}).df()
    held = con.execute("""
        SELECT playbook, reason_code, reason, channel, expected_value, proposal, tried
        FROM action_suppressed WHERE plan_date = $d AND customer_id = $c""",
                       {"d": day, "c": customer_id}).df()
    config = load_actions_config(workspace)
    rows = []
    for name, settings in config.playbooks.items():
        row: dict[str, Any] = {"playbook": name, "outcome": "not eligible", "channel": None,
                               "expected_value": None, "reason_code": None, "proposal": None,
                               "why": "its rule did not select this customer on this date",
                               "tried": None}
        if not settings.enabled:
            row.update(outcome="disabled", why="disabled in tenure.toml")
        found = logged[logged["playbook"] == name]
        if len(found):
            r = found.iloc[0]
            row.update(outcome=OUTCOMES.get(r["status"], r["status"]), channel=r["channel"],
                       expected_value=r["expected_value"], proposal=r["reason"],
                       reason_code=r["group"] if r["status"] == "held_out" else None)
            if r["status"] == "held_out":
                row["why"] = GROUPS[r["group"]]
            elif r["status"] == "withdrawn":
                row["why"] = r["note"] or "withdrawn"
            else:
                row["why"] = (f"the highest expected value for this customer today, on "
                              f"{r['channel']}")
        suppressed = held[held["playbook"] == name]
        if len(suppressed):
            r = suppressed.iloc[0]
            row.update(outcome="not chosen", channel=r["channel"],
                       expected_value=r["expected_value"], reason_code=r["reason_code"],
                       why=r["reason"], proposal=r["proposal"], tried=r["tried"])
        rows.append(row)
    order = {"chosen": 0, "sent": 0, "delivered": 0, "opened": 0, "replied": 0,
             "refused": 0, "unsubscribed": 0, "held out": 1, "not chosen": 2, "withdrawn": 3,
             "not eligible": 4, "disabled": 5}
    frame = pd.DataFrame(rows, columns=["playbook", "outcome", "channel", "expected_value",
                                        "reason_code", "why", "proposal", "tried"])
    frame = frame.sort_values("outcome", key=lambda s: s.map(order), kind="stable")
    return ActionExplanation(customer_id, day, frame.reset_index(drop=True))
