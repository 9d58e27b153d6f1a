"""Every chart tenure draws, in one place: Vega-Lite specifications built with Altair.

The analyses, models, churn and SLA results draw through these modules (each result's
``chart()``), and the command line, the service, the dashboard and the report show and
save what they return; one theme (:mod:`~tenure.charts._theme`) gives them one palette and
fonts that render Chinese. The functions take frames or results and compute nothing of
their own beyond the shape of the chart.

:func:`save` writes a chart as HTML that opens with no network (the Vega libraries
inlined), as Vega-Lite JSON, or as PNG or SVG pictures; the pictures draw Chinese labels
with the system's Chinese fonts or, where there is none, with the subset of Noto Sans CJK
SC that ships with tenure, which an SVG carries inside it (the glyphs it uses).
"""

from __future__ import annotations

import io
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from tenure.charts._theme import BUNDLED_FONT, FONTS, PALETTE, altair, theme
from tenure.errors import InputError

__all__ = ["BUNDLED_FONT", "FONTS", "FORMATS", "PALETTE", "altair", "font_folder", "save",
           "theme"]

FORMATS = (".html", ".json", ".png", ".svg")


def font_folder() -> Path:
    """The folder of the Chinese font tenure ships (see :data:`BUNDLED_FONT`)."""
    return Path(str(files("tenure.charts").joinpath("fonts")))


@cache
def _register_fonts() -> None:
    """Give the PNG and SVG renderer tenure's Chinese font, once per process: it finds the
    system's fonts itself, and falls back on this one for what they lack."""
    import vl_convert

    vl_convert.register_font_directory(str(font_folder()))


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
    elif suffix == ".svg":
        from tenure.charts._embed import embed_font

        _register_fonts()
        drawn = io.StringIO()
        chart.save(drawn, format="svg")
        svg = embed_font(drawn.getvalue(), font_folder() / "TenureSansCJKsc-Regular.otf")
        path.write_text(svg, encoding="utf-8")
    else:
        _register_fonts()
        chart.save(str(path), scale_factor=2)
    return path

