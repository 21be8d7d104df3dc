"""The demo's survey answers: for the large benchmark data sets they are written in bulk,
and they are the same answers, in the same order, as one questionnaire at a time through
the surveys domain (which the demo of `make run` still uses)."""

import random

import pytest

from microintern.applications.enums import PlaceState
from microintern.insights.management.commands import demo_insights
from microintern.surveys.models import Answer, Invitation, Response
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def _answers() -> list[tuple]:
    return list(
        Answer.objects.order_by("pk").values_list(
            "response__version__instrument__slug",
            "response__invitation__student_id",
            "response__invitation__host_contact_id",
            "response__micro_internship_id",
            "item__code",
            "number",
            "text",
        )
    )


def test_in_bulk_the_demo_writes_the_same_answers_as_one_by_one():
    for _ in range(2):
        mi = MicroInternshipFactory()
        ExpressionOfInterestFactory.create_batch(3, micro_internship=mi, state=PlaceState.ATTENDED)
    ExpressionOfInterestFactory(state=PlaceState.NOT_SELECTED)  # not surveyed
    one_by_one = demo_insights._demo_surveys(random.Random(7))
    expected = _answers()
    Response.objects.all().delete()
    Invitation.objects.all().delete()

    in_bulk = demo_insights._demo_surveys(random.Random(7), in_bulk=True)

    assert in_bulk == one_by_one == 2 * 3 * 2 + 2  # a pre and a post per place, one per host
    assert _answers() == expected
    assert {slug for slug, *_ in expected} == {"student-pre", "student-post", "host"}
    assert Invitation.objects.filter(responded_at__isnull=False).count() == in_bulk
    assert demo_insights._demo_surveys(random.Random(7), in_bulk=True) == 0  # idempotent
