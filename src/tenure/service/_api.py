"""The REST API under ``/api/v1``, made from the capability registry.

Each capability that only reads is ``GET /api/v1/<its words>`` (``/api/v1/analyze/
cohorts``): its options are the query parameters, checked by the registry
(:func:`tenure.capabilities.parse_options`), and the body is its result's ``to_dict()``;
``.csv`` and ``.xlsx`` after the path give its tables as files. Each capability that
writes is ``POST /api/v1/<its words>``, which queues a job (``/api/v1/jobs``). Ingest
(files and JSON batches) and tokens have routes of their own, thin over the same library.
A capability added to the registry appears here with no new code.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from tenure.actions import EVENTS
from tenure.capabilities import REGISTRY, Capability
from tenure.contract import TABLES
from tenure.customers import mask_records
from tenure.errors import ConfigError, InputError, NotFoundError
from tenure.results import jsonable
from tenure.service._auth import authenticate, client_of, required_role, scoped_values
from tenure.service._export import content_disposition, to_csv, to_xlsx
from tenure.workspace._access import create_token, list_tokens, revoke_token

__all__ = ["DEDICATED", "api_router", "read_result", "record_outcomes"]

PREFIX = "/api/v1"
# Capabilities with routes of their own below.
DEDICATED = {"ingest", "token create", "token revoke", "actions record"}
# The reads that may name files on the server (the workspace's status, the quarantine and
# the audit log name the files ingested): their answers name them without their folders.
_ABOUT_FILES = (None, "audit")
_ERRORS = {401: {"description": "no token, or an unknown or revoked one"},
           403: {"description": "the token's role or owner does not allow it"},
           422: {"description": "an option or the input is not valid (one sentence)"}}


# A value of a row posted as JSON: what a cell of a CSV file could hold.
Scalar = str | int | float | bool


class OutcomeRow(BaseModel):
    """One outcome of a planned action, naming the action as the action list's keys name
    it. Values may be text or numbers, read as a file's cells are; a row whose event is not
    one of the six, or whose action is not in the log, is quarantined with its reason
    rather than refused."""

    model_config = ConfigDict(extra="allow")

    customer_id: Scalar = Field(description="The customer, as in the action log.")
    playbook: Scalar = Field(description="The playbook of the action.")
    plan_date: Scalar = Field(description="The plan date of the action (YYYY-MM-DD).")
    event: Scalar = Field(description="What happened: " + ", ".join(EVENTS) + ".",
                          examples=list(EVENTS))
    at: Scalar | None = Field(None, description="When it happened (the workspace's time "
                                                "zone); empty: unknown.")
    channel: Scalar | None = Field(None, description="The channel it happened on.")


class OutcomeBatch(BaseModel):
    """Outcomes posted as an object."""

    rows: list[OutcomeRow] = Field(min_length=1)


OUTCOMES_BODY = TypeAdapter(list[OutcomeRow] | OutcomeBatch)


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    """``schema`` with each reference to one of its ``$defs`` replaced by the definition,
    so that it stands on its own inside the OpenAPI document."""
    if isinstance(schema, dict):
        reference = schema.get("$ref", "")
        if reference.startswith("#/$defs/"):
            return _inlined(definitions[reference.rsplit("/", 1)[1]], definitions)
        return {k: _inlined(v, definitions) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inlined(v, definitions) for v in schema]
    return schema


def _body_schema(adapter: TypeAdapter) -> dict[str, Any]:
    schema = adapter.json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": _inlined(schema, schema.get("$defs", {}))}}}}


def _state(request: Request):
    return request.app.state.tenure


def _limit_pages(values: dict[str, Any], state) -> None:
    most = state.config["service.max_page_size"]
    limit = values.get("limit")
    if limit is None:
        return
    try:
        number = int(str(limit).strip())
    except ValueError:
        return  # the registry says what is wrong with it
    if number > most:
        raise ConfigError(f"limit {number} is more than service.max_page_size ({most}); ask "
                          "for fewer rows and page with offset")


def read_result(request: Request, capability: Capability, values: dict[str, Any]):
    """Authenticate, scope the options to the token, check them and run ``capability``:
    the token and the result. The API and the pages both read through here."""
    token = authenticate(request, required_role(capability))
    state = _state(request)
    values = scoped_values(capability, token, {k: v for k, v in values.items()
                                               if v is not None})
    _limit_pages(values, state)
    options = capability.parse(values)
    return token, state.run_read(capability, options)


def _query_parameters(capability: Capability) -> list[inspect.Parameter]:
    parameters = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    annotation=Request)]
    for spec in capability.option_specs():
        if spec.name == "refresh" or spec.kind is Path:
            continue
        described = spec.help + (f" One of: {', '.join(spec.choices)}." if spec.choices
                                 else "")
        kind: Any = list[str] | None if spec.many else str | None
        parameters.append(inspect.Parameter(
            spec.name, inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[kind, Query(description=described)]))
    return parameters


def _reader(capability: Capability, answer: str):
    def endpoint(request: Request, **values: Any):
        part = values.pop("part", None)
        token, result = read_result(request, capability, values)
        viewer = token.role == "viewer"
        language = request.state.language
        name = capability.name.replace(" ", "-")
        if answer == "csv":
            table, data = to_csv(result, part, mask=viewer, language=language)
            return Response(data, media_type="text/csv; charset=utf-8",
                            headers=content_disposition(f"{name}-{table}.csv"))
        if answer == "xlsx":
            return Response(to_xlsx(result, mask=viewer, language=language),
                            media_type="application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet",
                            headers=content_disposition(f"{name}.xlsx"))
        body = _state(request).body(result)
        if capability.group in _ABOUT_FILES:
            body = _state(request).public(body)
        return JSONResponse(mask_records(body) if viewer else body)

    parameters = _query_parameters(capability)
    if answer == "csv":
        parameters.append(inspect.Parameter(
            "part", inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[str | None, Query(description="Which table: frame (the "
                                                   "default) or one of the result's others.")]))
    endpoint.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    endpoint.__name__ = f"{capability.command.replace('-', '_')}_{answer}"
    return endpoint


def _body(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object (empty: none), or a 400 naming where it broke."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except UnicodeDecodeError:
        raise InputError("the body is not UTF-8 text; send JSON") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"the body is not JSON: {exc.msg} at line {exc.lineno}, column "
                         f"{exc.colno}") from None
    return value


def _writer(capability: Capability):
    async def endpoint(request: Request, **values: Any):
        token = authenticate(request, required_role(capability))
        body = _body(await request.body())
        if not isinstance(body, dict):
            raise InputError("the body should be a JSON object of options, such as "
                             '{"model": "pnbd"}')
        given = {**{k: v for k, v in values.items() if v is not None}, **body}
        given = scoped_values(capability, token, given)
        state = _state(request)
        job = state.jobs.submit(capability, given, token.token_id)
        state.audit(actor=token.token_id, role=token.role, action=f"job {capability.name}",
                    target=job.job_id, detail={"options": given}, client=client_of(request),
                    outcome="queued")
        return JSONResponse(job.to_dict(), status_code=202,
                            headers={"Location": f"{PREFIX}/jobs/{job.job_id}"})

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        _query_parameters(capability))
    endpoint.__name__ = f"{capability.command.replace('-', '_')}_job"
    return endpoint


def api_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, responses=_ERRORS)
    for capability in REGISTRY.values():
        if capability.name in DEDICATED:
            continue
        tag = capability.group or "workspace"
        if capability.writes:
            router.add_api_route(capability.route, _writer(capability), methods=["POST"],
                                 status_code=202, summary=capability.summary, tags=[tag],
                                 name=f"{capability.name} (job)")
            continue
        router.add_api_route(capability.route, _reader(capability, "json"), methods=["GET"],
                             summary=capability.summary, tags=[tag], name=capability.name)
        router.add_api_route(f"{capability.route}.csv", _reader(capability, "csv"),
                             methods=["GET"], summary=f"{capability.summary} (CSV)",
                             tags=[tag], name=f"{capability.name} (CSV)",
                             response_class=Response)
        router.add_api_route(f"{capability.route}.xlsx", _reader(capability, "xlsx"),
                             methods=["GET"], summary=f"{capability.summary} (Excel)",
                             tags=[tag], name=f"{capability.name} (Excel)",
                             response_class=Response)
    _customer(router)
    _jobs(router)
    _ingest(router)
    _tokens(router)
    return router


def _customer(router: APIRouter) -> None:
    profile = REGISTRY["customers profile"]

    @router.get("/customers/{customer_id}", tags=["customers"],
                summary="A customer's profile (as /customers/profile).")
    def customer(request: Request, customer_id: str):
        token, result = read_result(request, profile, {"customer_id": customer_id})
        body = jsonable(result.to_dict())
        return JSONResponse(mask_records(body) if token.role == "viewer" else body)


def _jobs(router: APIRouter) -> None:
    @router.get("/jobs", tags=["jobs"], summary="The latest jobs, newest first.")
    def jobs(request: Request):
        authenticate(request, "admin")
        return _state(request).public([job.to_dict() for job in _state(request).jobs.jobs()])

    @router.get("/jobs/{job_id}", tags=["jobs"], summary="One job: status, progress, result.")
    def job(request: Request, job_id: str):
        authenticate(request, "admin")
        found = _state(request).jobs.get(job_id)
        if found is None:
            raise NotFoundError(f"there is no job '{job_id}'; GET /api/v1/jobs lists them")
        return _state(request).public(found.to_dict())

    @router.delete("/jobs/{job_id}", tags=["jobs"], summary="Cancel a job.")
    def cancel(request: Request, job_id: str):
        token = authenticate(request, "admin")
        state = _state(request)
        found = state.jobs.get(job_id)
        if found is None:
            raise NotFoundError(f"there is no job '{job_id}'; GET /api/v1/jobs lists them")
        if found.status in ("queued", "running"):
            state.jobs.cancel(found)
            state.audit(actor=token.token_id, role=token.role, action="job cancel",
                        target=job_id, client=client_of(request))
        return state.public(found.to_dict())


_SAFE = re.compile(r"[^\w.\-]+")


def _write_now(request: Request, token, action: str, target: str, run,
               detail: dict[str, Any]) -> Any:
    """``run(workspace)`` while nothing else writes, audited as ``action`` on ``target``;
    what it returned."""
    state = _state(request)
    # Its turn among the writes: it waits for a running job as long as a request may take.
    if not state.jobs.writing.acquire(timeout=state.config["service.query_seconds"]):
        running = state.jobs.running()
        doing = f"job {running.job_id} ({running.capability})" if running else "another write"
        raise HTTPException(409, f"{doing} is writing to the workspace; try again when it "
                                 "ends")
    try:
        result = run(state.reader())
    except Exception as exc:
        state.audit(actor=token.token_id, role=token.role, action=action, target=target,
                    detail={**detail, "error": str(exc)}, client=client_of(request),
                    outcome="failed")
        raise
    finally:
        state.jobs.writing.release()
    state.changed()
    state.audit(actor=token.token_id, role=token.role, action=action, target=target,
                detail={**detail, **jsonable(result.headline)}, client=client_of(request))
    return result


def _ingest_now(request: Request, table: str, source: Path, mapping: Path | None,
                detail: dict[str, Any]) -> dict[str, Any]:
    """Ingest ``source``; then refresh the stored tables."""
    token = authenticate(request, "admin")
    report = _write_now(request, token, "ingest", table, lambda ws: REGISTRY["ingest"](
        ws, {"table": table, "source": source, "map": mapping}), detail)
    for name in ("analyze prepare", "customers prepare"):
        _state(request).jobs.submit(REGISTRY[name], {}, token.token_id)
    return _state(request).public(jsonable(report.to_dict()))


def record_outcomes(request: Request, rows: list[Any]) -> dict[str, Any]:
    """Record the outcomes in ``rows`` (JSON objects: customer_id, playbook, plan_date,
    event, at, channel) as ``tenure actions record`` does; a token limited to an owner
    records only for that owner's actions. The API and the action page both write here."""
    token = authenticate(request, "operator")
    frame = _batch_frame(rows)
    if token.owner_id is not None and "customer_id" in frame:
        _check_own_actions(request, token.owner_id, frame["customer_id"])
    source = _batch_file(request, "outcomes", frame)
    done = _write_now(request, token, "outcome", "action_outcomes", lambda ws: REGISTRY[
        "actions record"](ws, {"source": source}), {"rows": len(frame)})
    return _state(request).public(jsonable(done.to_dict()))


