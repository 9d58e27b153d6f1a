"""A result as a screen shows it, in English or Chinese: its sentences, its chart as a
Vega-Lite specification, and its tables as formatted rows. The dashboard and the HTML
report both render results through here, with the same templates."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from tenure.customers._overview import LABELS
from tenure.i18n import translate, word
from tenure.results import Result

__all__ = ["STATIC", "Table", "cell", "chart_spec", "environment", "script_json", "static",
           "table", "translate_spec"]

# The JavaScript and style sheet every page and report carries, shipped in the package.
STATIC = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "htmx.min.js",
          "charts.js", "tenure.css")
# Keys of a Vega-Lite specification whose text a reader sees.
_TEXT_KEYS = ("title", "text", "subtitle")


@cache
def static(name: str) -> str:
    """The text of a shipped static file."""
    if name not in STATIC:
        raise KeyError(name)
    return files("tenure.report").joinpath("static", name).read_text(encoding="utf-8")


def environment(*extra: jinja2.BaseLoader) -> jinja2.Environment:
    """The Jinja environment of the report's templates (and ``extra`` loaders first):
    every value escaped unless a template says otherwise."""
    loaders = [*extra, jinja2.PackageLoader("tenure.report", "templates")]
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["script_json"] = script_json
    env.globals["static"] = static
    return env


def script_json(value: Any) -> str:
    """``value`` as JSON safe inside a ``<script type="application/json">`` block: no
    ``<``, ``>`` or ``&`` that could close it or start markup."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def translate_spec(spec: Any, language: str) -> Any:
    """A Vega-Lite specification with its titles in ``language`` (the data untouched)."""
    if language == "en":
        return spec
    if isinstance(spec, dict):
        out = {}
        for key, value in spec.items():
            if key in ("data", "datasets"):
                out[key] = value
            elif key in _TEXT_KEYS and isinstance(value, str):
                out[key] = translate(value, language)
            elif key in _TEXT_KEYS and isinstance(value, list) and all(
                    isinstance(v, str) for v in value):
                out[key] = [translate(v, language) for v in value]
            else:
                out[key] = translate_spec(value, language)
        return out
    if isinstance(spec, list):
        return [translate_spec(v, language) for v in spec]
    return spec


def chart_spec(result: Result, language: str) -> dict[str, Any] | None:
    """The chart of ``result`` as a Vega-Lite specification in ``language``, or None."""
    drawn = result.vega_lite()
    if drawn is None:
        return None
    spec = translate_spec(drawn, language)
    if language != "en":
        _label_words(spec, language)
    return spec


_LOOKUP = ("isString(datum.label) && tenure_words[datum.label] ? tenure_words[datum.label] "
           ": datum.label")


def _label_words(spec: dict[str, Any], language: str) -> None:
    """Axis, legend and facet labels that are words the catalog knows (states, metrics,
    flows) shown in ``language``: the data keep their values, so that the chart's own
    rules on them still hold."""
    from tenure.i18n import catalog

    spec.setdefault("params", []).append({"name": "tenure_words",
                                          "value": catalog(language).words})
    config = spec.setdefault("config", {})
    for part in ("axis", "legend", "header"):
        config.setdefault(part, {}).setdefault("labelExpr", _LOOKUP)


def cell(value: Any, language: str = "en") -> str:
    """One value of a table as text: numbers to a sensible precision, times without
    seconds' noise, missing values empty, known words translated."""
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return word("yes" if value else "no", language)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return ""
        if math.isinf(number):
            return "∞" if number > 0 else "-∞"
        if number != 0 and abs(number) < 1:
            return f"{number:.3f}"
        return f"{number:,.2f}" if abs(number) < 1e6 else f"{number:,.0f}"
    if isinstance(value, pd.Timestamp | dt.datetime):
        if pd.isna(value):
            return ""
        return (value.strftime("%Y-%m-%d") if (value.hour, value.minute, value.second) ==
                (0, 0, 0) else value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, pd.Timedelta | dt.timedelta):
        return str(value)
    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(cell(v, language) for v in value)
    text = str(value)
    # Short words (states, bands, flows) are translated; ids, names and figures are not.
    known = len(text) < 40 and text.replace("_", "").replace(" ", "").isascii() and \
        text.replace("_", "").replace(" ", "").isalpha()
    return word(text, language) if known else text


@dataclass(frozen=True)
class Table:
    """A page of one table, ready for a template."""

    title: str
    columns: list[str]
    keys: list[str]
    rows: list[list[str]]
    raw: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1


def table(title: str, frame: pd.DataFrame, language: str, *, page: int = 1,
          size: int | None = None) -> Table:
    """Rows ``page`` of ``frame`` (``size`` a page; all of them without), formatted."""
    total = len(frame)
    if size:
        pages = max(1, math.ceil(total / size))
        page = min(max(1, page), pages)
        shown = frame.iloc[(page - 1) * size: page * size]
    else:
        pages, shown = 1, frame
    keys = [str(c) for c in frame.columns]
    rows = [[cell(v, language) for v in row] for row in shown.itertuples(index=False)]
    raw = [dict(zip(keys, row, strict=True)) for row in shown.itertuples(index=False)]
    return Table(translate(title, language) if title else "", [word(k, language) for k in keys],
                 keys, rows, raw, total, page, pages)


# How each figure of the overview reads: its label and how to show it.
_TILE_FORMATS = {"active_customers": "{:,.0f}", "net_change": "{:+,.0f}",
                 "quick_ratio": "{:.2f}", "retention": "{:.1%}", "top_revenue_share": "{:.1%}",
                 "value_at_risk": "{:,.0f}", "sla_compliance": "{:.1%}"}


def tiles(headline: dict[str, Any], better: dict[str, bool], language: str
          ) -> list[dict[str, str]]:
    """The overview's figures as tiles: label, value, and the change since the period
    before, marked up or down by whether more is better."""
    shown = []
    for metric, fmt in _TILE_FORMATS.items():
        value = headline.get(metric)
        change = headline.get(f"{metric}_change")
        tile = {"metric": metric, "label": translate(LABELS[metric], language),
                "value": "–" if value is None else fmt.format(value), "change": "",
                "direction": ""}
        if change is not None and value is not None:
            step = fmt.replace("{:", "{:+") if "+" not in fmt else fmt
            tile["change"] = step.format(change)
            good = (change >= 0) == better.get(metric, True)
            tile["direction"] = "up" if good else "down"
        shown.append(tile)
    return shown
