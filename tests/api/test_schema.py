"""Schemathesis against the OpenAPI schema: for input generated from the schema, every
endpoint answers without a server error, with a status the schema lists and a body that
matches it. Requests go through the whole Django WSGI application (middleware included),
with a token holding every scope, against micro-internships that exist."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from microintern.api.endpoints import api
from microintern.api.enums import Scope
from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from tests.api.factories import make_token
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

# The schema as the API serves it at /api/v1/openapi.json (a test there checks that URL);
# loaded when the tests are collected, with the WSGI application to call.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
schema.app = get_wsgi_application()


@pytest.fixture
def world(db, settings):
    settings.MICROINTERN_API = {**settings.MICROINTERN_API, "RATE_LIMIT": 100_000}
    mi = MicroInternshipFactory(reference="MI-2026-007", open_now=True)
    for _ in range(3):
        place = ExpressionOfInterestFactory(micro_internship=mi)
    transition_place(place, PlaceState.OFFERED, reason="Drawn.")
    return make_token(*Scope.values)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case, world):
    case.call_and_validate(headers={"Authorization": f"Bearer {world.secret}"})
