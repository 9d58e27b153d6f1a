"""One look for every chart: a palette, fonts that render Chinese, and sizes.

Altair is imported only when a chart is drawn, so that the analyses and models do not load
a charting stack; :func:`altair` imports it and enables the theme once.
"""

from __future__ import annotations

from typing import Any

from tenure.errors import TenureError

__all__ = ["FONTS", "PALETTE", "altair", "theme"]

# Ten colours that stay apart for colour-blind readers (Okabe & Ito 2008, extended), in the
# order series take them.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
           "#000000", "#999999", "#882255")
# Fonts with Chinese glyphs first, so that labels such as 华东 or 新客 render wherever the
# chart is opened; the generic family last.
FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
         '"WenQuanYi Micro Hei", "Noto Sans", "Helvetica Neue", Arial, sans-serif')

_enabled = False


def theme() -> dict[str, Any]:
    """The Vega-Lite config every tenure chart shares."""
    return {"config": {
        "font": FONTS,
        "range": {"category": list(PALETTE)},
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
