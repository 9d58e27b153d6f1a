"""A Chinese font inside every SVG tenure saves, so that it reads the same on any machine.

A PNG is drawn with tenure's font; an SVG only names fonts, and a viewer without a Chinese
one shows empty boxes. The SVG therefore carries the glyphs it uses: the bundled font cut
down to the characters of the picture (a few kilobytes for a chart's labels), as an
``@font-face`` under the name the charts already list (:data:`BUNDLED_FONT`). A machine with
one of the Chinese fonts listed before it still uses its own.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

from tenure.charts._theme import BUNDLED_FONT

__all__ = ["embed_font"]

_OPENING = re.compile(r"<svg\b[^>]*>")


def embed_font(svg: str, font: Path) -> str:
    """``svg`` with the glyphs of its non-ASCII characters from ``font`` embedded (WOFF, in
    a data URL); unchanged when it has none."""
    wanted = {ch for ch in svg if ord(ch) > 0x7F}
    opening = _OPENING.search(svg)
    if not wanted or opening is None:
        return svg
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    cutter = subset.Subsetter(options)
    face = subset.load_font(str(font), options)
    cutter.populate(text="".join(sorted(wanted)) + "".join(map(chr, range(0x20, 0x7F))))
    cutter.subset(face)
    out = io.BytesIO()
    subset.save_font(face, out, options)
    data = base64.b64encode(out.getvalue()).decode("ascii")
    style = (f'<defs><style>@font-face {{ font-family: "{BUNDLED_FONT}"; '
             f'src: url(data:font/woff;base64,{data}) format("woff"); }}</style></defs>')
    return svg[:opening.end()] + style + svg[opening.end():]