def _check_own_actions(request: Request, owner: str, customers: pd.Series) -> None:
    """404, as for an action that does not exist, unless ``owner`` has an action in the
    log for each of ``customers``."""
    asked = sorted({str(c) for c in customers.dropna()})
    found = {row[0] for row in _state(request).reader().connection.execute(
        "SELECT DISTINCT customer_id FROM action_log WHERE owner_id = $owner "
        "AND list_contains($ids, customer_id)", {"owner": owner, "ids": asked}).fetchall()}
    missing = [c for c in asked if c not in found]
    if missing:
        raise NotFoundError(f"there is no action for customer '{missing[0]}' here; the "
                            "action list shows yours")


def _check_table(table: str) -> None:
    if table not in TABLES:
        raise NotFoundError(f"there is no table '{table}'; the tables are "
                            f"{', '.join(TABLES)}")


def _uploads(request: Request) -> Path:
    folder = _state(request).workspace.path / "uploads"
    folder.mkdir(exist_ok=True)
    return folder


async def _save(request: Request, upload: UploadFile, folder: Path, most: int) -> Path:
    name = _SAFE.sub("_", Path(upload.filename or "upload").name).strip("._") or "upload"
    path = folder / name
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > most:
                out.close()
                path.unlink(missing_ok=True)
                raise HTTPException(413, f"{upload.filename} is larger than "
                                         f"service.max_upload_mb ({most >> 20} MB); split it "
                                         "or raise the setting")
            out.write(chunk)
    return path


