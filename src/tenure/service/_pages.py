"""The dashboard: pages written thinly over the capability registry.

A page is a list of sections, each one capability with some of its options fixed and the
rest taken from the page's query string; a section shows its result's sentences, its
chart and its tables (a page of rows at a time, each table exportable as CSV and Excel).
Adding a page is one :class:`Page` in :data:`PAGES` and, where it needs a layout of its
own, one template; its words go in ``tenure/i18n/zh/dashboard.toml``.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tenure.capabilities import REGISTRY
from tenure.customers._overview import METRICS
from tenure.errors import InputError, TenureError
from tenure.i18n import translate
from tenure.report._render import chart_spec, table, tiles
from tenure.service._api import PREFIX, read_result, record_outcomes
from tenure.service._auth import COOKIE, authenticate, client_of
from tenure.service._export import masked
from tenure.workspace._access import ROLES

__all__ = ["PAGES", "Page", "Section", "pages_router"]

ROWS = 25  # rows of a table per page


@dataclass(frozen=True)
class Section:
    """One capability on a page: ``fixed`` options, and the page's query parameters named
    in ``asks`` passed on; ``lazy`` sections load after the page (slow ones)."""

    capability: str
    title: str = ""
    fixed: dict[str, Any] = field(default_factory=dict)
    asks: tuple[str, ...] = ()
    tables: bool = True
    lazy: bool = False
    # Whether the capability's ``lang`` option follows the reader's language.
    in_language: bool = False


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    sections: tuple[Section, ...]
    role: str = "viewer"
    template: str = "page.html"
    # Options the page offers as a form: name and its choices (None: free text).
    form: tuple[tuple[str, tuple[str, ...] | None], ...] = ()


def _choices(capability: str, option: str) -> tuple[str, ...] | None:
    return next(spec.choices for spec in REGISTRY[capability].option_specs()
                if spec.name == option)


_PERIOD = (("period", ("week", "month", "quarter")),)
_WINDOW = (("period", ("day", "week", "month", "quarter")), ("by", None))

PAGES: tuple[Page, ...] = (
    Page("/overview", "Overview", (Section("customers overview", asks=("period",),
                                           tables=False),), template="overview.html",
         form=_PERIOD),
    Page("/cohorts", "Cohorts", (Section("analyze cohorts", asks=("period", "by")),),
         form=_WINDOW),
    Page("/lifecycle", "Lifecycle", (Section("analyze lifecycle", asks=("period", "by")),),
         form=_WINDOW),
    Page("/funnel", "Funnel", (Section("analyze funnel", asks=("period", "by")),),
         form=_WINDOW),
    Page("/loyalty", "Loyalty", (Section("analyze loyalty", asks=("period", "by")),),
         form=_WINDOW),
    Page("/value", "Value", (Section("models value"),)),
    Page("/referrals", "Referrals", (Section("analyze referrals", asks=("period", "by")),),
         form=_WINDOW),
    Page("/handover", "Hand-overs", (Section("analyze handover", asks=("period", "by")),),
         form=_WINDOW),
    Page("/at-risk", "At risk", (Section("customers at-risk",
                                         asks=("owner", "segment", "band", "sort",
                                               "offset")),),
         role="operator", template="list.html",
         form=(("owner", None), ("segment", None), ("band", ("high", "medium")),
               ("sort", ("value_at_risk", "churn_risk", "clv", "last_order")))),
    Page("/actions", "Actions", (Section("actions list", asks=("date", "owner", "playbook"),
                                         in_language=True),),
         role="operator", template="actions.html",
         form=(("date", None), ("owner", None),
               ("playbook", _choices("actions list", "playbook")))),
    Page("/sla", "SLA", (
        Section("sla clocks", "Clocks at risk now", {"at_risk": "true", "limit": "200"}),
        Section("sla clocks", "Breached clocks", {"breached": "true", "limit": "200"}),
        Section("sla credits", "Credits owed"),
        Section("sla report", "Compliance"))),
    Page("/customers", "Customers", (Section("customers search",
                                             asks=("query", "segment", "state", "risk_band",
                                                   "owner", "sort", "offset")),),
         template="list.html",
         form=(("query", None), ("segment", None),
               ("state", ("new", "active", "resurrected", "at_risk", "churned", "dormant")),
               ("risk_band", ("high", "medium", "low")))),
    Page("/models", "Models", (Section("models list"),
                               Section("churn backtest", "Churn model against its baselines",
                                       lazy=True))),
)
NAV = [(page.path, page.title, page.role) for page in PAGES]
# Write capabilities a page may run for its figures: they evaluate the SLA clocks again
# as of the latest time recorded, which changes nothing when nothing changed.
EVALUATES = {"sla credits", "sla report"}


def _language(request: Request) -> str:
    return request.state.language


def _words(language: str) -> dict[str, str]:
    return {k: translate(v, language) for k, v in {
        "prev": "Previous", "next": "Next", "page": "Page", "csv": "CSV", "xlsx": "Excel",
        "apply": "Apply", "all": "all"}.items()}


def _url(path: str, params: dict[str, Any]) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urllib.parse.urlencode(kept, doseq=True) if kept else "")


def _render_section(request: Request, page: Page, number: int, section: Section,
                    query: dict[str, str], token) -> dict[str, Any]:
    """A section's view: its result's sentences, chart and tables, or its error."""
    language = _language(request)
    capability = REGISTRY[section.capability]
    given = {k: query[k] for k in section.asks if query.get(k)}
    values = {**section.fixed, **given}
    if section.in_language:
        values["lang"] = language
    view: dict[str, Any] = {"id": f"s{number}", "title": translate(section.title, language)
                            if section.title else "", "lines": [], "chart": None,
                            "tables": [], "pagers": [], "exports": [], "error": None}
    if section.lazy and query.get("load") != view["id"]:
        view["lazy"] = _url(page.path, {**query, "load": view["id"]})
        return view
    try:
        if section.capability in EVALUATES:
            result = request.app.state.tenure.run_evaluation(capability, values)
        else:
            _, result = read_result(request, capability, values)
    except TenureError as exc:
        view["error"] = translate(str(exc), language)
        return view
    except HTTPException as exc:
        if exc.status_code == 401:
            raise
        view["error"] = translate(str(exc.detail), language)
        return view
    view["result"] = result
    view["lines"] = [translate(line, language) for line in result.lines()]
    view["chart"] = request.app.state.tenure.chart(result, language)
    viewer = token.role == "viewer"
    if section.tables:
        for index, (title, frame) in enumerate(result.panels()):
            if frame is None or not len(frame.columns):
                continue
            key = f"p{number}_{index}"
            number_asked = query.get(key, "1")
            page_number = int(number_asked) if number_asked.isdigit() else 1
            # A list pages itself (offset and limit); other tables page here.
            shown = table(title, masked(frame) if viewer else frame, language,
                          page=page_number, size=None if page.template == "list.html"
                          else ROWS)
            view["tables"].append(shown)
            view["pagers"].append({
                "prev": _url(page.path, {**query, key: shown.page - 1})
                if shown.page > 1 else None,
                "next": _url(page.path, {**query, key: shown.page + 1})
                if shown.page < shown.pages else None,
                "words": {**_words(language),
                          "page": f"{shown.page} / {shown.pages} ({shown.total:,})"}})
    if not capability.writes:
        api = f"{PREFIX}{capability.route}"
        words = _words(language)
        view["exports"] = [(words["csv"], _url(f"{api}.csv", values)),
                           (words["xlsx"], _url(f"{api}.xlsx", values))]
    return view


def _context(request: Request, page: Page | None, token, **extra: Any) -> dict[str, Any]:
    language = _language(request)
    here = page.path if page else request.url.path
    nav = [(path, translate(title, language), path == here) for path, title, role in NAV
           if token is not None and ROLES.index(token.role) >= ROLES.index(role)]
    if token is not None and token.role == "admin":
        nav.append(("/jobs", translate("Jobs", language), here == "/jobs"))
    query = dict(request.query_params)
    switch = {code: _url(request.url.path, {**query, "lang": code}) for code in ("zh", "en")}
    return {"request": request, "language": language, "t": lambda s: translate(s, language),
            "nav": nav, "token": token, "title": translate(page.title, language) if page
            else "", "switch": switch, "query": query, "page": page, **extra}


def _page_route(page: Page):
    def render(request: Request):
        token = authenticate(request, page.role)
        query = dict(request.query_params)
        sections = [_render_section(request, page, i, s, query, token)
                    for i, s in enumerate(page.sections)]
        language = _language(request)
        extra: dict[str, Any] = {"sections": sections, "form": [
            (name, translate(name, language), choices, query.get(name, ""))
            for name, choices in page.form]}
        first = sections[0].get("result") if sections else None
        if page.path == "/overview" and first is not None:
            extra["tiles"] = tiles(first.headline, METRICS, language)
        if page.template == "actions.html" and first is not None:
            extra["outcomes"] = _outcome_forms(first, sections[0], request, language)
        if page.template == "list.html" and first is not None:
            offset = int(first.offset)
            extra["list_pages"] = {
                "prev": _url(page.path, {**query, "offset": max(0, offset - first.limit)})
                if offset > 0 else None,
                "next": _url(page.path, {**query, "offset": offset + first.limit})
                if first.more else None}
        templates = request.app.state.templates
        return HTMLResponse(templates.get_template(page.template).render(
            _context(request, page, token, **extra)))

    render.__name__ = "page_" + page.path.strip("/").replace("-", "_")
    return render


# The outcomes a person records from the action list with one click.
OUTCOME_EVENTS = ("sent", "replied", "refused")


def _outcome_forms(result, section: dict[str, Any], request: Request, language: str
                   ) -> dict[str, Any]:
    """What each shown row of the action list posts to record an outcome: its action
    (customer, playbook, plan date), and the page to come back to."""
    keys = result.keys
    shown = section["tables"][0] if section["tables"] else None
    rows = []
    if shown is not None and keys is not None:
        first = (shown.page - 1) * ROWS
        rows = [{"customer_id": c, "playbook": p, "plan_date": result.date.isoformat()}
                for c, p in keys[["customer_id", "playbook"]].iloc[
                    first:first + len(shown.rows)].itertuples(index=False)]
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {"rows": rows, "next": back,
            "events": [(event, translate(event, language)) for event in OUTCOME_EVENTS]}


def pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for page in PAGES:
        router.add_api_route(page.path, _page_route(page), methods=["GET"],
                             response_class=HTMLResponse)

    @router.get("/")
    def home(request: Request):
        return RedirectResponse("/overview", status_code=303)

    @router.get("/customers/{customer_id}", response_class=HTMLResponse)
    def customer(request: Request, customer_id: str):
        token = authenticate(request, "viewer")
        language = _language(request)
        capability = REGISTRY["customers profile"]
        _, result = read_result(request, capability, {"customer_id": customer_id})
        if token.role == "viewer":
            result = result.masked()
        query = dict(request.query_params)
        tables = []
        for index, (title, frame) in enumerate(result.panels()):
            key = f"p0_{index}"
            asked = query.get(key, "1")
            tables.append(table(title, frame, language, page=int(asked) if asked.isdigit()
                                else 1, size=ROWS))
        section = {"id": "s0", "title": "", "error": None,
                   "lines": [translate(line, language) for line in result.lines()],
                   "chart": chart_spec(result, language), "tables": tables,
                   "pagers": [{"prev": _url(request.url.path, {**query, f"p0_{i}": t.page - 1})
                               if t.page > 1 else None,
                               "next": _url(request.url.path, {**query, f"p0_{i}": t.page + 1})
                               if t.page < t.pages else None,
                               "words": {**_words(language),
                                         "page": f"{t.page} / {t.pages} ({t.total:,})"}}
                              for i, t in enumerate(tables)],
                   "exports": [(_words(language)["xlsx"], _url(
                       f"{PREFIX}/customers/profile.xlsx", {"customer_id": customer_id}))]}
        page = Page("/customers", "Customers", ())
        return HTMLResponse(request.app.state.templates.get_template("profile.html").render(
            _context(request, page, token, sections=[section], card=result.card,
                     heading=result.card.get("name") or customer_id)))

    @router.post("/actions/outcome")
    def outcome(request: Request, customer_id: str = Form(""), playbook: str = Form(""),
                plan_date: str = Form(""), event: str = Form(""),
                next: str = Form("/actions")):
        done = record_outcomes(request, [{"customer_id": customer_id, "playbook": playbook,
                                          "plan_date": plan_date, "event": event,
                                          "at": _now(request)}])
        held = done["tables"].get("quarantined") or []
        if held:  # one row: say why it was not recorded, as the quarantine does
            raise InputError(f"the outcome was not recorded: {held[0]['message']}")
        target = next if next.startswith("/") and not next.startswith("//") else "/actions"
        return RedirectResponse(target, status_code=303)

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/overview"):
        return _login(request, next, None)

    @router.post("/login")
    def login(request: Request, token: str = Form(""), next: str = Form("/overview")):
        state = request.app.state.tenure
        found = state.token(token.strip())
        if found is None:
            state.audit(actor="unknown", role=None, action="login", client=client_of(request),
                        outcome="refused")
            return _login(request, next, "This token is unknown or revoked.", status=401)
        target = next if next.startswith("/") and not next.startswith("//") else "/overview"
        response = RedirectResponse(target, status_code=303)
        hours = state.config["service.session_hours"]
        response.set_cookie(COOKIE, token.strip(), max_age=hours * 3600, httponly=True,
                            secure=True, samesite="strict", path="/")
        return response

    @router.post("/logout")
    def logout(request: Request):
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @router.get("/jobs", response_class=HTMLResponse)
    def jobs(request: Request):
        token = authenticate(request, "admin")
        state = request.app.state.tenure
        language = _language(request)
        writers = [(c.name, c.route, translate(c.summary, language))
                   for c in REGISTRY.values() if c.writes and c.name not in
                   ("ingest", "token create", "token revoke")
                   and all(not s.required for s in c.option_specs())]
        page = Page("/jobs", "Jobs", ())
        return HTMLResponse(request.app.state.templates.get_template("jobs.html").render(
            _context(request, page, token, jobs=[j.to_dict() for j in state.jobs.jobs()],
                     writers=writers, prefix=PREFIX)))

    return router


def _login(request: Request, next: str, error: str | None, status: int = 200) -> Response:
    language = _language(request)
    context = {"request": request, "language": language, "t": lambda s: translate(s, language),
               "next": next, "error": translate(error, language) if error else None,
               "switch": {code: _url("/login", {"next": next, "lang": code})
                          for code in ("zh", "en")}}
    return HTMLResponse(request.app.state.templates.get_template("login.html").render(context),
                        status_code=status)


def _now(request: Request) -> str:
    """The time now in the workspace's time zone, as an outcome records it."""
    zone = ZoneInfo(request.app.state.tenure.config["workspace.timezone"])
    return dt.datetime.now(zone).strftime("%Y-%m-%d %H:%M:%S")
