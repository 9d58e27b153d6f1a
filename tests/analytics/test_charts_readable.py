"""Charts people can open: readable colours, no more series than colours, and a Chinese font
that ships with tenure for the pictures."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd
import pytest

from tenure.analytics import cohort_retention
from tenure.charts import BUNDLED_FONT, font_folder
from tenure.charts._analytics import trend
from tenure.charts._theme import MAX_SERIES

from .conftest import make_orders

# Two January customers: A comes back in March, B never does (its February refund is not
# activity). So the January cohort is 100% at age 0, 0% at age 1 and 50% at age 2; C's
# February cohort is 100% at age 0 and then 0%.
ORDERS = make_orders(
    ("A", "2024-01-05", 100.0),
    ("A", "2024-03-02", 80.0),
    ("B", "2024-01-31", 60.0),
    ("B", "2024-02-10", -60.0),
    ("C", "2024-02-14", 40.0),
    ("C", "2024-04-01", -5.0),
)


def test_the_cohort_heatmap_scale_spans_the_later_ages_not_the_100_percent_at_age_zero():
    spec = cohort_retention(ORDERS).chart().to_dict()
    scale = spec["encoding"]["color"]["scale"]
    # The largest retention after age 0 is January's 50% at age 2: the darkest colour is
    # 50%, and age 0 (100% by definition) is clamped to it.
    assert scale["domain"] == [0, 0.5]
    assert scale["clamp"] is True


def test_more_series_than_colours_keep_the_largest_and_fold_the_rest_into_other():
    # Twelve channels, channel k with k+1 customers in one period: the nine largest (4..12)
    # keep a colour each and channels 1, 2 and 3 become "other" (1 + 2 + 3 = 6 customers).
    frame = pd.DataFrame({"period": pd.Timestamp("2024-01-01"),
                          "channel": [f"c{k:02d}" for k in range(1, 13)],
                          "customers": range(1, 13)})
    spec = trend(frame, "customers", "channel", title="t").to_dict()
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert data["channel"].nunique() == MAX_SERIES == 10
    assert data.loc[data["channel"] == "other", "customers"].sum() == 6
    assert data["customers"].sum() == 78  # nothing lost: 1 + ... + 12


def test_the_bundled_font_covers_every_chinese_character_tenure_prints_and_ships_its_licence():
    ttlib = pytest.importorskip("fontTools.ttLib")
    fonts = list(font_folder().glob("*.otf"))
    assert len(fonts) == 1
    font = ttlib.TTFont(fonts[0])
    assert font["name"].getDebugName(1) == BUNDLED_FONT
    covered = set(font.getBestCmap())
    used = set()
    for catalog in files("tenure.i18n").joinpath("zh").iterdir():
        if catalog.name.endswith(".toml"):
            used |= {ord(c) for c in catalog.read_text(encoding="utf-8") if ord(c) >= 0x2E80}
    used |= {ord(c) for c in "华东华南新客老客"}
    assert not sorted(chr(c) for c in used - covered)
    licence = (font_folder() / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence.upper() and "Noto Sans CJK SC" in licence


def test_an_svg_carries_the_glyphs_of_its_chinese_labels(tmp_path):
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    from tenure.charts import save

    frame = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-02-01"] * 2),
                          "region": ["华东", "华东", "华南", "华南"], "customers": [3, 4, 5, 6]})
    path = save(trend(frame, "customers", "region", title="按地区的客户数"),
                tmp_path / "chart.svg")
    svg = path.read_text(encoding="utf-8")
    assert "华东" in svg and "华南" in svg
    found = re.search(r'@font-face \{ font-family: "([^"]+)"; src: url\(data:font/woff;base64,'
                      r'([A-Za-z0-9+/=]+)\)', svg)
    assert found and found.group(1) == BUNDLED_FONT
    font = TTFont(io.BytesIO(base64.b64decode(found.group(2))))
    covered = set(map(chr, font.getBestCmap()))
    # Every Chinese character of the picture, and not the other 3,700 of the bundled font.
    used = {ch for ch in svg[:found.start()] + svg[found.end():] if ord(ch) > 0x7F}
    assert used and used <= covered
    assert len(covered) < 200
    # A picture with no character beyond ASCII carries no font.
    plain = save(trend(frame.assign(region=["east", "east", "south", "south"]), "customers",
                       "region", title="t"), tmp_path / "plain.svg")
    assert "@font-face" not in plain.read_text(encoding="utf-8")