def _ingest(router: APIRouter) -> None:
    @router.post("/ingest/{table}", tags=["ingest"], summary="Upload a file (CSV, Parquet, "
                 "JSON lines or Excel) into a table; bad rows go to quarantine.")
    async def upload(request: Request, table: str,
                     file: Annotated[UploadFile, File(description="The file to ingest.")],
                     map: Annotated[UploadFile | None, File(
                         description="A mapping file (TOML).")] = None):
        authenticate(request, "admin")
        _check_table(table)
        most = _state(request).config["service.max_upload_mb"] << 20
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > most + (1 << 20):
            raise HTTPException(413, f"the upload is larger than service.max_upload_mb "
                                     f"({most >> 20} MB); split it or raise the setting")
        folder = _uploads(request)
        source = await _save(request, file, folder, most)
        mapping = await _save(request, map, folder, 1 << 20) if map is not None else None
        return await run_in_threadpool(_ingest_now, request, table, source, mapping,
                                       {"file": file.filename})

    @router.post("/ingest/{table}/rows", tags=["ingest"], summary="Post rows as JSON (a list "
                 "of objects, or {\"rows\": [...]}) into a table; bad rows go to quarantine.")
    async def rows(request: Request, table: str):
        authenticate(request, "admin")
        _check_table(table)
        rows = await _batch(request)
        source = _batch_file(request, table, _batch_frame(rows))
        return await run_in_threadpool(_ingest_now, request, table, source, None,
                                       {"rows": len(rows)})

    @router.post("/actions/outcomes", tags=["actions"], summary="Record outcomes of "
                 "planned actions: a JSON list of rows (or {\"rows\": [...]}) of customer_id, "
                 "playbook, plan_date, event (sent, delivered, opened, replied, refused, "
                 "unsubscribed), at and channel; bad rows go to quarantine.",
                 openapi_extra=_body_schema(OUTCOMES_BODY))
    async def outcomes(request: Request):
        authenticate(request, "operator")
        rows = await _batch(request)
        _check_rows(OUTCOMES_BODY, rows)
        return await run_in_threadpool(record_outcomes, request, rows)


