"""The tenure service: the HTTP API and the dashboard over one workspace.

:func:`create_app` builds the FastAPI application (the API under ``/api/v1`` made from
the capability registry, the dashboard pages, the login page); :func:`serve` runs it with
uvicorn, as ``tenure serve`` does. While it runs, the service is the workspace's only
writer (:mod:`tenure.workspace._serving`): its jobs write one at a time.

>>> import tempfile, tenure
>>> from fastapi.testclient import TestClient
>>> ws = tenure.Workspace.init(tempfile.mkdtemp() + "/shop")
>>> client = TestClient(create_app(ws, jobs_at_start=False))
>>> client.get("/api/v1/status").status_code    # no token
401
"""

from __future__ import annotations

from tenure.service._app import create_app
from tenure.service._pages import PAGES, Page, Section
from tenure.service._serve import serve

__all__ = ["PAGES", "Page", "Section", "create_app", "serve"]
