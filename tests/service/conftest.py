"""The served shop and the app over it, in process, shared by the service tests."""

from __future__ import annotations

import pytest
from service_helpers import Shop, build_shop


@pytest.fixture(scope="session")
def shop(tmp_path_factory) -> Shop:
    return build_shop(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="session")
def app(shop):
    from tenure.service import create_app

    application = create_app(shop.path, jobs_at_start=False)
    yield application
    application.state.tenure.close()


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client