async def _batch(request: Request) -> list[Any]:
    """The rows a batch posts: a non-empty JSON list, at most service.max_batch_rows."""
    body = _body(await request.body())
    if isinstance(body, dict):
        body = body.get("rows")
    if not isinstance(body, list) or not body:
        raise InputError("the body should be a non-empty JSON list of rows, or "
                         '{"rows": [...]}, each row an object of column names')
    most = _state(request).config["service.max_batch_rows"]
    if len(body) > most:
        raise HTTPException(413, f"{len(body):,} rows are more than "
                                 f"service.max_batch_rows ({most:,}); post them in "
                                 "smaller batches")
    return body


def _check_rows(adapter: TypeAdapter, rows: list[Any]) -> None:
    """Refuse ``rows`` that do not fit ``adapter``'s model, naming the first row and
    column that does not (as a file's reader names them)."""
    try:
        adapter.validate_python(rows)
    except ValidationError as exc:
        first = next((e for e in exc.errors() if e["loc"] and isinstance(e["loc"][1], int)),
                     exc.errors()[0])
        where = [p for p in first["loc"] if isinstance(p, int)]
        names = [p for p in first["loc"] if isinstance(p, str) and p in OutcomeRow.model_fields]
        message = ("a value should be text or a number" if first["type"].endswith("_type")
                   else str(first["msg"]).rstrip(".").lower())
        raise InputError(message, source="the batch", row=where[0] + 1 if where else None,
                         column=names[0] if names else None) from None


