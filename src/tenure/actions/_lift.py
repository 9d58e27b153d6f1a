"""``lift(workspace)``: what each playbook, and the programme as a whole, achieved, measured
against its control group on outcomes read from the ingested tables.

**Units.** For a playbook, each customer's first action of it in the period (``since`` to
the last date whose window has ended), treated (``treatment``) or held out (``control``);
withdrawn actions do not count, and an action held out or planned counts the same whether
or not it was then sent: the comparison is by intention to treat, as assigned. For the
programme, each customer's first marketing action of the period, treated (any group but the
global holdout) against the global holdout, who received no marketing at all.

**Outcomes**, over the ``window`` days from the plan date: ``purchased`` (an order of
positive amount), ``retained`` (a purchase, or a membership still in force at the end of the
window), ``renewed`` (among customers holding a membership at the plan date, still holding
one at the end; only where both groups have such members), ``referred`` (for the referral
playbook: a new customer who names them as referrer) and ``revenue`` (net amount per
customer). The covariate for CUPED is each customer's spend in the year before the plan
date.

Each comparison is :func:`tenure.actions.compare`'s (Newcombe for the rates, Welch for
revenue, CUPED, the sample-ratio check against the planned holdout share, and the verdict with
the weeks still needed at the rate units arrived), worked from the moments of each playbook's
groups: the units are rolled up in the engine by one GROUP BY, so a year of action log for
millions of customers hands Python a few numbers per playbook, not a row per unit.
``incremental_revenue`` is the revenue difference times the treated customers;
``cost_per_retained`` the cost of the treated actions over the extra customers retained. The
measured lift of each playbook is written to ``action_effects`` for the planner's ranking (see
:mod:`tenure.actions._planner`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tenure._sql import bound
from tenure.actions._compare import Outcome, compare_moments
from tenure.actions._config import load_actions_config
from tenure.actions._features import FEATURES, unit_features_sql
from tenure.actions._moments import Moments
from tenure.actions._plan import plan_date
from tenure.actions._targeting import model_file, save_uplift
from tenure.errors import ConfigError, InputError
from tenure.progress import Progress, steps_of
from tenure.results import Result

__all__ = ["LIFT_COLUMNS", "ActionLift", "lift", "window_days"]

LIFT_COLUMNS = ["playbook", "metric", "n_treated", "n_control", "treated_rate", "control_rate",
                "difference", "ci_low", "ci_high", "incremental_revenue", "cost_per_retained",
                "relative_lift", "p_value", "method", "verdict", "weeks_needed"]
RATES = ("purchased", "retained", "renewed", "referred")
PROGRAMME = "programme"


def window_days(value: Any) -> int:
    """A window such as ``30d``, ``4w`` or 30 (days), in days."""
    text = str(value).strip().lower()
    try:
        days = int(text[:-1]) * 7 if text.endswith("w") else int(text.rstrip("d"))
    except ValueError:
        raise ConfigError(f"window {value!r} should be days or weeks such as 30d or 4w") from None
    if days < 1:
        raise ConfigError(f"window {value!r} should be at least one day")
    return days


@dataclass(frozen=True)
class ActionLift(Result):
    """Each playbook's lift and the programme's, per metric.

    ``frame``: playbook (``programme`` for the whole), metric, n_treated, n_control,
    treated_rate and control_rate (the means, for revenue), difference (treated - control,
    CUPED-adjusted), ci_low and ci_high (its 95% interval), incremental_revenue,
    cost_per_retained, relative_lift, p_value, method, verdict (``higher``, ``lower`` or
    ``inconclusive``; ``too few`` when a group is too small to compare) and weeks_needed.
    ``uplift``: with ``uplift=True``, each playbook's uplift model judged on held-out
    customers.
    """

    since: dt.date
    until: dt.date
    window: int
    frame: pd.DataFrame
    log_rows: int
    uplift: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def headline(self) -> dict[str, Any]:
        revenue = self.frame[self.frame["metric"] == "revenue"].set_index("playbook")
        programme = revenue.loc[PROGRAMME] if PROGRAMME in revenue.index else None
        playbooks = revenue.drop(index=PROGRAMME, errors="ignore")
        verdicts = self.frame[self.frame["playbook"] != PROGRAMME]["verdict"].value_counts()
        return {
            "since": self.since, "until": self.until, "window_days": self.window,
            "log_rows": self.log_rows,
            "playbooks": int(playbooks.shape[0]),
            "higher": int(verdicts.get("higher", 0)), "lower": int(verdicts.get("lower", 0)),
            "inconclusive": int(verdicts.get("inconclusive", 0)),
            "programme_incremental_revenue": None if programme is None
            else _number(programme["incremental_revenue"]),
            "playbooks_incremental_revenue": _number(playbooks["incremental_revenue"].sum())
            if len(playbooks) else None,
        }

    def lines(self) -> list[str]:
        h = self.headline
        said = [f"Lift of actions planned from {self.since.isoformat()} to "
                f"{self.until.isoformat()}, outcomes over {self.window} days: "
                f"{h['higher']} higher, {h['lower']} lower, {h['inconclusive']} inconclusive."]
        if h["programme_incremental_revenue"] is not None:
            said.append(f"The programme against the global holdout: "
                        f"{h['programme_incremental_revenue']:+,.0f} in revenue; the playbooks "
                        f"against their own controls add up to "
                        f"{h['playbooks_incremental_revenue'] or 0:+,.0f}.")
        for row in self.frame.itertuples(index=False):
            if row.metric == "revenue" or row.verdict == "too few":
                continue
            said.append(_sentence(row))
        return said

    def view(self) -> pd.DataFrame:
        return self.frame[["playbook", "metric", "n_treated", "n_control", "treated_rate",
                           "control_rate", "difference", "ci_low", "ci_high",
                           "incremental_revenue", "verdict"]]

    def extra_tables(self) -> dict[str, pd.DataFrame]:
        return {"uplift": self.uplift} if len(self.uplift) else {}

    def panels(self) -> list[tuple[str, pd.DataFrame]]:
        shown = [("Lift by playbook and metric", self.view())]
        if len(self.uplift):
            shown.append(("Uplift models on held-out customers", self.uplift))
        return shown

    def chart(self):
        from tenure.charts._actions import lift_chart

        return lift_chart(self)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _sentence(row) -> str:
    scale, unit = (100, " points") if row.metric in RATES else (1, "")
    diff = f"{row.difference * scale:+.2f}{unit}"
    interval = f"({row.ci_low * scale:+.2f} to {row.ci_high * scale:+.2f})"
    text = (f"{row.playbook}, {row.metric}: {row.treated_rate:.2%} treated against "
            f"{row.control_rate:.2%} held out, {diff} {interval}: {row.verdict}")
    if row.verdict == "inconclusive" and row.weeks_needed == row.weeks_needed \
            and row.weeks_needed is not None:
        # Whole weeks, rounded up: a fraction of a week still to wait is a week, not "0".
        weeks = max(1, math.ceil(row.weeks_needed))
        text += f"; about {weeks:,} more {'week' if weeks == 1 else 'weeks'} at this pace"
    return text + "."


def lift(workspace, since: Any = None, until: Any = None, window: Any = "30d", *,
         uplift: bool = False, write: bool = True, progress: Progress = None) -> ActionLift:
    """Measure each playbook and the programme (see the module docstring) over actions
    planned from ``since`` (default: the first in the log) to ``until`` (default: the last
    date whose ``window`` has ended by the latest order). ``uplift`` also fits each
    playbook's uplift model and judges it on held-out customers; ``write`` records the
    measured effects (and models) for the planner."""
    days = window_days(window)
    config = load_actions_config(workspace)
    con = workspace.connection
    with steps_of(progress, 4 + uplift) as step:
        step("the action log")
        first, last_log, rows = con.execute(
            "SELECT min(plan_date), max(plan_date), count(*) FROM action_log").fetchall()[0]
        if not rows:
            raise InputError("the action log is empty; plan some days first with "
                             "`tenure actions plan --date D`")
        last_order = con.execute("SELECT max(CAST(ordered_at AS DATE)) FROM orders"
                                 ).fetchall()[0][0]
        start = plan_date(since, "since") if since is not None else first
        ended = (last_order - dt.timedelta(days=days - 1)) if last_order else first
        end = plan_date(until, "until") if until is not None else min(ended, last_log)
        if end < start:
            raise InputError(f"no action planned from {start.isoformat()} has had its "
                             f"{days}-day window end by the latest order "
                             f"({last_order}); wait for more data or shorten --window")
        step("outcomes")
        rollup = _rollup(con, start, end, days)
        step("comparisons")
        weeks = max((end - start).days + 1, 7) / 7
        frame = _compare_all(rollup, config, weeks)
        uplift_frame = pd.DataFrame()
        if uplift:
            step("uplift models")
            uplift_frame = _fit_uplift(workspace, _units(con, start, end, days), config, end)
        if write:
            step("recording the measured effects")
            _record_effects(workspace, frame, uplift_frame, end, days)
    return ActionLift(start, end, days, frame, int(rows), uplift_frame)


def _unit_sql(con) -> str:
    """The query of one row per unit (playbook or programme) with its group, cost,
    outcomes and pre-period spend; parameters ``$start``, ``$end`` and ``$days``."""
    has_members = con.execute("SELECT count(*) FROM memberships").fetchall()[0][0] > 0
    # Membership in force at the plan date and at the end of the window, by one join of the
    # units with their customers' memberships (a handful each) and one aggregation.
    members = """
    members AS (
        SELECT u.unit,
               bool_or(CAST(m.started_at AS DATE) <= u.plan_date
                       AND (m.ended_at IS NULL OR CAST(m.ended_at AS DATE) > u.plan_date))
                   AS member_before,
               bool_or(CAST(m.started_at AS DATE) <= u.plan_date + $days
                       AND (m.ended_at IS NULL
                            OR CAST(m.ended_at AS DATE) > u.plan_date + $days))
                   AS member_after
        FROM u JOIN memberships m ON m.customer_id = u.customer_id
        GROUP BY u.unit
    ),""" if has_members else """
    members AS (
        SELECT NULL::BIGINT AS unit, false AS member_before, false AS member_after WHERE false
    ),"""
    # Each unit's first action by one aggregation (a window over millions of wide rows
    # sorts them all); the outcomes by one join of the units with their customers' days of
    # orders in the reach of the window and the year before, aggregated per unit by a
    # number of its own (hashing a number is far quicker than two texts).
    return f"""
    WITH first AS (
        SELECT customer_id, playbook, min(plan_date) AS plan_date,
               arg_min("group", plan_date) AS "group", arg_min(cost, plan_date) AS cost
        FROM action_log
        WHERE plan_date BETWEEN $start AND $end AND status <> 'withdrawn'
          AND "group" IN ('treatment', 'control')
        GROUP BY customer_id, playbook
    ),
    programme AS (
        -- The global holdout is drawn per customer and period, so a customer's actions of
        -- one day are all in it or all out of it: the first day decides.
        SELECT customer_id, '{PROGRAMME}' AS playbook, min(plan_date) AS plan_date,
               CASE WHEN arg_min("group" = 'global_control', plan_date)
                    THEN 'control' ELSE 'treatment' END AS "group", 0.0 AS cost
        FROM action_log
        WHERE plan_date BETWEEN $start AND $end AND status <> 'withdrawn'
          AND kind = 'marketing'
        GROUP BY customer_id
    ),
    u AS (SELECT row_number() OVER () AS unit, *
          FROM (SELECT * FROM first UNION ALL SELECT * FROM programme)),
    days AS (
        SELECT customer_id, CAST(ordered_at AS DATE) AS day, amount
        FROM orders
        WHERE ordered_at >= CAST($start - 365 AS TIMESTAMP)
          AND ordered_at < CAST($end + $days AS TIMESTAMP)
    ),
    per AS (
        SELECT u.unit,
               coalesce(max(CASE WHEN d.day >= u.plan_date THEN d.amount > 0 END), false)
                   AS purchased,
               coalesce(sum(CASE WHEN d.day >= u.plan_date THEN d.amount END), 0) AS revenue,
               coalesce(sum(CASE WHEN d.day < u.plan_date THEN d.amount END), 0) AS pre_spend
        FROM u JOIN days d ON d.customer_id = u.customer_id
             AND d.day >= u.plan_date - 365 AND d.day < u.plan_date + $days
        GROUP BY u.unit
    ),
    referred AS (
        SELECT u.customer_id, count(c.customer_id) > 0 AS referred
        FROM (SELECT DISTINCT customer_id, plan_date FROM u WHERE playbook = 'referral_ask') u
        JOIN customers c ON c.referrer_id = u.customer_id
             AND CAST(c.first_seen AS DATE) >= u.plan_date
             AND CAST(c.first_seen AS DATE) < u.plan_date + $days
        GROUP BY ALL
    ),
    {members}
    units AS (
        SELECT u.playbook, u.customer_id, u.plan_date, u."group", u.cost,
               coalesce(per.purchased, false) AS purchased, coalesce(per.revenue, 0) AS revenue,
               coalesce(per.pre_spend, 0) AS pre_spend,
               coalesce(r.referred, false) AS referred,
               coalesce(m.member_before, false) AS member_before,
               coalesce(m.member_after, false) AS member_after,
               coalesce(per.purchased, false) OR coalesce(m.member_after, false) AS retained
        FROM u LEFT JOIN per USING (unit)
        LEFT JOIN referred r ON r.customer_id = u.customer_id AND u.playbook = 'referral_ask'
        LEFT JOIN members m USING (unit)
    )
    """


def _units(con, start: dt.date, end: dt.date, days: int) -> pd.DataFrame:
    """One row per unit (see :func:`_unit_sql`), computed in the engine: what the uplift
    models learn from."""
    sql = _unit_sql(con) + "SELECT * FROM units"
    return con.execute(sql, bound(sql, {"start": start, "end": end, "days": days})).df()


# Per playbook and group, what the comparisons read: the moments of each outcome (as a
# number), of the pre-period spend and between them, over all units and, for ``renewed``,
# over the units who held a membership at the plan date.
_OUTCOMES = ("purchased", "retained", "referred", "revenue")


def _rollup(con, start: dt.date, end: dt.date, days: int) -> pd.DataFrame:
    """The units rolled up in the engine: one row per playbook and group with n, cost and
    the moments (``*_mean``, ``*_var``, ``*_cov`` with the pre-period spend) of each
    outcome, of the spend itself (``x_*``) and, among members (``m_n``), of renewal
    (``renewed_*``, ``m_x_*``)."""
    moments = []
    for name in _OUTCOMES:
        y = f"CAST({name} AS DOUBLE)"
        moments += [f"avg({y}) AS {name}_mean", f"var_samp({y}) AS {name}_var",
                    f"covar_samp({y}, pre_spend) AS {name}_cov"]
    member = "FILTER (WHERE member_before)"
    sql = _unit_sql(con) + f"""
    SELECT playbook, "group", count(*) AS n, sum(cost) AS cost,
           avg(pre_spend) AS x_mean, var_samp(pre_spend) AS x_var,
           {", ".join(moments)},
           bool_and(revenue IN (0, 1)) AS revenue_rate,
           count(*) {member} AS m_n,
           avg(CAST(member_after AS DOUBLE)) {member} AS renewed_mean,
           var_samp(CAST(member_after AS DOUBLE)) {member} AS renewed_var,
           covar_samp(CAST(member_after AS DOUBLE), pre_spend) {member} AS renewed_cov,
           avg(pre_spend) {member} AS m_x_mean, var_samp(pre_spend) {member} AS m_x_var
    FROM units GROUP BY playbook, "group" ORDER BY playbook, "group"
    """
    frame = con.execute(sql, bound(sql, {"start": start, "end": end, "days": days})).df()
    numbers = frame.columns.difference(["playbook", "group", "revenue_rate"])
    frame[numbers] = frame[numbers].astype(float)
    return frame


def _compare_all(rollup: pd.DataFrame, config, weeks: float) -> pd.DataFrame:
    rows = []
    for name, groups in rollup.groupby("playbook", sort=True):
        if name == PROGRAMME:
            share = config.global_holdout
        else:
            share = config.playbooks[name].holdout if name in config.playbooks else 0.1
        metrics = ["purchased", "retained"]
        if name == "referral_ask":
            metrics.append("referred")
        rows += _compare_one(name, groups.set_index("group"), metrics, share, weeks)
    frame = pd.DataFrame(rows, columns=LIFT_COLUMNS)
    order = {PROGRAMME: 0}
    return frame.sort_values(["playbook", "metric"], key=lambda s: s.map(
        lambda v: (order.get(v, 1), v)) if s.name == "playbook" else s, kind="stable"
    ).reset_index(drop=True)


def _compare_one(name: str, groups: pd.DataFrame, metrics: list[str], share: float,
                 weeks: float) -> list[dict[str, Any]]:
    """The comparisons of one playbook from its roll-up (``groups``: one row per group)."""
    def of(group: str, column: str) -> float:
        return float(groups.loc[group, column]) if group in groups.index else 0.0

    n_t, n_c = int(of("treatment", "n")), int(of("control", "n"))
    cost = of("treatment", "cost")
    if min(of("treatment", "m_n"), of("control", "m_n")) >= 50:
        metrics = [*metrics, "renewed"]
    if min(n_t, n_c) < 50 or share <= 0:
        return [_empty(name, m, n_t, n_c) for m in [*metrics, "revenue"]]
    expected = {"control": share, "treatment": 1 - share}
    arrivals = (n_t + n_c) / weeks
    table = _table(groups, [m for m in metrics if m != "renewed"] + ["revenue"], expected,
                   arrivals)
    if "renewed" in metrics:
        table = pd.concat([table, _table(groups, ["renewed"], expected, arrivals,
                                         members=True)])
    incremental = float(table.loc["revenue", "difference"]) * n_t
    retained_extra = float(table.loc["retained", "difference"]) * n_t
    rows = []
    for metric in [*metrics, "revenue"]:
        r = table.loc[metric]
        rows.append({
            "playbook": name, "metric": metric, "n_treated": int(r["n_treated"]),
            "n_control": int(r["n_control"]), "treated_rate": float(r["treated_mean"]),
            "control_rate": float(r["control_mean"]), "difference": float(r["difference"]),
            "ci_low": float(r["ci_low"]), "ci_high": float(r["ci_high"]),
            "incremental_revenue": incremental,
            "cost_per_retained": cost / retained_extra if retained_extra > 0 else np.nan,
            "relative_lift": float(r["relative_lift"]), "p_value": float(r["p_value"]),
            "method": str(r["method"]), "verdict": str(r["verdict"]),
            "weeks_needed": float(r["weeks_needed"]) if pd.notna(r["weeks_needed"])
            else np.nan,
        })
    return rows


def _table(groups: pd.DataFrame, outcomes: list[str], expected: dict[str, float],
           arrivals: float, *, members: bool = False) -> pd.DataFrame:
    """compare() of treatment against control on ``outcomes``, from the roll-up's moments
    (over the members alone with ``members``), by outcome, with the CUPED figures in place
    of the plain ones when the pre-period spend varies in both groups."""
    order = ["control", "treatment"]
    rows = groups.loc[order]
    n = rows["m_n" if members else "n"].to_numpy(dtype=float)

    def moments(prefix: str) -> Moments:
        var = rows[f"{prefix}_var"].to_numpy(dtype=float)
        return Moments(n, rows[f"{prefix}_mean"].to_numpy(dtype=float),
                       np.where(np.isnan(var), 0.0, var))

    x = moments("m_x" if members else "x")
    varies = bool(x.var.min() > 0)
    summaries = {}
    for outcome in outcomes:
        rate = outcome != "revenue" or bool(rows["revenue_rate"].all())
        cov = rows[f"{outcome}_cov"].to_numpy(dtype=float) if varies else None
        summaries[outcome] = Outcome(moments(outcome), rate, cov)
    result = compare_moments(order, "control", summaries, x if varies else None,
                             group="group", covariate="pre_spend" if varies else None,
                             expected=expected, weekly=arrivals)
    table = result.frame.set_index("outcome")
    if varies:
        for column in ("difference", "ci_low", "ci_high", "p_value"):
            table[column] = table[f"adjusted_{column}"]
        table["method"] = "cuped " + table["method"]
    return table


def _empty(name: str, metric: str, n_t: int, n_c: int) -> dict[str, Any]:
    return {"playbook": name, "metric": metric, "n_treated": n_t, "n_control": n_c,
            "treated_rate": np.nan, "control_rate": np.nan, "difference": np.nan,
            "ci_low": np.nan, "ci_high": np.nan, "incremental_revenue": np.nan,
            "cost_per_retained": np.nan, "relative_lift": np.nan, "p_value": np.nan,
            "method": "", "verdict": "too few", "weeks_needed": np.nan}


def _fit_uplift(workspace, units: pd.DataFrame, config, end: dt.date) -> pd.DataFrame:
    """Each playbook's uplift model (X-learner on the features at each action's date),
    fitted on 70% of its units and judged by its Qini area on the other 30%."""
    from tenure.actions._qini import qini_auc, uplift_at_k
    from tenure.actions._uplift import UpliftModel

    con = workspace.connection
    rows = []
    for name, group in units.groupby("playbook"):
        if name == PROGRAMME or name not in config.playbooks:
            continue
        counts = group["group"].value_counts()
        if min(counts.get("treatment", 0), counts.get("control", 0)) < config.min_measured:
            continue
        outcome = config.playbooks[name].playbook.outcome
        outcome = outcome if outcome in group.columns else "purchased"
        keys = group[["customer_id", "plan_date"]].assign(value_at_stake=0.0)
        con.register("_act_units_view", keys)
        features = con.execute(unit_features_sql("_act_units_view")).df()
        con.unregister("_act_units_view")
        data = group.merge(features.drop(columns=["value_at_stake"]),
                           on=["customer_id", "plan_date"])
        stake = con.execute("""SELECT customer_id, plan_date, value_at_stake FROM action_log
                               WHERE playbook = $p""", {"p": name}).df()
        data = data.merge(stake, on=["customer_id", "plan_date"], how="left")
        data["value_at_stake"] = data["value_at_stake"].fillna(0.0)
        rng = np.random.default_rng(0)
        test = rng.random(len(data)) < 0.3
        X = data[list(FEATURES)].astype(float)
        treated = (data["group"] == "treatment").to_numpy()
        y = data[outcome].astype(float).to_numpy()
        model = UpliftModel(method="x_learner").fit(X[~test], treated[~test], y[~test])
        score = model.predict(X[test])
        rows.append({"playbook": name, "outcome": outcome, "units": len(data),
                     "held_out": int(test.sum()),
                     "qini_auc": qini_auc(score, treated[test], y[test]),
                     "uplift_top_20%": uplift_at_k(score, treated[test], y[test], 0.2),
                     "uplift_all": uplift_at_k(np.zeros(test.sum()), treated[test], y[test],
                                               1.0),
                     "model": str(model_file(workspace, name).relative_to(workspace.path))})
        save_uplift(workspace, name, model)
    return pd.DataFrame(rows)


def _record_effects(workspace, frame: pd.DataFrame, uplift: pd.DataFrame, end: dt.date,
                    days: int) -> None:
    """Each playbook's measured difference per metric (and its uplift model) into
    ``action_effects``, measured on ``end``."""
    z = 1.959963984540054
    rows = frame[(frame["playbook"] != PROGRAMME) & frame["difference"].notna()]
    models = dict(zip(uplift.get("playbook", []), uplift.get("model", []), strict=True))
    outcomes = dict(zip(uplift.get("playbook", []), uplift.get("outcome", []), strict=True))
    table = pd.DataFrame({
        "playbook": rows["playbook"], "metric": rows["metric"], "measured_on": end,
        "window_days": days, "n_treated": rows["n_treated"], "n_control": rows["n_control"],
        "estimate": rows["difference"], "std_error": (rows["ci_high"] - rows["ci_low"]) / (2 * z),
        "model": [models.get(p) if outcomes.get(p) == m else None
                  for p, m in zip(rows["playbook"], rows["metric"], strict=True)]})
    with workspace.transaction() as con:
        con.execute("DELETE FROM action_effects WHERE measured_on = $d", {"d": end})
        if len(table):
            con.register("_act_effects_view", table)
            con.execute("INSERT INTO action_effects (playbook, metric, measured_on, "
                        "window_days, n_treated, n_control, estimate, std_error, model) "
                        "SELECT playbook, metric, "
                        "CAST(measured_on AS DATE), window_days, n_treated, n_control, "
                        "estimate, std_error, model FROM _act_effects_view")
            con.unregister("_act_effects_view")
