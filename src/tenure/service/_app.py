"""The FastAPI application: the API, the dashboard, the static files and the error rules.

Errors are one sentence, never a traceback: a :class:`~tenure.errors.TenureError` from
the library or the registry becomes 404 (not found), 409 (needs something done first, or
busy), 503 (not ready, or too slow) or 422 (anything else the caller can fix); a request
FastAPI cannot read becomes 422 naming the parameter. The API answers JSON
``{"error": ..., "status": ...}``; the pages answer HTML, and send a browser without a
token to the login page.
"""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException

from tenure._version import __version__
from tenure.errors import ConfigError, ModelError, NotFoundError, TenureError, WorkspaceError
from tenure.i18n import choose_language, translate
from tenure.report._render import STATIC, environment, static
from tenure.service._api import api_router
from tenure.service._auth import LANG_COOKIE, authenticate
from tenure.service._pages import pages_router
from tenure.service._state import ServiceState, startup_jobs
from tenure.workspace import Workspace

__all__ = ["create_app"]

_CSP = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' "
        "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'")
_ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" '
         'height="16" rx="3" fill="#0072B2"/><path d="M4 4h8v2H9v7H7V6H4z" fill="#fff"/></svg>')
_HEADERS = (("Content-Security-Policy", _CSP), ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"))
THREADS = 8
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _status(exc: TenureError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ModelError):
        return 409
    if isinstance(exc, WorkspaceError):
        return 503
    return 422


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/openapi")


def _answer(request: Request, status: int, message: str,
            headers: dict[str, str] | None = None) -> Response:
    language = getattr(request.state, "language", "en")
    message = request.app.state.tenure.public(message)
    if _is_api(request):
        return JSONResponse({"error": message, "status": status}, status_code=status,
                            headers=headers)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)
    templates = request.app.state.templates
    token = getattr(request.state, "token", None)
    page = templates.get_template("error.html").render(
        request=request, language=language, t=lambda s: translate(s, language), nav=[],
        token=token or _Nobody(), title=translate("Error", language),
        switch={"zh": "?lang=zh", "en": "?lang=en"}, message=translate(message, language))
    return HTMLResponse(page, status_code=status)


class _Nobody:
    role = ""
    owner_id = None


def create_app(workspace: Workspace | str, *, jobs_at_start: bool = True) -> FastAPI:
    """The service over ``workspace`` (an open Workspace or its folder). With
    ``jobs_at_start`` the stored tables the pages read are brought up to date first, in
    the background."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    state = ServiceState(ws)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        # Fewer threads than connections: the engine works on the cores there are, and
        # forty threads taking turns at the interpreter only slow each other down.
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield
        state.close()

    # No /docs or /redoc: their pages load scripts from the internet. The OpenAPI document
    # is a route like the others, behind a token.
    app = FastAPI(title="tenure", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None,
                  description="The tenure service: every capability of the registry, the "
                              "customers, jobs, ingest and tokens. Every route needs a token "
                              "(`Authorization: Bearer TOKEN`).")
    app.state.tenure = state
    app.state.templates = environment(jinja2.PackageLoader("tenure.service", "templates"))
    app.include_router(api_router())
    app.include_router(pages_router())

    @app.get("/static/{name}", include_in_schema=False)
    def static_file(name: str):
        if name not in STATIC:
            raise HTTPException(404, f"there is no file '{name}'")
        suffix = name[name.rfind("."):]
        return Response(static(name), media_type=_TYPES.get(suffix, "text/plain"),
                        headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(request: Request):
        authenticate(request, "viewer")
        return JSONResponse(app.openapi())

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return Response(_ICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    app.add_middleware(_LanguageAndHeaders)

    @app.exception_handler(TenureError)
    async def tenure_error(request: Request, exc: TenureError):
        return _answer(request, _status(exc), str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return _answer(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def unreadable(request: Request, exc: RequestValidationError):
        return _answer(request, 422, _validation_sentence(exc.errors()))

    if jobs_at_start:
        startup_jobs(state)
    return app


class _LanguageAndHeaders:
    """Chooses each request's language (``?lang=``, the cookie, the browser's wish) and
    adds the security headers to every answer; plain ASGI, so it costs next to nothing."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang")
        chosen = asked if asked in ("zh", "en") else request.cookies.get(LANG_COOKIE)
        try:
            language = choose_language(chosen if chosen in ("zh", "en") else None,
                                       accept=request.headers.get("accept-language"))
        except ConfigError:
            language = "en"
        scope.setdefault("state", {})["language"] = language
        static = scope["path"].startswith("/static/")

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS:
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
                if asked in ("zh", "en"):
                    headers.append("Set-Cookie", f"{LANG_COOKIE}={asked}; Max-Age="
                                   f"{365 * 86400}; Path=/; HttpOnly; Secure; SameSite=strict")
            await send(message)

        await self.app(scope, receive, sending)


def _validation_sentence(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "the request could not be read"
    first = errors[0]
    where = " ".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
    message = str(first.get("msg", "is not valid")).rstrip(".")
    return f"{where or 'the request'}: {message}; see /openapi.json for what this route takes"