def _batch_file(request: Request, kind: str, frame: pd.DataFrame) -> Path:
    """``frame`` written as a CSV file among the uploads, named by what it holds, so that
    the same batch twice is the same file (and changes nothing the second time)."""
    text = frame.to_csv(index=False)
    digest = hashlib.sha1(f"{kind}\n{text}".encode()).hexdigest()[:12]
    source = _uploads(request) / f"batch-{kind}-{digest}.csv"
    source.write_text(text, encoding="utf-8")
    return source


def _batch_frame(rows: list[Any]) -> pd.DataFrame:
    """The rows of a JSON batch as text, the way a CSV file brings them; a row that is not
    an object, or a value that is a list or an object, is refused by row and column."""
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise InputError("each row should be a JSON object of column names and values",
                             source="the batch", row=number)
        for column, value in row.items():
            if isinstance(value, dict | list):
                raise InputError("a value should be text, a number, true, false or null, "
                                 "not a list or an object", source="the batch", row=number,
                                 column=str(column))
    frame = pd.DataFrame.from_records(rows)
    return frame.map(_text)


def _text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _tokens(router: APIRouter) -> None:
    @router.post("/tokens", tags=["token"], status_code=201, summary="Make a token; its "
                 "secret is in this answer only.")
    async def create(request: Request):
        token = authenticate(request, "admin")
        body = _body(await request.body())
        if not isinstance(body, dict):
            raise InputError('the body should be a JSON object such as {"role": "viewer"}')
        options = REGISTRY["token create"].parse(body)
        state = _state(request)
        made = state.write_meta(lambda con: create_token(
            con, options.role, owner_id=options.owner, label=options.label,
            actor=token.token_id, client=client_of(request)))
        return JSONResponse(jsonable(made.to_dict()), status_code=201)

    @router.delete("/tokens/{token_id}", tags=["token"], summary="Revoke a token at once.")
    def revoke(request: Request, token_id: str):
        token = authenticate(request, "admin")
        state = _state(request)
        if not re.fullmatch(r"[0-9a-f]{12}", token_id):
            raise NotFoundError(f"there is no token '{token_id}'; GET /api/v1/token/list "
                                "shows the ids")
        if token_id not in set(list_tokens(state.reader().connection).frame["token_id"]):
            raise NotFoundError(f"there is no token '{token_id}'; GET /api/v1/token/list "
                                "shows the ids")
        done = state.write_meta(lambda con: revoke_token(con, token_id, actor=token.token_id,
                                                         client=client_of(request)))
        state.forget_tokens()
        return jsonable(done.to_dict())
