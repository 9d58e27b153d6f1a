"""Every chart tenure draws, in one place: Vega-Lite specifications built with Altair.

The analyses, models, churn and SLA results draw through these modules (each result's
``chart()``), and the command line, the service, the dashboard and the report show and
save what they return; one theme (:mod:`~tenure.charts._theme`) gives them one palette and
fonts that render Chinese. The functions take frames or results and compute nothing of
their own beyond the shape of the chart.

:func:`save` writes a chart as HTML that opens with no network (the Vega libraries
inlined), as Vega-Lite JSON, or as PNG or SVG pictures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenure.charts._theme import FONTS, PALETTE, altair, theme
from tenure.errors import InputError

__all__ = ["FONTS", "FORMATS", "PALETTE", "altair", "save", "theme"]

FORMATS = (".html", ".json", ".png", ".svg")


def save(chart: Any, path: str | Path) -> Path:
    """Write ``chart`` to ``path`` in the format its suffix names (see :data:`FORMATS`):
    HTML with the chart libraries inlined, so it opens without a network; Vega-Lite JSON;
    or a PNG or SVG picture."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: a chart is saved as {', '.join(FORMATS[:-1])} or "
                         f"{FORMATS[-1]}; give the file one of those endings")
    if chart is None:
        raise InputError(f"{path}: this result has no chart to save")
    if suffix == ".json":
        path.write_text(chart.to_json(), encoding="utf-8")
    elif suffix == ".html":
        chart.save(str(path), inline=True)
    else:
        chart.save(str(path), scale_factor=2 if suffix == ".png" else 1)
    return path
