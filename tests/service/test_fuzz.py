"""The API against its own OpenAPI document: schemathesis generates requests for every
route (but those that queue jobs, which would run fits for minutes), in process, with an
admin's token; none may answer 500, whatever it is sent."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from service_helpers import bearer, build_shop

from tenure.service import create_app

pytestmark = pytest.mark.slow

EXAMPLES = 6


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    shop = build_shop(tmp_path_factory.mktemp("fuzz"), 150, models=False)
    app = create_app(shop.path, jobs_at_start=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app,
                                            headers=bearer(shop.tokens["viewer"]))
    schema = schema.exclude(method="POST", path_regex=r"^/api/v1/(?!ingest/|tokens$)")
    # The backtest trains a model per fold for each request: its options are checked in
    # test_api, where it runs once.
    yield shop, schema.exclude(path_regex=r"^/api/v1/churn/backtest")
    app.state.tenure.close()


def test_no_generated_request_is_a_server_error(fuzzed):
    shop, schema = fuzzed
    headers = bearer(shop.tokens["admin"])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60  # every capability's routes, and the service's own

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case):
            response = case.call(headers=headers, timeout=120)
            assert response.status_code < 500, (case.method, case.formatted_path,
                                                case.query, response.text[:300])

        fuzz()
