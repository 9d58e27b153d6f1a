"""The lift report's sentences on a hand-made frame: what an inconclusive result still needs
is said in whole weeks, rounded up, never "0 more weeks"."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from tenure.actions import ActionLift
from tenure.actions._lift import LIFT_COLUMNS
from tenure.i18n import translate


def _lift(weeks: list[float]) -> ActionLift:
    rows = [{"playbook": "nurture", "metric": "purchased", "n_treated": 900, "n_control": 100,
             "treated_rate": 0.12, "control_rate": 0.10, "difference": 0.02,
             "ci_low": -0.005, "ci_high": 0.045, "incremental_revenue": 1800.0,
             "cost_per_retained": np.nan, "relative_lift": 0.2, "p_value": 0.2,
             "method": "newcombe", "verdict": "inconclusive", "weeks_needed": w}
            for w in weeks]
    return ActionLift(dt.date(2026, 1, 1), dt.date(2026, 1, 21), 30,
                      pd.DataFrame(rows, columns=LIFT_COLUMNS), len(rows))


def test_weeks_still_needed_are_whole_and_rounded_up():
    said = _lift([0.3, 1.0, 2.2, np.nan]).lines()[1:]
    # 0.3 of a week is a week to wait; 1.0 is one week; 2.2 become 3; unknown says nothing.
    assert [line.split(": inconclusive")[1] for line in said] == [
        "; about 1 more week at this pace.", "; about 1 more week at this pace.",
        "; about 3 more weeks at this pace.", "."]
    assert translate(said[0], "zh").endswith("尚无定论；按目前进度约还需1周。")
    assert translate(said[2], "zh").endswith("尚无定论；按目前进度约还需3周。")
