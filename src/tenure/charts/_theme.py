"""One look for every chart: a palette, the colours that carry a meaning, fonts that render
Chinese, and sizes.

Altair is imported only when a chart is drawn, so that the analyses and models do not load
a charting stack; :func:`altair` imports it and enables the theme once.

Fonts: a chart names the usual Chinese fonts of each system first (Noto Sans CJK and Source
Han Sans on Linux, PingFang on macOS, Microsoft YaHei on Windows), then the subset of Noto
Sans CJK SC that ships with tenure (:data:`BUNDLED_FONT`), registered with the PNG and SVG
renderer by :func:`tenure.charts.save`, so that Chinese labels render in pictures on a
machine with no Chinese font at all.
"""

from __future__ import annotations

from typing import Any

from tenure.errors import TenureError

__all__ = ["BUNDLED_FONT", "FONTS", "GAIN", "LOSS", "MAX_SERIES", "NEUTRAL", "PALETTE",
           "SEQUENTIAL", "STATE_COLORS", "altair", "theme"]

# Ten colours that stay apart for colour-blind readers (Okabe & Ito 2008, extended), in the
# order series take them. A chart never gives more than MAX_SERIES series a colour each:
# beyond that it draws small multiples or the largest few and "other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
           "#000000", "#999999", "#882255")
MAX_SERIES = len(PALETTE)
# Colours that mean something wherever they appear, from the same palette.
GAIN, LOSS, NEUTRAL = "#009E73", "#D55E00", "#999999"
STATE_COLORS = {"new": "#009E73", "active": "#0072B2", "resurrected": "#56B4E9",
                "at_risk": "#E69F00", "churned": "#D55E00", "dormant": "#999999"}
# The scheme of every heat map: light for little, dark for much.
SEQUENTIAL = "blues"
# The Chinese font tenure ships (a subset of Noto Sans CJK SC: the 3,755 most common
# characters, punctuation and Latin), in the folder beside this module.
BUNDLED_FONT = "Tenure Sans CJK SC"
# Fonts with Chinese glyphs first, so that labels such as 华东 or 新客 render wherever the
# chart is opened; the generic family last.
FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
         f'"WenQuanYi Micro Hei", "{BUNDLED_FONT}", "Noto Sans", "Helvetica Neue", Arial, '
         'sans-serif')

_enabled = False


def theme() -> dict[str, Any]:
    """The Vega-Lite config every tenure chart shares."""
    return {"config": {
        "font": FONTS,
        "range": {"category": list(PALETTE), "heatmap": {"scheme": SEQUENTIAL}},
        "mark": {"color": PALETTE[0]},
        "bar": {"color": PALETTE[0]},
        "line": {"color": PALETTE[0]},
        "point": {"color": PALETTE[0]},
        "rule": {"color": NEUTRAL},
        "view": {"continuousWidth": 480, "continuousHeight": 300, "stroke": None},
        "title": {"fontSize": 14, "anchor": "start", "font": FONTS},
        "axis": {"labelFont": FONTS, "titleFont": FONTS, "labelFontSize": 11,
                 "titleFontSize": 12, "gridColor": "#e6e6e6"},
        "legend": {"labelFont": FONTS, "titleFont": FONTS, "labelLimit": 240},
        "header": {"labelFont": FONTS, "titleFont": FONTS},
    }}


def altair() -> Any:
    """Altair, with the tenure theme enabled."""
    global _enabled
    try:
        import altair as alt
    except ImportError:  # pragma: no cover - altair is a dependency
        raise TenureError("charts need Altair; install it with `pip install altair`") from None
    if not _enabled:
        alt.theme.register("tenure", enable=True)(theme)
        _enabled = True
    return alt
