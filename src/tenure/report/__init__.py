"""The report: one HTML file with the headline figures, every analysis and model chart,
the at-risk and SLA summaries and, once a day has been planned, the actions and their
measured lift, built over the capability registry.

Everything is inside the file: the charts' data and specifications, the Vega libraries
that draw them and the style sheet, so it opens with no network at all and can be sent
as it is. Contact details are masked: a report travels further than the dashboard.

>>> import tempfile, tenure
>>> from pathlib import Path
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop")
>>> _ = ws.ingest("orders", tenure.datasets.load_cdnow(kind="sample"))
>>> done = write_report(ws, Path(tempfile.mkdtemp()) / "report.html", language="en")
>>> text = done.path.read_text()
>>> done.charts > 3, 'src="http' in text or 'href="http' in text   # nothing to fetch
(True, False)
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tenure._sql import ident
from tenure.capabilities import REGISTRY
from tenure.customers._masking import mask_frame
from tenure.customers._overview import METRICS
from tenure.errors import InputError, TenureError
from tenure.i18n import LANGUAGES, translate
from tenure.progress import Progress, steps_of
from tenure.report._render import chart_spec, environment, table, tiles
from tenure.results import Result, counted

__all__ = ["SECTIONS", "ReportSection", "ReportWritten", "write_report"]

# Rows of a table the report carries (the whole table is one CSV away in the dashboard).
ROWS = 30


@dataclass(frozen=True)
class ReportSection:
    """One capability in the report, with its options and a title."""

    capability: str
    title: str
    options: dict[str, Any] | None = None
    tables: bool = True
    # A table that must hold rows for the section to be shown (the actions, once planned).
    needs: str | None = None
    # Whether the capability's ``lang`` option follows the report's language.
    in_language: bool = False


SECTIONS: tuple[ReportSection, ...] = (
    ReportSection("customers overview", "Overview", tables=False),
    ReportSection("analyze growth", "Net growth"),
    ReportSection("analyze cohorts", "Cohorts"),
    ReportSection("analyze lifecycle", "Lifecycle"),
    ReportSection("analyze rfm", "RFM segments and revenue concentration"),
    ReportSection("analyze loyalty", "Loyalty ladder"),
    ReportSection("analyze funnel", "Lead funnel"),
    ReportSection("analyze referrals", "Referral reach"),
    ReportSection("analyze handover", "Hand-overs"),
    ReportSection("analyze churn-reasons", "Churn reasons"),
    ReportSection("models value", "Customer value"),
    ReportSection("models list", "Models"),
    ReportSection("customers at-risk", "Customers at risk", {"limit": ROWS}),
    ReportSection("sla report", "SLA compliance"),
    ReportSection("sla credits", "SLA credits owed"),
    ReportSection("actions list", "Actions planned", needs="action_runs", in_language=True),
    ReportSection("actions lift", "Lift of the actions", {"record": False},
                  needs="action_runs"),
)


@dataclass(frozen=True)
class ReportWritten(Result):
    """Where the report went, its sections and charts, and what could not be shown."""

    path: Path
    frame: pd.DataFrame  # section, capability, chart (bool), seconds, problem
    seconds: float

    @property
    def charts(self) -> int:
        return int(self.frame["chart"].sum())

    @property
    def headline(self) -> dict[str, Any]:
        return {"path": self.path, "sections": len(self.frame), "charts": self.charts,
                "seconds": self.seconds,
                "problems": int(self.frame["problem"].notna().sum())}

    def lines(self) -> list[str]:
        said = [f"Wrote the report to {self.path} ({counted(len(self.frame), 'section')}, "
                f"{counted(self.charts, 'chart')}, {self.seconds:.1f} s)"]
        for row in self.frame[self.frame["problem"].notna()].itertuples():
            said.append(f"{row.section}: {row.problem}")
        return said


def _section_view(number: int, section: ReportSection, result: Result, language: str
                  ) -> dict[str, Any]:
    view: dict[str, Any] = {"id": f"s{number}", "title": translate(section.title, language),
                            "lines": [translate(line, language) for line in result.lines()],
                            "chart": chart_spec(result, language), "tables": [],
                            "pagers": [], "exports": [], "error": None}
    if section.tables:
        for title, frame in result.panels():
            if frame is None or not len(frame.columns):
                continue
            shown = table(title, mask_frame(frame), language, size=ROWS)
            view["tables"].append(shown)
    return view


def write_report(ws, out: str | Path, *, language: str = "en",
                 sections: tuple[ReportSection, ...] = SECTIONS,
                 progress: Progress = None) -> ReportWritten:
    """Write the report of ``ws`` to ``out`` in ``language`` (en or zh)."""
    if language not in LANGUAGES:
        raise InputError(f"language '{language}' is not supported; use zh or en")
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{out}: the report is an HTML file; give it a name ending in .html")
    if not out.parent.exists():
        raise InputError(f"{out}: the folder {out.parent} does not exist")
    started = time.perf_counter()
    sections = tuple(s for s in sections if s.needs is None or _holds_rows(ws, s.needs))
    step = steps_of(progress, len(sections))
    views, rows, overview = [], [], None
    for number, section in enumerate(sections):
        step(section.title)
        began = time.perf_counter()
        problem = None
        try:
            options = {**(section.options or {}),
                       **({"lang": language} if section.in_language else {})}
            result = REGISTRY[section.capability](ws, options)
            view = _section_view(number, section, result, language)
            if section.capability == "customers overview":
                overview = result
        except TenureError as exc:
            problem = str(exc)
            view = {"id": f"s{number}", "title": translate(section.title, language),
                    "lines": [], "chart": None, "tables": [], "pagers": [], "exports": [],
                    "error": translate(problem, language)}
        views.append(view)
        rows.append({"section": section.title, "capability": section.capability,
                     "chart": view["chart"] is not None,
                     "seconds": time.perf_counter() - began, "problem": problem})
    made = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    page = environment().get_template("report.html").render(
        language=language, title=translate("Customer retention report", language),
        subtitle=f"{ws.path.name} · {made}", sections=views,
        tiles=tiles(overview.headline, METRICS, language) if overview else [],
        footer=translate("Made by tenure; contact details are masked.", language))
    out.write_text(page, encoding="utf-8")
    return ReportWritten(out, pd.DataFrame(rows), time.perf_counter() - started)


def _holds_rows(ws, table: str) -> bool:
    return bool(ws.connection.execute(f"SELECT count(*) FROM (SELECT 1 FROM {ident(table)} "
                                      "LIMIT 1)").fetchall()[0][0])
