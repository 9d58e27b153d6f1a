"""The model page's words when there is nothing to track."""

from __future__ import annotations

import pandas as pd

from tenure.customers import ModelOverview
from tenure.i18n import translate


def test_the_model_page_says_why_it_has_no_holdout_tracking():
    # One saved value model fitted on all the data: nothing held out, nothing to track.
    saved = pd.DataFrame({"kind": ["value"], "model": ["pnbd"], "calibration_end": [None]})
    said = ModelOverview(saved, pd.DataFrame(), None).lines()
    assert said[0] == "1 saved model" and "tenure fit --calibration-end" in said[1]
    assert translate(said[0], "zh") == "已保存 1 个模型"
    assert translate(said[1], "zh").startswith("还没有用留出期拟合的价值模型")
    tracked = ModelOverview(saved, pd.DataFrame({"period": [1]}), "pnbd").lines()
    assert tracked == ["1 saved model"]
    two = ModelOverview(pd.concat([saved, saved]), pd.DataFrame(), None).lines()
    assert two[0] == "2 saved models" and translate(two[0], "zh") == "已保存 2 个模型"
