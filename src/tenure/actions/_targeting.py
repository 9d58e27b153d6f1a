"""Uplift targeting: rank a playbook's proposals by each customer's predicted uplift instead
of the playbook's average effect.

``tenure actions lift --uplift`` fits, for each playbook with enough treated and control
customers, an :class:`~tenure.actions.UpliftModel` (X-learner) of its outcome on the
features of :mod:`tenure.actions._features`, judges it by its Qini area on held-out
customers, and saves it beside the workspace (``models/uplift/PLAYBOOK.pkl``, recorded in
``action_effects``). With ``actions.ranking = "uplift"`` the planner then uses each
proposed customer's predicted uplift as the effect in the expected value, so the customers
an action moves come first and those it would put off drop below the cost.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pyarrow as pa

from tenure.actions._features import FEATURES, unit_features_sql

__all__ = ["load_uplift", "model_file", "rank_by_uplift", "save_uplift"]


def model_file(workspace, playbook: str) -> Path:
    return workspace.path / "models" / "uplift" / f"{playbook}.pkl"


def save_uplift(workspace, playbook: str, model) -> Path:
    path = model_file(workspace, playbook)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(model))
    return path


def load_uplift(workspace, playbook: str):
    """The saved uplift model of ``playbook``, or None."""
    found = workspace.connection.execute("""
        SELECT model FROM action_effects WHERE playbook = $p AND model IS NOT NULL
        ORDER BY measured_on DESC LIMIT 1""", {"p": playbook}).fetchall()
    if not found:
        return None
    path = Path(found[0][0])
    if not path.is_absolute():
        path = workspace.path / path
    if not path.is_file():
        return None
    return pickle.loads(path.read_bytes())


def rank_by_uplift(ctx) -> None:
    """Replace the effect of each proposal of a playbook with an uplift model by the
    customer's predicted uplift (in ``_act_proposals``)."""
    con = ctx.workspace.connection
    used = []
    for pb in ctx.config.enabled:
        model = load_uplift(ctx.workspace, pb.name)
        if model is None:
            continue
        con.execute("""CREATE OR REPLACE TEMP TABLE _act_units AS
                       SELECT customer_id, CAST($d AS DATE) AS plan_date, value_at_stake
                       FROM _act_proposals WHERE playbook = $p""", {"d": ctx.date, "p": pb.name})
        features = con.execute(unit_features_sql("_act_units")).df()
        if not len(features):
            continue
        uplift = model.predict(features[list(FEATURES)].astype(float))
        con.register("_act_uplift_view", pa.table({
            "customer_id": features["customer_id"].astype(str).to_numpy(),
            "uplift": np.asarray(uplift, dtype=float)}))
        con.execute("""UPDATE _act_proposals SET effect = u.uplift, effect_source = 'uplift'
                       FROM _act_uplift_view u WHERE _act_proposals.playbook = $p
                       AND _act_proposals.customer_id = u.customer_id""", {"p": pb.name})
        con.unregister("_act_uplift_view")
        used.append(pb.name)
        ctx.effects[pb.name] = (float(np.mean(uplift)), "uplift")
    if used:
        ctx.notes.append("Ranked by predicted uplift: " + ", ".join(used) + ".")
